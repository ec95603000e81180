#pragma once
/// Wal: the durable Raft state of one member (log entries, hard state, snapshot and
/// identity) in a LevelDB database plus a snapshot file, and the raft::Storage the
/// core reads from.
///
/// On-disk layout of a data dir:
///
///     <data_dir>/wal/          the LevelDB database (key layout and record framing in
///                              keys.h, payload encoding in codec.h)
///     <data_dir>/snap/<term>-<index>.snap
///                              the payload of the latest snapshot (16 hex digits each,
///                              as etcd names its snap files)
///
/// Snapshot file: a 40-byte header then the payload.
///
///     magic "CSNP"  version:u8 (= kSnapshotFileVersion)  zero:u8[3]
///     index:u64 LE  term:u64 LE  data_bytes:u64 LE  data_crc:u32 LE  header_crc:u32 LE
///
/// data_crc is the CRC-32C of the payload, header_crc that of the 36 bytes before it.
/// On load the file must exist, name and header must match the metadata record in
/// LevelDB, its size must be exactly 40 + data_bytes and both checksums must match.
///
/// Writes and crash behaviour:
/// - save() writes the hard state and a run of entries as ONE LevelDB WriteBatch,
///   synced when asked: either all of it survives a crash or none of it does. When
///   the run starts at or below the last stored index, the same batch deletes the
///   stored suffix it replaces [Raft §5.3, "delete the existing entry and all that
///   follow it"], so no crash can leave old and new entries mixed.
/// - save_snapshot() writes the payload to a temporary file, syncs it, renames it into
///   place and syncs the directory, and only then writes the metadata record (synced).
///   A crash before the record leaves a stray file, removed on the next open; the old
///   snapshot stays in force until the record is durable and is deleted only after.
/// - compact() first makes the new log start durable (synced), then deletes the
///   released entries in bounded unsynced batches. Entries below the log start are
///   ignored on load and removed by later compact() or collect_*garbage() calls, so a
///   crash in between leaves only garbage, never a gap. release() is compact()
///   without the deletes, for an owner that deletes at a time of its choosing.
/// - Initialising a new data dir builds the database in <data_dir>/wal.init, stamps
///   the identity and renames it to <data_dir>/wal: a dir either has a stamped WAL or
///   none at all. A leftover wal.init is an interrupted initialisation and is rebuilt.
///
/// Recovery (open) reads everything back and checks it: every record's checksum, the
/// identity, the snapshot file, and that the entries run contiguously from
/// log_start.index + 1 with non-decreasing terms, that the snapshot lies inside the
/// log and that commit does not pass the last index. Any damage fails the open with
/// kCorruption (or kIOError when a file cannot be read) and one message naming the
/// data dir, the record ("entry 1234", "hard state", "snapshot file ...") and the
/// problem. Nothing is repaired silently. LevelDB itself runs with paranoid_checks
/// and verified reads, so damage inside its own files is refused the same way.
/// A store without any LevelDB .log file is refused. Truncating LevelDB's newest .log
/// at a record boundary, or deleting it while an older one still exists (LevelDB keeps
/// two while a memtable flush is pending), cannot be told from a crash that happened
/// before those writes; the store then opens with an intact, contiguous prefix of its
/// history.
///
/// Versioning: record payloads (keys.h, codec.h) and the snapshot header carry a
/// version byte, and readers refuse versions they do not know, so an older binary
/// refuses a newer data dir instead of misreading it.
///
/// Order with a Ready (raft/ready.h): call save_snapshot() before save(), because
/// save() refuses a hard state whose commit passes the last stored index, and after a
/// snapshot that replaced the log the last index is the snapshot's.
///
/// Failure: a failed write or sync returns kIOError with context and marks the Wal
/// failed; every later write returns kIOError too. The member must fail-stop, because
/// after a failed fsync the kernel may have dropped the dirty pages and a retry could
/// report success for data that is gone (etcd does the same).
///
/// Threading: not thread-safe. Owned by the member and used from its loop thread, with
/// one exception: the write of a save, or the deletes of a GarbageRun, may run on
/// another thread (one at a time). save() is split into
/// prepare_save() (owner thread: checks, nothing changes), write_prepared() (any one
/// thread: touches only LevelDB, which is safe for a writer and concurrent readers)
/// and finish_save() (owner thread: updates the in-memory state). Between the first
/// and the last the owner may keep reading the Wal as raft::Storage, which then still
/// describes the state before the save, but must not write to it.

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "consensus/status.h"
#include "raft/message.h"
#include "raft/storage.h"
#include "wal/keys.h"

namespace leveldb {
class DB;
class Env;
}  // namespace leveldb

