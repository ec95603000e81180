#pragma once
/// Plain data of the Raft protocol: log entries, hard state, membership, snapshots and
/// the messages members exchange. These are the types wal/ persists and the peer
/// transport encodes; they carry no behaviour. Field names follow the paper
/// [Raft Figure 2] and etcd's raftpb.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "consensus/status.h"
#include "consensus/types.h"

namespace consensus::raft {

enum class EntryType : std::uint8_t {
    kNormal = 0,      ///< application command (or empty: the leader's no-op [Raft §8])
    kConfChange = 1,  ///< membership change; data is an encoded ConfChange
};

/// One log entry [Raft §5.3]. Invariant: index > 0 and term > 0 for real entries.
struct Entry {
    Term term = 0;
    Index index = 0;
    EntryType type = EntryType::kNormal;
    std::string data;

    bool operator==(const Entry&) const = default;
};

/// State that must be durable before a member answers any RPC [Raft Figure 2,
/// "Persistent state on all servers"]. commit is persisted too (as etcd does) so a
/// restart need not re-learn it, though it is safe to lose.
struct HardState {
    Term term = 0;
    NodeId vote = kNoNode;
    Index commit = 0;

    bool operator==(const HardState&) const = default;
    bool is_empty() const { return term == 0 && vote == kNoNode && commit == 0; }
};

/// Cluster membership as of some log position. During joint consensus [Raft §6]
/// voters_outgoing holds C_old and voters holds C_new; outside it, voters_outgoing is
/// empty. Learners receive the log but never vote or count toward a quorum
/// [thesis §4.2.1]. Invariant: the four lists are disjoint except that a member may be
/// in both voters and voters_outgoing; learners_next holds voters of C_old that become
/// learners when the joint configuration is left.
struct ConfState {
    std::vector<NodeId> voters;
    std::vector<NodeId> learners;
    std::vector<NodeId> voters_outgoing;
    std::vector<NodeId> learners_next;
    /// When true the leader proposes the leave-joint entry by itself once the joint
    /// entry commits.
    bool auto_leave = false;

    bool operator==(const ConfState&) const = default;
};

enum class ConfChangeType : std::uint8_t {
    kAddNode = 0,  ///< add a voter (or promote a learner)
    kRemoveNode = 1,
    kAddLearnerNode = 2,  ///< add a non-voting member (or demote a voter)
};

/// One membership step in a ConfChange.
struct ConfChangeSingle {
    ConfChangeType type = ConfChangeType::kAddNode;
    NodeId node_id = kNoNode;

    bool operator==(const ConfChangeSingle&) const = default;
};

/// How a ConfChange moves between configurations (etcd's ConfChangeTransition).
enum class ConfChangeTransition : std::uint8_t {
    /// A single voter change is applied directly (a "simple" change, safe because
    /// one added or removed voter keeps every old and new majority overlapping
    /// [thesis §4.1]); anything larger enters joint consensus and leaves it
    /// automatically.
    kAuto = 0,
    /// Always enter joint consensus; the leader leaves it automatically.
    kJointImplicit = 1,
    /// Always enter joint consensus; the application proposes the empty ConfChange
    /// that leaves it.
    kJointExplicit = 2,
};

/// A membership change proposal. An empty `changes` list means "leave the joint
/// configuration" [Raft §6: C_old,new then C_new]. `context` is opaque to raft (the
/// node stores the new member's URLs there).
struct ConfChange {
    std::vector<ConfChangeSingle> changes;
    std::string context;
    ConfChangeTransition transition = ConfChangeTransition::kAuto;

    bool operator==(const ConfChange&) const = default;
};

struct SnapshotMetadata {
    Index index = 0;  ///< last log index the snapshot covers
    Term term = 0;    ///< term of that entry
    ConfState conf_state;

    bool operator==(const SnapshotMetadata&) const = default;
};

/// The application's state at metadata.index, plus the membership at that point
/// [Raft §7]. data is opaque to raft.
struct Snapshot {
    SnapshotMetadata metadata;
    std::string data;

