#include "raft/raft.h"

#include <algorithm>
#include <utility>

#include "consensus/assert.h"
#include "consensus/log.h"
#include "raft/conf_change.h"

// Every line of the core starts with `<id> [term: T]` so transcripts stay stable
// (STYLE §9).
#define RAFT_LOG(level_macro, format, ...)                                                 \
    level_macro("raft", "%llx [term: %llu] " format, static_cast<unsigned long long>(id_), \
                static_cast<unsigned long long>(term_) __VA_OPT__(, ) __VA_ARGS__)

namespace consensus::raft {
namespace {

using ull = unsigned long long;

bool is_vote_request(MessageType type) {
    return type == MessageType::kRequestVote || type == MessageType::kRequestPreVote;
}

MessageType vote_response_type(MessageType type) {
    return type == MessageType::kRequestVote ? MessageType::kRequestVoteResponse
                                             : MessageType::kRequestPreVoteResponse;
}

Status dropped(const char* why) {
    return Status(StatusCode::kUnavailable, why);
}

}  // namespace

Result<std::unique_ptr<Raft>> Raft::create(const Config& config) {
    Status valid = config.validate();
    if (!valid.is_ok()) return valid;
    Result<InitialState> initial = config.storage->initial_state();
    if (!initial.is_ok()) return initial.status();
    std::unique_ptr<Raft> raft(new Raft(config));
    raft->switch_to_config(TrackerConfig::from_conf_state(initial.value().conf_state));
    const HardState& hard_state = initial.value().hard_state;
    if (!hard_state.is_empty()) {
        // A commit index past the stored log means the log lost entries that were
        // acknowledged as committed: starting would break State Machine Safety.
        if (hard_state.commit > raft->log_.last_index()) {
            return Status(StatusCode::kCorruption, "hard state commit is past the stored log");
        }
        // The commit index is volatile and recorded only now and then (ready.h step 2),
        // so it may lag the snapshot, whose index is committed by definition.
        if (hard_state.commit > raft->log_.committed()) raft->log_.commit_to(hard_state.commit);
        raft->term_ = hard_state.term;
        raft->vote_ = hard_state.vote;
    }
    if (config.applied > 0) {
        if (config.applied > raft->log_.last_index()) {
            return Status(StatusCode::kInvalidArgument, "applied is beyond the stored log");
        }
        // Only committed entries are ever applied, so the state machine's applied
        // index is committed too, whatever the (lagging) recorded commit index says.
        if (config.applied > raft->log_.committed()) raft->log_.commit_to(config.applied);
        if (config.applied > raft->log_.applied()) raft->log_.applied_to(config.applied);
    }
    raft->become_follower(raft->term_, kNoNode);
    LOG_INFO(
        "raft",
        "%llx [term: %llu] newRaft [commit: %llu, applied: %llu, lastindex: %llu, lastterm: %llu]",
        static_cast<ull>(raft->id_), static_cast<ull>(raft->term_),
        static_cast<ull>(raft->log_.committed()), static_cast<ull>(raft->log_.applied()),
        static_cast<ull>(raft->log_.last_index()), static_cast<ull>(raft->log_.last_term()));
    return raft;
}

Raft::Raft(const Config& config)
    : id_(config.id),
      log_(config.storage, config.max_committed_bytes_per_ready),
      tracker_(config.max_inflight_messages),
      max_inflight_(config.max_inflight_messages),
      election_ticks_(config.election_ticks),
      heartbeat_ticks_(config.heartbeat_ticks),
      check_quorum_(config.check_quorum),
      pre_vote_(config.pre_vote),
      max_message_bytes_(config.max_message_bytes),
      max_uncommitted_bytes_(config.max_uncommitted_entries_bytes),
      max_pending_read_requests_(config.max_pending_read_requests),
      random_(config.random) {}

std::size_t Raft::pending_read_requests() const {
    return read_only_.size() + pending_read_requests_.size();
}

std::vector<Message> Raft::take_messages() {
    return std::exchange(messages_, {});
}

std::vector<Message> Raft::take_messages_before_persist() {
    return std::exchange(messages_before_persist_, {});
}

std::vector<ReadState> Raft::take_read_states() {
    return std::exchange(read_states_, {});
}

// ---------------------------------------------------------------------------------
// Role transitions.

void Raft::reset(Term term) {
    if (term_ != term) {
        term_ = term;
        vote_ = kNoNode;
    }
    lead_ = kNoNode;
    election_elapsed_ = 0;
    heartbeat_elapsed_ = 0;
    reset_randomized_election_timeout();
    abort_leader_transfer();
    tracker_.reset_votes();
    Index next = log_.last_index() + 1;
    for (auto& [member, progress] : tracker_.progress()) {
        bool learner = progress.is_learner;
        progress = Progress(next, max_inflight_, learner);
        // Our own log counts only as far as it is durable [thesis §10.2.1].
        if (member == id_) progress.match_index = log_.stable_last_index();
    }
    pending_conf_index_ = 0;
    uncommitted_bytes_ = 0;
    read_only_ = ReadOnly();
    // Reads queued under the old role can no longer be confirmed by this member; the
    // clients time out and retry against the new leader.
    pending_read_requests_.clear();
}

void Raft::become_follower(Term term, NodeId lead) {
    Role previous = role_;
    Term previous_term = term_;
    reset(term);
    lead_ = lead;
    role_ = Role::kFollower;
    if (previous != Role::kFollower || previous_term != term_) {
        RAFT_LOG(LOG_INFO, "became follower at term %llu", static_cast<ull>(term_));
    }
}

void Raft::become_pre_candidate() {
    CONSENSUS_ASSERT_MSG(role_ != Role::kLeader, "invalid transition [leader -> pre-candidate]");
    // A pre-candidate changes neither term nor vote: a failed PreVote round must not
    // disrupt the cluster [thesis §9.6].
    tracker_.reset_votes();
    lead_ = kNoNode;
    role_ = Role::kPreCandidate;
    RAFT_LOG(LOG_INFO, "became pre-candidate at term %llu", static_cast<ull>(term_));
}

void Raft::become_candidate() {
    CONSENSUS_ASSERT_MSG(role_ != Role::kLeader, "invalid transition [leader -> candidate]");
    reset(term_ + 1);
    vote_ = id_;
    role_ = Role::kCandidate;
    RAFT_LOG(LOG_INFO, "became candidate at term %llu", static_cast<ull>(term_));
}

void Raft::become_leader() {
    CONSENSUS_ASSERT_MSG(role_ != Role::kFollower, "invalid transition [follower -> leader]");
    reset(term_);
    lead_ = id_;
    role_ = Role::kLeader;
    if (Progress* self = tracker_.find(id_)) {
        self->become_replicate();
        self->match_index = log_.stable_last_index();
        self->next_index = log_.last_index() + 1;
        self->recent_active = true;
    }
    // The log may hold an uncommitted membership change; refuse new ones until
    // everything up to our last index is applied (we cannot cheaply tell).
    pending_conf_index_ = log_.last_index();
    // The no-op entry lets the leader commit an entry of its own term, which commits
    // all earlier entries and tells the leader its commit index [Raft §8].
    bool appended = append_entries({Entry{}});
    CONSENSUS_ASSERT_MSG(appended, "the leader's empty entry was refused");
    RAFT_LOG(LOG_INFO, "became leader at term %llu", static_cast<ull>(term_));
}

bool Raft::promotable() const {
    auto it = tracker_.progress().find(id_);
    return it != tracker_.progress().end() && !it->second.is_learner &&
           !log_.unstable_snapshot().has_value();
}

bool Raft::has_unapplied_conf_changes() const {
    if (log_.applied() >= log_.committed()) return false;
    // Scanning is bounded by the committed-but-unapplied range, which the driver
    // drains every Ready.
    Result<std::vector<Entry>> entries = log_.slice(
        std::max(log_.applied() + 1, log_.first_index()), log_.committed() + 1, UINT64_MAX);
    if (!entries.is_ok()) return false;
    for (const Entry& entry : entries.value()) {
        if (entry.type == EntryType::kConfChange) return true;
    }
    return false;
}

void Raft::hup(CampaignType type) {
    if (role_ == Role::kLeader) return;
    if (!promotable()) {
        RAFT_LOG(LOG_WARN, "is unpromotable and can not campaign");
        return;
    }
    // A member that has not applied a committed membership change could campaign
    // under a configuration that is no longer current and win with a stale
    // majority [etcd: raft.go hup].
    if (has_unapplied_conf_changes()) {
        RAFT_LOG(LOG_WARN, "cannot campaign: there are unapplied configuration changes");
        return;
    }
    RAFT_LOG(LOG_INFO, "is starting a new election");
    campaign(type);
}

void Raft::campaign(CampaignType type) {
    Term term = 0;
    MessageType request_type = MessageType::kRequestVote;
    if (type == CampaignType::kPreElection) {
        become_pre_candidate();
        request_type = MessageType::kRequestPreVote;
        // PreVote asks with the term we would campaign at, without adopting it.
        term = term_ + 1;
    } else {
        become_candidate();
        term = term_;
    }
    if (poll(id_, vote_response_type(request_type), true) == VoteResult::kWon) {
        // A single-voter configuration wins at once.
        if (type == CampaignType::kPreElection) {
            campaign(CampaignType::kElection);
        } else {
            become_leader();
        }
        return;
    }
    for (NodeId voter : tracker_.config().voters.ids()) {
        if (voter == id_) continue;
        RAFT_LOG(LOG_INFO, "[logterm: %llu, index: %llu] sent %s request to %llx",
                 static_cast<ull>(log_.last_term()), static_cast<ull>(log_.last_index()),
                 message_type_name(request_type), static_cast<ull>(voter));
        Message request;
        request.type = request_type;
        request.to = voter;
        request.term = term;
        request.index = log_.last_index();
        request.log_term = log_.last_term();
        if (type == CampaignType::kTransfer) request.context = kCampaignTransferContext;
        send(std::move(request));
    }
}

VoteResult Raft::poll(NodeId id, MessageType type, bool granted) {
    if (granted) {
        RAFT_LOG(LOG_INFO, "received %s from %llx", message_type_name(type), static_cast<ull>(id));
    } else {
        RAFT_LOG(LOG_INFO, "received %s rejection from %llx", message_type_name(type),
                 static_cast<ull>(id));
    }
    tracker_.record_vote(id, granted);
    int granted_count = 0;
    int rejected_count = 0;
    return tracker_.tally_votes(&granted_count, &rejected_count);
}

// ---------------------------------------------------------------------------------
// Step: term handling common to every role, then the role's own step function.

Status Raft::step(const Message& message) {
    if (!step_term(message)) return Status::ok();
    switch (message.type) {
        case MessageType::kHup:
            hup(pre_vote_ ? CampaignType::kPreElection : CampaignType::kElection);
            return Status::ok();
        case MessageType::kRequestVote:
        case MessageType::kRequestPreVote:
            step_vote_request(message);
            return Status::ok();
        default:
            break;
    }
    switch (role_) {
        case Role::kLeader:
            return step_leader(message);
        case Role::kPreCandidate:
        case Role::kCandidate:
            return step_candidate(message);
        case Role::kFollower:
            return step_follower(message);
    }
    CONSENSUS_UNREACHABLE();
}

bool Raft::step_term(const Message& message) {
    if (message.term == 0) {
        // Local input, or a proposal or read forwarded by a follower (these carry no
        // term, as in etcd, because any leader may take them).
    } else if (message.term > term_) {
        if (is_vote_request(message.type)) {
            bool force = message.context == kCampaignTransferContext;
            bool in_lease =
                check_quorum_ && lead_ != kNoNode && election_elapsed_ < election_ticks_;
            // Leader stickiness: while we hear from a live leader, a higher-term vote
            // request comes from a member that was partitioned away and would only
            // disrupt the cluster [thesis §4.2.3, §6.2]. A transfer overrides this.
            if (!force && in_lease) {
                RAFT_LOG(LOG_INFO,
                         "[logterm: %llu, index: %llu, vote: %llx] ignored %s from %llx "
                         "[logterm: %llu, index: %llu] at term %llu: lease is not expired "
                         "(remaining ticks: %d)",
                         static_cast<ull>(log_.last_term()), static_cast<ull>(log_.last_index()),
                         static_cast<ull>(vote_), message_type_name(message.type),
                         static_cast<ull>(message.from), static_cast<ull>(message.log_term),
                         static_cast<ull>(message.index), static_cast<ull>(term_),
                         election_ticks_ - election_elapsed_);
                return false;
            }
        }
        if (message.type == MessageType::kRequestPreVote) {
            // A PreVote never changes our term [thesis §9.6].
        } else if (message.type == MessageType::kRequestPreVoteResponse && !message.reject) {
            // Granted PreVotes carry the term we asked about; we adopt a term only
            // when a quorum grants and we campaign for real.
        } else {
            RAFT_LOG(LOG_INFO, "received a %s message with higher term from %llx [term: %llu]",
                     message_type_name(message.type), static_cast<ull>(message.from),
                     static_cast<ull>(message.term));
            bool from_leader = message.type == MessageType::kAppend ||
                               message.type == MessageType::kHeartbeat ||
                               message.type == MessageType::kSnapshot;
            become_follower(message.term, from_leader ? message.from : kNoNode);
        }
    } else if (message.term < term_) {
        if ((check_quorum_ || pre_vote_) &&
            (message.type == MessageType::kHeartbeat || message.type == MessageType::kAppend)) {
            // A stale leader (e.g. just back from a partition) would otherwise never
            // learn the new term: with CheckQuorum or PreVote we ignore its votes, and
            // it cannot win an election. This response carries our term and deposes it
            // [etcd: raft.go Step].
            Message response;
            response.type = MessageType::kAppendResponse;
            response.to = message.from;
            send(std::move(response));
        } else if (message.type == MessageType::kRequestPreVote) {
            // Reject explicitly so the pre-candidate learns our higher term instead of
            // waiting for a timeout.
            Message response;
            response.type = MessageType::kRequestPreVoteResponse;
            response.to = message.from;
            response.term = term_;
            response.reject = true;
            send(std::move(response));
        } else {
            RAFT_LOG(LOG_DEBUG, "ignored a %s message with lower term from %llx [term: %llu]",
                     message_type_name(message.type), static_cast<ull>(message.from),
                     static_cast<ull>(message.term));
        }
        return false;
    }
    return true;
}

void Raft::step_vote_request(const Message& message) {
    // We may vote for whoever we already voted for (a repeated request), anyone when
    // we have neither voted nor heard from a leader this term, and any pre-candidate
    // asking about a future term.
    bool can_vote = vote_ == message.from || (vote_ == kNoNode && lead_ == kNoNode) ||
                    (message.type == MessageType::kRequestPreVote && message.term > term_);
    // Election restriction: only a candidate whose log is at least as up-to-date as
    // ours may hold every committed entry [Raft §5.4.1].
    bool up_to_date = log_.is_up_to_date(message.index, message.log_term);
    Message response;
    response.type = vote_response_type(message.type);
    response.to = message.from;
    if (can_vote && up_to_date) {
        RAFT_LOG(LOG_INFO,
                 "[logterm: %llu, index: %llu, vote: %llx] cast %s for %llx "
                 "[logterm: %llu, index: %llu] at term %llu",
                 static_cast<ull>(log_.last_term()), static_cast<ull>(log_.last_index()),
                 static_cast<ull>(vote_), message_type_name(message.type),
                 static_cast<ull>(message.from), static_cast<ull>(message.log_term),
                 static_cast<ull>(message.index), static_cast<ull>(term_));
        // The response carries the request's term: for a PreVote that is the future
        // term the pre-candidate asked about, so it recognises the answer.
        response.term = message.term;
        send(std::move(response));
        if (message.type == MessageType::kRequestVote) {
            election_elapsed_ = 0;
            vote_ = message.from;
        }
    } else {
        RAFT_LOG(LOG_INFO,
                 "[logterm: %llu, index: %llu, vote: %llx] rejected %s from %llx "
                 "[logterm: %llu, index: %llu] at term %llu",
                 static_cast<ull>(log_.last_term()), static_cast<ull>(log_.last_index()),
                 static_cast<ull>(vote_), message_type_name(message.type),
                 static_cast<ull>(message.from), static_cast<ull>(message.log_term),
                 static_cast<ull>(message.index), static_cast<ull>(term_));
        response.term = term_;
        response.reject = true;
        send(std::move(response));
    }
}

Status Raft::step_leader(const Message& message) {
    switch (message.type) {
        case MessageType::kBeat:
            broadcast_heartbeat(read_only_.last_pending_request_context());
            return Status::ok();
        case MessageType::kCheckQuorum:
            // A leader that cannot reach a quorum steps down so that clients stop
            // waiting on it and find the majority side [thesis §6.2].
            if (!tracker_.quorum_active()) {
                RAFT_LOG(LOG_WARN, "stepped down to follower since quorum is not active");
                become_follower(term_, kNoNode);
            }
            for (auto& [member, progress] : tracker_.progress()) {
                if (member != id_) progress.recent_active = false;
            }
            return Status::ok();
        case MessageType::kPropose:
            return step_leader_proposal(message);
        case MessageType::kReadIndex:
            return step_leader_read_index(message);
        default:
            break;
    }
    Progress* progress = tracker_.find(message.from);
    if (progress == nullptr) {
        RAFT_LOG(LOG_DEBUG, "no progress available for %llx", static_cast<ull>(message.from));
        return Status::ok();
    }
    switch (message.type) {
        case MessageType::kAppendResponse:
            step_leader_append_response(message, progress);
            break;
        case MessageType::kHeartbeatResponse:
            step_leader_heartbeat_response(message, progress);
            break;
        case MessageType::kSnapshotStatus:
            if (progress->state != ProgressState::kSnapshot) break;
            RAFT_LOG(LOG_INFO, "snapshot %s, resumed sending replication messages to %llx",
                     message.reject ? "failed" : "succeeded", static_cast<ull>(message.from));
            // On failure the snapshot is forgotten and probing restarts after match;
            // on success probing starts just after the snapshot.
            if (message.reject) progress->pending_snapshot = 0;
            progress->become_probe();
            // Wait for the follower's answer (or a heartbeat response) before sending
            // again, rather than racing the snapshot with appends.
            progress->probe_sent = true;
            break;
        case MessageType::kUnreachable:
            // Appends sent optimistically were probably lost; probe instead.
            if (progress->state == ProgressState::kReplicate) progress->become_probe();
            break;
        case MessageType::kTransferLeader:
            step_leader_transfer(message, progress);
            break;
        default:
            break;
    }
    return Status::ok();
}

Status Raft::step_leader_proposal(const Message& message) {
    CONSENSUS_ASSERT_MSG(!message.entries.empty(), "stepped an empty proposal");
    if (tracker_.find(id_) == nullptr) {
        // This leader was removed from the configuration and is about to step down.
        return dropped("proposal dropped: the leader is not a member");
    }
    if (lead_transferee_ != kNoNode) {
        // New entries would keep the transferee from catching up [thesis §3.10].
        RAFT_LOG(LOG_DEBUG,
                 "[term %llu] transfer leadership to %llx is in progress; dropping proposal",
                 static_cast<ull>(term_), static_cast<ull>(lead_transferee_));
        return dropped("proposal dropped: leadership transfer in progress");
    }
    for (const Entry& entry : message.entries) {
        if (entry.type != EntryType::kConfChange) continue;
        Status status = check_conf_change_proposal(entry);
        if (!status.is_ok()) {
            RAFT_LOG(LOG_INFO, "ignoring conf change: %s", status.message().c_str());
            return status;
        }
    }
    Index first_new = log_.last_index() + 1;
    if (!append_entries(message.entries)) {
        return dropped("proposal dropped: too many uncommitted entry bytes");
    }
    for (std::size_t i = 0; i < message.entries.size(); ++i) {
        if (message.entries[i].type == EntryType::kConfChange) pending_conf_index_ = first_new + i;
    }
    broadcast_append();
    return Status::ok();
}

Status Raft::check_conf_change_proposal(const Entry& entry) const {
    if (pending_conf_index_ > log_.applied()) {
        return Status(StatusCode::kFailedPrecondition, "possible unapplied conf change at index " +
                                                           std::to_string(pending_conf_index_) +
                                                           " (applied to " +
                                                           std::to_string(log_.applied()) + ")");
    }
    Result<ConfChange> change = decode_conf_change(entry.data);
    if (!change.is_ok()) return Status(StatusCode::kInvalidArgument, change.status().message());
    bool joint = tracker_.config().voters.is_joint();
    bool wants_leave = change.value().changes.empty();
    if (joint && !wants_leave) {
        return Status(StatusCode::kFailedPrecondition, "must transition out of joint config first");
    }
    if (!joint && wants_leave) {
        return Status(StatusCode::kFailedPrecondition,
                      "not in joint state; refusing empty conf change");
    }
    // With nothing pending, the current configuration is the one this change will
    // apply to, so an invalid change can be refused now rather than after commit.
    Result<TrackerConfig> next = apply_change(tracker_.config(), change.value());
    if (!next.is_ok()) return Status(StatusCode::kInvalidArgument, next.status().message());
    return Status::ok();
}

Status Raft::step_leader_read_index(const Message& message) {
    if (pending_read_requests() >= max_pending_read_requests_) {
        RAFT_LOG(LOG_WARN, "dropped a read index request: %zu requests pending",
                 pending_read_requests());
        return dropped("read index dropped: too many pending reads");
    }
    if (tracker_.is_singleton(id_)) {
        // The only voter needs no confirmation round.
        answer_read_request(message, log_.committed());
        return Status::ok();
    }
    // Until the leader commits an entry of its term it does not know the commit
    // index: an earlier leader may have committed more [thesis §6.4, step 1].
    if (!committed_entry_in_current_term()) {
        pending_read_requests_.push_back(message);
        return Status::ok();
    }
    start_read_index_round(message);
    return Status::ok();
}

void Raft::step_leader_append_response(const Message& message, Progress* progress) {
    progress->recent_active = true;
    NodeId from = message.from;
    if (message.reject) {
        RAFT_LOG(
            LOG_DEBUG,
            "received MsgAppResp(rejected, hint: (index %llu, term %llu)) from %llx for index %llu",
            static_cast<ull>(message.reject_hint), static_cast<ull>(message.log_term),
            static_cast<ull>(from), static_cast<ull>(message.index));
        Index next_probe = message.reject_hint;
        if (message.log_term > 0) {
            // Skip every entry of ours whose term is above the follower's term at the
            // hint: they cannot match [Raft §5.3, fast backtracking].
            next_probe = log_.find_conflict_by_term(message.reject_hint, message.log_term).first;
        }
        if (progress->maybe_decrease_to(message.index, next_probe)) {
            if (progress->state == ProgressState::kReplicate) progress->become_probe();
            send_append(from);
        }
        return;
    }
    bool was_paused = progress->is_paused();
    if (!progress->maybe_update(message.index)) return;
    if (progress->state == ProgressState::kProbe) {
        progress->become_replicate();
    } else if (progress->state == ProgressState::kSnapshot &&
               progress->match_index + 1 >= log_.first_index()) {
        // The follower caught up past our compaction point (through the snapshot or
        // otherwise), so appends can reach it again.
        RAFT_LOG(LOG_INFO,
                 "recovered from needing snapshot, resumed sending replication messages to %llx",
                 static_cast<ull>(from));
        progress->become_probe();
        progress->become_replicate();
    } else if (progress->state == ProgressState::kReplicate) {
        progress->inflights.free_le(message.index);
    }
    if (maybe_commit()) {
        release_pending_read_requests();
        broadcast_append();
    } else if (was_paused) {
        send_append(from);
    }
    // Freed inflight slots may allow several more (size-limited) appends at once.
    while (maybe_send_append(from, false)) {
    }
    if (from == lead_transferee_ && progress->match_index == log_.last_index()) {
        RAFT_LOG(LOG_INFO, "sent MsgTimeoutNow to %llx after received MsgAppResp",
                 static_cast<ull>(from));
        send_timeout_now(from);
    }
}

void Raft::step_leader_heartbeat_response(const Message& message, Progress* progress) {
    progress->recent_active = true;
    progress->probe_sent = false;
    // If every slot is taken by appends that were lost, nothing would ever free one:
    // a heartbeat response proves the follower is reachable, so release one slot and
    // let an append through.
    if (progress->state == ProgressState::kReplicate && progress->inflights.full()) {
        progress->inflights.free_first_one();
    }
    if (progress->match_index < log_.last_index()) send_append(message.from);
    if (message.context.empty()) return;
    const std::map<NodeId, bool>* acks = read_only_.receive_ack(message.from, message.context);
    if (acks == nullptr) return;
    if (joint_vote_result(tracker_.config().voters, *acks) != VoteResult::kWon) return;
    for (ReadIndexStatus& status : read_only_.advance(message.context)) {
        answer_read_request(status.request, status.index);
    }
}

void Raft::step_leader_transfer(const Message& message, Progress* progress) {
    if (progress->is_learner) {
        RAFT_LOG(LOG_DEBUG, "is learner. Ignored transferring leadership");
        return;
    }
    NodeId transferee = message.from;
    if (lead_transferee_ != kNoNode) {
        if (lead_transferee_ == transferee) {
            RAFT_LOG(LOG_INFO,
                     "[term %llu] transfer leadership to %llx is in progress, ignores request to "
                     "same node",
                     static_cast<ull>(term_), static_cast<ull>(transferee));
            return;
        }
        RAFT_LOG(LOG_INFO, "[term %llu] abort previous transferring leadership to %llx",
                 static_cast<ull>(term_), static_cast<ull>(lead_transferee_));
        abort_leader_transfer();
    }
    if (transferee == id_) {
        RAFT_LOG(LOG_DEBUG, "is already leader. Ignored transferring leadership to self");
        return;
    }
    RAFT_LOG(LOG_INFO, "[term %llu] starts to transfer leadership to %llx", static_cast<ull>(term_),
             static_cast<ull>(transferee));
    // The transfer must finish within one election timeout or it is aborted (see
    // tick_heartbeat), so start counting now [thesis §3.10].
    election_elapsed_ = 0;
    lead_transferee_ = transferee;
    if (progress->match_index == log_.last_index()) {
        send_timeout_now(transferee);
        RAFT_LOG(LOG_INFO,
                 "sends MsgTimeoutNow to %llx immediately as %llx already has up-to-date log",
                 static_cast<ull>(transferee), static_cast<ull>(transferee));
    } else {
        send_append(transferee);
    }
}

Status Raft::step_candidate(const Message& message) {
    MessageType my_response = role_ == Role::kPreCandidate ? MessageType::kRequestPreVoteResponse
                                                           : MessageType::kRequestVoteResponse;
    switch (message.type) {
        case MessageType::kPropose:
            return dropped("proposal dropped: no leader");
        case MessageType::kAppend:
            // Another member won this term [Raft §5.2].
            become_follower(message.term, message.from);
            handle_append_entries(message);
            return Status::ok();
        case MessageType::kHeartbeat:
            become_follower(message.term, message.from);
            handle_heartbeat(message);
            return Status::ok();
        case MessageType::kSnapshot:
            become_follower(message.term, message.from);
            handle_snapshot(message);
            return Status::ok();
        case MessageType::kReadIndex:
            return dropped("read index dropped: no leader");
        default:
            break;
    }
    if (message.type != my_response) return Status::ok();
    switch (poll(message.from, message.type, !message.reject)) {
        case VoteResult::kWon:
            if (role_ == Role::kPreCandidate) {
                campaign(CampaignType::kElection);
            } else {
                become_leader();
                broadcast_append();
            }
            break;
        case VoteResult::kLost:
            // A rejected PreVote carries the rejecter's term (possibly ours).
            become_follower(term_, kNoNode);
            break;
        case VoteResult::kPending:
            break;
    }
    return Status::ok();
}

Status Raft::step_follower(const Message& message) {
    switch (message.type) {
        case MessageType::kPropose: {
            if (lead_ == kNoNode) return dropped("proposal dropped: no leader");
            Message forward = message;
            forward.to = lead_;
            send(std::move(forward));
            return Status::ok();
        }
        case MessageType::kAppend:
            election_elapsed_ = 0;
            lead_ = message.from;
            handle_append_entries(message);
            return Status::ok();
        case MessageType::kHeartbeat:
            election_elapsed_ = 0;
            lead_ = message.from;
            handle_heartbeat(message);
            return Status::ok();
        case MessageType::kSnapshot:
            election_elapsed_ = 0;
            lead_ = message.from;
            handle_snapshot(message);
            return Status::ok();
        case MessageType::kTransferLeader:
        case MessageType::kReadIndex: {
            if (lead_ == kNoNode) {
                RAFT_LOG(LOG_INFO, "no leader at term %llu; dropping %s", static_cast<ull>(term_),
                         message_type_name(message.type));
                return dropped("dropped: no leader");
            }
            Message forward = message;
            forward.to = lead_;
            send(std::move(forward));
            return Status::ok();
        }
        case MessageType::kTimeoutNow:
            RAFT_LOG(LOG_INFO,
                     "received MsgTimeoutNow from %llx and starts an election to get leadership",
                     static_cast<ull>(message.from));
            // The leader chose us; skip PreVote, whose answers leader stickiness would
            // refuse [thesis §3.10].
            hup(CampaignType::kTransfer);
            return Status::ok();
        case MessageType::kReadIndexResponse:
            read_states_.push_back(ReadState{message.index, message.context});
            return Status::ok();
        default:
            return Status::ok();
    }
}

void Raft::handle_append_entries(const Message& message) {
    if (message.index < log_.committed()) {
        // Everything up to commit already matches the leader's log (Log Matching);
        // an old, reordered append must not make us reject and back the leader up.
        Message response;
        response.type = MessageType::kAppendResponse;
        response.to = message.from;
        response.index = log_.committed();
        send(std::move(response));
        return;
    }
    Message response;
    response.type = MessageType::kAppendResponse;
    response.to = message.from;
    if (std::optional<Index> last_new =
            log_.maybe_append(message.index, message.log_term, message.commit, message.entries)) {
        response.index = *last_new;
        send(std::move(response));
        return;
    }
    // Consistency check failed [Raft §5.3]. Hint the largest index at which we might
    // match: skipping all our entries with a term above the leader's log_term at
    // message.index saves one round trip per term rather than per entry.
    Index hint_index = std::min(message.index, log_.last_index());
    auto [conflict_index, conflict_term] = log_.find_conflict_by_term(hint_index, message.log_term);
    RAFT_LOG(LOG_DEBUG,
             "[logterm: %llu, index: %llu] rejected MsgApp [logterm: %llu, index: %llu] from %llx",
             static_cast<ull>(log_.term_or_zero(message.index)), static_cast<ull>(message.index),
             static_cast<ull>(message.log_term), static_cast<ull>(message.index),
             static_cast<ull>(message.from));
    response.index = message.index;
    response.reject = true;
    response.reject_hint = conflict_index;
    response.log_term = conflict_term;
    send(std::move(response));
}

void Raft::handle_heartbeat(const Message& message) {
    log_.commit_to(std::min(message.commit, log_.last_index()));
    Message response;
    response.type = MessageType::kHeartbeatResponse;
    response.to = message.from;
    response.context = message.context;
    send(std::move(response));
}

void Raft::handle_snapshot(const Message& message) {
    const SnapshotMetadata& metadata = message.snapshot.metadata;
    Message response;
    response.type = MessageType::kAppendResponse;
    response.to = message.from;
    if (restore(message.snapshot)) {
        RAFT_LOG(LOG_INFO, "[commit: %llu] restored snapshot [index: %llu, term: %llu]",
                 static_cast<ull>(log_.committed()), static_cast<ull>(metadata.index),
                 static_cast<ull>(metadata.term));
        response.index = log_.last_index();
    } else {
        RAFT_LOG(LOG_INFO, "[commit: %llu] ignored snapshot [index: %llu, term: %llu]",
                 static_cast<ull>(log_.committed()), static_cast<ull>(metadata.index),
                 static_cast<ull>(metadata.term));
        response.index = log_.committed();
    }
    send(std::move(response));
}

bool Raft::restore(const Snapshot& snapshot) {
    const SnapshotMetadata& metadata = snapshot.metadata;
    if (metadata.index <= log_.committed()) return false;
    if (role_ != Role::kFollower) {
        // Only a leader of this term sends snapshots, and its messages make us a
        // follower first; anything else is a bug, so refuse the snapshot and move
        // to a new term rather than risk installing state of unknown origin.
        RAFT_LOG(LOG_WARN, "attempted to restore snapshot as %s; should never happen",
                 role_name(role_));
        become_follower(term_ + 1, kNoNode);
        return false;
    }
    const ConfState& conf = metadata.conf_state;
    bool member = false;
    for (const auto* ids : {&conf.voters, &conf.learners, &conf.voters_outgoing}) {
        member = member || std::find(ids->begin(), ids->end(), id_) != ids->end();
    }
    if (!member) {
        RAFT_LOG(
            LOG_WARN,
            "attempted to restore snapshot but it is not in the ConfState; should never happen");
        return false;
    }
    if (log_.match_term(metadata.index, metadata.term)) {
        // We already hold the snapshot's last entry, hence (Log Matching) all before
        // it: keep the log and only learn the commit index.
        RAFT_LOG(LOG_INFO,
                 "[commit: %llu] fast-forwarded commit to snapshot [index: %llu, term: %llu]",
                 static_cast<ull>(log_.committed()), static_cast<ull>(metadata.index),
                 static_cast<ull>(metadata.term));
        log_.commit_to(metadata.index);
        return false;
    }
    log_.restore(snapshot);
    tracker_ = ProgressTracker(max_inflight_);
    switch_to_config(TrackerConfig::from_conf_state(conf));
    RAFT_LOG(LOG_INFO, "switched to configuration from snapshot [index: %llu, term: %llu]",
             static_cast<ull>(metadata.index), static_cast<ull>(metadata.term));
    return true;
}

// ---------------------------------------------------------------------------------
// Timers.

void Raft::tick() {
    if (role_ == Role::kLeader) {
        tick_heartbeat();
    } else {
        tick_election();
    }
}

void Raft::tick_election() {
    ++election_elapsed_;
    if (promotable() && past_election_timeout()) {
        election_elapsed_ = 0;
        Message hup_message;
        hup_message.type = MessageType::kHup;
        hup_message.from = id_;
        Status ignored = step(hup_message);
        (void)ignored;
    }
}

void Raft::tick_heartbeat() {
    ++heartbeat_elapsed_;
    ++election_elapsed_;
    if (election_elapsed_ >= election_ticks_) {
        election_elapsed_ = 0;
        if (check_quorum_) {
            Message check;
            check.type = MessageType::kCheckQuorum;
            check.from = id_;
            Status ignored = step(check);
            (void)ignored;
        }
        // A transfer that did not finish within an election timeout has failed (the
        // transferee is slow or gone); resume accepting proposals [thesis §3.10].
        if (role_ == Role::kLeader && lead_transferee_ != kNoNode) {
            RAFT_LOG(LOG_INFO, "aborted transfer of leadership to %llx after an election timeout",
                     static_cast<ull>(lead_transferee_));
            abort_leader_transfer();
        }
    }
    if (role_ != Role::kLeader) return;
    if (heartbeat_elapsed_ >= heartbeat_ticks_) {
        heartbeat_elapsed_ = 0;
        Message beat;
        beat.type = MessageType::kBeat;
        beat.from = id_;
        Status ignored = step(beat);
        (void)ignored;
    }
}

bool Raft::past_election_timeout() const {
    return election_elapsed_ >= randomized_election_timeout_;
}

void Raft::reset_randomized_election_timeout() {
    // Randomized in [election_ticks, 2*election_ticks) so that split votes are rare
    // and resolve quickly [Raft §5.2].
    randomized_election_timeout_ =
        election_ticks_ +
        static_cast<int>(random_->next(static_cast<std::uint64_t>(election_ticks_)));
}

// ---------------------------------------------------------------------------------
// Replication.

void Raft::send(Message message) {
    if (message.from == kNoNode) message.from = id_;
    if (message.type == MessageType::kRequestVote || message.type == MessageType::kRequestPreVote ||
        message.type == MessageType::kRequestVoteResponse ||
        message.type == MessageType::kRequestPreVoteResponse) {
        // Vote messages carry an explicit term: a PreVote asks about a future term,
        // and its response echoes it.
        CONSENSUS_ASSERT_MSG(message.term != 0, "vote message without a term");
    } else if (message.type != MessageType::kPropose && message.type != MessageType::kReadIndex) {
        // Forwarded proposals and reads carry no term, so that whichever leader gets
        // them takes them; everything else speaks for our current term.
        message.term = term_;
    }
    if (may_precede_persist(message.type)) {
        messages_before_persist_.push_back(std::move(message));
    } else {
        messages_.push_back(std::move(message));
    }
}

bool Raft::may_precede_persist(MessageType type) {
    switch (type) {
        case MessageType::kAppend:
            // The leader's appends may leave before its own write is durable
            // [thesis §10.2.1]; it counts itself only after advance().
            return true;
        case MessageType::kHeartbeat:
        case MessageType::kHeartbeatResponse:
        case MessageType::kReadIndex:
        case MessageType::kReadIndexResponse:
            // These promise nothing about what this member has stored or voted: a
            // heartbeat's commit is already durable on a quorum, and its response only
            // says which term the sender is in at that moment, which is all a ReadIndex
            // round needs [thesis §6.4] (forgetting a term it never voted in cannot
            // make a second leader of that term). So reads and leadership checks need
            // not wait for a disk write in progress [etcd: raft.go send(), where only
            // MsgAppResp, MsgVoteResp and MsgPreVoteResp wait for the append].
            return true;
        default:
            // Votes and append acknowledgements promise that what they describe
            // survives a crash [Raft Figure 2].
            return false;
    }
}

bool Raft::maybe_send_append(NodeId to, bool send_if_empty) {
    Progress* progress = tracker_.find(to);
    if (progress == nullptr || progress->is_paused()) return false;
    Message message;
    message.to = to;
    Result<Term> previous_term = log_.term(progress->next_index - 1);
    Result<std::vector<Entry>> entries = log_.entries(progress->next_index, max_message_bytes_);
    if (entries.is_ok() && entries.value().empty() && !send_if_empty) return false;
    if (!previous_term.is_ok() || !entries.is_ok()) {
        // The entries the follower needs are compacted: send the snapshot instead
        // [Raft §7]. Only to a member we heard from recently: a dead member would
        // just pin an expensive snapshot transfer.
        if (!progress->recent_active) {
            RAFT_LOG(LOG_DEBUG, "ignore sending snapshot to %llx since it is not recently active",
                     static_cast<ull>(to));
            return false;
        }
        Result<Snapshot> snapshot = log_.snapshot();
        if (!snapshot.is_ok()) {
            RAFT_LOG(LOG_DEBUG,
                     "failed to send snapshot to %llx because snapshot is temporarily unavailable",
                     static_cast<ull>(to));
            return false;
        }
        CONSENSUS_ASSERT_MSG(!snapshot.value().is_empty(), "need a non-empty snapshot");
        const SnapshotMetadata& metadata = snapshot.value().metadata;
        RAFT_LOG(
            LOG_INFO,
            "[firstindex: %llu, commit: %llu] sent snapshot[index: %llu, term: %llu] to %llx [%s]",
            static_cast<ull>(log_.first_index()), static_cast<ull>(log_.committed()),
            static_cast<ull>(metadata.index), static_cast<ull>(metadata.term), static_cast<ull>(to),
            progress_state_name(progress->state));
        progress->become_snapshot(metadata.index);
        message.type = MessageType::kSnapshot;
        message.snapshot = std::move(snapshot.value());
        send(std::move(message));
        return true;
    }
    message.type = MessageType::kAppend;
    message.index = progress->next_index - 1;
    message.log_term = previous_term.value();
    message.entries = std::move(entries.value());
    message.commit = log_.committed();
    if (!message.entries.empty()) {
        Index last = message.entries.back().index;
        switch (progress->state) {
            case ProgressState::kReplicate:
                // Pipeline: assume success and move on; a rejection resets next_index.
                progress->optimistic_update(last);
                progress->inflights.add(last);
                break;
            case ProgressState::kProbe:
                progress->probe_sent = true;
                break;
            case ProgressState::kSnapshot:
                CONSENSUS_UNREACHABLE();
        }
    }
    send(std::move(message));
    return true;
}

void Raft::send_heartbeat(NodeId to, const std::string& context) {
    Progress* progress = tracker_.find(to);
    // A follower may not have the entries up to our commit index yet; telling it a
    // commit beyond its match could make it commit entries that will be replaced.
    Message message;
    message.type = MessageType::kHeartbeat;
    message.to = to;
    message.commit = std::min(progress->match_index, log_.committed());
    message.context = context;
    send(std::move(message));
}

void Raft::broadcast_append() {
    for (const auto& [member, progress] : tracker_.progress()) {
        if (member != id_) send_append(member);
    }
}

void Raft::broadcast_heartbeat(const std::string& context) {
    for (const auto& [member, progress] : tracker_.progress()) {
        if (member != id_) send_heartbeat(member, context);
    }
}

bool Raft::maybe_commit() {
    return log_.maybe_commit(tracker_.committed(), term_);
}

bool Raft::append_entries(std::vector<Entry> entries) {
    Index last = log_.last_index();
    for (std::size_t i = 0; i < entries.size(); ++i) {
        entries[i].term = term_;
        entries[i].index = last + 1 + i;
    }
    if (!increase_uncommitted_bytes(entries)) {
        RAFT_LOG(LOG_WARN,
                 "appending new entries to log would exceed uncommitted entry size limit; dropping "
                 "proposal");
        return false;
    }
    log_.append(entries);
    // The leader's own copy counts toward a quorum only once durable (advance), so
    // nothing can commit here except in a configuration without this member's vote.
    maybe_commit();
    return true;
}

bool Raft::increase_uncommitted_bytes(const std::vector<Entry>& entries) {
    std::uint64_t bytes = entries_data_bytes(entries);
    // Always accept when nothing is uncommitted, so one proposal larger than the
    // limit can still make progress [etcd: raft.go increaseUncommittedSize].
    if (max_uncommitted_bytes_ != 0 && uncommitted_bytes_ > 0 && bytes > 0 &&
        uncommitted_bytes_ + bytes > max_uncommitted_bytes_) {
        return false;
    }
    uncommitted_bytes_ += bytes;
    return true;
}

void Raft::reduce_uncommitted_bytes(std::uint64_t bytes) {
    if (role_ != Role::kLeader) return;
    // Entries of an earlier term are not counted, so the count may be smaller than
    // what commits; saturate instead of wrapping.
    uncommitted_bytes_ = bytes > uncommitted_bytes_ ? 0 : uncommitted_bytes_ - bytes;
}

void Raft::self_acknowledge() {
    if (role_ != Role::kLeader) return;
    Progress* self = tracker_.find(id_);
    if (self == nullptr || !self->maybe_update(log_.stable_last_index())) return;
    if (maybe_commit()) {
        release_pending_read_requests();
        broadcast_append();
    }
}

// ---------------------------------------------------------------------------------
// ReadIndex [thesis §6.4].

bool Raft::committed_entry_in_current_term() const {
    return log_.term_or_zero(log_.committed()) == term_;
}

void Raft::start_read_index_round(const Message& request) {
    // Step 1-2 of the thesis: record the commit index as the read point, then confirm
    // that we are still the leader with a heartbeat round carrying the request's
    // context. Our own acknowledgement counts at once.
    read_only_.add_request(log_.committed(), request);
    read_only_.receive_ack(id_, request.context);
    broadcast_heartbeat(request.context);
}

void Raft::release_pending_read_requests() {
    if (pending_read_requests_.empty() || !committed_entry_in_current_term()) return;
    std::vector<Message> pending = std::exchange(pending_read_requests_, {});
    for (const Message& request : pending) start_read_index_round(request);
}

void Raft::answer_read_request(const Message& request, Index read_index) {
    if (request.from == kNoNode || request.from == id_) {
        read_states_.push_back(ReadState{read_index, request.context});
        return;
    }
    Message response;
    response.type = MessageType::kReadIndexResponse;
    response.to = request.from;
    response.index = read_index;
    response.context = request.context;
    send(std::move(response));
}

// ---------------------------------------------------------------------------------
// Membership [Raft §6] and leadership transfer [thesis §3.10].

ConfState Raft::apply_conf_change(const ConfChange& change) {
    Result<TrackerConfig> next = apply_change(tracker_.config(), change);
    if (!next.is_ok()) {
        // Every member applies the same committed entries, so each refuses this one
        // alike and the configurations stay identical.
        RAFT_LOG(LOG_WARN, "refused to apply conf change: %s", next.status().message().c_str());
        return tracker_.config().to_conf_state();
    }
    switch_to_config(next.value());
    ConfState state = tracker_.config().to_conf_state();
    RAFT_LOG(LOG_INFO,
             "switched to configuration voters=%zu outgoing=%zu learners=%zu learners_next=%zu%s",
             state.voters.size(), state.voters_outgoing.size(), state.learners.size(),
             state.learners_next.size(), state.auto_leave ? " autoleave" : "");
    return state;
}

void Raft::switch_to_config(const TrackerConfig& config) {
    // New members start probing at our last entry rather than after it, so the
    // append below carries an entry and reaches them without waiting for a heartbeat
    // [etcd: confchange/confchange.go initProgress].
    tracker_.set_config(config, std::max<Index>(log_.last_index(), 1));
    const Progress* self = tracker_.find(id_);
    is_learner_ = self != nullptr && self->is_learner;
    if (role_ != Role::kLeader) return;
    if (self == nullptr || is_learner_) {
        // The leader was removed (or demoted) by a change that is now committed and
        // applied, so C_new no longer includes it: step down [Raft §6].
        RAFT_LOG(LOG_INFO, "stepped down: no longer a voter in the configuration");
        become_follower(term_, kNoNode);
        return;
    }
    // The quorum changed, so the commit index may move; new members need appends.
    if (maybe_commit()) {
        broadcast_append();
    } else {
        for (const auto& [member, progress] : tracker_.progress()) {
            if (member != id_) maybe_send_append(member, false);
        }
    }
    if (lead_transferee_ != kNoNode && !tracker_.is_voter(lead_transferee_)) {
        abort_leader_transfer();
    }
}

void Raft::send_timeout_now(NodeId to) {
    Message message;
    message.type = MessageType::kTimeoutNow;
    message.to = to;
    send(std::move(message));
}

void Raft::advance(const AdvanceInfo& info) {
    record_applied(std::max(info.last_applied_index, info.snapshot_index), info.committed_bytes);
    if (info.last_entry_index > 0) log_.stable_to(info.last_entry_index, info.last_entry_term);
    if (info.snapshot_index > 0) log_.stable_snapshot_to(info.snapshot_index);
    self_acknowledge();
}

void Raft::record_applied(Index applied, std::uint64_t committed_bytes) {
    reduce_uncommitted_bytes(committed_bytes);
    if (applied > log_.applied()) {
        Index old_applied = log_.applied();
        log_.applied_to(applied);
        // The joint configuration's entry is applied: with auto_leave the leader
        // proposes leaving it by itself [Raft §6: C_old,new then C_new].
        if (tracker_.config().auto_leave && old_applied < pending_conf_index_ &&
            applied >= pending_conf_index_ && role_ == Role::kLeader) {
            RAFT_LOG(LOG_INFO, "initiating automatic transition out of joint configuration");
            Entry leave;
            leave.type = EntryType::kConfChange;
            leave.data = encode_conf_change(ConfChange{});
            bool appended = append_entries({leave});
            CONSENSUS_ASSERT_MSG(appended, "the leave-joint entry was refused");
            pending_conf_index_ = log_.last_index();
            broadcast_append();
        }
    }
}

}  // namespace consensus::raft