namespace consensus::wal {

/// The version byte of the snapshot file header.
inline constexpr std::uint8_t kSnapshotFileVersion = 1;
/// Size of the snapshot file header.
inline constexpr std::size_t kSnapshotHeaderBytes = 40;
/// LevelDB's max_open_files for the WAL's store: bounds the descriptors its open tables
/// hold (unmapped_env.h). LevelDB's own floor is 74.
inline constexpr int kLevelDbOpenFilesMax = 100;
/// Entries deleted per WriteBatch by compact(): bounds the memory and the time of one
/// LevelDB write (a few hundred microseconds), so the loop thread is never held long.
inline constexpr std::size_t kCompactBatchEntriesMax = 1024;
/// Released entries physically deleted by one compact() call; the rest is deleted by
/// the next calls, or by collect_garbage() and collect_garbage_apart(). Bounds the time
/// one call holds the loop thread to a few milliseconds, and still deletes 40,000
/// entries a second at one call per 100 ms tick.
inline constexpr std::size_t kCompactEntriesPerCallMax = 4 * kCompactBatchEntriesMax;

/// Tuning and test hooks. The defaults suit production.
struct Options {
    /// The Env for LevelDB and snapshot files; not owned, must outlive the Wal.
    /// nullptr means UnmappedReadsEnv::instance(). Tests pass a FaultInjectionEnv.
    leveldb::Env* env = nullptr;
    /// Upper bounds of the in-memory cache of the most recent entries, which serves
    /// replication to followers that are nearly caught up without reading LevelDB.
    std::size_t cache_entries_max = 4096;
    std::uint64_t cache_bytes_max = 8 * 1024 * 1024;
    /// LevelDB's memtable size (write_buffer_size): bytes buffered before a table file
    /// is written. Up to two memtables (one being flushed) live in memory, so this
    /// bounds a member's resident size. Raft entries are written once, in key order,
    /// so small table files cost little compaction; recent entries are served from
    /// the entry cache, not the memtable.
    std::size_t leveldb_write_buffer_bytes = 1024 * 1024;
};

/// One save() between prepare_save() and finish_save() (see "Threading" above). Owns
/// the entries to write; finish_save() moves them into the entry cache.
struct PreparedSave {
    std::optional<raft::HardState> hard_state;
    std::vector<raft::Entry> entries;
    bool sync = false;
    /// Stored entries (replaced_after, replaced_last] that the save deletes: the
    /// suffix past the new entries that they replace [Raft §5.3]. Empty when equal.
    Index replaced_after = 0;
    Index replaced_last = 0;

    bool is_empty() const { return !hard_state.has_value() && entries.empty(); }
};

/// One deletion of released entries, split like a save (see "Threading" above):
/// plan_garbage_run() on the owner thread, delete_garbage_run() on any one thread,
/// finish_garbage_run() on the owner thread. A member runs the deletions of a quiet
/// moment on its disk thread, so its loop keeps serving reads meanwhile.
struct GarbageRun {
    /// The lowest entry index that may still be stored, where the deletion looks first.
    Index lowest_stored = 0;
    /// The log start when planned: the highest released entry the run may delete.
    Index log_start = 0;
    std::size_t entries_max = 0;
    /// Flush LevelDB's memtable before and after the deletes (collect_garbage_apart).
    bool apart = false;
    /// Set by delete_garbage_run(): the lowest index that may still be stored after it.
    Index next_lowest_stored = 0;
};

/// The durable state of one member; see the file comment for the format. Created by
/// open() or open_existing(), owned by the member for its lifetime; destroying it
/// closes the database. Implements raft::Storage over the same state, so entries
/// returned by entries() are exactly those saved and not yet compacted.
class Wal final : public raft::Storage {
public:
    /// True if `data_dir` holds a WAL (initialised, possibly damaged). Use it to choose
    /// between a first start and a restart; a damaged WAL still exists, so the caller
    /// never initialises a fresh one over it.
    static bool exists(const std::string& data_dir);

    /// Opens the WAL in `data_dir`, initialising and stamping it with `identity` if the
    /// dir has none (the dir is created if needed). Errors: kFailedPrecondition if the
    /// dir belongs to another identity (the message names the dir and both identities);
    /// kCorruption / kIOError if recovery finds damage (see the file comment).
    static Result<std::unique_ptr<Wal>> open(const std::string& data_dir, const Identity& identity,
                                             const Options& options = Options());

    /// Opens an existing WAL whatever its identity (restart: the initial-cluster flags
    /// are ignored and identity() says who this member is). kNotFound if the dir holds
    /// no WAL; otherwise as open().
    static Result<std::unique_ptr<Wal>> open_existing(const std::string& data_dir,
                                                      const Options& options = Options());

    ~Wal() override;
    Wal(const Wal&) = delete;
    Wal& operator=(const Wal&) = delete;

