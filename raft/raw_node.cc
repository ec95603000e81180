#include "raft/raw_node.h"

#include <utility>

#include "raft/raft.h"

namespace consensus::raft {
namespace {

bool is_response(MessageType type) {
    switch (type) {
        case MessageType::kAppendResponse:
        case MessageType::kRequestVoteResponse:
        case MessageType::kHeartbeatResponse:
        case MessageType::kRequestPreVoteResponse:
            return true;
        default:
            return false;
    }
}

// Term and vote are the persistent part of the hard state; the commit index is
// volatile [Raft Figure 2]. Writing it on every change would put a rewrite of the
// same key into every batch the WAL stores, for no safety gain.
bool persistent_part_changed(const HardState& current, const HardState& previous) {
    return current.term != previous.term || current.vote != previous.vote;
}

}  // namespace

Result<std::unique_ptr<RawNode>> RawNode::create(const Config& config) {
    Result<std::unique_ptr<Raft>> raft = Raft::create(config);
    if (!raft.is_ok()) return raft.status();
    return std::unique_ptr<RawNode>(new RawNode(std::move(raft.value())));
}

RawNode::RawNode(std::unique_ptr<Raft> raft) : raft_(std::move(raft)) {
    previous_soft_ = raft_->soft_state();
    previous_hard_ = raft_->hard_state();
}

RawNode::~RawNode() = default;

void RawNode::tick() {
    raft_->tick();
}

void RawNode::campaign() {
    Message hup;
    hup.type = MessageType::kHup;
    hup.from = raft_->id();
    Status ignored = raft_->step(hup);
    (void)ignored;
}

Status RawNode::step(const Message& message) {
    // Local inputs have their own entry points, and malformed messages would break
    // the core's preconditions: arriving from a peer they are forged or corrupt, so
    // refuse them rather than act on them.
    Status valid = validate_network_message(message);
    if (!valid.is_ok()) return valid;
    if (is_response(message.type) && raft_->tracker().progress().count(message.from) == 0) {
        return Status(StatusCode::kNotFound, "response from a member not in the configuration");
    }
    return raft_->step(message);
}

Status RawNode::propose(std::string data) {
    std::vector<std::string> one;
    one.push_back(std::move(data));
    return propose_batch(std::move(one));
}

Status RawNode::propose_batch(std::vector<std::string> data) {
    Message message;
    message.type = MessageType::kPropose;
    message.from = raft_->id();
    message.entries.reserve(data.size());
    for (std::string& piece : data) {
        message.entries.push_back(Entry{0, 0, EntryType::kNormal, std::move(piece)});
    }
    return raft_->step(message);
}

Status RawNode::propose_conf_change(const ConfChange& change) {
    Message message;
    message.type = MessageType::kPropose;
    message.from = raft_->id();
    message.entries.push_back(Entry{0, 0, EntryType::kConfChange, encode_conf_change(change)});
    return raft_->step(message);
}

ConfState RawNode::apply_conf_change(const ConfChange& change) {
    return raft_->apply_conf_change(change);
}

Status RawNode::read_index(std::string request_context) {
    Message message;
    message.type = MessageType::kReadIndex;
    message.from = raft_->id();
    message.context = std::move(request_context);
    return raft_->step(message);
}

void RawNode::transfer_leadership(NodeId transferee) {
    // As in etcd, the request names the transferee in `from`.
    Message message;
    message.type = MessageType::kTransferLeader;
    message.from = transferee;
    Status ignored = raft_->step(message);
    (void)ignored;
}

void RawNode::report_unreachable(NodeId id) {
    Message message;
    message.type = MessageType::kUnreachable;
    message.from = id;
    Status ignored = raft_->step(message);
    (void)ignored;
}

void RawNode::report_snapshot(NodeId id, bool failed) {
    Message message;
    message.type = MessageType::kSnapshotStatus;
    message.from = id;
    message.reject = failed;
    Status ignored = raft_->step(message);
    (void)ignored;
}

bool RawNode::has_ready() const {
    const RaftLog& log = raft_->log();
    HardState hard = raft_->hard_state();
    return raft_->soft_state() != previous_soft_ ||
           (!hard.is_empty() && persistent_part_changed(hard, previous_hard_)) ||
           log.unstable_snapshot().has_value() || !log.unstable_entries().empty() ||
           !raft_->messages().empty() || !raft_->messages_before_persist().empty() ||
           !raft_->read_states().empty() || log.has_next_committed_entries();
}

Ready RawNode::ready() {
    CONSENSUS_ASSERT_MSG(!accepted_.has_value(),
                         "ready() called before the previous Ready was advanced");
    const RaftLog& log = raft_->log();
    Ready ready;
    ready.entries = log.unstable_entries();
    ready.committed_entries = log.next_committed_entries();
    if (log.unstable_snapshot()) ready.snapshot = *log.unstable_snapshot();
    SoftState soft = raft_->soft_state();
    if (soft != previous_soft_) {
        ready.soft_state = soft;
        previous_soft_ = soft;
    }
    HardState hard = raft_->hard_state();
    bool durable_data = !ready.entries.empty() || !ready.snapshot.is_empty();
    // Term and vote changes must be durable before any message leaves; new entries and
    // an installed snapshot too, since the acknowledgements promise them [Raft Figure 2].
    ready.must_sync = durable_data;
    if (!hard.is_empty() && persistent_part_changed(hard, previous_hard_)) {
        ready.hard_state = hard;
        ready.must_sync = true;
        previous_hard_ = hard;
    }
    ready.read_states = raft_->take_read_states();
    ready.messages_before_persist = raft_->take_messages_before_persist();
    ready.messages = raft_->take_messages();

    Accepted accepted;
    if (!ready.entries.empty()) {
        accepted.last_entry_index = ready.entries.back().index;
        accepted.last_entry_term = ready.entries.back().term;
    }
    accepted.snapshot_index = ready.snapshot.metadata.index;
    if (!ready.committed_entries.empty()) {
        accepted.last_committed_index = ready.committed_entries.back().index;
        accepted.committed_bytes = entries_data_bytes(ready.committed_entries);
    }
    accepted_ = accepted;
    return ready;
}

void RawNode::advance() {
    if (!accepted_) return;
    AdvanceInfo info;
    info.last_entry_index = accepted_->last_entry_index;
    info.last_entry_term = accepted_->last_entry_term;
    info.snapshot_index = accepted_->snapshot_index;
    info.last_applied_index = accepted_->last_committed_index;
    info.committed_bytes = accepted_->committed_bytes;
    accepted_.reset();
    raft_->advance(info);
}

std::vector<Message> RawNode::take_messages_before_persist() {
    return raft_->take_messages_before_persist();
}

std::vector<ReadState> RawNode::take_read_states() {
    return raft_->take_read_states();
}

std::vector<Entry> RawNode::take_durable_committed_entries() {
    if (!accepted_.has_value()) return {};
    const RaftLog& log = raft_->log();
    if (log.unstable_snapshot().has_value() || accepted_->snapshot_index > 0) return {};
    const Index handed_out = std::max(log.applied(), accepted_->last_committed_index);
    const Index durable = std::min(log.committed(), log.stable_last_index());
    if (durable <= handed_out) return {};
    Result<std::vector<Entry>> entries =
        log.slice(handed_out + 1, durable + 1, log.max_applying_bytes());
    CONSENSUS_ASSERT_MSG(entries.is_ok(), "durable committed entries are unavailable");
    if (entries.value().empty()) return {};
    raft_->record_applied(entries.value().back().index, entries_data_bytes(entries.value()));
    return std::move(entries.value());
}

NodeStatus RawNode::status() const {
    NodeStatus status;
    status.id = raft_->id();
    status.hard_state = raft_->hard_state();
    status.soft_state = raft_->soft_state();
    status.applied = raft_->log().applied();
    status.last_index = raft_->log().last_index();
    status.conf_state = raft_->tracker().config().to_conf_state();
    status.lead_transferee = raft_->lead_transferee();
    return status;
}

std::vector<Entry> RawNode::log_entries() const {
    return raft_->log().all_entries();
}

Index RawNode::first_index() const {
    return raft_->log().first_index();
}

}  // namespace consensus::raft
