#include "raft/message.h"

#include "raft/ready.h"

namespace consensus::raft {

const char* message_type_name(MessageType type) {
    // etcd's names, so transcripts read like etcd raft's testdata.
    switch (type) {
        case MessageType::kHup:
            return "MsgHup";
        case MessageType::kBeat:
            return "MsgBeat";
        case MessageType::kPropose:
            return "MsgProp";
        case MessageType::kReadIndex:
            return "MsgReadIndex";
        case MessageType::kAppend:
            return "MsgApp";
        case MessageType::kAppendResponse:
            return "MsgAppResp";
        case MessageType::kRequestVote:
            return "MsgVote";
        case MessageType::kRequestVoteResponse:
            return "MsgVoteResp";
        case MessageType::kRequestPreVote:
            return "MsgPreVote";
        case MessageType::kRequestPreVoteResponse:
            return "MsgPreVoteResp";
        case MessageType::kSnapshot:
            return "MsgSnap";
        case MessageType::kHeartbeat:
            return "MsgHeartbeat";
        case MessageType::kHeartbeatResponse:
            return "MsgHeartbeatResp";
        case MessageType::kTimeoutNow:
            return "MsgTimeoutNow";
        case MessageType::kReadIndexResponse:
            return "MsgReadIndexResp";
        case MessageType::kTransferLeader:
            return "MsgTransferLeader";
        case MessageType::kUnreachable:
            return "MsgUnreachable";
        case MessageType::kSnapshotStatus:
            return "MsgSnapStatus";
        case MessageType::kCheckQuorum:
            return "MsgCheckQuorum";
    }
    return "MsgUnknown";
}

bool is_network_message(MessageType type) {
    switch (type) {
        case MessageType::kHup:
        case MessageType::kBeat:
        case MessageType::kUnreachable:
        case MessageType::kSnapshotStatus:
        case MessageType::kCheckQuorum:
            return false;
        // Proposals, read-index requests and transfer requests are forwarded from
        // followers to the leader, so they do cross the network.
        case MessageType::kPropose:
        case MessageType::kReadIndex:
        case MessageType::kTransferLeader:
        case MessageType::kAppend:
        case MessageType::kAppendResponse:
        case MessageType::kRequestVote:
        case MessageType::kRequestVoteResponse:
        case MessageType::kRequestPreVote:
        case MessageType::kRequestPreVoteResponse:
        case MessageType::kSnapshot:
        case MessageType::kHeartbeat:
        case MessageType::kHeartbeatResponse:
        case MessageType::kTimeoutNow:
        case MessageType::kReadIndexResponse:
            return true;
    }
    return false;
}

const char* role_name(Role role) {
    switch (role) {
        case Role::kFollower:
            return "StateFollower";
        case Role::kPreCandidate:
            return "StatePreCandidate";
        case Role::kCandidate:
            return "StateCandidate";
        case Role::kLeader:
            return "StateLeader";
    }
    return "StateUnknown";
}

}  // namespace consensus::raft

namespace consensus::raft {

Status validate_network_message(const Message& message) {
    auto invalid = [&](const char* why) {
        return Status(StatusCode::kInvalidArgument,
                      std::string(message_type_name(message.type)) + ": " + why);
    };
    if (!is_network_message(message.type)) return invalid("local message type from the network");
    switch (message.type) {
        case MessageType::kRequestVote:
        case MessageType::kRequestVoteResponse:
        case MessageType::kRequestPreVote:
        case MessageType::kRequestPreVoteResponse:
            // A vote without a term would be taken for a local input.
            if (message.term == 0) return invalid("vote message without a term");
            break;
        case MessageType::kPropose:
            if (message.entries.empty()) return invalid("proposal without entries");
            break;
        case MessageType::kAppend: {
            Term previous = message.log_term;
            for (std::size_t i = 0; i < message.entries.size(); ++i) {
                const Entry& entry = message.entries[i];
                if (entry.index != message.index + 1 + i)
                    return invalid("entries are not contiguous");
                if (entry.term < previous) return invalid("entry terms decrease");
                if (entry.term > message.term) return invalid("entry term above the message term");
                previous = entry.term;
            }
            break;
        }
        default:
            break;
    }
    return Status::ok();
}

std::uint64_t entries_data_bytes(const std::vector<Entry>& entries) {
    std::uint64_t total = 0;
    for (const Entry& entry : entries) total += entry.data.size();
    return total;
}

void limit_entries_bytes(std::vector<Entry>* entries, std::uint64_t max_bytes) {
    if (entries->empty()) return;
    std::uint64_t total = (*entries)[0].data.size();
    std::size_t keep = 1;
    for (; keep < entries->size(); ++keep) {
        total += (*entries)[keep].data.size();
        if (total > max_bytes) break;
    }
    entries->resize(keep);
}

namespace {

constexpr std::uint8_t kConfChangeFormatVersion = 1;

void put_u32(std::string* out, std::uint32_t value) {
    for (int shift = 24; shift >= 0; shift -= 8) {
        out->push_back(static_cast<char>((value >> shift) & 0xff));
    }
}

void put_u64(std::string* out, std::uint64_t value) {
    for (int shift = 56; shift >= 0; shift -= 8) {
        out->push_back(static_cast<char>((value >> shift) & 0xff));
    }
}

/// Reads big-endian integers from a byte string; every read reports whether the
/// bytes were there, so a truncated body is an error rather than a crash.
class Reader {
public:
    explicit Reader(std::string_view data) : data_(data) {}

