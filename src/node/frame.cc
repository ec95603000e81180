#include "node/frame.h"

#include <algorithm>
#include <limits>
#include <set>

#include "consensus/little_endian.h"
#include "wal/crc32c.h"

namespace consensus::node {
namespace {

bool is_known_kind(std::uint8_t kind) {
    return kind >= static_cast<std::uint8_t>(FrameKind::kHandshake) &&
           kind <= static_cast<std::uint8_t>(FrameKind::kRefusal);
}

void put_string(std::string* out, std::string_view text) {
    CONSENSUS_ASSERT(text.size() <= std::numeric_limits<std::uint32_t>::max());
    put_fixed32(out, static_cast<std::uint32_t>(text.size()));
    out->append(text);
}

void put_strings(std::string* out, const std::vector<std::string>& texts) {
    CONSENSUS_ASSERT(texts.size() <= kMembershipAnswerUrlsMax);
    put_fixed32(out, static_cast<std::uint32_t>(texts.size()));
    for (const std::string& text : texts) put_string(out, text);
}

/// Reads a membership answer front to back. Every read checks the bytes left first,
/// so a damaged length or count fails cleanly instead of reading past the payload
/// (bytes from the network are never trusted, STYLE §8).
class PayloadCursor {
public:
    explicit PayloadCursor(std::string_view bytes) : bytes_(bytes) {}

