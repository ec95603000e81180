#include "kv/v3_snapshot.h"

#include <string>
#include <utility>
#include <vector>

namespace consensus::kv {
namespace {

using detail::ByteReader;
using detail::ByteWriter;

/// The smallest encoded record (a tombstone: 8 + 4 + 1 bytes) and lease (3 x 8), so a
/// count that cannot fit in the bytes left is refused before anything is reserved.
constexpr std::size_t kRecordBytesMin = 13;
constexpr std::size_t kLeaseBytes = 24;

void encode_record(const V3Record& record, ByteWriter* writer) {
    writer->put_i64(record.mod_revision);
    writer->put_u32(record.sub);
    writer->put_bool(record.is_tombstone);
    if (record.is_tombstone) return;
    writer->put_i64(record.create_revision);
    writer->put_i64(record.version);
    writer->put_i64(record.lease);
    writer->put_string(record.value);
}

bool decode_history(ByteReader* reader, std::vector<V3Record>* history) {
    const std::uint64_t count = reader->get_u64();
    if (reader->failed() || count == 0 || count > reader->remaining() / kRecordBytesMin) {
        return false;
    }
    history->reserve(static_cast<std::size_t>(count));
    for (std::uint64_t i = 0; i < count; ++i) {
        V3Record record;
        record.mod_revision = reader->get_i64();
        record.sub = reader->get_u32();
        record.is_tombstone = reader->get_bool();
        if (!record.is_tombstone) {
            record.create_revision = reader->get_i64();
            record.version = reader->get_i64();
            record.lease = reader->get_i64();
            record.value = reader->get_string();
        }
        if (reader->failed()) return false;
        history->push_back(std::move(record));
    }
    return true;
}

bool decode_keys(ByteReader* reader, V3Keyspace* keyspace) {
    const std::uint64_t count = reader->get_u64();
    if (reader->failed() || count > reader->remaining()) return false;
    std::string previous_key;
    for (std::uint64_t i = 0; i < count; ++i) {
        std::string key = reader->get_string();
        if (reader->failed()) return false;
        // Strictly ascending: appending at the end is then also the fastest insert.
        if (i > 0 && previous_key >= key) return false;
        previous_key = key;
        std::vector<V3Record> history;
        if (!decode_history(reader, &history)) return false;
        keyspace->restore_history(std::move(key), std::move(history));
    }
    return true;
}

bool decode_leases(ByteReader* reader, V3Leases* leases) {
    const std::uint64_t count = reader->get_u64();
    if (reader->failed() || count > reader->remaining() / kLeaseBytes) return false;
    std::int64_t previous_id = 0;
    for (std::uint64_t i = 0; i < count; ++i) {
        const std::int64_t id = reader->get_i64();
        const std::int64_t ttl_seconds = reader->get_i64();
        const std::int64_t expiry = reader->get_i64();
        if (reader->failed() || (i > 0 && id <= previous_id)) return false;
        if (!leases->restore(id, ttl_seconds, expiry)) return false;
        previous_id = id;
    }
    return true;
}

/// Attaches every live leased key to its lease; false if a lease is missing.
bool attach_keys(const V3Keyspace& keyspace, V3Leases* leases) {
    for (const auto& [key, history] : keyspace.keys()) {
        const V3Record& last = history.latest;
        if (last.is_tombstone || last.lease == 0) continue;
        if (!leases->exists(last.lease)) return false;
        leases->attach(last.lease, key);
    }
    return true;
}

}  // namespace

void encode_v3_state(const V3State& state, ByteWriter* writer) {
    writer->put_i64(state.keyspace.revision());
    writer->put_i64(state.keyspace.compact_revision());
    const V3HistoryLog::BulkReads bulk_reads = state.keyspace.bulk_reads();
    writer->put_u64(state.keyspace.keys().size());
    for (const auto& [key, history] : state.keyspace.keys()) {
        writer->put_string(key);
        writer->put_u64(history.size());
        state.keyspace.for_each_record(
            history, [writer](const V3Record& record) { encode_record(record, writer); });
    }
    writer->put_u64(state.leases.leases().size());
    for (const auto& [id, lease] : state.leases.leases()) {
        writer->put_i64(id);
        writer->put_i64(lease.ttl_seconds);
        writer->put_i64(lease.expiry_unix_nanos);
    }
}

bool decode_v3_state(ByteReader* reader, V3State* state) {
    const std::int64_t revision = reader->get_i64();
    const std::int64_t compact_revision = reader->get_i64();
    if (reader->failed()) return false;
    state->keyspace.restore_revisions(revision, compact_revision);
    if (!decode_keys(reader, &state->keyspace)) return false;
    if (!decode_leases(reader, &state->leases)) return false;
    if (!attach_keys(state->keyspace, &state->leases)) return false;
    return state->check_invariants().is_ok();
}

}  // namespace consensus::kv
