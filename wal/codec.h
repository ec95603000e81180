#pragma once
/// Binary encoding of the Raft types (raft/message.h), shared by the WAL (records in
/// LevelDB) and the peer transport (frames on TCP).
///
/// Format, version 1. Every top-level encoding is
///
///     version:u8 (= kCodecVersion)  kind:u8  body
///
/// where `kind` names the type (1 Entry, 2 HardState, 3 ConfState, 5 SnapshotMetadata,
/// 6 Snapshot, 7 Message; 4 is reserved), so bytes of one type never decode as
/// another. Bodies use three primitives:
///   - uint: an unsigned LEB128 varint (7 bits per byte, low group first, high bit set
///     on every byte but the last), at most 10 bytes for a 64-bit value;
///   - byte: one raw byte (enums and booleans; booleans are exactly 0 or 1);
///   - bytes: a uint length followed by that many raw bytes.
/// A list is a uint count followed by its elements. Bodies, field by field:
///   Entry            term:uint index:uint type:byte data:bytes
///   HardState        term:uint vote:uint commit:uint
///   ConfState        voters:list<uint> learners:list<uint> voters_outgoing:list<uint>
///                    learners_next:list<uint> auto_leave:byte
///   SnapshotMetadata index:uint term:uint conf_state:ConfState-body
///   Snapshot         metadata:SnapshotMetadata-body data:bytes
///   Message          type:byte to:uint from:uint term:uint log_term:uint index:uint
///                    entries:list<Entry-body> commit:uint snapshot:Snapshot-body
///                    reject:byte reject_hint:uint context:bytes
/// Nothing may follow the body. A ConfChange travels as the data of a kConfChange
/// entry in the raft core's own format (raft::encode_conf_change in raft/message.h),
/// which is the single encoding of that type; this codec carries it as opaque bytes. The format
/// carries no checksum of its own: WAL records are framed with a CRC-32C by keys.h, and transport
/// frames carry theirs.
///
/// Versioning: a decoder accepts only the versions it knows and refuses the rest with
/// kInvalidArgument; a new field means a new version, never a reinterpretation.
///
/// Decoding treats its input as hostile (it comes from disk or a peer): any truncated,
/// overlong or malformed input yields kCorruption naming the field, an unknown version
/// or enum value yields kInvalidArgument, and no length or count is trusted beyond the
/// bytes that remain, so a forged length can never cause a large allocation. Decoders
/// never assert and never throw.

#include <cstdint>
#include <string>
#include <string_view>

#include "consensus/status.h"
#include "raft/message.h"

namespace consensus::wal {

/// The version byte written by every encoder in this file.
inline constexpr std::uint8_t kCodecVersion = 1;

/// Encoders: total functions, deterministic (equal values give equal bytes).
std::string encode_entry(const raft::Entry& entry);
std::string encode_hard_state(const raft::HardState& hard_state);
std::string encode_conf_state(const raft::ConfState& conf_state);
std::string encode_snapshot_metadata(const raft::SnapshotMetadata& metadata);
std::string encode_snapshot(const raft::Snapshot& snapshot);
/// Encodes any message type, including local ones; decode_message accepts only
/// network types.
std::string encode_message(const raft::Message& message);

/// Decoders: the value, or kCorruption (truncated, trailing or malformed bytes, the
/// wrong kind) / kInvalidArgument (unknown version or enum value) with a message
/// naming the field. Safe on arbitrary bytes.
Result<raft::Entry> decode_entry(std::string_view bytes);
Result<raft::HardState> decode_hard_state(std::string_view bytes);
Result<raft::ConfState> decode_conf_state(std::string_view bytes);
Result<raft::SnapshotMetadata> decode_snapshot_metadata(std::string_view bytes);
Result<raft::Snapshot> decode_snapshot(std::string_view bytes);
/// As the others, and also kInvalidArgument for a local-only message type
/// (raft::is_network_message is false), which must never arrive from a peer.
Result<raft::Message> decode_message(std::string_view bytes);

}  // namespace consensus::wal
