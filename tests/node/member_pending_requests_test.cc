#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "node/pending_requests.h"

using consensus::Result;
using consensus::Status;
using consensus::StatusCode;
using consensus::node::Outcome;
using consensus::node::PendingRequests;

namespace {

/// The wall clock, in milliseconds, when a registry under test starts.
constexpr std::int64_t kStartUnixMs = 1'700'000'000'000;

/// Records every call a waiter receives.
struct Calls {
    std::vector<Result<Outcome>> results;
    consensus::node::Waiter waiter() {
        return [this](Result<Outcome> result) { results.push_back(std::move(result)); };
    }
};

}  // namespace

TEST_CASE("pending requests: ids carry the member id and never repeat when handed out", "[node]") {
    PendingRequests pending(0xabcd1234, kStartUnixMs, 8);
    std::uint64_t first = pending.next_id();
    std::uint64_t second = pending.next_id();
    CHECK(first != 0);
    CHECK(first != second);
    CHECK((first >> 48) == 0x1234);
    CHECK((second >> 48) == 0x1234);
}

TEST_CASE("pending requests: a restarted member's ids complete none of the old entries' ids",
          "[node]") {
    // The previous incarnation ran for 5 ms and handed out 250 ids per millisecond.
    PendingRequests before(1, kStartUnixMs);
    std::vector<std::uint64_t> proposed_before;
    for (int i = 0; i < 5 * 250; ++i) proposed_before.push_back(before.next_id());
    // After the restart, entries the old incarnation proposed are applied again while
    // new requests wait: none of them may complete a new request.
    PendingRequests after(1, kStartUnixMs + 5);
    Calls calls;
    for (int i = 0; i < 5 * 250; ++i) {
        REQUIRE(after.add(after.next_id(), 100, calls.waiter()).is_ok());
    }
    for (std::uint64_t old_id : proposed_before) CHECK_FALSE(after.complete(old_id, Outcome{}));
    CHECK(calls.results.empty());
    CHECK(after.size() == 5 * 250);
}

TEST_CASE("pending requests: a waiter runs once with the outcome when completed", "[node]") {
    PendingRequests pending(1, kStartUnixMs);
    Calls calls;
    std::uint64_t id = pending.next_id();
    REQUIRE(pending.add(id, 100, calls.waiter()).is_ok());
    Outcome outcome;
    outcome.etcd_index = 7;
    CHECK(pending.complete(id, outcome));
    CHECK_FALSE(pending.complete(id, outcome));
    REQUIRE(calls.results.size() == 1);
    REQUIRE(calls.results[0].is_ok());
    CHECK(calls.results[0].value().etcd_index == 7);
    CHECK(pending.size() == 0);
    CHECK(pending.expire(1000) == 0);
    CHECK(calls.results.size() == 1);
}

TEST_CASE("pending requests: an unknown id completes nothing when another member proposed it",
          "[node]") {
    PendingRequests local(1, kStartUnixMs);
    PendingRequests remote(2, kStartUnixMs);
    Calls calls;
    std::uint64_t local_id = local.next_id();
    REQUIRE(local.add(local_id, 100, calls.waiter()).is_ok());
    CHECK_FALSE(local.complete(remote.next_id(), Outcome{}));
    CHECK(calls.results.empty());
    CHECK(local.contains(local_id));
}

TEST_CASE("pending requests: new requests are refused when requests_max are waiting", "[node]") {
    constexpr std::size_t kMax = 3;
    PendingRequests pending(1, kStartUnixMs, kMax);
    Calls calls;
    for (std::size_t i = 0; i < kMax; ++i) {
        REQUIRE(pending.add(pending.next_id(), 100, calls.waiter()).is_ok());
    }
    Status refused = pending.add(pending.next_id(), 100, calls.waiter());
    CHECK(refused.code() == StatusCode::kUnavailable);
    CHECK(pending.size() == kMax);
    // Below the bound again, a request is accepted.
    REQUIRE(pending.fail_all(Status(StatusCode::kUnavailable, "x")) == kMax);
    CHECK(pending.add(pending.next_id(), 100, calls.waiter()).is_ok());
    CHECK(calls.results.size() == kMax);
}

TEST_CASE("pending requests: a duplicate id is refused when it is still waiting", "[node]") {
    PendingRequests pending(1, kStartUnixMs);
    Calls calls;
    std::uint64_t id = pending.next_id();
    REQUIRE(pending.add(id, 100, calls.waiter()).is_ok());
    CHECK(pending.add(id, 100, calls.waiter()).code() == StatusCode::kAlreadyExists);
    CHECK(pending.size() == 1);
}

TEST_CASE("pending requests: only requests past their deadline time out when expired", "[node]") {
    struct Case {
        std::int64_t now_ms;
        std::size_t expired;
    };
    auto test_case = GENERATE(Case{99, 0}, Case{100, 1}, Case{150, 1}, Case{200, 2});
    PendingRequests pending(1, kStartUnixMs);
    Calls early;
    Calls late;
    REQUIRE(pending.add(pending.next_id(), 100, early.waiter()).is_ok());
    REQUIRE(pending.add(pending.next_id(), 200, late.waiter()).is_ok());
    CHECK(pending.expire(test_case.now_ms) == test_case.expired);
    CHECK(pending.size() == 2 - test_case.expired);
    std::size_t fired = early.results.size() + late.results.size();
    CHECK(fired == test_case.expired);
    for (const auto& result : early.results) {
        CHECK(result.status().code() == StatusCode::kTimeout);
        CHECK(result.status().message() == "etcdserver: request timed out");
    }
}

TEST_CASE("pending requests: every waiter fails with the status when failing all", "[node]") {
    PendingRequests pending(1, kStartUnixMs);
    Calls calls;
    for (int i = 0; i < 4; ++i)
        REQUIRE(pending.add(pending.next_id(), 100, calls.waiter()).is_ok());
    CHECK(pending.fail_all(Status(StatusCode::kUnavailable, "etcdserver: server stopped")) == 4);
    CHECK(pending.size() == 0);
    REQUIRE(calls.results.size() == 4);
    for (const auto& result : calls.results) {
        CHECK(result.status().code() == StatusCode::kUnavailable);
    }
}