    bool operator==(const Snapshot&) const = default;
    bool is_empty() const { return metadata.index == 0; }
};

enum class MessageType : std::uint8_t {
    // Local inputs (never sent over the network).
    kHup = 0,        ///< start an election now
    kBeat = 1,       ///< leader: send heartbeats now
    kPropose = 2,    ///< append entries (forwarded to the leader by followers)
    kReadIndex = 3,  ///< ask for a linearizable read point [thesis §6.4]
    // RPCs between members.
    kAppend = 4,  ///< AppendEntries request [Raft §5.3]
    kAppendResponse = 5,
    kRequestVote = 6,  ///< RequestVote [Raft §5.2]
    kRequestVoteResponse = 7,
    kRequestPreVote = 8,  ///< PreVote [thesis §9.6]
    kRequestPreVoteResponse = 9,
    kSnapshot = 10,   ///< InstallSnapshot [Raft §7]
    kHeartbeat = 11,  ///< empty AppendEntries carrying commit (and read-index context)
    kHeartbeatResponse = 12,
    kTimeoutNow = 13,  ///< leadership transfer: campaign at once [thesis §3.10]
    kReadIndexResponse = 14,
    kTransferLeader = 15,  ///< local input, forwarded to the leader
    kUnreachable = 16,     ///< local input: the transport could not reach `from`
    kSnapshotStatus = 17,  ///< local input: a snapshot send finished (reject = failed)
    kCheckQuorum = 18,     ///< local input: leader checks it heard from a quorum
};

/// Name of a message type, for logs and transcripts ("MsgApp", "MsgVote", ...).
const char* message_type_name(MessageType type);

/// True for message types that cross the network (decoders reject the others).
bool is_network_message(MessageType type);

/// One Raft message. Which fields matter depends on `type` (as in etcd's raftpb):
/// - kAppend: log_term/index identify the entry preceding `entries`; commit.
/// - kAppendResponse: index = last matching index, or on reject the rejected index with
///   reject_hint = the largest index of the follower's log (at most its last index)
///   whose term is <= the leader's log_term, and log_term = the term at reject_hint
///   (fast backtracking [Raft §5.3, "the follower can include the term of the
///   conflicting entry"]; etcd: raft.go handleAppendEntries).
/// - kReadIndex / kReadIndexResponse: context = the read request's context; index =
///   the read point in the response.
/// - kRequestVote / kRequestPreVote: index/log_term = candidate's last entry;
///   context = "transfer" when campaigning for a leadership transfer.
/// - kSnapshot: snapshot.
/// - kHeartbeat / kHeartbeatResponse: commit; context carries a read-index request id.
struct Message {
    MessageType type = MessageType::kHup;
    NodeId to = kNoNode;
    NodeId from = kNoNode;
    Term term = 0;
    Term log_term = 0;
    Index index = 0;
    std::vector<Entry> entries;
    Index commit = 0;
    Snapshot snapshot;
    bool reject = false;
    Index reject_hint = 0;
    std::string context;

    bool operator==(const Message&) const = default;
};

/// Checks the shape of a message that arrived from a peer, so that malformed input is
/// refused instead of tripping an assertion in the core (STYLE §8: never assert on
/// bytes from the network). Errors (kInvalidArgument, naming the problem): a local-only
/// type; a vote message without a term; a proposal without entries; entries of an
/// append or proposal that are not contiguous after `index`, or whose terms decrease
/// or exceed the message term.
Status validate_network_message(const Message& message);

/// Sum of the data bytes of `entries` (the unit of every byte bound in the core).
std::uint64_t entries_data_bytes(const std::vector<Entry>& entries);

/// Drops entries from the back of `entries` until their data bytes are at most
/// `max_bytes`, but always keeps the first entry so that progress is possible
/// [etcd: raft/util.go limitSize].
void limit_entries_bytes(std::vector<Entry>* entries, std::uint64_t max_bytes);

/// Encodes a ConfChange as the data of a kConfChange entry. Format (all integers
/// big-endian): one version byte (1); one transition byte; a u32 count of changes; per
/// change one type byte and a u64 node id; a u32 context length and the context bytes. Decoders
/// reject any other version, a truncated body, an unknown type and trailing bytes.
std::string encode_conf_change(const ConfChange& change);

/// Decodes encode_conf_change's output. Errors: kCorruption naming what is wrong.
Result<ConfChange> decode_conf_change(std::string_view data);

}  // namespace consensus::raft
