// v3 leases through kv::Store: grant, revoke (deleting the keys in one revision), renew,
// expire-sync, time-to-live and the lease list, with time only from the commands,
// checked against etcd 3.4's recorded answers (cases/v3/v3_lease_*.json).

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "kv/store.h"
#include "v3_test_support.h"

namespace consensus::kv::test {
namespace {

using Strings = std::vector<std::string>;

void require_invariants(const Store& store) {
    const Status status = store.check_invariants();
    INFO(status.to_string());
    REQUIRE(status.is_ok());
}

v3::LeaseTimeToLiveResponse time_to_live(const Store& store, std::int64_t id, std::int64_t now,
                                         bool keys = true) {
    v3::LeaseTimeToLiveRequest request;
    request.id = id;
    request.keys = keys;
    return store.v3_lease_time_to_live(request, now);
}

TEST_CASE("v3 lease: a grant answers its id and TTL and uses no revision", "[kv]") {
    Store store;
    const V3ApplyResult grant = v3_grant(store, 100, 60);
    REQUIRE(grant.status.is_ok());
    CHECK(grant.lease_grant.id == 100);
    CHECK(grant.lease_grant.ttl == 60);
    CHECK(grant.revision == 1);
    CHECK(store.v3_lease_exists(100));
    CHECK_FALSE(store.v3_lease_exists(101));
    CHECK(store.v3_leases().ids == std::vector<std::int64_t>{100});
    require_invariants(store);
}

TEST_CASE("v3 lease: granting an id in use is refused", "[kv]") {
    // cases/v3/v3_lease_explicit_id.json
    Store store;
    REQUIRE(v3_grant(store, 7, 60).status.is_ok());
    const V3ApplyResult again = v3_grant(store, 7, 30);
    CHECK(again.status.code() == StatusCode::kFailedPrecondition);
    CHECK(again.status.message() == "etcdserver: lease already exists");
    CHECK(time_to_live(store, 7, kNow).granted_ttl == 60);
}

TEST_CASE("v3 lease: lease id 0 cannot be granted", "[kv]") {
    Store store;
    CHECK(v3_grant(store, 0, 60).status.code() == StatusCode::kNotFound);
    CHECK(store.v3_leases().ids.empty());
}

TEST_CASE("v3 lease: time-to-live counts down in whole seconds, truncated", "[kv]") {
    Store store;
    REQUIRE(v3_grant(store, 1, 60).status.is_ok());
    struct Row {
        std::int64_t elapsed_nanos;
        std::int64_t ttl;
    };
    const std::vector<Row> rows = {
        {0, 60},
        {1, 59},  // just after the grant etcd already shows 59
        {kSecond / 2, 59},
        {kSecond, 59},
        {59 * kSecond, 1},
        {59 * kSecond + 1, 0},
        {60 * kSecond, -1},  // expired (not yet revoked): as good as gone
    };
    for (const Row& row : rows) {
        INFO("elapsed " << row.elapsed_nanos);
        const v3::LeaseTimeToLiveResponse response =
            time_to_live(store, 1, kNow + row.elapsed_nanos, false);
        CHECK(response.id == 1);
        CHECK(response.ttl == row.ttl);
        CHECK(response.granted_ttl == (row.ttl >= 0 ? 60 : 0));
    }
}

TEST_CASE("v3 lease: time-to-live of an unknown lease is -1", "[kv]") {
    Store store;
    const v3::LeaseTimeToLiveResponse response = time_to_live(store, 77, kNow);
    CHECK(response.id == 77);
    CHECK(response.ttl == -1);
    CHECK(response.granted_ttl == 0);
    CHECK(response.keys.empty());
}

TEST_CASE("v3 lease: keys are listed only when asked", "[kv]") {
    // cases/v3/v3_lease_keys.json
    Store store;
    REQUIRE(v3_grant(store, 3, 60).status.is_ok());
    REQUIRE(v3_put(store, "b", "2", 3).status.is_ok());
    REQUIRE(v3_put(store, "a", "1", 3).status.is_ok());
    CHECK(time_to_live(store, 3, kNow).keys == Strings{"a", "b"});
    CHECK(time_to_live(store, 3, kNow, false).keys.empty());
}

TEST_CASE("v3 lease: revoke deletes the lease's keys in one revision", "[kv]") {
    Store store;
    REQUIRE(v3_grant(store, 3, 60).status.is_ok());
    REQUIRE(v3_put(store, "a", "1", 3).revision == 2);
    REQUIRE(v3_put(store, "b", "2", 3).revision == 3);
    REQUIRE(v3_put(store, "c", "3").revision == 4);
    const V3ApplyResult revoke = v3_revoke(store, 3);
    REQUIRE(revoke.status.is_ok());
    CHECK(revoke.revision == 5);
    CHECK(keys_of(v3_get(store, "", all_from()).kvs) == Strings{"c"});
    CHECK_FALSE(store.v3_lease_exists(3));
    CHECK(time_to_live(store, 3, kNow).ttl == -1);
    require_invariants(store);
}

TEST_CASE("v3 lease: revoking a lease without keys uses no revision", "[kv]") {
    Store store;
    REQUIRE(v3_grant(store, 3, 60).status.is_ok());
    const V3ApplyResult revoke = v3_revoke(store, 3);
    REQUIRE(revoke.status.is_ok());
    CHECK(revoke.revision == 1);
}

TEST_CASE("v3 lease: revoking an unknown lease is refused", "[kv]") {
    Store store;
    const V3ApplyResult revoke = v3_revoke(store, 3);
    CHECK(revoke.status.code() == StatusCode::kNotFound);
    CHECK(revoke.status.message() == "etcdserver: requested lease not found");
}

TEST_CASE("v3 lease: deleting or moving a key detaches it", "[kv]") {
    // cases/v3/v3_lease_keys_b.json
    Store store;
    REQUIRE(v3_grant(store, 1, 60).status.is_ok());
    REQUIRE(v3_grant(store, 2, 60).status.is_ok());
    REQUIRE(v3_put(store, "a", "1", 1).revision == 2);
    REQUIRE(v3_put(store, "b", "1", 1).revision == 3);
    REQUIRE(v3_delete(store, "a").revision == 4);
    REQUIRE(v3_put(store, "b", "2", 2).revision == 5);
    CHECK(time_to_live(store, 1, kNow).keys.empty());
    CHECK(time_to_live(store, 2, kNow).keys == Strings{"b"});
    require_invariants(store);

    CHECK(v3_revoke(store, 2).revision == 6);
    CHECK(v3_get(store, "", all_from()).kvs.empty());
    CHECK(v3_revoke(store, 1).revision == 6);
    require_invariants(store);
}

TEST_CASE("v3 lease: renew restarts the granted TTL; an unknown lease answers TTL 0", "[kv]") {
    // cases/v3/v3_lease_list_keepalive.json
    Store store;
    REQUIRE(v3_grant(store, 9, 60).status.is_ok());
    const std::int64_t later = kNow + 30 * kSecond;
    V3ApplyResult renew = v3_renew(store, 9, later);
    REQUIRE(renew.status.is_ok());
    CHECK(renew.keep_alive.id == 9);
    CHECK(renew.keep_alive.ttl == 60);
    CHECK(renew.revision == 1);
    CHECK(time_to_live(store, 9, later).ttl == 60);
    CHECK(store.v3_next_lease_expiry_unix_nanos() == later + 60 * kSecond);

    renew = v3_renew(store, 77, later);
    CHECK(renew.status.is_ok());
    CHECK(renew.keep_alive.id == 77);
    CHECK(renew.keep_alive.ttl == 0);
    require_invariants(store);
}

TEST_CASE("v3 lease: an expired lease cannot be renewed before its revocation", "[kv]") {
    Store store;
    REQUIRE(v3_grant(store, 9, 10).status.is_ok());
    REQUIRE(v3_put(store, "k", "v", 9).status.is_ok());
    const std::int64_t expiry = kNow + 10 * kSecond;
    const V3ApplyResult renew = v3_renew(store, 9, expiry);
    CHECK(renew.keep_alive.id == 9);
    CHECK(renew.keep_alive.ttl == 0);
    CHECK(store.v3_next_lease_expiry_unix_nanos() == expiry);
    REQUIRE(v3_expire(store, expiry).revision == 3);
    CHECK_FALSE(store.v3_lease_exists(9));
    CHECK(v3_get(store, "k").kvs.empty());
}

TEST_CASE("v3 lease: the next expiry and whether one has passed", "[kv]") {
    Store store;
    CHECK_FALSE(store.v3_next_lease_expiry_unix_nanos().has_value());
    CHECK_FALSE(store.v3_has_expired_lease(kNow));
    REQUIRE(v3_grant(store, 1, 10).status.is_ok());
    REQUIRE(v3_grant(store, 2, 5).status.is_ok());
    CHECK(store.v3_next_lease_expiry_unix_nanos() == kNow + 5 * kSecond);
    CHECK_FALSE(store.v3_has_expired_lease(kNow + 5 * kSecond - 1));
    CHECK(store.v3_has_expired_lease(kNow + 5 * kSecond));
}

TEST_CASE("v3 lease: expire-sync revokes every expired lease, each in its own revision", "[kv]") {
    // cases/v3/v3_lease_expiry.json: an expired lease's keys go, using one revision.
    Store store;
    REQUIRE(v3_grant(store, 1, 2).status.is_ok());
    REQUIRE(v3_grant(store, 2, 3).status.is_ok());
    REQUIRE(v3_grant(store, 3, 4).status.is_ok());  // no keys
    REQUIRE(v3_grant(store, 4, 60).status.is_ok());
    REQUIRE(v3_put(store, "e1", "x", 1).revision == 2);
    REQUIRE(v3_put(store, "e2", "x", 2).revision == 3);
    REQUIRE(v3_put(store, "f2", "x", 2).revision == 4);
    REQUIRE(v3_put(store, "keep", "x", 4).revision == 5);

    // Before anything expires, nothing happens.
    CHECK(v3_expire(store, kNow + 2 * kSecond - 1).revision == 5);
    CHECK(store.v3_leases().ids.size() == 4);

    V3WatchLog log;
    REQUIRE(store.v3_watch(watch_request("", all_from()), log.callback()).watch_id != 0);
    const V3ApplyResult expired = v3_expire(store, kNow + 4 * kSecond);
    REQUIRE(expired.status.is_ok());
    // Lease 1 (revision 6), then lease 2 (revision 7, both keys), then lease 3 (no keys).
    CHECK(expired.revision == 7);
    CHECK(store.v3_leases().ids == std::vector<std::int64_t>{4});
    CHECK(keys_of(v3_get(store, "", all_from()).kvs) == Strings{"keep"});
    REQUIRE(log.revisions == std::vector<std::int64_t>{6, 7});
    REQUIRE(log.batches[1].size() == 2);
    CHECK(log.batches[1][0].kv.key == "e2");
    CHECK(log.batches[1][1].kv.key == "f2");
    CHECK(log.batches[1][1].type == v3::Event::Type::kDelete);
    require_invariants(store);
}

TEST_CASE("v3 lease: a TTL near the maximum saturates instead of overflowing", "[kv]") {
    Store store;
    REQUIRE(v3_grant(store, 1, v3::kMaxLeaseTtlSeconds).status.is_ok());
    CHECK(store.v3_next_lease_expiry_unix_nanos() == INT64_MAX);
    CHECK_FALSE(store.v3_has_expired_lease(kNow));
    CHECK(time_to_live(store, 1, kNow).ttl > 0);
}

TEST_CASE("v3 lease: a key put twice with the same lease stays attached", "[kv]") {
    Store store;
    REQUIRE(v3_grant(store, 1, 60).status.is_ok());
    REQUIRE(v3_put(store, "k", "1", 1).status.is_ok());
    REQUIRE(v3_put(store, "k", "2", 1).status.is_ok());
    CHECK(time_to_live(store, 1, kNow).keys == Strings{"k"});
    require_invariants(store);
}

TEST_CASE("v3 lease: a lease-attached key deleted inside a txn is detached", "[kv]") {
    Store store;
    REQUIRE(v3_grant(store, 1, 60).status.is_ok());
    v3::TxnRequest txn;
    txn.success.push_back(put_op("a", "1", 1));
    txn.success.push_back(put_op("b", "1", 1));
    REQUIRE(v3_txn(store, txn).revision == 2);
    CHECK(time_to_live(store, 1, kNow).keys == Strings{"a", "b"});
    REQUIRE(v3_delete(store, "a", "c").revision == 3);
    CHECK(time_to_live(store, 1, kNow).keys.empty());
    require_invariants(store);
}

}  // namespace
}  // namespace consensus::kv::test
