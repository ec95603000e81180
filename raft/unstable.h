#pragma once
/// Unstable: the tail of the log (and possibly an incoming snapshot) that the core
/// holds but the driver has not yet made durable (after etcd raft's log_unstable.go).

#include <optional>
#include <vector>

#include "consensus/types.h"
#include "raft/message.h"

namespace consensus::raft {

/// Not-yet-persisted entries and snapshot. Owned by RaftLog. Entries move out of it
/// when the driver reports them durable (stable_to); a snapshot, when it reports the
/// snapshot installed (stable_snapshot_to).
class Unstable {
public:
    /// Starts empty; the next appended entry has index `offset`.
    explicit Unstable(Index offset) : offset_(offset) {}

    /// Index of the first entry, if only a snapshot is unstable (snapshot index + 1).
    std::optional<Index> maybe_first_index() const;
    /// Index of the last unstable entry, or of the unstable snapshot.
    std::optional<Index> maybe_last_index() const;
    /// Term of entry i if it is unstable or the unstable snapshot's last entry.
    std::optional<Term> maybe_term(Index i) const;

    /// Entries up to (index, term) are durable. Ignored if entry `index` has since been
    /// replaced by one of another term (a newer leader overwrote it).
    void stable_to(Index index, Term term);
    /// The unstable snapshot at `index` is installed.
    void stable_snapshot_to(Index index);
    /// Replaces everything with `snapshot`; the log restarts after it.
    void restore(const Snapshot& snapshot);
    /// Appends `entries`, discarding any unstable entry at or after entries[0].index.
    /// Precondition: entries[0].index <= last index + 1.
    void truncate_and_append(const std::vector<Entry>& entries);
    /// Unstable entries [low, high). Precondition: offset() <= low <= high <=
    /// offset() + entries().size().
    std::vector<Entry> slice(Index low, Index high) const;

    /// The unstable entries, in index order.
    const std::vector<Entry>& entries() const { return entries_; }
    /// The snapshot waiting to be installed, if any.
    const std::optional<Snapshot>& snapshot() const { return snapshot_; }
    /// Index of entries()[0] (or of the next entry to append).
    Index offset() const { return offset_; }

private:
    std::optional<Snapshot> snapshot_;
    /// Invariant: entries_[i].index == offset_ + i.
    std::vector<Entry> entries_;
    Index offset_;
};

}  // namespace consensus::raft
