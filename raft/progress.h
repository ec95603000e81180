#pragma once
/// The leader's view of each member (after etcd raft's tracker/ package): how far its
/// log matches (match_index), what to send next (next_index), the replication state
/// machine (probe, replicate, snapshot) and the bounded window of in-flight appends.

#include <cstdint>
#include <deque>
#include <map>
#include <set>

#include "consensus/types.h"
#include "raft/message.h"
#include "raft/quorum.h"

namespace consensus::raft {

/// A bounded window of in-flight AppendEntries to one follower, each recorded by the
/// last index it carries. Owned by Progress.
class Inflights {
public:
    /// At most `capacity` appends in flight (Config::max_inflight_messages).
    explicit Inflights(int capacity) : capacity_(static_cast<std::size_t>(capacity)) {}

    /// Records an append whose last entry is `last_index`. Precondition: !full() and
    /// last_index above every recorded one.
    void add(Index last_index);
    /// Frees every append whose last index is <= `index` (acknowledged).
    void free_le(Index index);
    /// Frees the oldest append (used when a heartbeat response shows the follower is
    /// reachable although every slot is taken).
    void free_first_one();
    /// Forgets every append (on a state change of the follower).
    void reset() { inflight_.clear(); }
    /// Whether the bound is reached: no further append may be sent.
    bool full() const { return inflight_.size() >= capacity_; }
    /// Appends in flight now.
    std::size_t count() const { return inflight_.size(); }
    /// The bound (Config::max_inflight_messages).
    std::size_t capacity() const { return capacity_; }

private:
    std::size_t capacity_;
    /// Invariant: strictly increasing; size() <= capacity_.
    std::deque<Index> inflight_;
};

/// The replication state of one follower [thesis §10.2.1 on pipelining; etcd:
/// tracker/state.go].
enum class ProgressState : std::uint8_t {
    kProbe,      ///< send one append per heartbeat until the match point is found
    kReplicate,  ///< pipeline appends optimistically, bounded by Inflights
    kSnapshot,   ///< a snapshot is on its way; send nothing else
};

/// Name of a state, for logs ("StateProbe", ...).
const char* progress_state_name(ProgressState state);

/// The leader's bookkeeping for one member. Owned by ProgressTracker.
struct Progress {
    /// Invariant: match_index < next_index.
    Index match_index = 0;
    Index next_index = 1;
    ProgressState state = ProgressState::kProbe;
    /// In kSnapshot: the index of the snapshot being sent.
    Index pending_snapshot = 0;
    /// Heard from since the last CheckQuorum round [thesis §6.2].
    bool recent_active = false;
    /// In kProbe: an append was sent and no heartbeat response came since.
    bool probe_sent = false;
    bool is_learner = false;
    Inflights inflights;

    /// A member probed from `next`, with `max_inflight` appends in flight at most.
    Progress(Index next, int max_inflight, bool learner)
        : next_index(next), is_learner(learner), inflights(max_inflight) {}

    /// Enters kProbe: next_index restarts after match (or after a snapshot just sent).
    void become_probe();
    /// Enters kReplicate: pipelining from match_index + 1.
    void become_replicate();
    /// Enters kSnapshot while the snapshot at `snapshot_index` is being sent.
    void become_snapshot(Index snapshot_index);
    /// An acknowledgement of `index` arrived. Returns false if it is stale (not above
    /// match_index).
    bool maybe_update(Index index);
    /// An append ending at `last_index` was sent in kReplicate: next moves past it.
    void optimistic_update(Index last_index) { next_index = last_index + 1; }
    /// An append at `rejected` was refused; the follower's last index is `hint`.
    /// Moves next_index back, returning false if the refusal is stale.
    bool maybe_decrease_to(Index rejected, Index hint);
    /// Whether the leader must hold further appends to this member.
    bool is_paused() const;
};

/// Membership as the leader tracks it: voters (possibly joint), learners and the
/// learners-to-be of a joint transition [Raft §6]. Mirrors ConfState.
struct TrackerConfig {
    JointConfig voters;
    std::set<NodeId> learners;
    std::set<NodeId> learners_next;
    bool auto_leave = false;

    bool operator==(const TrackerConfig&) const = default;
    /// The same membership as a ConfState (sorted lists).
    ConfState to_conf_state() const;
    /// The membership a ConfState describes.
    static TrackerConfig from_conf_state(const ConfState& conf_state);
};

/// The leader's tracker: membership, one Progress per member and the votes of the
/// current election. Owned by Raft; rebuilt on every membership change.
class ProgressTracker {
public:
    /// An empty tracker whose Progress entries allow `max_inflight` appends in flight.
    explicit ProgressTracker(int max_inflight) : max_inflight_(max_inflight) {}

    /// The current membership.
    const TrackerConfig& config() const { return config_; }
    /// Replaces the membership; members that left lose their Progress, new ones get
    /// one with next_index = next.
    void set_config(const TrackerConfig& config, Index next);

    /// Progress of every member (voters, learners, learners_next), by id.
    std::map<NodeId, Progress>& progress() { return progress_; }
    const std::map<NodeId, Progress>& progress() const { return progress_; }
    /// Progress of `id`, or nullptr for a non-member.
    Progress* find(NodeId id);
    /// Whether `id` votes in either half of the configuration.
    bool is_voter(NodeId id) const { return config_.voters.ids().count(id) != 0; }
    /// The only voter of a single-voter, non-joint configuration is `id`.
    bool is_singleton(NodeId id) const;

    /// Largest index a quorum of voters has acknowledged [Raft §5.3].
    Index committed() const;
    /// Whether the voters who were recently active form a quorum [thesis §6.2].
    bool quorum_active() const;

    /// Forgets the votes of the previous election.
    void reset_votes() { votes_.clear(); }
    /// Records the vote of `id` (only its first vote of the election counts).
    void record_vote(NodeId id, bool granted);
    /// Counts granted and rejected votes, and the election outcome.
    VoteResult tally_votes(int* granted, int* rejected) const;

private:
    int max_inflight_;
    TrackerConfig config_;
    std::map<NodeId, Progress> progress_;
    std::map<NodeId, bool> votes_;
};

}  // namespace consensus::raft
