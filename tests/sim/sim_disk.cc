#include "tests/sim/sim_disk.h"

#include <cstdint>
#include <utility>

#include "consensus/assert.h"

namespace consensus::sim {

void SimDisk::bootstrap(const raft::ConfState& voters) {
    CONSENSUS_ASSERT(storage_.last_index() == 0);
    // A snapshot rather than bootstrap entries: a member added later then can only
    // catch up through InstallSnapshot, which is the path worth exercising, and never
    // replays a log that lacks the initial configuration.
    raft::Snapshot initial;
    initial.metadata.index = 1;
    initial.metadata.term = 1;
    initial.metadata.conf_state = voters;
    Status status = storage_.apply_snapshot(initial);
    CONSENSUS_ASSERT(status.is_ok());
    storage_.set_hard_state(raft::HardState{1, kNoNode, 1});
}

Status SimDisk::persist(const raft::Ready& ready) {
    if (!ready.snapshot.is_empty()) {
        Status status = storage_.apply_snapshot(ready.snapshot);
        if (!status.is_ok()) return status;
    }
    if (!ready.entries.empty()) {
        Status status = storage_.append(ready.entries);
        if (!status.is_ok()) return status;
    }
    if (ready.hard_state) storage_.set_hard_state(*ready.hard_state);
    return Status::ok();
}

Status SimDisk::snapshot_and_compact(Index applied, const raft::ConfState& conf_state,
                                     std::string data, Index keep_entries) {
    Index previous = snapshot_index();
    Result<raft::Snapshot> snapshot =
        storage_.create_snapshot(applied, conf_state, std::move(data));
    if (!snapshot.is_ok()) return snapshot.status();
    if (applied <= previous + keep_entries) return Status::ok();
    return storage_.compact(applied - keep_entries);
}

void SimDisk::forget_vote() {
    raft::HardState forgetful = storage_.hard_state();
    forgetful.vote = kNoNode;
    storage_.set_hard_state(forgetful);
}

Result<LogView> SimDisk::log_view() const {
    LogView view;
    view.snapshot_index = snapshot_index();
    Result<Term> snapshot_term = storage_.term(view.snapshot_index);
    if (!snapshot_term.is_ok()) return snapshot_term.status();
    view.snapshot_term = snapshot_term.value();
    if (storage_.last_index() > view.snapshot_index) {
        Result<std::vector<raft::Entry>> entries =
            storage_.entries(storage_.first_index(), storage_.last_index() + 1, UINT64_MAX);
        if (!entries.is_ok()) return entries.status();
        view.entries = std::move(entries.value());
    }
    return view;
}

}  // namespace consensus::sim
