#pragma once
/// Raft: the protocol state machine of one member (after etcd raft's raft.go). It
/// holds the roles (Follower, PreCandidate, Candidate, Leader), the term and vote, the
/// log, the leader's per-member progress and the ReadIndex queue, and reacts to ticks
/// and messages by changing state and queueing outgoing messages. It performs no I/O;
/// RawNode wraps it for drivers, and tests may drive it directly.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "consensus/status.h"
#include "raft/config.h"
#include "raft/log.h"
#include "raft/message.h"
#include "raft/progress.h"
#include "raft/read_only.h"
#include "raft/ready.h"

namespace consensus::raft {

/// Why a campaign starts; selects PreVote or RequestVote and the transfer context.
enum class CampaignType : std::uint8_t {
    kPreElection,  ///< PreVote round first [thesis §9.6]
    kElection,     ///< RequestVote round
    kTransfer,     ///< RequestVote round that overrides leader stickiness [thesis §3.10]
};

/// The vote context that marks a campaign for a leadership transfer.
inline constexpr const char* kCampaignTransferContext = "transfer";

/// What the driver finished when it advanced a Ready: the core learns from this which
/// entries are durable and which are applied.
struct AdvanceInfo {
    /// Last entry persisted in this Ready (index 0 when none).
    Index last_entry_index = 0;
    Term last_entry_term = 0;
    /// Index of the installed snapshot (0 when none).
    Index snapshot_index = 0;
    /// Last committed entry handed out for applying (0 when none).
    Index last_applied_index = 0;
    /// Data bytes of the committed entries handed out (releases the uncommitted budget).
    std::uint64_t committed_bytes = 0;
};

/// One member's Raft state machine. Owned by RawNode (or a test). Not copyable.
class Raft {
public:
    /// Builds a follower from `config` and the storage's initial state. Errors: the
    /// config is invalid; storage failed; the stored commit index lies outside the
    /// stored log (kCorruption); config.applied is beyond commit (kInvalidArgument).
    static Result<std::unique_ptr<Raft>> create(const Config& config);
    Raft(const Raft&) = delete;
    Raft& operator=(const Raft&) = delete;

    /// Feeds one message (local input or from a peer). Errors: kUnavailable when a
    /// proposal or read is dropped; kFailedPrecondition when a membership change is
    /// refused; kInvalidArgument when it would be an invalid membership.
    Status step(const Message& message);
    /// One logical clock tick.
    void tick();
    /// Applies a committed membership change [Raft §6]; returns the new membership.
    /// An invalid change (which validation at proposal time prevents) is logged and
    /// leaves the membership unchanged.
    ConfState apply_conf_change(const ConfChange& change);
    /// Records what the driver finished for the last Ready (see AdvanceInfo). The
    /// leader counts its own log as replicated only here [thesis §10.2.1].
    void advance(const AdvanceInfo& info);
    /// Records that the driver applied committed entries up to `index` (of
    /// `committed_bytes` data) outside a Ready (RawNode::take_durable_committed_entries).
    /// Precondition: applied() <= index <= committed.
    void record_applied(Index index, std::uint64_t committed_bytes);

    /// This member's id.
    NodeId id() const { return id_; }
    /// Current term [Raft §5.1].
    Term term() const { return term_; }
    /// Whom this member voted for in the current term (kNoNode if nobody).
    NodeId vote() const { return vote_; }
    /// The leader this member follows (kNoNode if unknown).
    NodeId leader_id() const { return lead_; }
    /// Current role.
    Role role() const { return role_; }
    /// Whether this member is a learner in the current configuration.
    bool is_learner() const { return is_learner_; }
    /// Target of a leadership transfer in progress (kNoNode if none).
    NodeId lead_transferee() const { return lead_transferee_; }
    /// Volatile state worth reporting.
    SoftState soft_state() const { return SoftState{lead_, role_}; }
    /// State that must be durable before messages are sent.
    HardState hard_state() const { return HardState{term_, vote_, log_.committed()}; }
    /// The log (durable and unstable parts).
    const RaftLog& log() const { return log_; }
    /// Membership and, at a leader, the followers' progress.
    ProgressTracker& tracker() { return tracker_; }
    const ProgressTracker& tracker() const { return tracker_; }
    /// Index of the newest membership change entry the leader appended (the next one
    /// is refused until it is applied).
    Index pending_conf_index() const { return pending_conf_index_; }
    /// Data bytes of entries this leader appended that have not been applied yet
    /// (bounded by Config::max_uncommitted_entries_bytes).
    std::uint64_t uncommitted_bytes() const { return uncommitted_bytes_; }
    /// Ticks since the election timer was last reset.
    int election_elapsed() const { return election_elapsed_; }
    /// The current randomized election timeout, in ticks [Raft §5.2].
    int randomized_election_timeout() const { return randomized_election_timeout_; }
    /// ReadIndex requests the leader holds (bounded by max_pending_read_requests).
    std::size_t pending_read_requests() const;