    bool read_u8(std::uint8_t* out) {
        if (data_.size() < 1) return false;
        *out = static_cast<std::uint8_t>(data_[0]);
        data_.remove_prefix(1);
        return true;
    }
    bool read_u32(std::uint32_t* out) {
        std::uint64_t wide = 0;
        if (!read_big_endian(4, &wide)) return false;
        *out = static_cast<std::uint32_t>(wide);
        return true;
    }
    bool read_u64(std::uint64_t* out) { return read_big_endian(8, out); }
    bool read_bytes(std::size_t length, std::string* out) {
        if (data_.size() < length) return false;
        out->assign(data_.substr(0, length));
        data_.remove_prefix(length);
        return true;
    }
    bool at_end() const { return data_.empty(); }

private:
    bool read_big_endian(std::size_t width, std::uint64_t* out) {
        if (data_.size() < width) return false;
        std::uint64_t value = 0;
        for (std::size_t i = 0; i < width; ++i) {
            value = (value << 8) | static_cast<std::uint8_t>(data_[i]);
        }
        data_.remove_prefix(width);
        *out = value;
        return true;
    }

    std::string_view data_;
};

}  // namespace

std::string encode_conf_change(const ConfChange& change) {
    std::string out;
    out.push_back(static_cast<char>(kConfChangeFormatVersion));
    out.push_back(static_cast<char>(change.transition));
    put_u32(&out, static_cast<std::uint32_t>(change.changes.size()));
    for (const ConfChangeSingle& single : change.changes) {
        out.push_back(static_cast<char>(single.type));
        put_u64(&out, single.node_id);
    }
    put_u32(&out, static_cast<std::uint32_t>(change.context.size()));
    out.append(change.context);
    return out;
}

Result<ConfChange> decode_conf_change(std::string_view data) {
    auto corrupt = [](const char* what) {
        return Status(StatusCode::kCorruption, std::string("conf change: ") + what);
    };
    Reader reader(data);
    std::uint8_t version = 0;
    if (!reader.read_u8(&version)) return corrupt("empty");
    if (version != kConfChangeFormatVersion) return corrupt("unknown version");
    std::uint8_t transition = 0;
    if (!reader.read_u8(&transition)) return corrupt("truncated transition");
    if (transition > static_cast<std::uint8_t>(ConfChangeTransition::kJointExplicit)) {
        return corrupt("unknown transition");
    }
    std::uint32_t count = 0;
    if (!reader.read_u32(&count)) return corrupt("truncated count");
    ConfChange change;
    change.transition = static_cast<ConfChangeTransition>(transition);
    for (std::uint32_t i = 0; i < count; ++i) {
        std::uint8_t type = 0;
        NodeId node_id = kNoNode;
        if (!reader.read_u8(&type) || !reader.read_u64(&node_id)) {
            return corrupt("truncated change");
        }
        if (type > static_cast<std::uint8_t>(ConfChangeType::kAddLearnerNode)) {
            return corrupt("unknown change type");
        }
        change.changes.push_back({static_cast<ConfChangeType>(type), node_id});
    }
    std::uint32_t context_length = 0;
    if (!reader.read_u32(&context_length)) return corrupt("truncated context length");
    if (!reader.read_bytes(context_length, &change.context)) return corrupt("truncated context");
    if (!reader.at_end()) return corrupt("trailing bytes");
    return change;
}

}  // namespace consensus::raft
