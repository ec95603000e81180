#include "wal/codec.h"

#include <utility>
#include <vector>

namespace consensus::wal {
namespace {

enum class Kind : std::uint8_t {
    kEntry = 1,
    kHardState = 2,
    kConfState = 3,
    kSnapshotMetadata = 5,
    kSnapshot = 6,
    kMessage = 7,
};

/// A 64-bit LEB128 value needs at most ceil(64 / 7) = 10 bytes.
constexpr int kVarintBytesMax = 10;

class Writer {
public:
    explicit Writer(Kind kind) {
        put_byte(kCodecVersion);
        put_byte(static_cast<std::uint8_t>(kind));
    }

    void put_byte(std::uint8_t value) { out_.push_back(static_cast<char>(value)); }

    void put_uint(std::uint64_t value) {
        while (value >= 0x80) {
            put_byte(static_cast<std::uint8_t>(value | 0x80));
            value >>= 7;
        }
        put_byte(static_cast<std::uint8_t>(value));
    }

    void put_bytes(std::string_view bytes) {
        put_uint(bytes.size());
        out_.append(bytes.data(), bytes.size());
    }

    void put_ids(const std::vector<NodeId>& ids) {
        put_uint(ids.size());
        for (NodeId id : ids) put_uint(id);
    }

    std::string take() { return std::move(out_); }

private:
    std::string out_;
};

/// Reads primitives from untrusted bytes. The first failure is remembered and every
/// later read fails too, so decoders can read a whole body and check once.
class Reader {
public:
    explicit Reader(std::string_view bytes) : bytes_(bytes) {}

    bool ok() const { return status_.is_ok(); }
    Status status() const { return status_; }

    bool read_header(Kind kind) {
        std::uint8_t version = 0;
        std::uint8_t found = 0;
        if (!read_byte("version", &version)) return false;
        if (version != kCodecVersion) {
            return fail(StatusCode::kInvalidArgument,
                        "codec: unsupported version " + std::to_string(version) +
                            " (this build reads version " + std::to_string(kCodecVersion) + ")");
        }
        if (!read_byte("kind", &found)) return false;
        if (found != static_cast<std::uint8_t>(kind)) {
            return fail(StatusCode::kCorruption, "codec: expected kind " +
                                                     std::to_string(static_cast<int>(kind)) +
                                                     ", found " + std::to_string(found));
        }
        return true;
    }

    bool read_byte(const char* field, std::uint8_t* out) {
        if (!ok()) return false;
        if (position_ >= bytes_.size()) return truncated(field);
        *out = static_cast<std::uint8_t>(bytes_[position_]);
        ++position_;
        return true;
    }

    bool read_bool(const char* field, bool* out) {
        std::uint8_t value = 0;
        if (!read_byte(field, &value)) return false;
        if (value > 1) return malformed(field, "boolean is not 0 or 1");
        *out = value == 1;
        return true;
    }

    bool read_uint(const char* field, std::uint64_t* out) {
        if (!ok()) return false;
        std::uint64_t value = 0;
        for (int shift_index = 0; shift_index < kVarintBytesMax; ++shift_index) {
            if (position_ >= bytes_.size()) return truncated(field);
            const auto byte = static_cast<std::uint8_t>(bytes_[position_]);
            ++position_;
            // The tenth byte holds only bit 63; anything more would overflow.
            if (shift_index == kVarintBytesMax - 1 && byte > 1) {
                return malformed(field, "varint overflows 64 bits");
            }
            value |= static_cast<std::uint64_t>(byte & 0x7F) << (7 * shift_index);
            if ((byte & 0x80) == 0) {
                *out = value;
                return true;
            }
        }
        return malformed(field, "varint longer than 10 bytes");
    }

    /// A length or count may not exceed the bytes left: every element takes at least
    /// one byte, so a larger value is a lie that would otherwise make us reserve
    /// gigabytes for a 20-byte frame.
    bool read_length(const char* field, std::uint64_t* out) {
        if (!read_uint(field, out)) return false;
        if (*out > remaining()) return malformed(field, "length exceeds the input");
        return true;
    }

    bool read_bytes(const char* field, std::string* out) {
        std::uint64_t size = 0;
        if (!read_length(field, &size)) return false;
        out->assign(bytes_.data() + position_, static_cast<std::size_t>(size));
        position_ += static_cast<std::size_t>(size);
        return true;
    }

    bool read_ids(const char* field, std::vector<NodeId>* out) {
        std::uint64_t count = 0;
        if (!read_length(field, &count)) return false;
        out->clear();
        out->reserve(static_cast<std::size_t>(count));
        for (std::uint64_t i = 0; i < count; ++i) {
            NodeId id = kNoNode;
            if (!read_uint(field, &id)) return false;
            out->push_back(id);
        }
        return true;
    }

