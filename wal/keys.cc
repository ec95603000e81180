#include "wal/keys.h"

#include "consensus/little_endian.h"
#include "wal/crc32c.h"

namespace consensus::wal {
namespace {

/// version:u8 + two u64 fields.
constexpr std::size_t kFixedRecordBytes = 1 + 8 + 8;

Status check_fixed_record(const char* what, std::string_view payload) {
    if (payload.size() != kFixedRecordBytes) {
        return Status(StatusCode::kCorruption,
                      std::string(what) + " record has " + std::to_string(payload.size()) +
                          " bytes, expected " + std::to_string(kFixedRecordBytes));
    }
    const auto version = static_cast<std::uint8_t>(payload[0]);
    if (version != kRecordVersion) {
        return Status(StatusCode::kCorruption,
                      std::string(what) + " record has unknown version " + std::to_string(version));
    }
    return Status::ok();
}

std::string encode_pair(std::uint64_t first, std::uint64_t second) {
    std::string out;
    out.push_back(static_cast<char>(kRecordVersion));
    put_fixed64(&out, first);
    put_fixed64(&out, second);
    return out;
}

}  // namespace

std::string entry_key(Index index) {
    std::string key(kEntryKeyBytes, '\0');
    key[0] = kEntryPrefix;
    for (std::size_t i = 0; i < 8; ++i) {
        key[1 + i] = static_cast<char>((index >> (8 * (7 - i))) & 0xFF);
    }
    return key;
}

bool parse_entry_key(std::string_view key, Index* index) {
    if (key.size() != kEntryKeyBytes || key[0] != kEntryPrefix) return false;
    Index value = 0;
    for (std::size_t i = 0; i < 8; ++i) {
        value = (value << 8) | static_cast<std::uint8_t>(key[1 + i]);
    }
    *index = value;
    return true;
}

std::string frame_record(std::string_view key, std::string_view payload) {
    std::uint32_t crc = crc32c(key);
    crc = crc32c_extend(crc, payload.data(), payload.size());
    std::string value;
    value.reserve(kChecksumBytes + payload.size());
    put_fixed32(&value, crc);
    value.append(payload.data(), payload.size());
    return value;
}

Result<std::string_view> unframe_record(std::string_view key, std::string_view value) {
    if (value.size() < kChecksumBytes) {
        return Status(StatusCode::kCorruption, "record is shorter than its checksum (" +
                                                   std::to_string(value.size()) + " bytes)");
    }
    const std::string_view payload = value.substr(kChecksumBytes);
    std::uint32_t crc = crc32c(key);
    crc = crc32c_extend(crc, payload.data(), payload.size());
    if (crc != get_fixed32(value)) return Status(StatusCode::kCorruption, "checksum mismatch");
    return payload;
}

std::string encode_identity(const Identity& identity) {
    return encode_pair(identity.cluster_id, identity.member_id);
}

Result<Identity> decode_identity(std::string_view payload) {
    Status status = check_fixed_record("identity", payload);
    if (!status.is_ok()) return status;
    return Identity{get_fixed64(payload.substr(1)), get_fixed64(payload.substr(9))};
}

std::string encode_log_start(const LogStart& log_start) {
    return encode_pair(log_start.index, log_start.term);
}

Result<LogStart> decode_log_start(std::string_view payload) {
    Status status = check_fixed_record("log start", payload);
    if (!status.is_ok()) return status;
    return LogStart{get_fixed64(payload.substr(1)), get_fixed64(payload.substr(9))};
}

}  // namespace consensus::wal
