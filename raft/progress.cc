#include "raft/progress.h"

#include <algorithm>

#include "consensus/assert.h"

namespace consensus::raft {

void Inflights::add(Index last_index) {
    CONSENSUS_ASSERT_MSG(!full(), "inflights overflow");
    CONSENSUS_ASSERT(inflight_.empty() || inflight_.back() < last_index);
    inflight_.push_back(last_index);
}

void Inflights::free_le(Index index) {
    while (!inflight_.empty() && inflight_.front() <= index) inflight_.pop_front();
}

void Inflights::free_first_one() {
    if (!inflight_.empty()) inflight_.pop_front();
}

const char* progress_state_name(ProgressState state) {
    switch (state) {
        case ProgressState::kProbe:
            return "StateProbe";
        case ProgressState::kReplicate:
            return "StateReplicate";
        case ProgressState::kSnapshot:
            return "StateSnapshot";
    }
    return "StateUnknown";
}

void Progress::become_probe() {
    // Leaving kSnapshot: the follower may have installed the snapshot, so probe just
    // after it rather than at a next_index that may be far behind.
    if (state == ProgressState::kSnapshot) {
        Index snapshot = pending_snapshot;
        state = ProgressState::kProbe;
        next_index = std::max(match_index + 1, snapshot + 1);
    } else {
        state = ProgressState::kProbe;
        next_index = match_index + 1;
    }
    pending_snapshot = 0;
    probe_sent = false;
    inflights.reset();
}

void Progress::become_replicate() {
    state = ProgressState::kReplicate;
    next_index = match_index + 1;
    pending_snapshot = 0;
    probe_sent = false;
    inflights.reset();
}

void Progress::become_snapshot(Index snapshot_index) {
    state = ProgressState::kSnapshot;
    pending_snapshot = snapshot_index;
    probe_sent = false;
    inflights.reset();
}

bool Progress::maybe_update(Index index) {
    bool updated = false;
    if (match_index < index) {
        match_index = index;
        updated = true;
        probe_sent = false;
    }
    next_index = std::max(next_index, index + 1);
    return updated;
}

bool Progress::maybe_decrease_to(Index rejected, Index hint) {
    if (state == ProgressState::kReplicate) {
        // A rejection at or below match is from an older append that was reordered
        // behind a successful one; the follower has since matched further.
        if (rejected <= match_index) return false;
        // Appends were pipelined optimistically; restart just after the match point.
        next_index = match_index + 1;
        return true;
    }
    // In probe only the append at next_index-1 is outstanding; anything else is stale.
    if (next_index - 1 != rejected) return false;
    next_index = std::max(std::min(rejected, hint + 1), match_index + 1);
    probe_sent = false;
    return true;
}

bool Progress::is_paused() const {
    switch (state) {
        case ProgressState::kProbe:
            return probe_sent;
        case ProgressState::kReplicate:
            return inflights.full();
        case ProgressState::kSnapshot:
            return true;
    }
    return true;
}

ConfState TrackerConfig::to_conf_state() const {
    ConfState state;
    state.voters.assign(voters.incoming.begin(), voters.incoming.end());
    state.voters_outgoing.assign(voters.outgoing.begin(), voters.outgoing.end());
    state.learners.assign(learners.begin(), learners.end());
    state.learners_next.assign(learners_next.begin(), learners_next.end());
    state.auto_leave = auto_leave;
    return state;
}

TrackerConfig TrackerConfig::from_conf_state(const ConfState& conf_state) {
    TrackerConfig config;
    config.voters.incoming.insert(conf_state.voters.begin(), conf_state.voters.end());
    config.voters.outgoing.insert(conf_state.voters_outgoing.begin(),
                                  conf_state.voters_outgoing.end());
    config.learners.insert(conf_state.learners.begin(), conf_state.learners.end());
    config.learners_next.insert(conf_state.learners_next.begin(), conf_state.learners_next.end());
    config.auto_leave = conf_state.auto_leave;
    return config;
}

void ProgressTracker::set_config(const TrackerConfig& config, Index next) {
    config_ = config;
    std::set<NodeId> members = config_.voters.ids();
    members.insert(config_.learners.begin(), config_.learners.end());
    members.insert(config_.learners_next.begin(), config_.learners_next.end());
    for (auto it = progress_.begin(); it != progress_.end();) {
        it = members.count(it->first) ? std::next(it) : progress_.erase(it);
    }
    for (NodeId id : members) {
        bool learner = config_.learners.count(id) != 0;
        auto it = progress_.find(id);
        if (it == progress_.end()) {
            it = progress_.emplace(id, Progress(next, max_inflight_, learner)).first;
            // A new member counts as active so that CheckQuorum does not depose the
            // leader before the newcomer has had a chance to answer.
            it->second.recent_active = true;
        }
        // learners_next members are still voters of C_old until the joint config is
        // left, so they are not learners yet.
        it->second.is_learner = learner;
    }
}

Progress* ProgressTracker::find(NodeId id) {
    auto it = progress_.find(id);
    return it == progress_.end() ? nullptr : &it->second;
}

bool ProgressTracker::is_singleton(NodeId id) const {
    return !config_.voters.is_joint() && config_.voters.incoming.size() == 1 &&
           config_.voters.incoming.count(id) == 1;
}

Index ProgressTracker::committed() const {
    std::map<NodeId, Index> acked;
    for (const auto& [id, progress] : progress_) acked[id] = progress.match_index;
    return joint_committed_index(config_.voters, acked);
}

bool ProgressTracker::quorum_active() const {
    std::map<NodeId, bool> votes;
    for (const auto& [id, progress] : progress_) {
        if (!progress.is_learner) votes[id] = progress.recent_active;
    }
    return joint_vote_result(config_.voters, votes) == VoteResult::kWon;
}

void ProgressTracker::record_vote(NodeId id, bool granted) {
    votes_.emplace(id, granted);
}

VoteResult ProgressTracker::tally_votes(int* granted, int* rejected) const {
    *granted = 0;
    *rejected = 0;
    for (const auto& [id, progress] : progress_) {
        if (progress.is_learner) continue;
        auto it = votes_.find(id);
        if (it == votes_.end()) continue;
        if (it->second) {
            ++*granted;
        } else {
            ++*rejected;
        }
    }
    return joint_vote_result(config_.voters, votes_);
}

}  // namespace consensus::raft