    /// The directory given to open().
    const std::string& data_dir() const { return data_dir_; }
    /// Who this data dir belongs to (stamped when it was initialised).
    const Identity& identity() const { return identity_; }
    /// The last saved hard state (empty if none was ever saved).
    const raft::HardState& hard_state() const { return hard_state_; }
    /// Metadata of the latest durable snapshot (index 0 when there is none).
    const raft::SnapshotMetadata& snapshot_metadata() const { return snapshot_metadata_; }
    /// Index and term of the entry before first_index().
    const LogStart& log_start() const { return log_start_; }
    /// The lowest entry index still stored in LevelDB, garbage below the log start
    /// included (first_index() when there is none). For tests and the dump tool.
    Index lowest_stored_index() const { return lowest_stored_index_; }
    /// True while entries below the log start are still stored: compact() deletes at
    /// most kCompactEntriesPerCallMax of them per call; collect_garbage() and
    /// collect_garbage_apart() delete the next ones without moving the log start.
    bool has_garbage() const { return lowest_stored_index_ <= log_start_.index; }
    /// How many released entries may still be stored: an upper bound, since a
    /// replaced log leaves a gap below the log start that holds none.
    Index garbage_entries() const {
        return has_garbage() ? log_start_.index - lowest_stored_index_ + 1 : 0;
    }
    /// True once a write has failed; every later write is refused.
    bool is_failed() const { return !failure_.is_ok(); }
    /// Size of the entry cache; never above Options::cache_entries_max and
    /// Options::cache_bytes_max.
    std::size_t cached_entry_count() const { return cache_.size(); }
    std::uint64_t cached_bytes() const { return cache_bytes_; }

    /// Durably appends `entries` and records `hard_state` (if set) in one atomic
    /// LevelDB batch, synced when `sync` (the Ready's must_sync). `entries` must be
    /// contiguous, start in [first_index(), last_index() + 1] and keep terms
    /// non-decreasing from the entry before them; stored entries at or after their
    /// first index are replaced. Empty `entries` and no hard state is a no-op.
    /// Errors: kInvalidArgument for entries breaking those rules (nothing is written);
    /// kIOError if the write fails (the Wal is then failed, see the file comment).
    Status save(const std::optional<raft::HardState>& hard_state,
                const std::vector<raft::Entry>& entries, bool sync);

    /// save() in three steps for a write on another thread (see "Threading" above).
    /// prepare_save() checks the arguments as save() does and takes ownership of
    /// `entries`; it changes nothing. Errors: as save() before writing (kInvalidArgument,
    /// or kIOError when the Wal has failed).
    Result<PreparedSave> prepare_save(const std::optional<raft::HardState>& hard_state,
                                      std::vector<raft::Entry> entries, bool sync) const;
    /// Writes `prepared` as one LevelDB batch, synced when prepared.sync. Touches only
    /// LevelDB, so it may run on a thread other than the owner's while the owner reads.
    /// Returns kIOError with context on failure; it does not mark the Wal failed,
    /// finish_save() does.
    Status write_prepared(const PreparedSave& prepared) const;
    /// On the owner thread, after write_prepared() returned `written`: records the save
    /// in memory (entries become readable through raft::Storage), or on an error marks
    /// the Wal failed and returns it. Precondition: no other write to the Wal since
    /// prepare_save().
    Status finish_save(PreparedSave prepared, const Status& written);

    /// Durably installs `snapshot`, then deletes the previous snapshot file. Following
    /// [Raft §7], if the log holds the snapshot's last entry (same index and term) the
    /// entries after it are kept; otherwise the whole log is discarded and starts
    /// after the snapshot. Errors: kFailedPrecondition if the snapshot is not newer
    /// than the current one (etcd's ErrSnapOutOfDate); kIOError on a failed write.
    Status save_snapshot(const raft::Snapshot& snapshot);

