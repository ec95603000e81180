#pragma once
/// MemoryStorage: Storage kept in memory, for tests, the simulator and a member that
/// has no WAL yet (after etcd raft's storage.go MemoryStorage).
///
/// Layout: entries_[0] is a dummy entry whose index and term are those of the latest
/// snapshot (0 and 0 before any snapshot), so term(first_index()-1) always answers.
/// Real entries follow it contiguously.

#include <cstdint>
#include <vector>

#include "consensus/status.h"
#include "raft/message.h"
#include "raft/storage.h"

namespace consensus::raft {

/// In-memory Storage. Owned by the driver (test, simulator or member), read by the
/// core through the Storage interface and written by the driver while handling a
/// Ready. Single-threaded; no durability.
class MemoryStorage final : public Storage {
public:
    /// An empty log with an empty hard state and configuration.
    MemoryStorage();
    MemoryStorage(const MemoryStorage&) = delete;
    MemoryStorage& operator=(const MemoryStorage&) = delete;

    Result<InitialState> initial_state() const override;
    Result<std::vector<Entry>> entries(Index low, Index high,
                                       std::uint64_t max_bytes) const override;
    Result<Term> term(Index i) const override;
    Index first_index() const override;
    Index last_index() const override;
    Result<Snapshot> snapshot() const override;

    /// The stored hard state.
    const HardState& hard_state() const { return hard_state_; }
    /// Replaces the stored hard state (Ready step 2).
    void set_hard_state(const HardState& hard_state);
    /// Sets the configuration reported by initial_state() without a snapshot; used to
    /// bootstrap a new cluster. Every member, including one that joins later, must
    /// start from the same bootstrap configuration (or from a snapshot): a joining
    /// member rebuilds the current membership by replaying the log's conf changes
    /// from there.
    void set_conf_state(const ConfState& conf_state);
    /// Replaces the whole state with `snapshot` (Ready step 1): the log becomes empty
    /// after snapshot.metadata.index. Errors: kFailedPrecondition "snapshot out of
    /// date" when the stored snapshot is at the same or a later index.
    Status apply_snapshot(const Snapshot& snapshot);
    /// Records a snapshot of the state machine at `index` (which must be applied, so
    /// index <= last_index()) with the membership `conf_state` at that index.
    /// Errors: kFailedPrecondition "snapshot out of date" when index is not above the
    /// stored snapshot; kOutOfRange when index > last_index().
    Result<Snapshot> create_snapshot(Index index, const ConfState& conf_state, std::string data);
    /// Discards entries before `compact_index`; entry compact_index becomes the dummy
    /// entry. Precondition for safety: compact_index is covered by a snapshot the
    /// application keeps. Errors: kOutOfRange "compacted" when compact_index <= the
    /// current dummy index; kOutOfRange when compact_index > last_index().
    Status compact(Index compact_index);
    /// Appends `entries` (contiguous, in index order) after discarding every stored
    /// entry at or after entries[0].index (the conflicting suffix [Raft §5.3]).
    /// Entries already compacted are skipped. Errors: kOutOfRange "missing log entry"
    /// when entries[0].index > last_index()+1 (a gap).
    Status append(std::vector<Entry> entries);

private:
    Index offset() const { return entries_[0].index; }

    HardState hard_state_;
    Snapshot snapshot_;
    /// Invariant: non-empty; entries_[i].index == entries_[0].index + i.
    std::vector<Entry> entries_;
};

}  // namespace consensus::raft
