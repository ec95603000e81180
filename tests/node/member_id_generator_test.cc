// IdGenerator and LeaseIdGenerator: ids a proposer picks for requests and lease grants.

#include <catch2/catch.hpp>

#include <cstdint>
#include <set>

#include "node/id_generator.h"

namespace consensus::node {
namespace {

TEST_CASE("lease ids are positive and unique", "[lease_ids]") {
    LeaseIdGenerator ids(0xabcdef0123456789ULL, 1'700'000'000'000);
    std::set<std::int64_t> seen;
    for (int i = 0; i < 10000; ++i) {
        std::int64_t id = ids.next();
        REQUIRE(id > 0);
        REQUIRE(seen.insert(id).second);
    }
}

TEST_CASE("lease ids of two members never collide", "[lease_ids]") {
    LeaseIdGenerator first(0x0001, 1'700'000'000'000);
    LeaseIdGenerator second(0x0002, 1'700'000'000'000);
    std::set<std::int64_t> seen;
    for (int i = 0; i < 1000; ++i) {
        REQUIRE(seen.insert(first.next()).second);
        REQUIRE(seen.insert(second.next()).second);
    }
}

TEST_CASE("a restarted member starts past the ids it handed out", "[lease_ids]") {
    // 200 ids per millisecond of uptime stays under the 256 the counter field holds.
    LeaseIdGenerator before(7, 1'700'000'000'000);
    std::int64_t last = 0;
    for (int i = 0; i < 200; ++i) last = before.next();
    LeaseIdGenerator after(7, 1'700'000'000'001);
    REQUIRE(after.next() > last);
}

TEST_CASE("the member id's sign bit never makes an id negative", "[lease_ids]") {
    LeaseIdGenerator ids(0xffffffffffffffffULL, 0x7fffffffffffLL);
    for (int i = 0; i < 600; ++i) REQUIRE(ids.next() > 0);
}

}  // namespace
}  // namespace consensus::node
