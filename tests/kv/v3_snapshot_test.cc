// Snapshots with v3 state: a restored store has the same keyspace (history, revisions,
// compaction) and leases (TTL, expiry, keys) and carries on identically; version-1
// snapshots still restore; damaged or inconsistent bytes are refused with kCorruption
// and leave the state unchanged; watchers catch up on a restored history.

#include <map>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "kv/codec.h"
#include "kv/snapshot.h"
#include "kv/store.h"
#include "v3_test_support.h"

namespace consensus::kv::test {
namespace {

using Strings = std::vector<std::string>;

/// A store with v2 keys and a v3 keyspace that has seen every kind of change.
void populate(Store& store) {
    REQUIRE_FALSE(apply(store, put("/v2", "x")).error);
    REQUIRE(v3_grant(store, 1, 60).status.is_ok());
    REQUIRE(v3_grant(store, 2, 5).status.is_ok());
    REQUIRE(v3_put(store, "a", "1").revision == 2);
    REQUIRE(v3_put(store, "a", "2").revision == 3);
    REQUIRE(v3_put(store, "gone", "x").revision == 4);
    REQUIRE(v3_delete(store, "gone").revision == 5);
    REQUIRE(v3_put(store, "leased/1", "l", 1).revision == 6);
    REQUIRE(v3_put(store, "leased/2", "l", 2).revision == 7);
    REQUIRE(v3_compact(store, 4).status.is_ok());
    v3::TxnRequest txn;
    txn.success.push_back(put_op("t/x", std::string("\0\xff", 2)));
    txn.success.push_back(put_op("a", "3"));
    REQUIRE(v3_txn(store, txn).revision == 8);
    REQUIRE(v3_renew(store, 1, kNow + kSecond).status.is_ok());
    REQUIRE(store.check_invariants().is_ok());
}

void check_same_v3_view(const Store& left, const Store& right) {
    CHECK(left.v3_revision() == right.v3_revision());
    CHECK(left.v3_compact_revision() == right.v3_compact_revision());
    CHECK(left.v3_size_bytes() == right.v3_size_bytes());
    CHECK(left.v3_leases().ids == right.v3_leases().ids);
    CHECK(left.v3_next_lease_expiry_unix_nanos() == right.v3_next_lease_expiry_unix_nanos());
    for (std::int64_t revision = left.v3_compact_revision(); revision <= left.v3_revision();
         ++revision) {
        INFO("revision " << revision);
        v3::RangeRequest request = range_request("", all_from());
        request.revision = revision;
        const v3::RangeResponse x = v3_get(left, request);
        const v3::RangeResponse y = v3_get(right, request);
        REQUIRE(x.kvs.size() == y.kvs.size());
        for (std::size_t i = 0; i < x.kvs.size(); ++i) {
            CHECK(x.kvs[i].key == y.kvs[i].key);
            CHECK(x.kvs[i].value == y.kvs[i].value);
            CHECK(x.kvs[i].version == y.kvs[i].version);
            CHECK(x.kvs[i].create_revision == y.kvs[i].create_revision);
            CHECK(x.kvs[i].mod_revision == y.kvs[i].mod_revision);
            CHECK(x.kvs[i].lease == y.kvs[i].lease);
        }
    }
    for (const std::int64_t id : {1, 2, 3}) {
        v3::LeaseTimeToLiveRequest request;
        request.id = id;
        request.keys = true;
        const auto x = left.v3_lease_time_to_live(request, kNow + 2 * kSecond);
        const auto y = right.v3_lease_time_to_live(request, kNow + 2 * kSecond);
        CHECK(x.ttl == y.ttl);
        CHECK(x.granted_ttl == y.granted_ttl);
        CHECK(x.keys == y.keys);
    }
}

TEST_CASE("v3 snapshot: a restored store equals the original when the bytes are intact", "[kv]") {
    Store original;
    populate(original);
    const std::string bytes = original.save_snapshot();
    Store restored;
    REQUIRE(restored.restore_snapshot(bytes).is_ok());
    REQUIRE(restored.check_invariants().is_ok());
    CHECK(restored.save_snapshot() == bytes);
    check_same_v3_view(original, restored);
    CHECK(restored.current_index() == original.current_index());

    // Old revisions replay the same way.
    V3WatchLog original_log;
    V3WatchLog restored_log;
    const V3WatchStart x =
        original.v3_watch(watch_request("", all_from(), 4), original_log.callback());
    const V3WatchStart y =
        restored.v3_watch(watch_request("", all_from(), 4), restored_log.callback());
    REQUIRE(x.backlog.size() == y.backlog.size());
    for (std::size_t i = 0; i < x.backlog.size(); ++i) {
        CHECK(x.backlog[i].kv.key == y.backlog[i].kv.key);
        CHECK(x.backlog[i].kv.mod_revision == y.backlog[i].kv.mod_revision);
    }

    // The store carries on identically after the restore: writes, expiry, compaction.
    for (Store* store : {&original, &restored}) {
        REQUIRE(v3_put(*store, "after", "v", 1).revision == 9);
        REQUIRE(v3_expire(*store, kNow + 10 * kSecond).revision == 10);  // lease 2 goes
        REQUIRE(v3_compact(*store, 9).status.is_ok());
        REQUIRE(store->check_invariants().is_ok());
    }
    CHECK(original.save_snapshot() == restored.save_snapshot());
    check_same_v3_view(original, restored);
    CHECK(original_log.revisions == std::vector<std::int64_t>{9, 10});
    CHECK(restored_log.revisions == original_log.revisions);
}

TEST_CASE("v3 snapshot: an empty v3 state restores as revision 1", "[kv]") {
    Store empty;
    Store target;
    populate(target);
    REQUIRE(target.restore_snapshot(empty.save_snapshot()).is_ok());
    CHECK(target.v3_revision() == 1);
    CHECK(target.v3_compact_revision() == 0);
    CHECK(target.v3_leases().ids.empty());
    CHECK(target.v3_size_bytes() == 0);
    CHECK(v3_get(target, "", all_from()).kvs.empty());
}

/// A version-1 snapshot laid out by hand as snapshot.h documents it: one v2 key "/k"
/// = "v" at index 3, and no v3 section.
std::string version_one_snapshot() {
    detail::ByteWriter body;
    body.put_u64(3);                               // current_index
    for (int i = 0; i < 15; ++i) body.put_u64(0);  // counters
    body.put_u64(0);                               // root created_index
    body.put_u64(0);                               // root modified_index
    body.put_u64(1);                               // one node
    body.put_u64(0);                               // parent: the root
    body.put_string("k");
    body.put_bool(false);
    body.put_string("v");
    body.put_u64(3);
    body.put_u64(3);
    body.put_bool(false);  // no expiration
    body.put_u64(0);       // no history
    detail::ByteWriter out;
    out.put_raw("CKV2");
    out.put_u8(1);
    out.put_u64(body.bytes().size());
    out.put_raw(body.bytes());
    out.put_u32(detail::crc32(out.bytes()));
    return out.take();
}

TEST_CASE("v3 snapshot: a version-1 snapshot restores with an empty v3 state", "[kv]") {
    Store store;
    populate(store);
    REQUIRE(store.restore_snapshot(version_one_snapshot()).is_ok());
    REQUIRE(store.check_invariants().is_ok());
    CHECK(store.current_index() == 3);
    const service::V2Result got = local_get(store, get("/k"));
    REQUIRE(got.event.has_value());
    CHECK(got.event->node.value == "v");
    CHECK(store.v3_revision() == 1);
    CHECK(store.v3_leases().ids.empty());
    // Saving writes the current version, which restores to the same state.
    const std::string current = store.save_snapshot();
    CHECK(static_cast<int>(current[4]) == kSnapshotFormatVersion);
    Store again;
    REQUIRE(again.restore_snapshot(current).is_ok());
    CHECK(again.current_index() == 3);
}

TEST_CASE("v3 snapshot: damaged bytes are refused and leave the state unchanged", "[kv]") {
    Store source;
    populate(source);
    const std::string good = source.save_snapshot();
    Store target;
    REQUIRE(v3_put(target, "mine", "v").status.is_ok());
    const std::string before = target.save_snapshot();

    std::vector<std::string> damaged;
    for (std::size_t length = 0; length < good.size(); length += 5) {
        damaged.push_back(good.substr(0, length));
    }
    std::mt19937_64 random(11);
    for (int i = 0; i < 400; ++i) {
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
    CHECK(target.v3_revision() == 2);
}

/// A key's records as a snapshot lists them, oldest first.
using RecordMap = std::map<std::string, std::vector<V3Record>>;

/// A framed, checksummed snapshot whose v3 section is written here byte by byte, as
/// v3_snapshot.h lays it out, so it can hold what no keyspace would (an empty history,
/// records out of order): only the decoder's structure checks can refuse it.
std::string snapshot_of(const RecordMap& keys, std::int64_t revision, std::int64_t compact_revision,
                        std::vector<std::int64_t> lease_ids = {}) {
    // An empty state's snapshot ends with its 32-byte v3 section (two revisions and two
    // zero counts) and then the 4-byte checksum; the section is swapped for this one.
    constexpr std::size_t kEmptyV3SectionBytes = 32;
    constexpr std::size_t kChecksumBytes = 4;
    constexpr std::size_t kBodyLengthOffset = 4 + 1;
    constexpr std::size_t kHeaderBytes = kBodyLengthOffset + 8;
    std::string framed = encode_snapshot(V2State{}, V3State{});
    framed.resize(framed.size() - kChecksumBytes - kEmptyV3SectionBytes);
    detail::ByteWriter writer(std::move(framed));
    writer.put_i64(revision);
    writer.put_i64(compact_revision);
    writer.put_u64(keys.size());
    for (const auto& [key, records] : keys) {
        writer.put_string(key);
        writer.put_u64(records.size());
        for (const V3Record& record : records) {
            writer.put_i64(record.mod_revision);
            writer.put_u32(record.sub);
            writer.put_bool(record.is_tombstone);
            if (record.is_tombstone) continue;
            writer.put_i64(record.create_revision);
            writer.put_i64(record.version);
            writer.put_i64(record.lease);
            writer.put_string(record.value);
        }
    }
    writer.put_u64(lease_ids.size());
    for (const std::int64_t id : lease_ids) {
        writer.put_i64(id);
        writer.put_i64(60);
        writer.put_i64(kNow);
    }
    writer.patch_u64(kBodyLengthOffset, writer.bytes().size() - kHeaderBytes);
    writer.put_u32(detail::crc32(writer.bytes()));
    return writer.take();
}

V3Record put_record(std::int64_t mod, std::int64_t create, std::int64_t version,
                    std::int64_t lease = 0) {
    V3Record record;
    record.mod_revision = mod;
    record.create_revision = create;
    record.version = version;
    record.lease = lease;
    record.value = "v";
    return record;
}

V3Record tombstone_record(std::int64_t mod) {
    V3Record record;
    record.mod_revision = mod;
    record.is_tombstone = true;
    return record;
}

TEST_CASE("v3 snapshot: an inconsistent v3 section is refused when decoded", "[kv]") {
    REQUIRE(decode_snapshot(snapshot_of({{"k", {put_record(2, 2, 1)}}}, 2, 0)).is_ok());
    REQUIRE(decode_snapshot(snapshot_of({{"k", {put_record(2, 2, 1, 7)}}}, 2, 0, {7})).is_ok());
    struct Case {
        const char* name;
        std::string bytes;
    };
    const std::vector<Case> table = {
        {"revision 0", snapshot_of({}, 0, 0)},
        {"compact revision above the revision", snapshot_of({}, 2, 3)},
        {"record above the revision", snapshot_of({{"k", {put_record(3, 3, 1)}}}, 2, 0)},
        {"empty history", snapshot_of({{"k", {}}}, 2, 0)},
        {"history starting with a tombstone", snapshot_of({{"k", {tombstone_record(2)}}}, 2, 0)},
        {"revisions going back",
         snapshot_of({{"k", {put_record(3, 3, 1), put_record(2, 3, 2)}}}, 3, 0)},
        {"version not counting up",
         snapshot_of({{"k", {put_record(2, 2, 1), put_record(3, 2, 3)}}}, 3, 0)},
        {"new generation not at version 1",
         snapshot_of({{"k", {put_record(2, 2, 1), tombstone_record(3), put_record(4, 2, 2)}}}, 4,
                     0)},
        {"two tombstones in a row",
         snapshot_of({{"k", {put_record(2, 2, 1), tombstone_record(3), tombstone_record(4)}}}, 4,
                     0)},
        {"key naming a missing lease", snapshot_of({{"k", {put_record(2, 2, 1, 7)}}}, 2, 0)},
    };
    for (const Case& row : table) {
        INFO(row.name);
        const Result<SnapshotState> decoded = decode_snapshot(row.bytes);
        REQUIRE_FALSE(decoded.is_ok());
        CHECK(decoded.status().code() == StatusCode::kCorruption);
    }
}

TEST_CASE("v3 snapshot: watchers catch up on the restored history, one call per revision", "[kv]") {
    Store source;
    populate(source);
    Store target;
    V3WatchLog all;
    V3WatchLog only_a;
    REQUIRE(target.v3_watch(watch_request("", all_from(), 5), all.callback()).watch_id != 0);
    REQUIRE(target.v3_watch(watch_request("a"), only_a.callback()).watch_id != 0);
    REQUIRE(target.restore_snapshot(source.save_snapshot()).is_ok());
    // From revision 5: the delete of "gone", the two leased puts, the txn.
    CHECK(all.revisions == std::vector<std::int64_t>{5, 6, 7, 8});
    REQUIRE(all.batches.size() == 4);
    CHECK(all.batches[3].size() == 2);
    // A watch from the next change (revision 2) finds revision 2 compacted away.
    CHECK(only_a.batches.empty());
    REQUIRE(v3_put(target, "a", "4").revision == 9);
    CHECK(only_a.batches.empty());
    CHECK(all.revisions.back() == 9);
}

}  // namespace
}  // namespace consensus::kv::test
