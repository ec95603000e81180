#include "node/entry_codec.h"

#include <utility>

#include "consensus/little_endian.h"

namespace consensus::node {

namespace detail {

void Writer::u32(std::uint32_t value) {
    put_fixed32(&out_, value);
}

void Writer::u64(std::uint64_t value) {
    put_fixed64(&out_, value);
}

void Writer::str(std::string_view value) {
    u32(static_cast<std::uint32_t>(value.size()));
    out_.append(value);
}

void Writer::list(const std::vector<std::string>& values) {
    u32(static_cast<std::uint32_t>(values.size()));
    for (const auto& value : values) str(value);
}

bool Reader::u8(std::uint8_t* value) {
    if (position_ + 1 > bytes_.size()) return false;
    *value = static_cast<std::uint8_t>(bytes_[position_++]);
    return true;
}

bool Reader::u32(std::uint32_t* value) {
    if (position_ + 4 > bytes_.size()) return false;
    *value = get_fixed32(bytes_.substr(position_));
    position_ += 4;
    return true;
}

bool Reader::u64(std::uint64_t* value) {
    if (position_ + 8 > bytes_.size()) return false;
    *value = get_fixed64(bytes_.substr(position_));
    position_ += 8;
    return true;
}

bool Reader::str(std::string* value) {
    std::uint32_t length = 0;
    if (!u32(&length)) return false;
    if (length > bytes_.size() - position_) return false;
    value->assign(bytes_.substr(position_, length));
    position_ += length;
    return true;
}

bool Reader::list(std::vector<std::string>* values) {
    std::uint32_t count = 0;
    if (!u32(&count)) return false;
    // Each element needs at least its 4-byte length, so a count larger than the
    // remaining bytes allow is damage; checking first avoids a huge reserve.
    if (count > (bytes_.size() - position_) / 4) return false;
    values->clear();
    values->reserve(count);
    for (std::uint32_t i = 0; i < count; ++i) {
        std::string value;
        if (!str(&value)) return false;
        values->push_back(std::move(value));
    }
    return true;
}

}  // namespace detail

namespace {

Status corruption(const char* what) {
    return Status(StatusCode::kCorruption, what);
}

}  // namespace

std::string encode_kv_entry(std::string_view kv_command_bytes) {
    detail::Writer writer;
    writer.u8(static_cast<std::uint8_t>(NodeEntryKind::kKvCommand));
    writer.raw(kv_command_bytes);
    return writer.take();
}

std::string encode_member_attributes_entry(std::uint64_t request_id, NodeId id,
                                           const std::string& name,
                                           const std::vector<std::string>& client_urls) {
    detail::Writer writer;
    writer.u8(static_cast<std::uint8_t>(NodeEntryKind::kMemberAttributes));
    writer.u64(request_id);
    writer.u64(id);
    writer.str(name);
    writer.list(client_urls);
    return writer.take();
}

std::string encode_member_peer_urls_entry(std::uint64_t request_id, NodeId id,
                                          const std::vector<std::string>& peer_urls) {
    detail::Writer writer;
    writer.u8(static_cast<std::uint8_t>(NodeEntryKind::kMemberPeerUrls));
    writer.u64(request_id);
    writer.u64(id);
    writer.list(peer_urls);
    return writer.take();
}

Result<NodeEntry> decode_node_entry(std::string_view data) {
    detail::Reader reader(data);
    std::uint8_t kind = 0;
    if (!reader.u8(&kind)) return corruption("empty node entry");
    NodeEntry entry;
    switch (static_cast<NodeEntryKind>(kind)) {
        case NodeEntryKind::kKvCommand:
            entry.kind = NodeEntryKind::kKvCommand;
            entry.kv_command = std::string(reader.rest());
            return entry;
        case NodeEntryKind::kMemberAttributes:
            entry.kind = NodeEntryKind::kMemberAttributes;
            if (!reader.u64(&entry.request_id) || !reader.u64(&entry.member.id) ||
                !reader.str(&entry.member.name) || !reader.list(&entry.member.client_urls) ||
                !reader.at_end()) {
                return corruption("truncated member attributes entry");
            }
            return entry;
        case NodeEntryKind::kMemberPeerUrls:
            entry.kind = NodeEntryKind::kMemberPeerUrls;
            if (!reader.u64(&entry.request_id) || !reader.u64(&entry.member.id) ||
                !reader.list(&entry.member.peer_urls) || !reader.at_end()) {
                return corruption("truncated member peer urls entry");
            }
            return entry;
    }
    return corruption("unknown node entry kind");
}

std::string encode_member(const service::Member& member) {
    detail::Writer writer;
    writer.u64(member.id);
    writer.str(member.name);
    writer.list(member.peer_urls);
    writer.list(member.client_urls);
    writer.u8(member.is_learner ? 1 : 0);
    return writer.take();
}

Result<service::Member> decode_member(std::string_view bytes) {
    detail::Reader reader(bytes);
    service::Member member;
    std::uint8_t learner = 0;
    if (!reader.u64(&member.id) || !reader.str(&member.name) || !reader.list(&member.peer_urls) ||
        !reader.list(&member.client_urls) || !reader.u8(&learner) || !reader.at_end() ||
        learner > 1) {
        return corruption("damaged member record");
    }
    member.is_learner = learner == 1;
    return member;
}

std::string encode_conf_change_context(const ConfChangeContext& context) {
    detail::Writer writer;
    writer.u64(context.request_id);
    writer.str(encode_member(context.member));
    return writer.take();
}

Result<ConfChangeContext> decode_conf_change_context(std::string_view bytes) {
    detail::Reader reader(bytes);
    ConfChangeContext context;
    std::string member;
    if (!reader.u64(&context.request_id) || !reader.str(&member) || !reader.at_end()) {
        return corruption("damaged conf change context");
    }
    auto decoded = decode_member(member);
    if (!decoded.is_ok()) return decoded.status();
    context.member = std::move(decoded.value());
    return context;
}

namespace {
constexpr std::uint8_t kSnapshotDataVersion = 1;
}  // namespace

std::string encode_snapshot_data_head(std::string_view member_table) {
    detail::Writer writer;
    writer.u8(kSnapshotDataVersion);
    writer.str(member_table);
    return writer.take();
}

std::string encode_snapshot_data(const SnapshotData& data) {
    std::string bytes = encode_snapshot_data_head(data.member_table);
    bytes += data.store;
    return bytes;
}

Result<SnapshotData> decode_snapshot_data(std::string_view bytes) {
    detail::Reader reader(bytes);
    std::uint8_t version = 0;
    if (!reader.u8(&version)) return corruption("empty snapshot data");
    if (version != kSnapshotDataVersion) return corruption("unknown snapshot data version");
    SnapshotData data;
    if (!reader.str(&data.member_table)) return corruption("truncated snapshot member table");
    data.store = std::string(reader.rest());
    return data;
}

}  // namespace consensus::node
