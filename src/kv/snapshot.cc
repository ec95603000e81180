#include "kv/snapshot.h"

#include <utility>
#include <vector>

#include "kv/codec.h"
#include "kv/v3_snapshot.h"

namespace consensus::kv {
namespace {

using detail::ByteReader;
using detail::ByteWriter;

constexpr std::string_view kMagic = "CKV2";
constexpr std::size_t kHeaderBytes = 4 + 1 + 8;
constexpr std::size_t kChecksumBytes = 4;

/// The counters in their on-disk order; one list serves both directions.
std::vector<std::uint64_t*> counters_of(service::StoreStats* stats) {
    return {&stats->gets_success,
            &stats->gets_fail,
            &stats->sets_success,
            &stats->sets_fail,
            &stats->delete_success,
            &stats->delete_fail,
            &stats->update_success,
            &stats->update_fail,
            &stats->create_success,
            &stats->create_fail,
            &stats->compare_and_swap_success,
            &stats->compare_and_swap_fail,
            &stats->compare_and_delete_success,
            &stats->compare_and_delete_fail,
            &stats->expire_count};
}

void encode_tree(const V2Tree& tree, ByteWriter* writer) {
    writer->put_u64(tree.root().created_index);
    writer->put_u64(tree.root().modified_index);
    struct Pending {
        const V2TreeNode* node;
        std::uint64_t parent;
    };
    std::vector<Pending> pending;
    auto push_children = [&pending](const V2TreeNode& node, std::uint64_t ordinal) {
        for (auto child = node.children.rbegin(); child != node.children.rend(); ++child) {
            pending.push_back(Pending{child->second.get(), ordinal});
        }
    };
    ByteWriter records;
    std::uint64_t count = 0;
    push_children(tree.root(), 0);
    while (!pending.empty()) {
        const Pending next = pending.back();
        pending.pop_back();
        const V2TreeNode& node = *next.node;
        ++count;
        records.put_u64(next.parent);
        records.put_string(base_name(node.path));
        records.put_bool(node.is_dir);
        records.put_string(node.value);
        records.put_u64(node.created_index);
        records.put_u64(node.modified_index);
        records.put_bool(node.expire_unix_nanos.has_value());
        if (node.expire_unix_nanos) records.put_i64(*node.expire_unix_nanos);
        push_children(node, count);
    }
    writer->put_u64(count);
    writer->put_raw(records.bytes());
}

void encode_node(const service::V2Node& node, ByteWriter* writer) {
    writer->put_string(node.key);
    writer->put_bool(node.is_root);
    writer->put_bool(node.dir);
    writer->put_bool(node.value.has_value());
    if (node.value) writer->put_string(*node.value);
    writer->put_u64(node.created_index);
    writer->put_u64(node.modified_index);
    writer->put_bool(node.ttl.has_value());
    if (node.ttl) writer->put_i64(*node.ttl);
    writer->put_bool(node.expiration_unix_nanos.has_value());
    if (node.expiration_unix_nanos) writer->put_i64(*node.expiration_unix_nanos);
    writer->put_u32(static_cast<std::uint32_t>(node.nodes.size()));
    for (const service::V2Node& child : node.nodes) encode_node(child, writer);
}

bool decode_node(ByteReader* reader, int depth, service::V2Node* node) {
    if (depth > kSnapshotEventNodeDepthMax) return false;
    node->key = reader->get_string();
    node->is_root = reader->get_bool();
    node->dir = reader->get_bool();
    if (reader->get_bool()) node->value = reader->get_string();
    node->created_index = reader->get_u64();
    node->modified_index = reader->get_u64();
    if (reader->get_bool()) node->ttl = reader->get_i64();
    if (reader->get_bool()) node->expiration_unix_nanos = reader->get_i64();
    const std::uint32_t children = reader->get_u32();
    // Each child takes well over one byte, so a count above the bytes left is damage
    // (and would otherwise make us reserve memory for garbage).
    if (reader->failed() || children > reader->remaining()) return false;
    for (std::uint32_t i = 0; i < children; ++i) {
        node->nodes.emplace_back();
        if (!decode_node(reader, depth + 1, &node->nodes.back())) return false;
    }
    return !reader->failed();
}

bool is_valid_name(std::string_view name) {
    return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos;
}

bool decode_tree(ByteReader* reader, V2State* state) {
    V2TreeNode& root = state->tree.root();
    root.created_index = reader->get_u64();
    root.modified_index = reader->get_u64();
    if (root.created_index > root.modified_index || root.modified_index > state->current_index) {
        return false;
    }
    const std::uint64_t count = reader->get_u64();
    // Every record takes dozens of bytes, so a count above the bytes left is damage.
    if (reader->failed() || count > reader->remaining()) return false;
    std::vector<V2TreeNode*> decoded{&root};
    decoded.reserve(static_cast<std::size_t>(count) + 1);
    for (std::uint64_t i = 0; i < count; ++i) {
        const std::uint64_t parent = reader->get_u64();
        const std::string name = reader->get_string();
        const bool is_dir = reader->get_bool();
        std::string value = reader->get_string();
        const Revision created_index = reader->get_u64();
        const Revision modified_index = reader->get_u64();
        std::optional<std::int64_t> expire;
        if (reader->get_bool()) expire = reader->get_i64();
        if (reader->failed() || parent >= decoded.size() || !is_valid_name(name)) return false;
        if (is_dir && !value.empty()) return false;
        if (created_index > modified_index || modified_index > state->current_index) {
            return false;
        }
        V2TreeNode& parent_node = *decoded[static_cast<std::size_t>(parent)];
        if (!parent_node.is_dir || parent_node.children.count(name) != 0) return false;
        V2TreeNode& node = state->tree.add_child(parent_node, name, is_dir, std::move(value),
                                                 created_index, expire);
        node.modified_index = modified_index;
        decoded.push_back(&node);
    }
    return true;
}

bool decode_history(ByteReader* reader, V2State* state) {
    const std::uint64_t count = reader->get_u64();
    if (reader->failed() || count > kEventHistoryMax) return false;
    Revision previous = 0;
    for (std::uint64_t i = 0; i < count; ++i) {
        HistoryEvent event;
        event.index = reader->get_u64();
        event.refresh = reader->get_bool();
        event.event.action = reader->get_string();
        if (!decode_node(reader, 0, &event.event.node)) return false;
        if (reader->get_bool()) {
            event.event.prev_node.emplace();
            if (!decode_node(reader, 0, &*event.event.prev_node)) return false;
        }
        if (reader->failed() || event.index == 0 || event.index > state->current_index) {
            return false;
        }
        if (i > 0 && event.index != previous + 1) return false;
        previous = event.index;
        state->history.add(std::move(event));
    }
    return true;
}

}  // namespace

std::string encode_snapshot(const V2State& v2, const V3State& v3) {
    std::string out;
    append_snapshot(v2, v3, &out);
    return out;
}

void append_snapshot(const V2State& v2, const V3State& v3, std::string* out) {
    // One buffer from the header to the checksum: the body is not built aside and
    // copied, since a snapshot can be most of the member's memory.
    const std::size_t start = out->size();
    ByteWriter writer(std::move(*out));
    writer.put_raw(kMagic);
    writer.put_u8(kSnapshotFormatVersion);
    const std::size_t length_offset = writer.bytes().size();
    writer.put_u64(0);  // the body length, patched below
    const std::size_t body_start = writer.bytes().size();
    writer.put_u64(v2.current_index);
    service::StoreStats stats = v2.stats;
    for (std::uint64_t* counter : counters_of(&stats)) writer.put_u64(*counter);
    encode_tree(v2.tree, &writer);
    writer.put_u64(v2.history.size());
    for (const HistoryEvent& event : v2.history.events()) {
        writer.put_u64(event.index);
        writer.put_bool(event.refresh);
        writer.put_string(event.event.action);
        encode_node(event.event.node, &writer);
        writer.put_bool(event.event.prev_node.has_value());
        if (event.event.prev_node) encode_node(*event.event.prev_node, &writer);
    }
    encode_v3_state(v3, &writer);
    writer.patch_u64(length_offset, writer.bytes().size() - body_start);
    writer.put_u32(detail::crc32(std::string_view(writer.bytes()).substr(start)));
    *out = writer.take();
}

Result<SnapshotState> decode_snapshot(std::string_view bytes, V3HistoryLog v3_history) {
    if (bytes.size() < kHeaderBytes + kChecksumBytes) {
        return Status(StatusCode::kCorruption, "kv snapshot: too short");
    }
    ByteReader header(bytes);
    if (header.get_raw(kMagic.size()) != kMagic) {
        return Status(StatusCode::kCorruption, "kv snapshot: bad magic");
    }
    const std::uint8_t version = header.get_u8();
    if (version < kSnapshotFormatVersionOldest || version > kSnapshotFormatVersion) {
        return Status(StatusCode::kCorruption, "kv snapshot: unknown format version");
    }
    const std::uint64_t body_length = header.get_u64();
    if (body_length != bytes.size() - kHeaderBytes - kChecksumBytes) {
        return Status(StatusCode::kCorruption, "kv snapshot: length mismatch");
    }
    const std::string_view covered = bytes.substr(0, bytes.size() - kChecksumBytes);
    ByteReader trailer(bytes.substr(covered.size()));
    if (trailer.get_u32() != detail::crc32(covered)) {
        return Status(StatusCode::kCorruption, "kv snapshot: checksum mismatch");
    }

    ByteReader reader(covered.substr(kHeaderBytes));
    SnapshotState state;
    state.v3.keyspace = V3Keyspace(std::move(v3_history));
    V2State& v2 = state.v2;
    v2.current_index = reader.get_u64();
    for (std::uint64_t* counter : counters_of(&v2.stats)) *counter = reader.get_u64();
    if (reader.failed() || !decode_tree(&reader, &v2) || !decode_history(&reader, &v2)) {
        return Status(StatusCode::kCorruption, "kv snapshot: malformed body");
    }
    // Version 1 ends here: its store had no v3 keyspace, so the default (empty) v3
    // state is exactly what it held.
    if (version >= 2 && !decode_v3_state(&reader, &state.v3)) {
        return Status(StatusCode::kCorruption, "kv snapshot: malformed v3 section");
    }
    if (!reader.finished_cleanly()) {
        return Status(StatusCode::kCorruption, "kv snapshot: malformed body");
    }
    return state;
}

std::string encode_v2_snapshot(const V2State& state) {
    return encode_snapshot(state, V3State{});
}

Result<V2State> decode_v2_snapshot(std::string_view bytes) {
    Result<SnapshotState> state = decode_snapshot(bytes);
    if (!state.is_ok()) return state.status();
    return std::move(state.value().v2);
}

}  // namespace consensus::kv
