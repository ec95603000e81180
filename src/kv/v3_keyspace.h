#pragma once
/// The v3 MVCC keyspace: every key's kept history of revisions, the current revision
/// and the compacted revision [etcd: server/mvcc/kvstore.go, key_index.go].
///
/// Revisions. A write transaction that changes anything takes the next main revision;
/// its changes are numbered 0, 1, ... as sub revisions, in the order they happen, so
/// (main, sub) orders every change ever made. The store starts at revision 1 with no
/// keys, as etcd does, so the first write is revision 2.
///
/// History. A key's records are kept oldest first. A put record holds the key's state
/// after the put (value, lease, create_revision, version); a tombstone records a
/// delete. A key's life from its creation to its delete is one generation: its
/// records share create_revision and count version up from 1. Only what changed is
/// stored: one record per write, nothing per revision in which the key did not change.
/// Only each key's latest record is kept whole in memory; the older ones are in the
/// history log (v3_history_log.h), with a small reference each in memory.
///
/// Compaction at revision C keeps, for each key, the latest record at or below C
/// (unless that is a tombstone: then the key's history up to C is dropped entirely),
/// and everything above C, as etcd's keyIndex.compact does. So a read at C still sees
/// every key that was live at C, and a read below C is refused.
///
/// Single-threaded; owned by V3Store. Nothing here knows about leases or watchers: the
/// write transaction (v3_write_txn.h) keeps those in step.

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "consensus/status.h"
#include "consensus/v3.h"
#include "kv/v3_history_log.h"
#include "kv/v3_key_range.h"

namespace consensus::kv {

/// One stored revision of one key, whole: a key's latest record, or an older one read
/// back from the history log.
struct V3Record {
    std::int64_t mod_revision = 0;     ///< the main revision of the write
    std::int64_t create_revision = 0;  ///< 0 for a tombstone
    std::int64_t version = 0;          ///< 0 for a tombstone
    std::int64_t lease = 0;            ///< 0: no lease
    std::string value;                 ///< empty for a tombstone
    std::uint32_t sub = 0;             ///< the change's position inside its revision
    bool is_tombstone = false;
};

/// An older record as memory keeps it: what orders it, and where the rest of it is in
/// the history log (v3_history_log.h). For a put the log holds create_revision,
/// version and lease (codec.h i64s) and then the value, so length >= 24; a tombstone
/// has nothing more to say and takes no log bytes, so length 0 marks a tombstone.
struct V3SpilledRecord {
    std::int64_t mod_revision = 0;
    std::uint64_t offset = 0;
    std::uint32_t length = 0;
    std::uint32_t sub = 0;

    bool is_tombstone() const { return length == 0; }
};

/// A key's records, oldest first: the older ones spilled to the history log, the
/// latest whole in memory, since nearly every read is of the latest.
/// Invariant: (mod_revision, sub) strictly increases over older then latest; the first
/// record is a put; two tombstones never follow each other; inside a generation
/// create_revision is the generation's first mod_revision and version counts up by one.
struct V3History {
    std::vector<V3SpilledRecord> older;
    V3Record latest;

    std::size_t size() const { return older.size() + 1; }
};

/// Every key with a kept history, in byte order.
using V3KeyMap = std::map<std::string, V3History, std::less<>>;

/// The keyspace. Movable so that a snapshot can be decoded aside and swapped in.
class V3Keyspace {
public:
    /// An empty keyspace (revision 1) whose history log is in memory.
    V3Keyspace() = default;
    /// An empty keyspace (revision 1) that spills its history to `log`.
    explicit V3Keyspace(V3HistoryLog log) : log_(std::move(log)) {}
    V3Keyspace(V3Keyspace&&) = default;
    V3Keyspace& operator=(V3Keyspace&&) = default;
    V3Keyspace(const V3Keyspace&) = delete;
    V3Keyspace& operator=(const V3Keyspace&) = delete;

    /// Snapshot restore, into an empty keyspace: sets the revisions, then
    /// restore_history adds each key's records, keys in strictly ascending order and
    /// `records` not empty. The result may break the invariants; the caller runs
    /// check_invariants before using it.
    void restore_revisions(std::int64_t revision, std::int64_t compact_revision);
    void restore_history(std::string key, std::vector<V3Record> records);

    /// The current revision (>= 1) and the compacted revision (0: never compacted).
    std::int64_t revision() const { return revision_; }
    std::int64_t compact_revision() const { return compact_revision_; }

    /// Ok when a read at `revision` (> 0) can be served: kOutOfRange (future) above the
    /// current revision, kOutOfRange (compacted) below the compacted revision.
    [[nodiscard]] Status check_readable(std::int64_t revision) const;

    /// Records are read through pointers. A pointer to an older record points at a copy
    /// read back from the history log, which stays valid until forget_read_records();
    /// any pointer is invalidated by a write. V3Store calls forget_read_records() after
    /// each operation, so the copies live as long as the operation that read them.

    /// The record of `key` that was live at `at_revision`, or null (never written,
    /// deleted then, or compacted away).
    const V3Record* find(std::string_view key, std::int64_t at_revision) const;

    /// Calls visit(key, record) for every key of `range` live at `at_revision`, in key
    /// order, until visit returns false. (A template: ranges are the hot read path, and
    /// a std::function would allocate for most callers' captures.)
    template <typename Visit>
    void visit_range(const V3KeyRange& range, std::int64_t at_revision, Visit&& visit) const {
        for (auto it = keys_.lower_bound(range.key); it != keys_.end(); ++it) {
            if (range.is_past_end(it->first)) break;
            if (it->second.latest.mod_revision <= at_revision) {
                // The common case, a read at the current revision: no log read.
                if (it->second.latest.is_tombstone) continue;
                if (!visit(it->first, it->second.latest)) break;
                continue;
            }
            const V3Record* record = latest_at(it->second, at_revision);
            if (record == nullptr || record->is_tombstone) continue;
            if (!visit(it->first, *record)) break;
        }
    }