    /// Releases entries <= `index`: first_index() becomes index + 1 and the entry at
    /// `index` becomes the log start. `index` must be covered by the snapshot
    /// (index <= snapshot_metadata().index), else kFailedPrecondition; an index at or
    /// below the current log start changes nothing. Deletes at most
    /// kCompactEntriesPerCallMax released entries per call, in batches of
    /// kCompactBatchEntriesMax; later calls continue. kIOError on a failed write.
    Status compact(Index index);
    /// compact() without the deletes: makes `index` the log start (durably) and leaves
    /// every released entry stored, as garbage for the calls below.
    Status release(Index index);
    /// Deletes at most `entries_max` released entries (the lowest), in batches of
    /// kCompactBatchEntriesMax. kIOError on a failed write.
    Status collect_garbage(std::size_t entries_max);
    /// Deletes at most `entries_max` released entries (the lowest) apart from any new
    /// entry, for a moment when nothing else is being written: LevelDB's memtable is
    /// flushed before the deletes and after them, so they reach tables of their own.
    /// A table holding both deletes of old entries and new entries spans the whole
    /// stored log, and LevelDB rewrites every table in between to merge it. The
    /// flushes wait for a background compaction in progress, so this is for idle
    /// moments only. kIOError on a failed write.
    Status collect_garbage_apart(std::size_t entries_max);
    /// collect_garbage() (apart = false) or collect_garbage_apart() (apart = true) in
    /// three steps, for a deletion on another thread (see GarbageRun and "Threading").
    /// plan_garbage_run() changes nothing. Precondition: has_garbage().
    GarbageRun plan_garbage_run(std::size_t entries_max, bool apart) const;
    /// Deletes what `run` planned and sets run->next_lowest_stored. Touches only
    /// LevelDB, so it may run on a thread other than the owner's while the owner reads.
    /// Returns an error with context; it does not mark the Wal failed,
    /// finish_garbage_run() does.
    Status delete_garbage_run(GarbageRun* run) const;
    /// On the owner thread, after delete_garbage_run() returned `deleted`: records the
    /// deletion, or on an I/O error marks the Wal failed; returns `deleted`.
    /// Precondition: no other write to the Wal since plan_garbage_run().
    Status finish_garbage_run(const GarbageRun& run, const Status& deleted);

    // raft::Storage. Reads of entries outside the cache go to LevelDB and verify each
    // record's checksum; damage found there is reported as kCorruption.
    Result<raft::InitialState> initial_state() const override;
    Result<std::vector<raft::Entry>> entries(Index low, Index high,
                                             std::uint64_t max_bytes) const override;
    Result<Term> term(Index i) const override;
    Index first_index() const override { return log_start_.index + 1; }
    Index last_index() const override { return last_index_; }
    /// Reads and verifies the snapshot file (kCorruption / kIOError on damage).
    Result<raft::Snapshot> snapshot() const override;

    /// Where the snapshot with `metadata` is stored under `data_dir`.
    static std::string snapshot_path(const std::string& data_dir,
                                     const raft::SnapshotMetadata& metadata);

private:
    /// The first index of a run of entries with the same term. The runs are the
    /// compact index -> term map: terms change only at elections, so a log of millions
    /// of entries needs a handful of runs. Invariant: first indexes strictly increase.
    struct TermRun {
        Index first = 0;
        Term term = 0;
    };

    Wal(std::string data_dir, const Options& options);

    Status initialise(const Identity& identity);
    Status load(const std::optional<Identity>& expected);
    Status check_save(const std::optional<raft::HardState>& hard_state,
                      const std::vector<raft::Entry>& entries) const;
    /// Renames the metadata keys of the first layout (keys.h), if any, in one batch.
    Status rename_legacy_keys();
    Status load_records();
    Status load_entries();
    Status check_loaded_state() const;
    void remove_stray_snapshot_files();
    Status write_snapshot_file(const raft::Snapshot& snapshot);
    Result<std::string> read_snapshot_file(const raft::SnapshotMetadata& metadata) const;
    Status read_entries_from_disk(Index low, Index high, std::uint64_t max_bytes,
                                  std::uint64_t* bytes, std::vector<raft::Entry>* out) const;
    /// Deletes released entries from the lowest stored one, at most `entries_max`
    /// (apart: see collect_garbage_apart), in the three steps of a GarbageRun.
    Status delete_garbage(std::size_t entries_max, bool apart);
    /// Makes LevelDB move its memtable into a table now (and wait for a background
    /// compaction in progress).
    void flush_memtable() const;

    void append_in_memory(std::vector<raft::Entry> entries);
    void release_in_memory(Index index);
    void cache_push(raft::Entry entry);
    Term term_in_runs(Index index) const;

    Status corruption(const std::string& what) const;
    Status io_error(const std::string& what) const;
    Status fail(Status status);

    std::string data_dir_;
    Options options_;
    leveldb::Env* env_;
    std::unique_ptr<leveldb::DB> db_;

    Identity identity_;
    raft::HardState hard_state_;
    raft::SnapshotMetadata snapshot_metadata_;
    /// Invariant: log_start_.index <= snapshot_metadata_.index <= last_index_.
    LogStart log_start_;
    /// Invariant: last_index_ >= log_start_.index; entries (log_start_, last_index_]
    /// are all stored.
    Index last_index_ = 0;
    Index lowest_stored_index_ = 1;
    /// Terms of entries (log_start_.index, last_index_].
    std::vector<TermRun> term_runs_;
    /// The most recent entries, contiguous and ending at last_index_, within the
    /// Options bounds.
    std::deque<raft::Entry> cache_;
    std::uint64_t cache_bytes_ = 0;
    /// Non-ok once a write failed.
    Status failure_;
};

}  // namespace consensus::wal
