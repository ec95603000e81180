#pragma once
/// Snapshot format of the kv state: the v2 store (V2State: the tree, the current index,
/// the event history and the counters) and, from version 2 on, the v3 state (V3State:
/// the keyspace with its kept history and revisions, and the leases). Raft ships it to
/// slow followers and the WAL keeps it [thesis §5.1]; restoring it must reproduce the
/// state exactly, so that a watch from a past index or revision resumes the same way on
/// every member.
///
/// Layout (version 2), integers little-endian and fixed width (codec.h):
///
///   4 bytes  magic "CKV2"
///   u8       version             kSnapshotFormatVersion (1 is still read, see below)
///   u64      body length          number of body bytes that follow
///   body:
///     u64    current_index
///     15 x u64 counters           StoreStats in declaration order, without `watchers`
///     u64    root created_index, u64 root modified_index (the root is a permanent dir)
///     u64    count of the other nodes, then each in pre-order (parents first):
///            u64 parent (0 = the root, n = the n-th node of this list), str name,
///            u8 is_dir, str value, u64 created_index, u64 modified_index,
///            u8 has_expiration, [i64 expire_unix_nanos]
///            Nodes carry their name, not their path, so a deep key costs its depth
///            in bytes rather than the square of it.
///     u64    event count (<= kEventHistoryMax), then each event oldest first:
///            u64 index, u8 refresh, str action, node, u8 has_prev_node, [node]
///            where node = str key, u8 is_root, u8 dir, u8 has_value, [str value],
///            u64 created_index, u64 modified_index, u8 has_ttl, [i64 ttl],
///            u8 has_expiration, [i64 expiration], u32 child count, children...
///     v3 section                  (version 2 only) laid out in v3_snapshot.h
///   u32      CRC-32 (IEEE) of every byte before it
///
/// Version 1 is version 2 without the v3 section; it decodes to an empty v3 state
/// (revision 1, no keys, no leases), which is what a store of that time held.
///
/// Restore checks the magic, version, length and checksum before parsing, then the
/// structure (a parent comes earlier and is a dir, names are single clean path
/// components and unique among siblings, indices are at
/// most current_index, history indices are consecutive, nesting is bounded; the v3
/// section's own checks are in v3_snapshot.h). Any failure is kCorruption and the
/// caller's state is left untouched, because the state is built aside and swapped in
/// only when complete.

#include <cstdint>
#include <string>
#include <string_view>

#include "consensus/status.h"
#include "kv/v2_store.h"
#include "kv/v3_state.h"

namespace consensus::kv {

inline constexpr std::uint8_t kSnapshotFormatVersion = 2;
/// The oldest version restore still reads.
inline constexpr std::uint8_t kSnapshotFormatVersionOldest = 1;

/// How deep V2Node children may nest inside a recorded event. Events written by the
/// store carry no children at all; the bound keeps a damaged snapshot from recursing
/// without limit.
inline constexpr int kSnapshotEventNodeDepthMax = 8;

/// Everything a snapshot holds.
struct SnapshotState {
    V2State v2;
    V3State v3;
};

/// Encodes the whole state in the current version. Never fails.
std::string encode_snapshot(const V2State& v2, const V3State& v3);
/// As encode_snapshot, appended to `out` (whose bytes before are kept as they are).
void append_snapshot(const V2State& v2, const V3State& v3, std::string* out);

/// Decodes bytes from encode_snapshot, of this or an older version. kCorruption for
/// anything else. The v3 keyspace's older records go to `v3_history`, which must be
/// empty.
Result<SnapshotState> decode_snapshot(std::string_view bytes, V3HistoryLog v3_history = {});

/// encode_snapshot with an empty v3 state (for v2-only callers and tests).
std::string encode_v2_snapshot(const V2State& state);

/// decode_snapshot's v2 part.
Result<V2State> decode_v2_snapshot(std::string_view bytes);

}  // namespace consensus::kv
