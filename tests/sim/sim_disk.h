#pragma once
/// SimDisk: one simulated member's durable state. It is what survives a crash: the
/// log, the hard state and the latest state-machine snapshot, kept in a MemoryStorage
/// that the member's core reads through the Storage interface. A Ready's snapshot,
/// entries and hard state reach it only through persist(), which models the one synced
/// write of Ready step 2 (ready.h); whatever a member had not persisted when it crashed
/// was never here, and is lost.

#include <string>

#include "consensus/status.h"
#include "raft/memory_storage.h"
#include "raft/message.h"
#include "raft/ready.h"
#include "tests/sim/sim_checker.h"

namespace consensus::sim {

/// Owned by the cluster's member record; outlives every core built over it (a restart
/// builds a new core over the same SimDisk). Single-threaded.
class SimDisk {
public:
    SimDisk() = default;
    SimDisk(const SimDisk&) = delete;
    SimDisk& operator=(const SimDisk&) = delete;

    /// Gives a new cluster's member its first durable state: a snapshot at index 1,
    /// term 1 whose configuration is `voters`, and a hard state at term 1 with commit 1.
    /// Every member added later starts empty and catches up from a leader's snapshot.
    /// Precondition: the disk is empty.
    void bootstrap(const raft::ConfState& voters);
    /// Makes `ready`'s snapshot, entries and hard state durable, in that order, as one
    /// write. Errors: the storage's, when the core asked for something the storage
    /// contract forbids (a stale snapshot, a gap before the entries).
    Status persist(const raft::Ready& ready);
    /// Records the state machine `data` at `applied` with membership `conf_state`, then
    /// discards entries up to `applied - keep_entries` (entries the snapshot covers,
    /// minus a tail kept for followers that are only a little behind). Preconditions:
    /// `applied` is above the current snapshot and at most the last index.
    Status snapshot_and_compact(Index applied, const raft::ConfState& conf_state, std::string data,
                                Index keep_entries);
    /// Forgets the durable vote; only for the --mutate-drop-vote demonstration.
    void forget_vote();

    /// The log as the checker compares it. Errors: the storage's read errors.
    Result<LogView> log_view() const;
    /// Index of the latest snapshot (the entry before first_index()).
    Index snapshot_index() const { return storage_.first_index() - 1; }
    const raft::MemoryStorage& storage() const { return storage_; }
    /// For RawNode's Config::storage, which takes a pointer to const.
    const raft::Storage* storage_for_core() const { return &storage_; }

private:
    raft::MemoryStorage storage_;
};

}  // namespace consensus::sim
