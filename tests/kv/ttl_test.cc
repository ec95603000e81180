// TTL semantics: expirations come from the command's time, ttl is rendered relative to
// the time a read passes in, and keys leave only through kV2ExpireSync.

#include <cstdint>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "consensus/errors.h"
#include "kv/store.h"
#include "kv_test_support.h"

namespace consensus::kv::test {
namespace {

TEST_CASE("ttl: shows seconds left rounded up when read at a later time", "[kv]") {
    Store store;
    const ApplyResult set = apply(store, put("/t", "v").ttl(100));
    REQUIRE(set.event.has_value());
    CHECK(set.event->node.ttl == 100);
    CHECK(set.event->node.expiration_unix_nanos == kNow + 100 * kSecond);

    struct Case {
        std::int64_t elapsed_nanos;
        std::optional<std::int64_t> ttl;
    };
    const std::vector<Case> table = {
        {0, 100},
        {1, 100},
        {kSecond / 2, 100},
        {kSecond, 99},
        {kSecond + 1, 99},
        {99 * kSecond + kSecond / 5, 1},
        {100 * kSecond, std::nullopt},
        {100 * kSecond + kSecond / 2, std::nullopt},
        {102 * kSecond, -2},
    };
    for (const Case& row : table) {
        INFO("elapsed " << row.elapsed_nanos);
        const service::V2Result result = local_get(store, get("/t"), kNow + row.elapsed_nanos);
        REQUIRE(result.event.has_value());
        CHECK(result.event->node.ttl == row.ttl);
        CHECK(result.event->node.expiration_unix_nanos == kNow + 100 * kSecond);
    }
}

TEST_CASE("ttl: a key is permanent when ttl is 0 or unset", "[kv]") {
    Store store;
    for (const Req& req : {put("/a", "v"), put("/b", "v").ttl(0)}) {
        const ApplyResult result = apply(store, req);
        REQUIRE(result.event.has_value());
        CHECK_FALSE(result.event->node.ttl.has_value());
        CHECK_FALSE(result.event->node.expiration_unix_nanos.has_value());
    }
    CHECK_FALSE(store.next_expiration_unix_nanos().has_value());
    CHECK_FALSE(store.has_expired(INT64_MAX));
}

TEST_CASE("ttl: an expiration before 2000 is ignored when a key is set or created", "[kv]") {
    Store store;
    const ApplyResult result = apply(store, put("/a", "v").ttl(10), /*now=*/0);
    REQUIRE(result.event.has_value());
    CHECK_FALSE(result.event->node.expiration_unix_nanos.has_value());
    CHECK_FALSE(store.next_expiration_unix_nanos().has_value());
}

TEST_CASE("ttl: a huge ttl saturates when the expiration would overflow", "[kv]") {
    CHECK(expiration_for(UINT64_MAX, kNow) == INT64_MAX);
    CHECK(expiration_for(static_cast<std::uint64_t>(INT64_MAX / kSecond), kNow) == INT64_MAX);
    CHECK(expiration_for(5, kNow) == kNow + 5 * kSecond);
    CHECK_FALSE(expiration_for(0, kNow).has_value());
    CHECK_FALSE(expiration_for(std::nullopt, kNow).has_value());
    Store store;
    const ApplyResult result = apply(store, put("/a", "v").ttl(UINT64_MAX));
    REQUIRE(result.event.has_value());
    CHECK(result.event->node.expiration_unix_nanos == INT64_MAX);
    CHECK_FALSE(store.has_expired(INT64_MAX - 1));
}

TEST_CASE("ttl: keys expire only when an expire sync at or after their time is applied", "[kv]") {
    Store store;
    REQUIRE(apply(store, put("/e", "gone soon").ttl(1)).etcd_index == 1);
    CHECK(store.next_expiration_unix_nanos() == kNow + kSecond);
    CHECK_FALSE(store.has_expired(kNow + kSecond - 1));
    CHECK(store.has_expired(kNow + kSecond));

    CHECK(expire_sync(store, kNow + kSecond / 2).etcd_index == 1);
    CHECK(local_get(store, get("/e"), kNow + 5 * kSecond).event.has_value());

    const ApplyResult sync = expire_sync(store, kNow + kSecond);
    CHECK(sync.etcd_index == 2);
    CHECK_FALSE(sync.error.has_value());
    const service::V2Result gone = local_get(store, get("/e"));
    REQUIRE(gone.error.has_value());
    CHECK(gone.error->error_code == errors::kV2KeyNotFound);
    CHECK(gone.error->index == 2);
    CHECK(store.stats().expire_count == 1);
    CHECK_FALSE(store.next_expiration_unix_nanos().has_value());

    SinkLog log;
    const Store::WatchStart watch = store.watch(get("/e").wait_index(2).request, log.sink());
    REQUIRE(watch.immediate.has_value());
    const service::V2Event& expired = *watch.immediate;
    CHECK(expired.action == "expire");
    CHECK(expired.node.key == "/e");
    CHECK(expired.node.modified_index == 2);
    CHECK(expired.node.created_index == 1);
    CHECK_FALSE(expired.node.value.has_value());
    REQUIRE(expired.prev_node.has_value());
    CHECK(expired.prev_node->value == "gone soon");
    CHECK(expired.prev_node->expiration_unix_nanos == kNow + kSecond);
    CHECK_FALSE(expired.prev_node->ttl.has_value());
}

TEST_CASE("ttl: each expired key takes one index in expiration then key order when many expire",
          "[kv]") {
    Store store;
    REQUIRE_FALSE(apply(store, put("/b", "v").ttl(1)).error);
    REQUIRE_FALSE(apply(store, put("/a", "v").ttl(1)).error);
    REQUIRE_FALSE(apply(store, put("/c", "v").ttl(2)).error);
    REQUIRE_FALSE(apply(store, put("/keep", "v").ttl(10)).error);
    SinkLog log;
    REQUIRE(store.watch(get("/").recursive().stream().request, log.sink()).watch_id != 0);
    CHECK(expire_sync(store, kNow + 5 * kSecond).etcd_index == 7);
    REQUIRE(log.events.size() == 3);
    CHECK(log.events[0].node.key == "/a");
    CHECK(log.events[1].node.key == "/b");
    CHECK(log.events[2].node.key == "/c");
    CHECK(log.events[2].node.modified_index == 7);
    CHECK(log.header_indices == std::vector<Revision>{5, 6, 7});
    CHECK(store.next_expiration_unix_nanos() == kNow + 10 * kSecond);
}

TEST_CASE("ttl: an expiring dir takes its children with it when it expires", "[kv]") {
    Store store;
    REQUIRE_FALSE(apply(store, put("/d").dir().ttl(1)).error);
    REQUIRE_FALSE(apply(store, put("/d/c", "x").ttl(100)).error);
    REQUIRE_FALSE(apply(store, put("/d/e", "y")).error);
    SinkLog child;
    REQUIRE(store.watch(get("/d/c").request, child.sink()).watch_id != 0);
    CHECK(expire_sync(store, kNow + kSecond).etcd_index == 4);
    // The child's own expiration left with it: nothing else is due.
    CHECK_FALSE(store.next_expiration_unix_nanos().has_value());
    REQUIRE(child.events.size() == 1);
    CHECK(child.events[0].action == "expire");
    CHECK(child.events[0].node.key == "/d");
    CHECK(child.events[0].node.dir);
    CHECK(local_get(store, get("/d/e")).error.has_value());
    REQUIRE(store.check_invariants().is_ok());
}

TEST_CASE("ttl: refresh with prevExist keeps value and createdIndex when applied", "[kv]") {
    Store store;
    REQUIRE_FALSE(apply(store, put("/k", "v").ttl(2)).error);
    const ApplyResult refresh =
        apply(store, put("/k").ttl(2).refresh().prev_exist(true), kNow + kSecond);
    REQUIRE(refresh.event.has_value());
    CHECK(refresh.event->action == "update");
    CHECK(refresh.event->node.value == "v");
    CHECK(refresh.event->node.created_index == 1);
    CHECK(refresh.event->node.modified_index == 2);
    CHECK(refresh.event->node.ttl == 2);
    CHECK(refresh.event->node.expiration_unix_nanos == kNow + 3 * kSecond);
    REQUIRE(refresh.event->prev_node.has_value());
    CHECK(refresh.event->prev_node->ttl == 1);
    CHECK(store.next_expiration_unix_nanos() == kNow + 3 * kSecond);
    CHECK(expire_sync(store, kNow + 2 * kSecond).etcd_index == 2);
    CHECK(expire_sync(store, kNow + 3 * kSecond).etcd_index == 3);
}

TEST_CASE("ttl: refresh without prevExist is a set that recreates the key when applied", "[kv]") {
    Store store;
    REQUIRE_FALSE(apply(store, put("/t", "v").ttl(100)).error);
    const ApplyResult refresh = apply(store, put("/t").ttl(300).refresh());
    REQUIRE(refresh.event.has_value());
    CHECK(refresh.event->action == "set");
    CHECK(refresh.event->node.value == "v");
    CHECK(refresh.event->node.created_index == 2);
    CHECK(refresh.event->node.ttl == 300);
    CHECK(refresh.event->prev_node.has_value());

    const ApplyResult missing = apply(store, put("/missing").ttl(20).refresh().prev_exist(true));
    REQUIRE(missing.error.has_value());
    CHECK(missing.error->error_code == errors::kV2KeyNotFound);
    CHECK(missing.error->cause == "/missing");
    const ApplyResult missing_set = apply(store, put("/missing").ttl(20).refresh());
    REQUIRE(missing_set.error.has_value());
    CHECK(missing_set.error->error_code == errors::kV2KeyNotFound);
    CHECK(store.current_index() == 2);
}

TEST_CASE("ttl: update or cas without a ttl makes the key permanent when applied", "[kv]") {
    Store store;
    REQUIRE_FALSE(apply(store, put("/t", "v").ttl(300)).error);
    const ApplyResult update = apply(store, put("/t", "v2").prev_exist(true));
    REQUIRE(update.event.has_value());
    CHECK_FALSE(update.event->node.ttl.has_value());
    CHECK_FALSE(update.event->node.expiration_unix_nanos.has_value());
    CHECK(update.event->prev_node->ttl == 300);
    CHECK_FALSE(store.next_expiration_unix_nanos().has_value());

    const ApplyResult cas = apply(store, put("/t", "v3").prev_value("v2").ttl(5));
    REQUIRE(cas.event.has_value());
    CHECK(cas.event->node.ttl == 5);
    CHECK(store.next_expiration_unix_nanos() == kNow + 5 * kSecond);
    const ApplyResult cas_plain = apply(store, put("/t", "v4").prev_value("v3"));
    REQUIRE(cas_plain.event.has_value());
    CHECK_FALSE(cas_plain.event->node.expiration_unix_nanos.has_value());
    CHECK_FALSE(store.next_expiration_unix_nanos().has_value());
}

TEST_CASE("ttl: a dir keeps its modifiedIndex when its ttl is updated", "[kv]") {
    Store store;
    REQUIRE_FALSE(apply(store, put("/d").dir().ttl(100)).error);
    REQUIRE_FALSE(apply(store, put("/d/c", "x")).error);
    const ApplyResult refresh = apply(store, put("/d").dir().ttl(50).refresh().prev_exist(true));
    REQUIRE(refresh.event.has_value());
    CHECK(refresh.event->action == "update");
    CHECK(refresh.event->node.dir);
    CHECK_FALSE(refresh.event->node.value.has_value());
    CHECK(refresh.event->node.modified_index == 3);
    CHECK(refresh.event->node.created_index == 1);
    CHECK(refresh.event->node.ttl == 50);
    CHECK(refresh.event->prev_node->ttl == 100);
    CHECK(refresh.event->prev_node->modified_index == 1);

    const ApplyResult remove_ttl = apply(store, put("/d").dir().prev_exist(true));
    REQUIRE(remove_ttl.event.has_value());
    CHECK(remove_ttl.event->node.modified_index == 4);
    CHECK_FALSE(remove_ttl.event->node.expiration_unix_nanos.has_value());

    const service::V2Result listing = local_get(store, get("/d"));
    REQUIRE(listing.event.has_value());
    // [etcd 3.4, v2_ttl_dirs] the dir's own modifiedIndex does not move.
    CHECK(listing.event->node.modified_index == 1);
    CHECK_FALSE(listing.event->node.expiration_unix_nanos.has_value());
    CHECK(child_keys(listing.event->node) == std::vector<std::string>{"/d/c"});
}

TEST_CASE("ttl: a key set with a ttl never expires when it is overwritten without one", "[kv]") {
    Store store;
    REQUIRE_FALSE(apply(store, put("/k", "short-lived").ttl(5)).error);
    const ApplyResult overwrite = apply(store, put("/k", "permanent"), kNow + kSecond);
    REQUIRE(overwrite.event.has_value());
    CHECK(overwrite.event->action == "set");
    CHECK_FALSE(overwrite.event->node.expiration_unix_nanos.has_value());
    CHECK_FALSE(overwrite.event->node.ttl.has_value());
    REQUIRE(overwrite.event->prev_node.has_value());
    CHECK(overwrite.event->prev_node->value == "short-lived");
    CHECK(overwrite.event->prev_node->expiration_unix_nanos == kNow + 5 * kSecond);
    CHECK(overwrite.event->prev_node->ttl == 4);
    CHECK_FALSE(store.next_expiration_unix_nanos().has_value());
    REQUIRE(store.check_invariants().is_ok());

    CHECK(expire_sync(store, kNow + 10 * kSecond).etcd_index == 2);
    const service::V2Result kept = local_get(store, get("/k"), kNow + 10 * kSecond);
    REQUIRE(kept.event.has_value());
    CHECK(kept.event->node.value == "permanent");
    CHECK(store.stats().expire_count == 0);
}

TEST_CASE("ttl: an overwrite with a different ttl expires the key at the new time", "[kv]") {
    Store store;
    REQUIRE_FALSE(apply(store, put("/k", "v1").ttl(5)).error);
    REQUIRE_FALSE(apply(store, put("/other", "o").ttl(20)).error);
    const ApplyResult longer = apply(store, put("/k", "v2").ttl(50), kNow + kSecond);
    REQUIRE(longer.event.has_value());
    CHECK(longer.event->node.created_index == 3);
    CHECK(longer.event->node.modified_index == 3);
    CHECK(longer.event->node.expiration_unix_nanos == kNow + 51 * kSecond);
    CHECK(longer.event->node.ttl == 50);
    // The earliest expiration is now the other key's, not the overwritten one's.
    CHECK(store.next_expiration_unix_nanos() == kNow + 20 * kSecond);
    REQUIRE(store.check_invariants().is_ok());

    CHECK(expire_sync(store, kNow + 10 * kSecond).etcd_index == 3);
    CHECK(expire_sync(store, kNow + 20 * kSecond).etcd_index == 4);
    CHECK(store.next_expiration_unix_nanos() == kNow + 51 * kSecond);
    CHECK(expire_sync(store, kNow + 51 * kSecond - 1).etcd_index == 4);
    const ApplyResult expired = expire_sync(store, kNow + 51 * kSecond);
    CHECK(expired.etcd_index == 5);
    CHECK(local_get(store, get("/k")).error.has_value());
    CHECK_FALSE(store.next_expiration_unix_nanos().has_value());
    REQUIRE(store.check_invariants().is_ok());

    // A shorter ttl moves the expiration earlier just the same.
    REQUIRE_FALSE(apply(store, put("/s", "a").ttl(100)).error);
    REQUIRE_FALSE(apply(store, put("/s", "b").ttl(2)).error);
    CHECK(store.next_expiration_unix_nanos() == kNow + 2 * kSecond);
    CHECK(expire_sync(store, kNow + 2 * kSecond).etcd_index == 8);
    CHECK(local_get(store, get("/s")).error.has_value());
}

TEST_CASE("ttl: a permanent key expires when it is overwritten with a ttl", "[kv]") {
    Store store;
    REQUIRE_FALSE(apply(store, put("/k", "v1")).error);
    const ApplyResult overwrite = apply(store, put("/k", "v2").ttl(3));
    REQUIRE(overwrite.event.has_value());
    CHECK(overwrite.event->node.ttl == 3);
    REQUIRE(overwrite.event->prev_node.has_value());
    CHECK_FALSE(overwrite.event->prev_node->expiration_unix_nanos.has_value());
    CHECK(store.next_expiration_unix_nanos() == kNow + 3 * kSecond);
    REQUIRE(store.check_invariants().is_ok());
    CHECK(expire_sync(store, kNow + 3 * kSecond).etcd_index == 3);
    CHECK(local_get(store, get("/k")).error.has_value());
}

TEST_CASE("ttl: an expire sync consumes no index when nothing is due", "[kv]") {
    Store store;
    CHECK(expire_sync(store, kNow).etcd_index == 0);
    REQUIRE_FALSE(apply(store, put("/a", "v").ttl(60)).error);
    CHECK(expire_sync(store, kNow + 59 * kSecond).etcd_index == 1);
    CHECK(store.stats().expire_count == 0);
}

}  // namespace
}  // namespace consensus::kv::test
