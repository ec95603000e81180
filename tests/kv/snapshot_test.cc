// Snapshots: a restored store is the same store (tree, index, history, counters, TTLs),
// and damaged bytes are refused without touching the state.

#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "consensus/errors.h"
#include "kv/codec.h"
#include "kv/snapshot.h"
#include "kv/store.h"
#include "kv_test_support.h"

namespace consensus::kv::test {
namespace {

/// A store that has seen every kind of event.
void populate(Store& store) {
    REQUIRE_FALSE(apply(store, put("/a/b", "1")).error);
    REQUIRE_FALSE(apply(store, put("/a/_hidden", "h")).error);
    REQUIRE_FALSE(apply(store, put("/t", "ttl").ttl(30)).error);
    REQUIRE_FALSE(apply(store, put("/d").dir().ttl(5)).error);
    REQUIRE_FALSE(apply(store, put("/d/x", "in dir")).error);
    REQUIRE_FALSE(apply(store, post("/q").value("job")).error);
    REQUIRE_FALSE(apply(store, put("/a/b", "2").prev_value("1")).error);
    REQUIRE_FALSE(apply(store, put("/a/b", "3").prev_exist(true)).error);
    REQUIRE_FALSE(apply(store, put("/t").ttl(60).refresh().prev_exist(true)).error);
    REQUIRE_FALSE(apply(store, put("/c", "c")).error);
    REQUIRE_FALSE(apply(store, del("/c").prev_index(10)).error);
    REQUIRE_FALSE(apply(store, put("/e", "e")).error);
    REQUIRE_FALSE(apply(store, del("/e")).error);
    REQUIRE(apply(store, put("/a", "x")).error);
    REQUIRE_FALSE(apply(store, get("/a")).error);
    REQUIRE(expire_sync(store, kNow + 5 * kSecond).etcd_index == 14);
}

void check_same_view(Store& left, Store& right) {
    CHECK(left.current_index() == right.current_index());
    CHECK(left.next_expiration_unix_nanos() == right.next_expiration_unix_nanos());
    const service::StoreStats a = left.stats();
    const service::StoreStats b = right.stats();
    CHECK(a.sets_success == b.sets_success);
    CHECK(a.sets_fail == b.sets_fail);
    CHECK(a.gets_success == b.gets_success);
    CHECK(a.compare_and_delete_success == b.compare_and_delete_success);
    CHECK(a.expire_count == b.expire_count);
    for (const char* key : {"/", "/a", "/a/b", "/a/_hidden", "/t", "/q", "/d"}) {
        INFO("key " << key);
        const service::V2Result x = local_get(left, get(key).recursive(), kNow + kSecond);
        const service::V2Result y = local_get(right, get(key).recursive(), kNow + kSecond);
        CHECK(x.error.has_value() == y.error.has_value());
        if (x.event && y.event) {
            CHECK(x.event->node.modified_index == y.event->node.modified_index);
            CHECK(x.event->node.created_index == y.event->node.created_index);
            CHECK(x.event->node.value == y.event->node.value);
            CHECK(x.event->node.ttl == y.event->node.ttl);
            CHECK(child_keys(x.event->node) == child_keys(y.event->node));
        }
    }
}

TEST_CASE("snapshot: the checksum is CRC-32 (IEEE) at every length and alignment", "[kv]") {
    CHECK(detail::crc32("") == 0U);
    CHECK(detail::crc32("123456789") == 0xCBF43926U);  // the standard check value
    // Byte-at-a-time reference, straight from the polynomial.
    auto reference = [](std::string_view bytes) {
        std::uint32_t crc = 0xFFFFFFFFU;
        for (char c : bytes) {
            crc ^= static_cast<std::uint8_t>(c);
            for (int bit = 0; bit < 8; ++bit)
                crc = (crc & 1U) != 0 ? 0xEDB88320U ^ (crc >> 1) : crc >> 1;
        }
        return crc ^ 0xFFFFFFFFU;
    };
    std::string data;
    for (int i = 0; i < 300; ++i) data.push_back(static_cast<char>((i * 131 + 7) % 256));
    for (std::size_t offset = 0; offset < 9; ++offset) {
        for (std::size_t length = 0; offset + length <= data.size(); length += 7) {
            const std::string_view piece = std::string_view(data).substr(offset, length);
            INFO("offset " << offset << " length " << length);
            CHECK(detail::crc32(piece) == reference(piece));
        }
    }
}

TEST_CASE("snapshot: appending to a buffer keeps its bytes and adds exactly the snapshot", "[kv]") {
    Store original;
    populate(original);
    const std::string prefix = "framing before the store";
    std::string buffer = prefix;
    original.append_snapshot(&buffer);
    REQUIRE(buffer.size() > prefix.size());
    CHECK(buffer.substr(0, prefix.size()) == prefix);
    const std::string appended = buffer.substr(prefix.size());
    CHECK(appended == original.save_snapshot());
    Store restored;
    REQUIRE(restored.restore_snapshot(appended).is_ok());
    check_same_view(original, restored);
}

TEST_CASE("snapshot: a restored store equals the original when the bytes are intact", "[kv]") {
    Store original;
    populate(original);
    const std::string bytes = original.save_snapshot();
    Store restored;
    REQUIRE(restored.restore_snapshot(bytes).is_ok());
    REQUIRE(restored.check_invariants().is_ok());
    CHECK(restored.save_snapshot() == bytes);
    check_same_view(original, restored);
    // The store carries on identically after the restore.
    for (Store* store : {&original, &restored}) {
        REQUIRE_FALSE(apply(*store, put("/after", "v")).error);
        CHECK(expire_sync(*store, kNow + 61 * kSecond).etcd_index == 16);
    }
    CHECK(original.save_snapshot() == restored.save_snapshot());
}

TEST_CASE("snapshot: watches resume from history the same way when the store was restored",
          "[kv]") {
    Store original;
    populate(original);
    Store restored;
    REQUIRE(restored.restore_snapshot(original.save_snapshot()).is_ok());
    for (Revision index = 1; index <= original.current_index() + 1; ++index) {
        for (const char* key : {"/a/b", "/t", "/d/x", "/"}) {
            INFO("index " << index << " key " << key);
            SinkLog a;
            SinkLog b;
            const auto x = original.watch(get(key).recursive().wait_index(index).request, a.sink());
            const auto y = restored.watch(get(key).recursive().wait_index(index).request, b.sink());
            CHECK(x.error.has_value() == y.error.has_value());
            CHECK(x.immediate.has_value() == y.immediate.has_value());
            if (x.immediate && y.immediate) {
                CHECK(x.immediate->action == y.immediate->action);
                CHECK(x.immediate->node.key == y.immediate->node.key);
                CHECK(x.immediate->node.modified_index == y.immediate->node.modified_index);
                CHECK(x.immediate->prev_node.has_value() == y.immediate->prev_node.has_value());
            }
            // Watches that have to wait outlive this iteration's sinks otherwise.
            original.cancel_watch(x.watch_id);
            restored.cancel_watch(y.watch_id);
        }
    }
    CHECK(original.stats().watchers == 0);
    CHECK(restored.stats().watchers == 0);
}

TEST_CASE("snapshot: the history bound and its 401 survive when a full history is restored",
          "[kv]") {
    Store original;
    for (int i = 0; i < 1200; ++i) REQUIRE_FALSE(apply(original, put("/h", "x")).error);
    Store restored;
    REQUIRE(restored.restore_snapshot(original.save_snapshot()).is_ok());
    SinkLog log;
    const auto cleared = restored.watch(get("/h").wait_index(200).request, log.sink());
    REQUIRE(cleared.error.has_value());
    CHECK(cleared.error->error_code == errors::kV2EventIndexCleared);
    CHECK(cleared.error->cause == "the requested history has been cleared [201/200]");
    const auto oldest = restored.watch(get("/h").wait_index(201).request, log.sink());
    REQUIRE(oldest.immediate.has_value());
    CHECK(oldest.immediate->node.modified_index == 201);
}

TEST_CASE("snapshot: damaged bytes are refused and leave the state unchanged when restored",
          "[kv]") {
    Store source;
    populate(source);
    const std::string good = source.save_snapshot();
    Store target;
    REQUIRE_FALSE(apply(target, put("/mine", "v")).error);
    const std::string before = target.save_snapshot();

    std::vector<std::string> damaged = {
        "", "CKV2", "garbage", std::string(64, '\0'), good + "x", good.substr(0, good.size() - 1)};
    for (const int version : {0, kSnapshotFormatVersion + 1, 255}) {
        std::string wrong_version = good;
        wrong_version[4] = static_cast<char>(version);
        damaged.push_back(wrong_version);
    }
    for (std::size_t length = 0; length < good.size(); length += 7) {
        damaged.push_back(good.substr(0, length));
    }
    std::mt19937_64 random(7);
    for (int i = 0; i < 300; ++i) {
        std::string flipped = good;
        flipped[random() % flipped.size()] ^= static_cast<char>(1 << (random() % 8));
        damaged.push_back(flipped);
    }
    for (const std::string& bytes : damaged) {
        const Status status = target.restore_snapshot(bytes);
        REQUIRE_FALSE(status.is_ok());
        CHECK(status.code() == StatusCode::kCorruption);
    }
    CHECK(target.save_snapshot() == before);
    CHECK(target.current_index() == 1);
}

TEST_CASE("snapshot: a well-framed body with a broken structure is refused when decoded", "[kv]") {
    // Build bodies by hand around a correct frame, so only the structure checks can
    // refuse them.
    V2State bad_index;
    bad_index.current_index = 0;
    bad_index.tree.add_child(bad_index.tree.root(), "k", false, "v", 5, std::nullopt);
    CHECK_FALSE(decode_v2_snapshot(encode_v2_snapshot(bad_index)).is_ok());

    V2State good;
    good.current_index = 5;
    good.tree.add_child(good.tree.root(), "k", false, "v", 5, std::nullopt);
    REQUIRE(decode_v2_snapshot(encode_v2_snapshot(good)).is_ok());
}

/// Overwrites the u64 at `offset` and fixes the checksum, so only the structure checks
/// can notice the change.
std::string with_u64_at(std::string bytes, std::size_t offset, std::uint64_t value) {
    for (int i = 0; i < 8; ++i)
        bytes[offset + static_cast<std::size_t>(i)] = static_cast<char>(value >> (8 * i));
    const std::uint32_t crc = detail::crc32(std::string_view(bytes).substr(0, bytes.size() - 4));
    for (int i = 0; i < 4; ++i)
        bytes[bytes.size() - 4 + static_cast<std::size_t>(i)] = static_cast<char>(crc >> (8 * i));
    return bytes;
}

TEST_CASE("snapshot: a node whose parent is missing or a file is refused when decoded", "[kv]") {
    V2State state;
    state.current_index = 2;
    state.tree.add_child(state.tree.root(), "a", false, "v", 1, std::nullopt);
    state.tree.add_child(state.tree.root(), "b", false, "v", 2, std::nullopt);
    const std::string good = encode_v2_snapshot(state);
    REQUIRE(decode_v2_snapshot(good).is_ok());
    // Header 13 bytes, then the index (8), 15 counters (120), the root's indices (16)
    // and the node count (8); each record here is 36 bytes.
    const std::size_t first_parent = 13 + 8 + 120 + 16 + 8;
    const std::size_t second_parent = first_parent + 36;
    REQUIRE(decode_v2_snapshot(with_u64_at(good, second_parent, 0)).is_ok());
    struct Case {
        const char* name;
        std::size_t offset;
        std::uint64_t value;
    };
    const std::vector<Case> table = {
        {"parent not yet decoded", first_parent, 1},
        {"parent out of range", second_parent, 7},
        {"parent is a file", second_parent, 1},
    };
    for (const Case& row : table) {
        INFO(row.name);
        const Result<V2State> decoded =
            decode_v2_snapshot(with_u64_at(good, row.offset, row.value));
        REQUIRE_FALSE(decoded.is_ok());
        CHECK(decoded.status().code() == StatusCode::kCorruption);
    }
}

TEST_CASE("snapshot: event nodes nest at most kSnapshotEventNodeDepthMax deep when decoded",
          "[kv]") {
    auto state_with_depth = [](int depth) {
        V2State state;
        state.current_index = 1;
        HistoryEvent event;
        event.index = 1;
        event.event.action = "get";
        service::V2Node* node = &event.event.node;
        for (int level = 0; level < depth; ++level) {
            node->nodes.emplace_back();
            node = &node->nodes.back();
        }
        state.history.add(event);
        return encode_v2_snapshot(state);
    };
    CHECK(decode_v2_snapshot(state_with_depth(kSnapshotEventNodeDepthMax)).is_ok());
    const Result<V2State> too_deep =
        decode_v2_snapshot(state_with_depth(kSnapshotEventNodeDepthMax + 1));
    REQUIRE_FALSE(too_deep.is_ok());
    CHECK(too_deep.status().code() == StatusCode::kCorruption);
}

TEST_CASE("snapshot: a stream catching up is closed when its backlog left the history", "[kv]") {
    Store newer;
    for (int i = 0; i < 1500; ++i) REQUIRE_FALSE(apply(newer, put("/h", "x")).error);
    Store store;
    for (int i = 0; i < 20; ++i) REQUIRE_FALSE(apply(store, put("/h", "x")).error);
    SinkLog log;
    const Store::WatchStart start =
        store.watch(get("/h").stream().wait_index(5).request, log.sink());
    REQUIRE(start.immediate.has_value());
    REQUIRE(start.watch_id != 0);
    REQUIRE(store.restore_snapshot(newer.save_snapshot()).is_ok());
    CHECK(log.events.empty());
    CHECK(log.closed == 1);
    CHECK(store.stats().watchers == 0);
}

TEST_CASE("store invariants: the checker names a node newer than the index when one exists",
          "[kv]") {
    V2Tree tree;
    V2TreeNode& node = tree.add_child(tree.root(), "k", false, "v", 3, std::nullopt);
    CHECK(tree.check_invariants(3).is_ok());
    const Status ahead = tree.check_invariants(2);
    REQUIRE_FALSE(ahead.is_ok());
    CHECK(ahead.code() == StatusCode::kInternal);
    CHECK(ahead.message().find("/k") != std::string::npos);
    node.created_index = 4;
    node.modified_index = 3;
    CHECK_FALSE(tree.check_invariants(10).is_ok());
}

TEST_CASE("snapshot: watchers stay registered when a snapshot is restored", "[kv]") {
    Store source;
    populate(source);
    Store target;
    SinkLog log;
    REQUIRE(target.watch(get("/a/b").request, log.sink()).watch_id != 0);
    REQUIRE(target.restore_snapshot(source.save_snapshot()).is_ok());
    CHECK(target.stats().watchers == 1);
    REQUIRE_FALSE(apply(target, put("/a/b", "after")).error);
    REQUIRE(log.events.size() == 1);
    CHECK(log.events[0].node.modified_index == 15);
}

}  // namespace
}  // namespace consensus::kv::test