    bool finish() {
        if (!ok()) return false;
        if (position_ != bytes_.size()) {
            return malformed("end", std::to_string(remaining()) + " trailing bytes");
        }
        return true;
    }

    bool fail(StatusCode code, std::string message) {
        if (ok()) status_ = Status(code, std::move(message));
        return false;
    }

    bool malformed(const char* field, const std::string& what) {
        return fail(StatusCode::kCorruption, std::string("codec: ") + field + " at byte " +
                                                 std::to_string(position_) + ": " + what);
    }

private:
    std::size_t remaining() const { return bytes_.size() - position_; }

    bool truncated(const char* field) {
        return fail(StatusCode::kCorruption, std::string("codec: input truncated in ") + field +
                                                 " at byte " + std::to_string(position_));
    }

    std::string_view bytes_;
    std::size_t position_ = 0;
    Status status_;
};

// Bodies. Each put_X/read_X pair writes and reads exactly the fields listed in the
// format table of codec.h, in that order.

void put_entry(Writer& writer, const raft::Entry& entry) {
    writer.put_uint(entry.term);
    writer.put_uint(entry.index);
    writer.put_byte(static_cast<std::uint8_t>(entry.type));
    writer.put_bytes(entry.data);
}

bool read_entry(Reader& reader, raft::Entry* entry) {
    std::uint8_t type = 0;
    reader.read_uint("entry.term", &entry->term);
    reader.read_uint("entry.index", &entry->index);
    if (!reader.read_byte("entry.type", &type)) return false;
    if (type > static_cast<std::uint8_t>(raft::EntryType::kConfChange)) {
        return reader.fail(StatusCode::kInvalidArgument,
                           "codec: unknown entry type " + std::to_string(type));
    }
    entry->type = static_cast<raft::EntryType>(type);
    return reader.read_bytes("entry.data", &entry->data);
}

void put_hard_state(Writer& writer, const raft::HardState& hard_state) {
    writer.put_uint(hard_state.term);
    writer.put_uint(hard_state.vote);
    writer.put_uint(hard_state.commit);
}

bool read_hard_state(Reader& reader, raft::HardState* hard_state) {
    reader.read_uint("hard_state.term", &hard_state->term);
    reader.read_uint("hard_state.vote", &hard_state->vote);
    return reader.read_uint("hard_state.commit", &hard_state->commit);
}

void put_conf_state(Writer& writer, const raft::ConfState& conf_state) {
    writer.put_ids(conf_state.voters);
    writer.put_ids(conf_state.learners);
    writer.put_ids(conf_state.voters_outgoing);
    writer.put_ids(conf_state.learners_next);
    writer.put_byte(conf_state.auto_leave ? 1 : 0);
}

bool read_conf_state(Reader& reader, raft::ConfState* conf_state) {
    reader.read_ids("conf_state.voters", &conf_state->voters);
    reader.read_ids("conf_state.learners", &conf_state->learners);
    reader.read_ids("conf_state.voters_outgoing", &conf_state->voters_outgoing);
    reader.read_ids("conf_state.learners_next", &conf_state->learners_next);
    return reader.read_bool("conf_state.auto_leave", &conf_state->auto_leave);
}

void put_snapshot_metadata(Writer& writer, const raft::SnapshotMetadata& metadata) {
    writer.put_uint(metadata.index);
    writer.put_uint(metadata.term);
    put_conf_state(writer, metadata.conf_state);
}

bool read_snapshot_metadata(Reader& reader, raft::SnapshotMetadata* metadata) {
    reader.read_uint("snapshot.index", &metadata->index);
    reader.read_uint("snapshot.term", &metadata->term);
    return read_conf_state(reader, &metadata->conf_state);
}

void put_snapshot(Writer& writer, const raft::Snapshot& snapshot) {
    put_snapshot_metadata(writer, snapshot.metadata);
    writer.put_bytes(snapshot.data);
}

bool read_snapshot(Reader& reader, raft::Snapshot* snapshot) {
    read_snapshot_metadata(reader, &snapshot->metadata);
    return reader.read_bytes("snapshot.data", &snapshot->data);
}

void put_message(Writer& writer, const raft::Message& message) {
    writer.put_byte(static_cast<std::uint8_t>(message.type));
    writer.put_uint(message.to);
    writer.put_uint(message.from);
    writer.put_uint(message.term);
    writer.put_uint(message.log_term);
    writer.put_uint(message.index);
    writer.put_uint(message.entries.size());
    for (const raft::Entry& entry : message.entries) put_entry(writer, entry);
    writer.put_uint(message.commit);
    put_snapshot(writer, message.snapshot);
    writer.put_byte(message.reject ? 1 : 0);
    writer.put_uint(message.reject_hint);
    writer.put_bytes(message.context);
}

bool read_message_type(Reader& reader, raft::MessageType* type) {
    std::uint8_t raw = 0;
    if (!reader.read_byte("message.type", &raw)) return false;
    if (raw > static_cast<std::uint8_t>(raft::MessageType::kCheckQuorum)) {
        return reader.fail(StatusCode::kInvalidArgument,
                           "codec: unknown message type " + std::to_string(raw));
    }
    *type = static_cast<raft::MessageType>(raw);
    // A local input (MsgHup, MsgBeat, ...) from a peer would let it drive our core
    // directly, e.g. force an election; refuse it at the boundary.
    if (!raft::is_network_message(*type)) {
        return reader.fail(StatusCode::kInvalidArgument,
                           std::string("codec: message type ") + raft::message_type_name(*type) +
                               " is local and never crosses the network");
    }
    return true;
}

bool read_message(Reader& reader, raft::Message* message) {
    if (!read_message_type(reader, &message->type)) return false;
    reader.read_uint("message.to", &message->to);
    reader.read_uint("message.from", &message->from);
    reader.read_uint("message.term", &message->term);
    reader.read_uint("message.log_term", &message->log_term);
    reader.read_uint("message.index", &message->index);
    std::uint64_t count = 0;
    if (!reader.read_length("message.entries", &count)) return false;
    message->entries.clear();
    message->entries.reserve(static_cast<std::size_t>(count));
    for (std::uint64_t i = 0; i < count; ++i) {
        raft::Entry entry;
        if (!read_entry(reader, &entry)) return false;
        message->entries.push_back(std::move(entry));
    }
    reader.read_uint("message.commit", &message->commit);
    read_snapshot(reader, &message->snapshot);
    reader.read_bool("message.reject", &message->reject);
    reader.read_uint("message.reject_hint", &message->reject_hint);
    return reader.read_bytes("message.context", &message->context);
}

template <typename T, typename Put>
std::string encode(Kind kind, const T& value, Put put) {
    Writer writer(kind);
    put(writer, value);
    return writer.take();
}

template <typename T, typename Read>
Result<T> decode(Kind kind, std::string_view bytes, Read read) {
    Reader reader(bytes);
    T value{};
    if (reader.read_header(kind)) read(reader, &value);
    if (!reader.finish()) return reader.status();
    return value;
}

}  // namespace

std::string encode_entry(const raft::Entry& entry) {
    return encode(Kind::kEntry, entry, put_entry);
}
std::string encode_hard_state(const raft::HardState& hard_state) {
    return encode(Kind::kHardState, hard_state, put_hard_state);
}
std::string encode_conf_state(const raft::ConfState& conf_state) {
    return encode(Kind::kConfState, conf_state, put_conf_state);
}
std::string encode_snapshot_metadata(const raft::SnapshotMetadata& metadata) {
    return encode(Kind::kSnapshotMetadata, metadata, put_snapshot_metadata);
}
std::string encode_snapshot(const raft::Snapshot& snapshot) {
    return encode(Kind::kSnapshot, snapshot, put_snapshot);
}
std::string encode_message(const raft::Message& message) {
    return encode(Kind::kMessage, message, put_message);
}

Result<raft::Entry> decode_entry(std::string_view bytes) {
    return decode<raft::Entry>(Kind::kEntry, bytes, read_entry);
}
Result<raft::HardState> decode_hard_state(std::string_view bytes) {
    return decode<raft::HardState>(Kind::kHardState, bytes, read_hard_state);
}
Result<raft::ConfState> decode_conf_state(std::string_view bytes) {
    return decode<raft::ConfState>(Kind::kConfState, bytes, read_conf_state);
}
Result<raft::SnapshotMetadata> decode_snapshot_metadata(std::string_view bytes) {
    return decode<raft::SnapshotMetadata>(Kind::kSnapshotMetadata, bytes, read_snapshot_metadata);
}
Result<raft::Snapshot> decode_snapshot(std::string_view bytes) {
    return decode<raft::Snapshot>(Kind::kSnapshot, bytes, read_snapshot);
}
Result<raft::Message> decode_message(std::string_view bytes) {
    return decode<raft::Message>(Kind::kMessage, bytes, read_message);
}

}  // namespace consensus::wal
