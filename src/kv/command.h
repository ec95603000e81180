#pragma once
/// Commands: what node/ proposes through Raft and kv/ applies.
///
/// Wire format (version 2). A command is one byte string, the payload of one Raft
/// entry. Integers are little-endian and fixed width, strings are a u32 length and the
/// bytes, booleans one byte 0 or 1 (see codec.h):
///
///   u8  version            kCommandFormatVersion (2), or 1 for entries written before
///                          v3 existed; any other value is refused
///   u8  kind               Command::Kind: 1..10 in version 2, 1..4 in version 1
///   u64 request_id
///   i64 now_unix_nanos
///   -- kV2Write and kV2QuorumGet, the v2 request:
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
///   -- kV3Txn:
///   u8  v3_op              RequestOp::Kind (0 range, 1 put, 2 delete_range, 3 txn)
///   txn                    v3_txn, below
///   -- kV3Compact:         i64 v3_revision
///   -- kV3LeaseGrant:      i64 v3_lease_id, i64 v3_lease_ttl
///   -- kV3LeaseRevoke, kV3LeaseRenew: i64 v3_lease_id
///   -- kV2ExpireSync, kNoop, kV3LeaseExpireSync: nothing more
///
///   txn      = u32 n, n x compare; u32 n, n x op (success); u32 n, n x op (failure)
///   compare  = u8 result (0..3), u8 target (0..4), str key, str range_end,
///              i64 target_number, str target_value
///   op       = u8 kind (0..3), then by kind:
///     range        str key, str range_end, i64 limit, i64 revision, u8 sort_order (0..2),
///                  u8 sort_target (0..4), u8 serializable, keys_only, count_only,
///                  i64 min_mod_revision, max_mod_revision, min_create_revision,
///                  max_create_revision
///     put          str key, str value, i64 lease, u8 prev_kv, ignore_value, ignore_lease
///     delete_range str key, str range_end, u8 prev_kv
///     txn          txn (one nesting level deeper)
///
/// Every field of the v3 requests travels, even those apply ignores, so what was
/// proposed is exactly what every member applies. Enum bytes outside their range are
/// refused, and a txn may nest at most kV3TxnNestingMax txns below the top one, so
/// hostile bytes cannot drive the decoder's recursion deep. A list count larger than
/// the bytes left is refused before anything is allocated.
///
/// Decoding is total: any byte string either decodes to a command that re-encodes to
/// the same bytes (up to the version byte of a version-1 entry, below), or yields
/// kCorruption. Trailing bytes are an error, so a damaged
/// length can never be mistaken for a shorter valid command. A new field means a new
/// version byte; old versions stay decodable because committed entries live forever
/// in the log. Version 2 lays kinds 1..4 out exactly as version 1 did, so a version-1
/// entry decodes to the same command as before and re-encodes identically except for
/// its version byte.
///
/// Determinism: applying a command depends only on its bytes and the store state.
/// The proposer's wall clock travels inside the command (now_unix_nanos), so every
/// member computes the same TTL expirations [thesis §6.4 and LogCabin ClusterClock].

#include <cstdint>
#include <string>
#include <string_view>

#include "consensus/service.h"
#include "consensus/status.h"
#include "consensus/v3.h"

namespace consensus::kv {

/// The format version written by encode_command.
inline constexpr std::uint8_t kCommandFormatVersion = 2;

/// How many txns may nest below the top one of a kV3Txn. etcd bounds nesting only
/// through its op budget: with the default --max-txn-ops of 128 each level costs its
/// parent at least one op, so at most 128 levels nest; the same number here means every
/// txn etcd accepts fits (kv/v3_validate.h refuses deeper ones).
inline constexpr int kV3TxnNestingMax = 128;

/// One state machine command. A plain value; node/ builds it, kv/ applies it.
struct Command {
    enum class Kind : std::uint8_t {
        kV2Write = 1,
        kV2ExpireSync = 2,
        kV2QuorumGet = 3,
        kNoop = 4,
        // v3 keyspace (format version 2). Put and delete_range travel as a txn of one
        // unconditional op, so every v3 write takes the one apply path etcd's applyTxn
        // takes; `v3_op` says which reply the proposer wants back.
        kV3Txn = 5,
        kV3Compact = 6,           ///< v3_revision (physical is not replicated: no effect)
        kV3LeaseGrant = 7,        ///< v3_lease_id (non-zero, chosen by the proposer), v3_lease_ttl
        kV3LeaseRevoke = 8,       ///< v3_lease_id
        kV3LeaseRenew = 9,        ///< v3_lease_id: expiry becomes now + its granted TTL
        kV3LeaseExpireSync = 10,  ///< revokes every lease expiring at or before now
    };
    Kind kind = Kind::kNoop;
    /// The node's waiter id (member id in the high bits); 0 means nobody waits.
    std::uint64_t request_id = 0;
    /// The proposer's wall clock. TTL expirations are computed from it; for
    /// kV2ExpireSync it is the leader's time, and keys expiring at or before it go.
    std::int64_t now_unix_nanos = 0;
    /// For kV2Write (method PUT, POST or DELETE) and kV2QuorumGet; ignored otherwise.
    service::V2Request request;
    /// For kV3Txn.
    service::v3::TxnRequest v3_txn;
    /// For kV3Txn: which request the proposer made (kPut, kDeleteRange or kTxn), so
    /// the reply can be the single op's response. Informational for apply.
    service::v3::RequestOp::Kind v3_op = service::v3::RequestOp::Kind::kTxn;
    /// For kV3Compact.
    std::int64_t v3_revision = 0;
    /// For the lease kinds.
    std::int64_t v3_lease_id = 0;
    std::int64_t v3_lease_ttl = 0;
};

/// Encodes a command in the current format. Never fails. Only the fields of
/// `command.kind` are written. An enum holding a value outside its range (validation
/// in kv/v3_validate.h keeps such requests out) is written as a byte decode_command
/// refuses, never as some other valid value; a kTxn op with no txn is written as an
/// empty txn.
std::string encode_command(const Command& command);

/// Decodes bytes produced by encode_command (of this or an older version). Returns
/// kCorruption for anything else (truncated, trailing bytes, unknown version or kind,
/// a v2 key not starting with "/", an enum byte out of range, a txn nested deeper than
/// kV3TxnNestingMax); never crashes and never reads out of bounds.
Result<Command> decode_command(std::string_view bytes);

}  // namespace consensus::kv
