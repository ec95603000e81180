#pragma once
/// The v3 section of a kv snapshot (snapshot.h, format version 2 and later): the
/// keyspace with its kept history, the current and compacted revisions, and the leases
/// with their granted TTL and expiry. Framing, version and checksum are snapshot.h's;
/// this file only lays out the section, with codec.h's integers and strings:
///
///   i64  revision             the current revision (>= 1)
///   i64  compact_revision     0 when never compacted
///   u64  key count, then each key in strictly ascending byte order:
///          str  key
///          u64  record count (>= 1), then each record oldest first:
///                 i64 mod_revision, u32 sub, u8 is_tombstone,
///                 and for a put: i64 create_revision, i64 version, i64 lease, str value
///   u64  lease count, then each lease in strictly ascending id order:
///          i64 id, i64 ttl_seconds, i64 expiry_unix_nanos
///
/// A lease's attached keys are not written: they are exactly the keys whose latest
/// record is a put carrying the lease, so decoding rebuilds them from the keyspace.
/// Decoding then runs V3State::check_invariants; any violation (a history out of
/// order, a version that does not count up, a key naming a lease that does not exist,
/// ...) makes the section corrupt.

#include "kv/codec.h"
#include "kv/v3_state.h"

namespace consensus::kv {

/// Appends the section. Never fails.
void encode_v3_state(const V3State& state, detail::ByteWriter* writer);

/// Reads a section written by encode_v3_state into `state`, which must be empty; its
/// keyspace's history log is where the restored history goes.
/// False on any malformed or inconsistent input; `state` is then unspecified.
bool decode_v3_state(detail::ByteReader* reader, V3State* state);

}  // namespace consensus::kv
