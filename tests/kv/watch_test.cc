// Watches: waiting, from history, recursive, hidden keys, dir deletion, streams, the
// 1000-event history and its 401, and sinks that cancel watches while they run.

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "consensus/errors.h"
#include "kv/event_history.h"
#include "kv/store.h"
#include "kv/watcher_hub.h"
#include "kv_test_support.h"

namespace consensus::kv::test {
namespace {

Store::WatchStart watch(Store& store, const Req& req, SinkLog& log) {
    Req waiting = req;
    waiting.request.wait = true;
    return store.watch(waiting.request, log.sink());
}

TEST_CASE("watch: waits for the next change when no waitIndex is given", "[kv]") {
    Store store;
    REQUIRE_FALSE(apply(store, put("/w", "a")).error);
    SinkLog log;
    const Store::WatchStart start = watch(store, get("/w"), log);
    CHECK_FALSE(start.error.has_value());
    CHECK_FALSE(start.immediate.has_value());
    CHECK(start.watch_id != 0);
    CHECK(start.etcd_index == 1);
    CHECK(store.stats().watchers == 1);
    CHECK(log.events.empty());

    REQUIRE_FALSE(apply(store, put("/other", "x")).error);
    CHECK(log.events.empty());
    REQUIRE_FALSE(apply(store, put("/w", "b")).error);
    REQUIRE(log.events.size() == 1);
    CHECK(log.events[0].action == "set");
    CHECK(log.events[0].node.value == "b");
    CHECK(log.events[0].prev_node->value == "a");
    CHECK(log.header_indices == std::vector<Revision>{3});
    // A non-stream watch fires once and is gone.
    CHECK(store.stats().watchers == 0);
    REQUIRE_FALSE(apply(store, put("/w", "c")).error);
    CHECK(log.events.size() == 1);
}

TEST_CASE("watch: answers at once with the first matching event when waitIndex is in history",
          "[kv]") {
    Store store;
    REQUIRE_FALSE(apply(store, put("/w", "one")).error);
    REQUIRE_FALSE(apply(store, put("/x", "other")).error);
    REQUIRE_FALSE(apply(store, put("/w", "two")).error);
    struct Case {
        Revision wait_index;
        Revision found_index;
    };
    for (const Case& row : std::vector<Case>{{1, 1}, {2, 3}, {3, 3}}) {
        INFO("waitIndex " << row.wait_index);
        SinkLog log;
        const Store::WatchStart start = watch(store, get("/w").wait_index(row.wait_index), log);
        REQUIRE(start.immediate.has_value());
        CHECK(start.immediate->node.modified_index == row.found_index);
        CHECK(start.etcd_index == 3);
        CHECK(start.watch_id == 0);
    }
    CHECK(store.stats().watchers == 0);
    SinkLog future;
    const Store::WatchStart waiting = watch(store, get("/w").wait_index(4), future);
    CHECK_FALSE(waiting.immediate.has_value());
    REQUIRE_FALSE(apply(store, put("/w", "three")).error);
    REQUIRE(future.events.size() == 1);
    CHECK(future.events[0].node.modified_index == 4);
}

TEST_CASE("watch: ignores events before its waitIndex when the index is in the future", "[kv]") {
    Store store;
    SinkLog log;
    REQUIRE(watch(store, get("/w").wait_index(3), log).watch_id != 0);
    REQUIRE_FALSE(apply(store, put("/w", "1")).error);
    REQUIRE_FALSE(apply(store, put("/w", "2")).error);
    CHECK(log.events.empty());
    REQUIRE_FALSE(apply(store, put("/w", "3")).error);
    REQUIRE(log.events.size() == 1);
    CHECK(log.events[0].node.value == "3");
}

TEST_CASE("watch: a non-recursive dir watch ignores its children when they change", "[kv]") {
    Store store;
    REQUIRE_FALSE(apply(store, put("/d").dir()).error);
    SinkLog flat;
    SinkLog deep;
    REQUIRE(watch(store, get("/d"), flat).watch_id != 0);
    REQUIRE(watch(store, get("/d").recursive(), deep).watch_id != 0);
    REQUIRE_FALSE(apply(store, put("/d/sub/c2", "y")).error);
    CHECK(flat.events.empty());
    REQUIRE(deep.events.size() == 1);
    CHECK(deep.events[0].node.key == "/d/sub/c2");
    REQUIRE_FALSE(apply(store, del("/d").recursive()).error);
    REQUIRE(flat.events.size() == 1);
    CHECK(flat.events[0].action == "delete");
    CHECK(flat.events[0].node.dir);
}

TEST_CASE("watch: a recursive watch misses hidden keys below it when a direct one sees them",
          "[kv]") {
    Store store;
    SinkLog recursive;
    SinkLog direct;
    SinkLog in_hidden_dir;
    REQUIRE(watch(store, get("/p").recursive().stream(), recursive).watch_id != 0);
    REQUIRE(watch(store, get("/p/_secret"), direct).watch_id != 0);
    REQUIRE(watch(store, get("/p/_h").recursive(), in_hidden_dir).watch_id != 0);
    REQUIRE_FALSE(apply(store, put("/p/_secret", "s")).error);
    REQUIRE_FALSE(apply(store, put("/p/_h/x", "x")).error);
    REQUIRE_FALSE(apply(store, put("/p/open", "o")).error);
    REQUIRE(recursive.events.size() == 1);
    CHECK(recursive.events[0].node.key == "/p/open");
    REQUIRE(direct.events.size() == 1);
    CHECK(direct.events[0].node.key == "/p/_secret");
    REQUIRE(in_hidden_dir.events.size() == 1);
    CHECK(in_hidden_dir.events[0].node.key == "/p/_h/x");
}

TEST_CASE("watch: hidden rules match etcd's isHidden when paths are compared", "[kv]") {
    struct Case {
        const char* watch_path;
        const char* key_path;
        bool hidden;
    };
    const std::vector<Case> table = {
        {"/", "/_a", true},      {"/", "/a", false},        {"/a", "/a/_b", true},
        {"/a", "/a/b/_c", true}, {"/a/_b", "/a/_b", false}, {"/a/_b", "/a/_b/c", false},
        {"/a/b/c", "/a", false}, {"/a", "/a/b", false},
    };
    for (const Case& row : table) {
        INFO(row.watch_path << " vs " << row.key_path);
        CHECK(is_hidden_from(row.watch_path, row.key_path) == row.hidden);
    }
}

TEST_CASE("watch: watchers below a dir hear its deletion when the dir is removed", "[kv]") {
    Store store;
    REQUIRE_FALSE(apply(store, put("/d/c", "x")).error);
    REQUIRE_FALSE(apply(store, put("/d/e/f", "y")).error);
    SinkLog child;
    SinkLog grandchild;
    REQUIRE(watch(store, get("/d/c"), child).watch_id != 0);
    REQUIRE(watch(store, get("/d/e/f"), grandchild).watch_id != 0);
    REQUIRE_FALSE(apply(store, del("/d").recursive()).error);
    REQUIRE(child.events.size() == 1);
    CHECK(child.events[0].node.key == "/d");
    CHECK(child.events[0].action == "delete");
    REQUIRE(grandchild.events.size() == 1);
    CHECK(grandchild.events[0].node.key == "/d");

    // The same rule holds from history: a watch on a key below a deleted dir finds it.
    SinkLog late;
    const Store::WatchStart start = watch(store, get("/d/c").wait_index(3), late);
    REQUIRE(start.immediate.has_value());
    CHECK(start.immediate->node.key == "/d");
    CHECK(start.immediate->node.modified_index == 3);
}

TEST_CASE("watch: history matching follows etcd's scan rules when events are compared", "[kv]") {
    auto make_event = [](const char* action, const char* key, bool prev_dir) {
        HistoryEvent event;
        event.index = 1;
        event.event.action = action;
        event.event.node.key = key;
        if (prev_dir) {
            event.event.prev_node.emplace();
            event.event.prev_node->key = key;
            event.event.prev_node->dir = true;
        }
        return event;
    };
    struct Case {
        HistoryEvent event;
        const char* watch_key;
        bool recursive;
        bool matches;
    };
    const std::vector<Case> table = {
        {make_event("set", "/a", false), "/a", false, true},
        {make_event("set", "/a/b", false), "/a", false, false},
        {make_event("set", "/a/b", false), "/a", true, true},
        {make_event("set", "/ab", false), "/a", true, false},
        {make_event("set", "/a/b", false), "/", true, true},
        {make_event("delete", "/a", true), "/a/b/c", false, true},
        {make_event("expire", "/a", true), "/a/b", false, true},
        {make_event("delete", "/a", false), "/a/b", false, false},
        {make_event("update", "/a", true), "/a/b", false, false},
        // etcd compares the deleted dir's key as a raw prefix.
        {make_event("delete", "/a", true), "/ab", false, true},
    };
    for (const Case& row : table) {
        INFO(row.event.event.action << " " << row.event.event.node.key << " watched at "
                                    << row.watch_key << (row.recursive ? " recursively" : ""));
        CHECK(history_event_matches(row.event, row.watch_key, row.recursive) == row.matches);
    }
}

TEST_CASE("watch: a stream watcher gets each event once when its key is deleted", "[kv]") {
    Store store;
    REQUIRE_FALSE(apply(store, put("/s", "0")).error);
    SinkLog log;
    const Store::WatchStart start = watch(store, get("/s").stream(), log);
    REQUIRE(start.watch_id != 0);
    REQUIRE_FALSE(apply(store, put("/s", "1")).error);
    REQUIRE_FALSE(apply(store, put("/s", "2")).error);
    REQUIRE_FALSE(apply(store, del("/s")).error);
    REQUIRE(log.events.size() == 3);
    CHECK(log.events[0].node.value == "1");
    CHECK(log.events[1].node.value == "2");
    CHECK(log.events[2].action == "delete");
    CHECK(store.stats().watchers == 1);
    store.cancel_watch(start.watch_id);
    CHECK(store.stats().watchers == 0);
    REQUIRE_FALSE(apply(store, put("/s", "3")).error);
    CHECK(log.events.size() == 3);
    CHECK(log.closed == 0);
}

TEST_CASE("watch: a stream from a past index gets its backlog in order before new events", "[kv]") {
    Store store;
    REQUIRE_FALSE(apply(store, put("/s", "1")).error);
    REQUIRE_FALSE(apply(store, put("/x", "other")).error);
    REQUIRE_FALSE(apply(store, put("/s", "2")).error);
    REQUIRE_FALSE(apply(store, put("/s", "3")).error);
    SinkLog log;
    const Store::WatchStart start = watch(store, get("/s").stream().wait_index(1), log);
    REQUIRE(start.immediate.has_value());
    CHECK(start.immediate->node.value == "1");
    REQUIRE(start.watch_id != 0);
    // Nothing is delivered from inside watch() itself.
    CHECK(log.events.empty());
    REQUIRE_FALSE(apply(store, put("/s", "4")).error);
    std::vector<std::string> values;
    for (const auto& event : log.events) values.push_back(*event.node.value);
    CHECK(values == std::vector<std::string>{"2", "3", "4"});
}

TEST_CASE("watch: refreshes are recorded but never delivered when a ttl is refreshed", "[kv]") {
    Store store;
    REQUIRE_FALSE(apply(store, put("/k", "v").ttl(10)).error);
    SinkLog live;
    REQUIRE(watch(store, get("/k"), live).watch_id != 0);
    REQUIRE_FALSE(apply(store, put("/k").ttl(10).refresh().prev_exist(true)).error);
    REQUIRE_FALSE(apply(store, put("/k").ttl(10).refresh()).error);
    CHECK(live.events.empty());
    CHECK(store.current_index() == 3);
    SinkLog past;
    const Store::WatchStart start = watch(store, get("/k").wait_index(2), past);
    CHECK_FALSE(start.immediate.has_value());
    REQUIRE_FALSE(apply(store, put("/k", "w")).error);
    REQUIRE(live.events.size() == 1);
    CHECK(live.events[0].node.value == "w");
    REQUIRE(past.events.size() == 1);
    CHECK(past.events[0].node.modified_index == 4);
}

TEST_CASE("watch: the history keeps the last 1000 events and older indices give 401", "[kv]") {
    Store store;
    REQUIRE(apply(store, put("/h", "start")).etcd_index == 1);
    for (int i = 0; i < 1005; ++i) REQUIRE_FALSE(apply(store, put("/h", "x")).error);
    REQUIRE(store.current_index() == 1006);
    SinkLog log;
    const Store::WatchStart cleared = watch(store, get("/h").wait_index(1), log);
    REQUIRE(cleared.error.has_value());
    CHECK(cleared.error->error_code == errors::kV2EventIndexCleared);
    CHECK(cleared.error->cause == "the requested history has been cleared [7/1]");
    CHECK(cleared.error->index == 1006);
    CHECK(cleared.watch_id == 0);

    // The bound is for the whole store, whatever key the watch names.
    const Store::WatchStart other_key = watch(store, get("/unrelated").wait_index(6), log);
    REQUIRE(other_key.error.has_value());
    CHECK(other_key.error->cause == "the requested history has been cleared [7/6]");

    const Store::WatchStart oldest = watch(store, get("/h").wait_index(7), log);
    REQUIRE(oldest.immediate.has_value());
    CHECK(oldest.immediate->node.modified_index == 7);
    const Store::WatchStart newest = watch(store, get("/h").wait_index(1006), log);
    REQUIRE(newest.immediate.has_value());
    CHECK(newest.immediate->node.modified_index == 1006);
    CHECK(newest.immediate->prev_node->modified_index == 1005);
    CHECK(store.stats().watchers == 0);
}

TEST_CASE("watch: the event history holds exactly kEventHistoryMax events when it is full",
          "[kv]") {
    EventHistory history;
    for (Revision index = 1; index <= kEventHistoryMax + 1; ++index) {
        HistoryEvent event;
        event.index = index;
        event.event.action = "set";
        event.event.node.key = "/k";
        event.event.node.modified_index = index;
        history.add(event);
        CHECK(history.size() == std::min<std::size_t>(index, kEventHistoryMax));
    }
    CHECK(history.start_index() == 2);
    CHECK(history.last_index() == kEventHistoryMax + 1);
    CHECK(history.scan("/k", false, 1).error.has_value());
    REQUIRE(history.scan("/k", false, 2).found != nullptr);
    CHECK(history.scan("/k", false, kEventHistoryMax + 2).found == nullptr);
    CHECK_FALSE(history.scan("/k", false, kEventHistoryMax + 2).error.has_value());
}

TEST_CASE("watch: close_all_watches calls on_closed once on each watch when shutting down",
          "[kv]") {
    Store store;
    SinkLog a;
    SinkLog b;
    REQUIRE(watch(store, get("/a"), a).watch_id != 0);
    REQUIRE(watch(store, get("/b").stream(), b).watch_id != 0);
    CHECK(store.stats().watchers == 2);
    store.close_all_watches();
    CHECK(a.closed == 1);
    CHECK(b.closed == 1);
    CHECK(store.stats().watchers == 0);
    REQUIRE_FALSE(apply(store, put("/a", "x")).error);
    REQUIRE_FALSE(apply(store, put("/b", "x")).error);
    CHECK(a.events.empty());
    CHECK(b.events.empty());
    store.cancel_watch(12345);
}

TEST_CASE("watch: sinks may cancel watches when they are called", "[kv]") {
    Store store;
    std::uint64_t self_id = 0;
    std::uint64_t other_id = 0;
    int self_calls = 0;
    SinkLog other;
    service::V2WatchSink cancelling;
    cancelling.on_event = [&](const service::V2Event&, const service::V2Headers&) {
        ++self_calls;
        store.cancel_watch(self_id);
        store.cancel_watch(other_id);
    };
    self_id = store.watch(get("/k").stream().request, cancelling).watch_id;
    other_id = watch(store, get("/k").stream(), other).watch_id;
    REQUIRE(self_id != 0);
    REQUIRE(other_id != 0);
    REQUIRE_FALSE(apply(store, put("/k", "1")).error);
    REQUIRE_FALSE(apply(store, put("/k", "2")).error);
    CHECK(self_calls == 1);
    CHECK(other.events.empty());
    CHECK(store.stats().watchers == 0);
}

/// The fields of a set event a client sees.
void check_same_event(const service::V2Event& seen, const service::V2Event& applied) {
    CHECK(seen.action == applied.action);
    CHECK(seen.node.key == applied.node.key);
    CHECK(seen.node.value == applied.node.value);
    CHECK(seen.node.created_index == applied.node.created_index);
    CHECK(seen.node.modified_index == applied.node.modified_index);
    CHECK(seen.node.expiration_unix_nanos == applied.node.expiration_unix_nanos);
    REQUIRE(seen.prev_node.has_value());
    REQUIRE(applied.prev_node.has_value());
    CHECK(seen.prev_node->key == applied.prev_node->key);
    CHECK(seen.prev_node->value == applied.prev_node->value);
    CHECK(seen.prev_node->created_index == applied.prev_node->created_index);
    CHECK(seen.prev_node->modified_index == applied.prev_node->modified_index);
    CHECK(seen.prev_node->expiration_unix_nanos == applied.prev_node->expiration_unix_nanos);
}

TEST_CASE("watch: watchers and history get the writer's event when a file is overwritten", "[kv]") {
    Store store;
    REQUIRE_FALSE(apply(store, put("/dir/k", "old").ttl(30)).error);
    SinkLog direct;
    SinkLog recursive;
    SinkLog stream;
    REQUIRE(watch(store, get("/dir/k"), direct).watch_id != 0);
    REQUIRE(watch(store, get("/").recursive(), recursive).watch_id != 0);
    REQUIRE(watch(store, get("/dir").recursive().stream(), stream).watch_id != 0);

    const ApplyResult overwrite = apply(store, put("/dir/k", "new"));
    REQUIRE(overwrite.event.has_value());
    const service::V2Event& applied = *overwrite.event;
    CHECK(applied.action == "set");
    CHECK(applied.node.key == "/dir/k");
    CHECK(applied.node.value == "new");
    CHECK(applied.node.created_index == 2);
    CHECK(applied.node.modified_index == 2);
    REQUIRE(applied.prev_node.has_value());
    CHECK(applied.prev_node->value == "old");
    CHECK(applied.prev_node->created_index == 1);
    CHECK(applied.prev_node->expiration_unix_nanos == kNow + 30 * kSecond);

    for (SinkLog* log : {&direct, &recursive, &stream}) {
        REQUIRE(log->events.size() == 1);
        check_same_event(log->events[0], applied);
        CHECK(log->header_indices == std::vector<Revision>{2});
    }
    SinkLog past;
    const Store::WatchStart from_history = watch(store, get("/dir/k").wait_index(2), past);
    REQUIRE(from_history.immediate.has_value());
    check_same_event(*from_history.immediate, applied);
    REQUIRE(store.check_invariants().is_ok());
}

TEST_CASE("watch: cas, update and cad events reach watchers with their actions", "[kv]") {
    Store store;
    REQUIRE_FALSE(apply(store, put("/k", "1")).error);
    const std::vector<std::pair<Req, std::string>> table = {
        {put("/k", "2").prev_value("1"), "compareAndSwap"},
        {put("/k", "3").prev_exist(true), "update"},
        {del("/k").prev_value("3"), "compareAndDelete"},
        {put("/k", "4").prev_exist(false), "create"},
        {del("/k"), "delete"},
    };
    for (const auto& [req, action] : table) {
        INFO(action);
        SinkLog log;
        const Store::WatchStart start = watch(store, get("/k"), log);
        REQUIRE_FALSE(apply(store, req).error);
        REQUIRE(log.events.size() == 1);
        CHECK(log.events[0].action == action);
        CHECK(log.header_indices[0] == start.etcd_index + 1);
    }
}

}  // namespace
}  // namespace consensus::kv::test
