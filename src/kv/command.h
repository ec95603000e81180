#pragma once
/// Commands: what node/ proposes through Raft and kv/ applies.
///
/// Wire format (version 1). A command is one byte string, the payload of one Raft
/// entry. Integers are little-endian and fixed width, strings are length-prefixed
/// (see codec.h):
///
///   u8  version            kCommandFormatVersion; any other value is refused
///   u8  kind               Command::Kind (1..4); any other value is refused
///   u64 request_id
///   i64 now_unix_nanos
///   -- only for kV2Write and kV2QuorumGet, the request:
///   u8  method             V2Method (0 GET, 1 PUT, 2 POST, 3 DELETE)
///   str key                must start with "/"
///   u8  has_value, [str value]
///   u8  dir
///   u8  has_prev_value, [str prev_value]
///   u64 prev_index
///   u8  prev_exist         0 unset, 1 false, 2 true
///   u8  has_ttl, [u64 ttl]
///   u8  refresh, no_value_on_success, recursive, sorted, quorum, wait
///   u64 wait_index
///   u8  stream
///
/// Decoding is total: any byte string either decodes to a command that re-encodes to
/// the same bytes, or yields kCorruption. Trailing bytes are an error, so a damaged
/// length can never be mistaken for a shorter valid command. A new field means a new
/// version byte; old versions stay decodable because committed entries live forever
/// in the log.
///
/// Determinism: applying a command depends only on its bytes and the store state.
/// The proposer's wall clock travels inside the command (now_unix_nanos), so every
/// member computes the same TTL expirations [thesis §6.4 and LogCabin ClusterClock].

#include <cstdint>
#include <string>
#include <string_view>

#include "consensus/service.h"
#include "consensus/status.h"

namespace consensus::kv {

/// The format version written by encode_command.
inline constexpr std::uint8_t kCommandFormatVersion = 1;

/// One state machine command. A plain value; node/ builds it, kv/ applies it.
struct Command {
    enum class Kind : std::uint8_t { kV2Write = 1, kV2ExpireSync = 2, kV2QuorumGet = 3, kNoop = 4 };
    Kind kind = Kind::kNoop;
    /// The node's waiter id (member id in the high bits); 0 means nobody waits.
    std::uint64_t request_id = 0;
    /// The proposer's wall clock. TTL expirations are computed from it; for
    /// kV2ExpireSync it is the leader's time, and keys expiring at or before it go.
    std::int64_t now_unix_nanos = 0;
    /// For kV2Write (method PUT, POST or DELETE) and kV2QuorumGet; ignored otherwise.
    service::V2Request request;
};

/// Encodes a command in the current format. Never fails.
std::string encode_command(const Command& command);

/// Decodes bytes produced by encode_command (of this or an older version). Returns
/// kCorruption for anything else (truncated, trailing bytes, unknown version or kind,
/// a key not starting with "/"); never crashes and never reads out of bounds.
Result<Command> decode_command(std::string_view bytes);

}  // namespace consensus::kv