    bool read_u32(std::uint32_t* value) {
        if (bytes_.size() - at_ < 4) return false;
        *value = get_fixed32(bytes_.substr(at_));
        at_ += 4;
        return true;
    }
    bool read_u64(std::uint64_t* value) {
        if (bytes_.size() - at_ < 8) return false;
        *value = get_fixed64(bytes_.substr(at_));
        at_ += 8;
        return true;
    }
    bool read_string(std::string* text) {
        std::uint32_t size = 0;
        if (!read_u32(&size) || bytes_.size() - at_ < size) return false;
        text->assign(bytes_.substr(at_, size));
        at_ += size;
        return true;
    }
    bool read_strings(std::vector<std::string>* texts) {
        std::uint32_t count = 0;
        if (!read_u32(&count) || count > kMembershipAnswerUrlsMax) return false;
        texts->resize(count);
        for (std::string& text : *texts) {
            if (!read_string(&text)) return false;
        }
        return true;
    }
    bool at_end() const { return at_ == bytes_.size(); }

private:
    std::string_view bytes_;
    std::size_t at_ = 0;  ///< Invariant: at_ <= bytes_.size().
};

Status damaged_answer(const std::string& what) {
    return Status(StatusCode::kCorruption, "membership answer " + what);
}

}  // namespace

std::string encode_frame(FrameKind kind, std::string_view payload) {
    CONSENSUS_ASSERT(payload.size() <= std::numeric_limits<std::uint32_t>::max());
    std::string frame;
    frame.reserve(kFrameHeaderBytes + payload.size());
    frame.push_back(static_cast<char>(kFrameVersion));
    frame.push_back(static_cast<char>(kind));
    put_fixed32(&frame, static_cast<std::uint32_t>(payload.size()));
    put_fixed32(&frame, wal::crc32c(payload));
    frame.append(payload);
    return frame;
}

std::string encode_handshake(const Handshake& handshake) {
    std::string payload;
    payload.reserve(kHandshakeBytes);
    put_fixed64(&payload, handshake.cluster_id);
    put_fixed64(&payload, handshake.from);
    put_fixed64(&payload, handshake.to);
    return payload;
}

Result<Handshake> decode_handshake(std::string_view payload) {
    if (payload.size() != kHandshakeBytes) {
        return Status(StatusCode::kCorruption, "handshake of " + std::to_string(payload.size()) +
                                                   " bytes, want " +
                                                   std::to_string(kHandshakeBytes));
    }
    Handshake handshake;
    handshake.cluster_id = get_fixed64(payload);
    handshake.from = get_fixed64(payload.substr(8));
    handshake.to = get_fixed64(payload.substr(16));
    return handshake;
}

std::string encode_membership_request(const MembershipRequest& request) {
    std::string payload;
    put_fixed64(&payload, request.from);
    return payload;
}

Result<MembershipRequest> decode_membership_request(std::string_view payload) {
    if (payload.size() != kMembershipRequestBytes) {
        return Status(StatusCode::kCorruption,
                      "membership request of " + std::to_string(payload.size()) + " bytes, want " +
                          std::to_string(kMembershipRequestBytes));
    }
    return MembershipRequest{get_fixed64(payload)};
}

std::string encode_membership_answer(const MembershipAnswer& answer) {
    CONSENSUS_ASSERT(answer.members.size() <= kMembershipAnswerMembersMax);
    std::string payload;
    put_fixed64(&payload, answer.cluster_id);
    put_fixed32(&payload, static_cast<std::uint32_t>(answer.members.size()));
    for (const service::Member& member : answer.members) {
        put_fixed64(&payload, member.id);
        put_string(&payload, member.name);
        put_strings(&payload, member.peer_urls);
        put_strings(&payload, member.client_urls);
    }
    return payload;
}

Result<MembershipAnswer> decode_membership_answer(std::string_view payload) {
    PayloadCursor cursor(payload);
    MembershipAnswer answer;
    std::uint32_t count = 0;
    if (!cursor.read_u64(&answer.cluster_id) || !cursor.read_u32(&count)) {
        return damaged_answer("is truncated");
    }
    if (answer.cluster_id == 0) return damaged_answer("names cluster id 0");
    if (count > kMembershipAnswerMembersMax) {
        return damaged_answer("lists " + std::to_string(count) + " members, more than " +
                              std::to_string(kMembershipAnswerMembersMax));
    }
    std::set<NodeId> seen;
    for (std::uint32_t i = 0; i < count; ++i) {
        service::Member member;
        if (!cursor.read_u64(&member.id) || !cursor.read_string(&member.name) ||
            !cursor.read_strings(&member.peer_urls) || !cursor.read_strings(&member.client_urls)) {
            return damaged_answer("is truncated or lists too many URLs");
        }
        if (member.id == kNoNode) return damaged_answer("names member id 0");
        if (!seen.insert(member.id).second) return damaged_answer("lists a member twice");
        answer.members.push_back(std::move(member));
    }
    if (!cursor.at_end()) return damaged_answer("has bytes after its last member");
    return answer;
}

std::string encode_refusal(RefusalReason reason) {
    return std::string(1, static_cast<char>(reason));
}

Result<RefusalReason> decode_refusal(std::string_view payload) {
    if (payload.size() != kRefusalBytes) {
        return Status(StatusCode::kCorruption, "refusal of " + std::to_string(payload.size()) +
                                                   " bytes, want " + std::to_string(kRefusalBytes));
    }
    auto reason = static_cast<std::uint8_t>(payload[0]);
    if (reason != static_cast<std::uint8_t>(RefusalReason::kRemoved)) {
        return Status(StatusCode::kCorruption, "unknown refusal reason " + std::to_string(reason));
    }
    return RefusalReason::kRemoved;
}

std::vector<std::string> encode_snapshot_chunk_frames(std::string_view encoded_message,
                                                      std::size_t chunk_bytes) {
    CONSENSUS_ASSERT(chunk_bytes > 0);
    CONSENSUS_ASSERT(!encoded_message.empty());
    std::vector<std::string> frames;
    for (std::size_t offset = 0; offset < encoded_message.size(); offset += chunk_bytes) {
        std::string_view data = encoded_message.substr(offset, chunk_bytes);
        std::string payload;
        payload.reserve(kSnapshotChunkHeaderBytes + data.size());
        put_fixed64(&payload, encoded_message.size());
        put_fixed64(&payload, offset);
        payload.append(data);
        frames.push_back(encode_frame(FrameKind::kSnapshotChunk, payload));
    }
    return frames;
}

Result<SnapshotChunk> decode_snapshot_chunk(std::string_view payload) {
    if (payload.size() <= kSnapshotChunkHeaderBytes) {
        return Status(StatusCode::kCorruption, "snapshot chunk without data");
    }
    SnapshotChunk chunk;
    chunk.total_bytes = get_fixed64(payload);
    chunk.offset = get_fixed64(payload.substr(8));
    chunk.data = payload.substr(kSnapshotChunkHeaderBytes);
    // Compared without adding, so a forged offset near 2^64 cannot wrap around.
    if (chunk.offset > chunk.total_bytes || chunk.data.size() > chunk.total_bytes - chunk.offset) {
        return Status(StatusCode::kCorruption, "snapshot chunk passes the end of its message");
    }
    return chunk;
}

FrameReader::FrameReader(std::size_t frame_bytes_max) : frame_bytes_max_(frame_bytes_max) {}

void FrameReader::append(const char* data, std::size_t size) {
    // Drop what was already handed out before growing, so a long-lived connection
    // keeps a buffer of about one frame rather than everything it ever received.
    if (consumed_ > 0 && consumed_ >= buffer_.size() / 2) {
        buffer_.erase(0, consumed_);
        consumed_ = 0;
    }
    buffer_.append(data, size);
}

Result<std::optional<Frame>> FrameReader::next() {
    if (failure_.has_value()) return *failure_;
    std::string_view pending = std::string_view(buffer_).substr(consumed_);
    if (pending.size() < kFrameHeaderBytes) return std::optional<Frame>();

    auto version = static_cast<std::uint8_t>(pending[0]);
    auto kind = static_cast<std::uint8_t>(pending[1]);
    std::uint32_t length = get_fixed32(pending.substr(2));
    std::uint32_t crc = get_fixed32(pending.substr(6));
    if (version != kFrameVersion) {
        failure_ = Status(StatusCode::kInvalidArgument,
                          "frame version " + std::to_string(version) + " is not supported");
    } else if (!is_known_kind(kind)) {
        failure_ =
            Status(StatusCode::kInvalidArgument, "unknown frame kind " + std::to_string(kind));
    } else if (length > frame_bytes_max_) {
        failure_ = Status(StatusCode::kInvalidArgument, "frame of " + std::to_string(length) +
                                                            " bytes exceeds the limit of " +
                                                            std::to_string(frame_bytes_max_));
    }
    if (failure_.has_value()) return *failure_;
    if (pending.size() - kFrameHeaderBytes < length) return std::optional<Frame>();

    std::string_view payload = pending.substr(kFrameHeaderBytes, length);
    if (wal::crc32c(payload) != crc) {
        failure_ = Status(StatusCode::kCorruption, "frame CRC mismatch");
        return *failure_;
    }
    Frame frame;
    frame.kind = static_cast<FrameKind>(kind);
    frame.payload = std::string(payload);
    consumed_ += kFrameHeaderBytes + length;
    if (consumed_ == buffer_.size()) {
        buffer_.clear();
        consumed_ = 0;
    }
    return std::optional<Frame>(std::move(frame));
}

SnapshotAssembler::SnapshotAssembler(std::uint64_t snapshot_bytes_max)
    : snapshot_bytes_max_(snapshot_bytes_max) {}

Result<std::optional<std::string>> SnapshotAssembler::add(const SnapshotChunk& chunk) {
    if (total_bytes_ == 0) {
        if (chunk.offset != 0) {
            return Status(StatusCode::kCorruption, "snapshot chunk at offset " +
                                                       std::to_string(chunk.offset) +
                                                       " without its beginning");
        }
        if (chunk.total_bytes > snapshot_bytes_max_) {
            return Status(StatusCode::kInvalidArgument,
                          "chunked message of " + std::to_string(chunk.total_bytes) +
                              " bytes exceeds the limit of " + std::to_string(snapshot_bytes_max_));
        }
        total_bytes_ = chunk.total_bytes;
        assembled_.clear();
    } else if (chunk.total_bytes != total_bytes_ || chunk.offset != assembled_.size()) {
        return Status(StatusCode::kCorruption, "snapshot chunk does not continue its message");
    }
    assembled_.append(chunk.data);
    if (assembled_.size() < total_bytes_) return std::optional<std::string>();
    total_bytes_ = 0;
    std::string whole = std::move(assembled_);
    assembled_.clear();
    return std::optional<std::string>(std::move(whole));
}

}  // namespace consensus::node
