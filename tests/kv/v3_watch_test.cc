// v3 watches through kv::Store: live events per revision, key and range watches,
// filters, prev_kv, the backlog from a past start_revision, compacted starts and
// cancellation, checked against etcd 3.4's recorded answers (cases/v3/v3_watch_*.json).

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "kv/store.h"
#include "v3_test_support.h"

namespace consensus::kv::test {
namespace {

using Type = v3::Event::Type;

TEST_CASE("v3 watch: a key watch gets puts and deletes of that key only", "[kv]") {
    // cases/v3/v3_watch_basic.json
    Store store;
    REQUIRE(v3_put(store, "w", "0").revision == 2);
    V3WatchLog log;
    const V3WatchStart start = store.v3_watch(watch_request("w"), log.callback());
    REQUIRE(start.status.is_ok());
    CHECK(start.watch_id != 0);
    CHECK(start.backlog.empty());
    CHECK_FALSE(start.compact_revision.has_value());
    CHECK(start.revision == 2);

    REQUIRE(v3_put(store, "w", "1").revision == 3);
    REQUIRE(v3_put(store, "w2", "x").revision == 4);
    REQUIRE(v3_delete(store, "w").revision == 5);
    REQUIRE(log.revisions == std::vector<std::int64_t>{3, 5});
    REQUIRE(log.batches[0].size() == 1);
    const v3::Event& put = log.batches[0][0];
    CHECK(put.type == Type::kPut);
    CHECK(put.kv.key == "w");
    CHECK(put.kv.value == "1");
    CHECK(put.kv.create_revision == 2);
    CHECK(put.kv.mod_revision == 3);
    CHECK(put.kv.version == 2);
    CHECK_FALSE(put.prev_kv.has_value());

    // A delete's kv carries only key and mod_revision.
    REQUIRE(log.batches[1].size() == 1);
    const v3::Event& deleted = log.batches[1][0];
    CHECK(deleted.type == Type::kDelete);
    CHECK(deleted.kv.key == "w");
    CHECK(deleted.kv.mod_revision == 5);
    CHECK(deleted.kv.create_revision == 0);
    CHECK(deleted.kv.version == 0);
    CHECK(deleted.kv.value.empty());
}

TEST_CASE("v3 watch: the events of one revision arrive together, in txn order", "[kv]") {
    Store store;
    V3WatchLog log;
    REQUIRE(store.v3_watch(watch_request("t/", "t0"), log.callback()).watch_id != 0);
    v3::TxnRequest txn;
    txn.success.push_back(put_op("t/b", "1"));
    txn.success.push_back(put_op("t/a", "1"));
    txn.success.push_back(put_op("u", "1"));
    REQUIRE(v3_txn(store, txn).revision == 2);
    REQUIRE(log.batches.size() == 1);
    REQUIRE(log.batches[0].size() == 2);
    CHECK(log.batches[0][0].kv.key == "t/b");
    CHECK(log.batches[0][1].kv.key == "t/a");
    CHECK(log.revisions[0] == 2);
}

TEST_CASE("v3 watch: a write that changes nothing sends nothing", "[kv]") {
    Store store;
    V3WatchLog log;
    REQUIRE(store.v3_watch(watch_request("", all_from()), log.callback()).watch_id != 0);
    REQUIRE(v3_delete(store, "missing").status.is_ok());
    REQUIRE(v3_txn(store, {}).status.is_ok());
    CHECK(log.batches.empty());
}

TEST_CASE("v3 watch: filters drop puts or deletes", "[kv]") {
    // cases/v3/v3_watch_filters.json
    Store store;
    REQUIRE(v3_put(store, "f", "1").status.is_ok());
    V3WatchLog no_put;
    V3WatchLog no_delete;
    V3WatchLog neither;
    v3::WatchCreateRequest request = watch_request("f");
    request.no_put = true;
    REQUIRE(store.v3_watch(request, no_put.callback()).watch_id != 0);
    request = watch_request("f");
    request.no_delete = true;
    REQUIRE(store.v3_watch(request, no_delete.callback()).watch_id != 0);
    request.no_put = true;
    REQUIRE(store.v3_watch(request, neither.callback()).watch_id != 0);

    REQUIRE(v3_put(store, "f", "2").revision == 3);
    REQUIRE(v3_delete(store, "f").revision == 4);
    REQUIRE(no_put.revisions == std::vector<std::int64_t>{4});
    CHECK(no_put.batches[0][0].type == Type::kDelete);
    REQUIRE(no_delete.revisions == std::vector<std::int64_t>{3});
    CHECK(no_delete.batches[0][0].type == Type::kPut);
    CHECK(neither.batches.empty());
}

TEST_CASE("v3 watch: prev_kv carries the state before, except for a create", "[kv]") {
    // cases/v3/v3_watch_prefix_prev_kv.json
    Store store;
    REQUIRE(v3_put(store, "p/a", "1").revision == 2);
    V3WatchLog log;
    v3::WatchCreateRequest request = watch_request("p/", "p0");
    request.prev_kv = true;
    REQUIRE(store.v3_watch(request, log.callback()).watch_id != 0);
    REQUIRE(v3_put(store, "p/a", "2").revision == 3);
    REQUIRE(v3_delete(store, "p/a").revision == 4);
    REQUIRE(v3_put(store, "p/a", "3").revision == 5);
    REQUIRE(log.batches.size() == 3);
    const v3::Event& update = log.batches[0][0];
    REQUIRE(update.prev_kv.has_value());
    CHECK(update.prev_kv->value == "1");
    CHECK(update.prev_kv->mod_revision == 2);
    const v3::Event& deleted = log.batches[1][0];
    REQUIRE(deleted.prev_kv.has_value());
    CHECK(deleted.prev_kv->value == "2");
    CHECK(deleted.prev_kv->version == 2);
    CHECK_FALSE(log.batches[2][0].prev_kv.has_value());
}

TEST_CASE("v3 watch: a past start_revision replays every stored event at once", "[kv]") {
    // cases/v3/v3_watch_start_revision.json
    Store store;
    REQUIRE(v3_put(store, "h", "1").revision == 2);
    REQUIRE(v3_put(store, "other", "1").revision == 3);
    REQUIRE(v3_put(store, "h", "2").revision == 4);
    REQUIRE(v3_delete(store, "h").revision == 5);

    V3WatchLog log;
    V3WatchStart start = store.v3_watch(watch_request("h", "", 2), log.callback());
    REQUIRE(start.status.is_ok());
    CHECK(start.revision == 5);
    REQUIRE(start.backlog.size() == 3);
    CHECK(start.backlog[0].kv.mod_revision == 2);
    CHECK(start.backlog[0].kv.version == 1);
    CHECK(start.backlog[1].kv.mod_revision == 4);
    CHECK(start.backlog[1].kv.value == "2");
    CHECK(start.backlog[2].type == Type::kDelete);
    CHECK(start.backlog[2].kv.mod_revision == 5);
    CHECK_FALSE(start.backlog[0].prev_kv.has_value());

    // Live events follow without repeating the backlog.
    REQUIRE(v3_put(store, "h", "3").revision == 6);
    REQUIRE(log.revisions == std::vector<std::int64_t>{6});

    v3::WatchCreateRequest request = watch_request("h", "", 3);
    request.prev_kv = true;
    V3WatchLog replay;
    start = store.v3_watch(request, replay.callback());
    REQUIRE(start.backlog.size() == 3);
    REQUIRE(start.backlog[0].prev_kv.has_value());
    CHECK(start.backlog[0].prev_kv->value == "1");
    REQUIRE(start.backlog[1].prev_kv.has_value());
    CHECK(start.backlog[1].prev_kv->value == "2");
    CHECK_FALSE(start.backlog[2].prev_kv.has_value());  // a create after the delete
}

TEST_CASE("v3 watch: the backlog of a range is in revision order across keys", "[kv]") {
    Store store;
    REQUIRE(v3_put(store, "r/b", "1").revision == 2);
    REQUIRE(v3_put(store, "r/a", "1").revision == 3);
    REQUIRE(v3_put(store, "r/b", "2").revision == 4);
    V3WatchLog log;
    const V3WatchStart start = store.v3_watch(watch_request("r/", "r0", 1), log.callback());
    REQUIRE(start.backlog.size() == 3);
    CHECK(start.backlog[0].kv.key == "r/b");
    CHECK(start.backlog[1].kv.key == "r/a");
    CHECK(start.backlog[2].kv.key == "r/b");
}

TEST_CASE("v3 watch: a compacted start_revision is refused with the compact revision", "[kv]") {
    // cases/v3/v3_watch_compacted.json
    Store store;
    REQUIRE(v3_put(store, "c", "1").revision == 2);
    REQUIRE(v3_put(store, "c", "2").revision == 3);
    REQUIRE(v3_compact(store, 3).status.is_ok());
    V3WatchLog log;
    V3WatchStart start = store.v3_watch(watch_request("c", "", 2), log.callback());
    REQUIRE(start.status.is_ok());
    CHECK(start.watch_id == 0);
    REQUIRE(start.compact_revision.has_value());
    CHECK(*start.compact_revision == 3);
    REQUIRE(v3_put(store, "c", "3").status.is_ok());
    CHECK(log.batches.empty());

    // At exactly the compact revision the kept state is replayed.
    start = store.v3_watch(watch_request("c", "", 3), log.callback());
    CHECK(start.watch_id != 0);
    CHECK_FALSE(start.compact_revision.has_value());
    REQUIRE(start.backlog.size() == 2);
    CHECK(start.backlog[0].kv.mod_revision == 3);
    CHECK(start.backlog[1].kv.mod_revision == 4);
}

TEST_CASE("v3 watch: a future start_revision waits for that revision", "[kv]") {
    Store store;
    V3WatchLog log;
    const V3WatchStart start = store.v3_watch(watch_request("k", "", 4), log.callback());
    REQUIRE(start.watch_id != 0);
    CHECK(start.backlog.empty());
    REQUIRE(v3_put(store, "k", "1").revision == 2);
    REQUIRE(v3_put(store, "k", "2").revision == 3);
    REQUIRE(v3_put(store, "k", "3").revision == 4);
    CHECK(log.revisions == std::vector<std::int64_t>{4});
}

TEST_CASE("v3 watch: an empty bounded range is refused", "[kv]") {
    Store store;
    for (const char* range_end : {"a", "0"}) {
        V3WatchLog log;
        const V3WatchStart start = store.v3_watch(watch_request("a", range_end), log.callback());
        CHECK(start.status.code() == StatusCode::kInvalidArgument);
        CHECK(start.status.message() == "mvcc: watcher range is empty");
        CHECK(start.watch_id == 0);
    }
}

TEST_CASE("v3 watch: a cancelled watch hears nothing more", "[kv]") {
    // cases/v3/v3_watch_multi_cancel.json
    Store store;
    V3WatchLog first;
    V3WatchLog second;
    const V3WatchStart a = store.v3_watch(watch_request("k"), first.callback());
    const V3WatchStart b = store.v3_watch(watch_request("k"), second.callback());
    CHECK(a.watch_id != b.watch_id);
    store.v3_cancel_watch(a.watch_id);
    store.v3_cancel_watch(12345);  // unknown: ignored
    REQUIRE(v3_put(store, "k", "1").status.is_ok());
    CHECK(first.batches.empty());
    CHECK(second.batches.size() == 1);
}

TEST_CASE("v3 watch: a callback may cancel watches and start new ones", "[kv]") {
    Store store;
    V3WatchLog later;
    std::uint64_t self = 0;
    std::uint64_t other = 0;
    std::uint64_t added = 0;
    int calls = 0;
    V3WatchLog other_log;
    self = store
               .v3_watch(watch_request("k"),
                         [&](const std::vector<v3::Event>&, std::int64_t) {
                             ++calls;
                             store.v3_cancel_watch(self);
                             store.v3_cancel_watch(other);
                             added = store.v3_watch(watch_request("k"), later.callback()).watch_id;
                         })
               .watch_id;
    other = store.v3_watch(watch_request("k"), other_log.callback()).watch_id;
    REQUIRE(v3_put(store, "k", "1").revision == 2);
    CHECK(calls == 1);
    CHECK(other_log.batches.empty());
    CHECK(later.batches.empty());  // started after revision 2
    CHECK(added != 0);
    REQUIRE(v3_put(store, "k", "2").revision == 3);
    CHECK(calls == 1);
    CHECK(later.revisions == std::vector<std::int64_t>{3});
}

}  // namespace
}  // namespace consensus::kv::test