    /// Outgoing messages to send only after persisting (votes, acknowledgements, ...).
    std::vector<Message> take_messages();
    /// The messages that may be sent before persisting (may_precede_persist): the
    /// leader's AppendEntries, heartbeats and ReadIndex traffic.
    std::vector<Message> take_messages_before_persist();
    /// Queued messages, without taking them.
    const std::vector<Message>& messages() const { return messages_; }
    const std::vector<Message>& messages_before_persist() const { return messages_before_persist_; }
    /// Read points ready for the driver (taken: the queue empties).
    std::vector<ReadState> take_read_states();
    /// Read points ready for the driver, without taking them.
    const std::vector<ReadState>& read_states() const { return read_states_; }

private:
    explicit Raft(const Config& config);
    /// Whether a message of this type may leave before the state of the Ready it comes
    /// with is durable (ready.h step 3).
    static bool may_precede_persist(MessageType type);

    // Role transitions [Raft §5.2; thesis §9.6].
    void become_follower(Term term, NodeId lead);
    void become_pre_candidate();
    void become_candidate();
    void become_leader();
    void reset(Term term);
    void hup(CampaignType type);
    void campaign(CampaignType type);
    VoteResult poll(NodeId id, MessageType type, bool granted);
    bool promotable() const;
    bool has_unapplied_conf_changes() const;

    // Per-role message handling.
    /// Term rules common to every role [Raft §5.1]: adopts a higher term (except for
    /// PreVote traffic), answers or drops stale-term messages. Returns false when the
    /// message was consumed here.
    bool step_term(const Message& message);
    Status step_leader(const Message& message);
    Status step_candidate(const Message& message);
    Status step_follower(const Message& message);
    void step_vote_request(const Message& message);
    Status step_leader_proposal(const Message& message);
    Status step_leader_read_index(const Message& message);
    void step_leader_append_response(const Message& message, Progress* progress);
    void step_leader_heartbeat_response(const Message& message, Progress* progress);
    void step_leader_transfer(const Message& message, Progress* progress);
    void handle_append_entries(const Message& message);
    void handle_heartbeat(const Message& message);
    void handle_snapshot(const Message& message);
    bool restore(const Snapshot& snapshot);

    // Timers.
    void tick_election();
    void tick_heartbeat();
    bool past_election_timeout() const;
    void reset_randomized_election_timeout();

    // Replication.
    void send(Message message);
    bool maybe_send_append(NodeId to, bool send_if_empty);
    void send_append(NodeId to) { maybe_send_append(to, true); }
    void send_heartbeat(NodeId to, const std::string& context);
    void broadcast_append();
    void broadcast_heartbeat(const std::string& context);
    bool maybe_commit();
    bool append_entries(std::vector<Entry> entries);
    bool increase_uncommitted_bytes(const std::vector<Entry>& entries);
    void reduce_uncommitted_bytes(std::uint64_t bytes);
    void self_acknowledge();

    // ReadIndex [thesis §6.4].
    bool committed_entry_in_current_term() const;
    void start_read_index_round(const Message& request);
    void release_pending_read_requests();
    void answer_read_request(const Message& request, Index read_index);

    // Membership.
    Status check_conf_change_proposal(const Entry& entry) const;
    void switch_to_config(const TrackerConfig& config);
    void abort_leader_transfer() { lead_transferee_ = kNoNode; }
    void send_timeout_now(NodeId to);

    NodeId id_;
    Term term_ = 0;
    NodeId vote_ = kNoNode;
    NodeId lead_ = kNoNode;
    Role role_ = Role::kFollower;
    bool is_learner_ = false;
    RaftLog log_;
    ProgressTracker tracker_;
    int max_inflight_;
    ReadOnly read_only_;
    /// ReadIndex requests that arrived before this leader committed an entry of its
    /// term. Invariant: empty unless role_ == kLeader.
    std::vector<Message> pending_read_requests_;
    std::vector<Message> messages_;
    std::vector<Message> messages_before_persist_;
    std::vector<ReadState> read_states_;
    NodeId lead_transferee_ = kNoNode;
    /// The leader accepts no conf change proposal while this is above applied.
    Index pending_conf_index_ = 0;
    std::uint64_t uncommitted_bytes_ = 0;

    int election_elapsed_ = 0;
    int heartbeat_elapsed_ = 0;
    int randomized_election_timeout_ = 0;
    int election_ticks_;
    int heartbeat_ticks_;
    bool check_quorum_;
    bool pre_vote_;
    std::uint64_t max_message_bytes_;
    std::uint64_t max_uncommitted_bytes_;
    std::size_t max_pending_read_requests_;
    RandomSource* random_;
};

}  // namespace consensus::raft
