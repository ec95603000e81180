#pragma once
/// Ready: one batch of work the core hands its driver, and the rules for doing it
/// (after etcd raft's node.go Ready and README "usage").
///
/// The driver handles a Ready in this order, then calls RawNode::advance():
///   1. If snapshot is non-empty, install it in storage. Snapshots always travel whole
///      through the core (here and in MsgSnap); chunking a large one for the network
///      and reassembling it before RawNode::step() is the transport's job.
///   2. Append `entries` to storage (replacing any conflicting suffix: an entry at
///      index i discards every stored entry >= i) and persist `hard_state` if set,
///      all in ONE durable (synced) write when must_sync is true. `hard_state` is set
///      only when the term or vote changed: those are persistent state, while the
///      commit index is volatile [Raft Figure 2] and is learned again from the leader
///      after a restart. A driver may still record a commit index when convenient,
///      but only one it has applied: the core's own commit index (RawNode::status())
///      may cover entries not yet handed out for persisting, which replace different
///      entries at the same indices in storage, so recording it could make a restart
///      apply the replaced ones. Applied entries are durable (step 2 precedes step 4)
///      and committed.
///   3. Send `messages`. Messages in `messages` may only be sent after step 2 is
///      durable: they include votes and append acknowledgements, which promise that
///      the state they describe survives a crash [Raft Figure 2; thesis §3.8].
///      `messages_before_persist` may be sent before or during step 2: the leader's
///      own AppendEntries, which the thesis allows in parallel with the leader's local
///      write [thesis §10.2.1] (the leader does not count itself in a quorum for an
///      entry until advance() reports it durable), and heartbeats, their responses
///      and ReadIndex messages, which promise nothing about local state (raft.cc
///      may_precede_persist).
///   4. Apply `committed_entries` to the state machine in order.
///   5. Answer `read_states` once the state machine has applied up to their index.

#include <optional>
#include <string>
#include <vector>

#include "raft/message.h"

namespace consensus::raft {

/// A member's role [Raft §5.1; thesis §9.6 for PreCandidate].
enum class Role : std::uint8_t { kFollower, kPreCandidate, kCandidate, kLeader };

/// etcd's name of a role ("StateLeader", ...), for logs and transcripts.
const char* role_name(Role role);

/// Volatile state worth reporting (not persisted).
struct SoftState {
    NodeId leader_id = kNoNode;
    Role role = Role::kFollower;

    bool operator==(const SoftState&) const = default;
};

/// A linearizable read point [thesis §6.4]: once the state machine has applied
/// `index`, a read for `request_context` may be served.
struct ReadState {
    Index index = 0;
    std::string request_context;

    bool operator==(const ReadState&) const = default;
};

/// One batch of work for the driver (see the order of work above). Returned by value
/// from RawNode::ready(); acknowledged with RawNode::advance().
struct Ready {
    std::optional<SoftState> soft_state;  ///< set when it changed
    /// Set when the term or vote changed (with the commit index of that moment);
    /// persist it. A change of the commit index alone does not set it (step 2).
    std::optional<HardState> hard_state;
    std::vector<ReadState> read_states;
    std::vector<Entry> entries;                    ///< to persist, in index order
    Snapshot snapshot;                             ///< to install if non-empty
    std::vector<Entry> committed_entries;          ///< to apply, in index order
    std::vector<Message> messages_before_persist;  ///< see step 3
    std::vector<Message> messages;                 ///< send only after persisting
    /// Whether step 2 needs fsync: true when there are entries or a snapshot, or the
    /// term or vote changed (hard_state is set).
    bool must_sync = false;

    bool empty() const {
        return !soft_state && !hard_state && read_states.empty() && entries.empty() &&
               snapshot.is_empty() && committed_entries.empty() &&
               messages_before_persist.empty() && messages.empty();
    }
};

}  // namespace consensus::raft