    /// The last record of `history` with mod_revision <= at_revision, or null.
    const V3Record* latest_at(const V3History& history, std::int64_t at_revision) const;

    /// Calls visit(record) for each record of `history`, oldest first. Older records are
    /// read into one reused copy, valid only during its call (snapshots and invariant
    /// checks read every record once; nothing is kept).
    template <typename Visit>
    void for_each_record(const V3History& history, Visit&& visit) const {
        V3Record record;
        for (const V3SpilledRecord& spilled : history.older) {
            read_spilled(spilled, &record);
            visit(static_cast<const V3Record&>(record));
        }
        visit(history.latest);
    }

    /// For the lifetime of the result, older records are read from a mapping of the
    /// history log (V3HistoryLog::BulkReads): for reading most of them, as a snapshot
    /// does. No write may happen meanwhile.
    [[nodiscard]] V3HistoryLog::BulkReads bulk_reads() const {
        return V3HistoryLog::BulkReads(log_);
    }

    /// Drops the copies of older records read so far (see above).
    void forget_read_records() const { read_records_.clear(); }

    /// Appends a put of `key` at (revision, sub): a new generation if the key is not
    /// live, else the next version of the current one. Returns the stored key, a view
    /// that stays valid until the key's history is dropped by compaction or restore.
    /// Precondition: (revision, sub) is above the key's last record.
    std::string_view put(std::string_view key, std::string value, std::int64_t lease,
                         std::int64_t revision, std::uint32_t sub);

    /// Appends a tombstone for `key` at (revision, sub). Precondition: the key is live.
    std::string_view remove(std::string_view key, std::int64_t revision, std::uint32_t sub);

    /// Moves the current revision up to `revision` (a write transaction's end).
    void advance_revision(std::int64_t revision);

    /// etcd's compaction: errors as check_readable but "at or below the compacted
    /// revision" counts as compacted. On success drops the history older than
    /// `revision` as described at the top of this file.
    [[nodiscard]] Status compact(std::int64_t revision);

    /// The record of `key` written at exactly (revision, sub), or null.
    const V3Record* record_at(std::string_view key, std::int64_t revision, std::uint32_t sub) const;

    /// Every stored change of `range` at revision >= from_revision, as watch events in
    /// (revision, sub) order, without prev_kv.
    std::vector<service::v3::Event> events_since(const V3KeyRange& range,
                                                 std::int64_t from_revision) const;

    /// Bytes of keys and values over every kept record (etcd's dbSize stand-in).
    std::int64_t size_bytes() const { return size_bytes_; }

    /// The history log's size, and the part of it that kept records still use; the rest
    /// is what compactions dropped, which a rewrite of the log gives back.
    std::uint64_t history_log_bytes() const { return log_.size(); }
    std::uint64_t history_log_live_bytes() const { return log_live_bytes_; }
    /// A new, empty history log like this keyspace's (for a restored keyspace).
    Result<V3HistoryLog> open_another_history_log() const { return log_.open_another(); }

    /// The kept histories (for snapshots and invariant checks).
    const V3KeyMap& keys() const { return keys_; }

    /// The invariants listed above plus revision bounds; kInternal naming the first
    /// violation.
    [[nodiscard]] Status check_invariants() const;

private:
    /// The history of `key` for a write: a new key's is created, and an existing key's
    /// latest record moves to the log to make room for the write's.
    V3History& history_for_write(std::string_view key, std::string_view* stored_key, bool* existed);
    /// Moves `history`'s latest record to the end of its older records, in the log.
    void spill_latest(V3History* history);
    /// Reads a spilled record back, whole.
    void read_spilled(const V3SpilledRecord& spilled, V3Record* record) const;
    /// The record at `index` of `history` (older then latest), read back if older.
    const V3Record* record_in(const V3History& history, std::size_t index) const;
    /// check_invariants for one record, given the record before it (null: the first).
    [[nodiscard]] Status check_record(const std::string& key, const V3Record* previous,
                                      const V3Record& record) const;
    /// After a compaction: when most of the log is dropped records, copies the kept
    /// ones to a new log and drops the old one.
    void rewrite_log_if_mostly_dropped();

    V3KeyMap keys_;
    V3HistoryLog log_;
    /// Invariant: the sum of `length` over every spilled record.
    std::uint64_t log_live_bytes_ = 0;
    /// Copies of older records handed out by pointer (see find). A deque: adding one
    /// leaves the others where they are.
    mutable std::deque<V3Record> read_records_;
    /// spill_latest's scratch for a record's head.
    std::string spill_head_;
    /// Invariant: >= 1, and >= every record's mod_revision.
    std::int64_t revision_ = 1;
    /// Invariant: 0 <= compact_revision_ <= revision_.
    std::int64_t compact_revision_ = 0;
    /// Invariant: the sum over records of key size + value size.
    std::int64_t size_bytes_ = 0;
};

/// The mvccpb.KeyValue of a put record (without its value for keys_only).
service::v3::KeyValue to_key_value(std::string_view key, const V3Record& record,
                                   bool with_value = true);

/// The watch event of a record: a put carries the whole KeyValue, a delete only key
/// and mod_revision [etcd: server/mvcc/watchable_store_txn.go].
service::v3::Event to_event(std::string_view key, const V3Record& record);

}  // namespace consensus::kv
