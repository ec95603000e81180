#pragma once
/// RaftLog: the core's whole view of the log, durable entries (Storage) plus the
/// unstable tail, with the commit and applied indexes (after etcd raft's log.go).
///
/// Index ranges: entries [first_index(), last_index()] are available; entry
/// first_index()-1 is the snapshot's last entry, whose term is still known.
/// Invariant: applied <= committed <= last_index().

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "consensus/status.h"
#include "raft/message.h"
#include "raft/storage.h"
#include "raft/unstable.h"

namespace consensus::raft {

/// The log of one core. Owned by Raft; reads `storage` (not owned) and keeps the
/// unstable tail itself.
class RaftLog {
public:
    /// Starts from what `storage` holds: committed and applied at the snapshot index.
    /// max_applying_bytes bounds next_committed_entries().
    RaftLog(const Storage* storage, std::uint64_t max_applying_bytes);

    /// The AppendEntries receiver rules [Raft §5.3]: if entry `index` has term
    /// `log_term`, appends `entries` (skipping those already present, truncating at the
    /// first conflict), advances commit to min(committed, last new index) and returns
    /// the last new index. nullopt when the consistency check fails.
    std::optional<Index> maybe_append(Index index, Term log_term, Index committed,
                                      const std::vector<Entry>& entries);
    /// Appends `entries` to the unstable tail (discarding any conflicting suffix) and
    /// returns the new last index. Precondition: entries[0].index > committed.
    Index append(const std::vector<Entry>& entries);
    /// Index of the first entry of `entries` whose term differs from ours (or which we
    /// lack), or 0 when all are present.
    Index find_conflict(const std::vector<Entry>& entries) const;
    /// Fast backtracking [Raft §5.3]: the largest index <= `index` whose term is <=
    /// `term`, with that term (or 0 for an unknown term below the snapshot).
    std::pair<Index, Term> find_conflict_by_term(Index index, Term term) const;

    /// Entries not yet persisted.
    const std::vector<Entry>& unstable_entries() const { return unstable_.entries(); }
    /// A snapshot received but not yet installed by the driver.
    const std::optional<Snapshot>& unstable_snapshot() const { return unstable_.snapshot(); }
    /// Committed entries after applied, at most max_applying_bytes of data (at least
    /// one entry if any). Empty while a snapshot waits to be installed.
    std::vector<Entry> next_committed_entries() const;
    /// Whether next_committed_entries() would return anything.
    bool has_next_committed_entries() const;

    /// The latest snapshot: the unstable one if any, else storage's.
    Result<Snapshot> snapshot() const;
    /// First available entry (one after the latest snapshot).
    Index first_index() const;
    /// Last entry, unstable or durable (the snapshot index when the log is empty).
    Index last_index() const;
    /// The last index whose entry is durable and still part of this log (0 while a
    /// snapshot waits to be installed): what the leader may count for itself.
    Index stable_last_index() const;
    /// Term of last_index().
    Term last_term() const;
    /// Term of entry i. Returns 0 outside [first_index()-1, last_index()]; storage
    /// errors (e.g. kOutOfRange "compacted") pass through.
    Result<Term> term(Index i) const;
    /// Term of entry i, or 0 if it is unknown for any reason.
    Term term_or_zero(Index i) const;
    /// Whether entry i exists with `term` (the AppendEntries consistency check).
    bool match_term(Index i, Term term) const;
    /// Election restriction [Raft §5.4.1]: whether a log ending at (last_index,
    /// last_term) is at least as up-to-date as ours.
    bool is_up_to_date(Index last_index, Term last_term) const;

    /// Entries [i, last_index()] up to max_bytes (at least one).
    Result<std::vector<Entry>> entries(Index i, std::uint64_t max_bytes) const;
    /// Entries [low, high) up to max_bytes (at least one if low < high).
    /// Errors: kOutOfRange "compacted" when low < first_index(); the range beyond
    /// last_index() is a programmer error.
    Result<std::vector<Entry>> slice(Index low, Index high, std::uint64_t max_bytes) const;
    /// Every entry from first_index() on (tests and invariant checks).
    std::vector<Entry> all_entries() const;

    /// Leader commit rule [Raft §5.4.2]: commits up to max_index only if that entry is
    /// from `term` (the leader's current term). Returns whether commit advanced.
    bool maybe_commit(Index max_index, Term term);
    /// Raises commit. Precondition: to_commit <= last_index() (else the log is corrupt).
    void commit_to(Index to_commit);
    /// Records that the driver applied up to `index`. Precondition: applied <= index
    /// <= committed.
    void applied_to(Index index);
    /// The driver persisted entries up to (index, term); see Unstable::stable_to.
    void stable_to(Index index, Term term) { unstable_.stable_to(index, term); }
    /// The driver installed the snapshot at `index`.
    void stable_snapshot_to(Index index) { unstable_.stable_snapshot_to(index); }
    /// Replaces the log with `snapshot` [Raft §7]; commit moves to its index.
    void restore(const Snapshot& snapshot);

    /// Highest index known committed [Raft §5.3].
    Index committed() const { return committed_; }
    /// Highest index the driver reported applied.
    Index applied() const { return applied_; }
    /// The bound of next_committed_entries() (Config::max_committed_bytes_per_ready).
    std::uint64_t max_applying_bytes() const { return max_applying_bytes_; }

private:
    const Storage* storage_;
    Unstable unstable_;
    Index committed_ = 0;
    Index applied_ = 0;
    std::uint64_t max_applying_bytes_;
};

}  // namespace consensus::raft
