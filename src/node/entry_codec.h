#pragma once
/// Formats the member writes into Raft entries and snapshots.
///
/// Normal entry data (EntryType::kNormal). An empty entry is the leader's no-op
/// [Raft §8] and carries nothing. Every other entry starts with one kind byte:
///   0x01 kv command:         [0x01][kv::encode_command bytes]
///   0x02 member attributes:  [0x02][request_id u64][id u64][name str][client_urls list]
///   0x03 member peer URLs:   [0x03][request_id u64][id u64][peer_urls list]
/// where u64 is 8 bytes little-endian, str is [length u32 LE][bytes] and list is
/// [count u32 LE] followed by that many str. The kind byte keeps node-level updates
/// (etcd publishes them as v2 writes under /0/members [etcd: server/etcdserver
/// publish]) out of the kv command space, so kv never sees them. An unknown kind or a
/// truncated payload decodes to kCorruption; the applier logs it and skips the entry
/// rather than crash on bytes from the log.
///
/// ConfChange context (EntryType::kConfChange): [request_id u64][member str], the id of
/// the waiting request (0 = nobody waits) and the encoded service::Member the change
/// is about (see encode_member), so every member learns a new member's peer URLs from
/// the log itself.
///
/// Snapshot data: [version u8 = 1][member table str][store snapshot bytes to the end].
/// The member table travels with the store so a member restored from a snapshot knows
/// every peer's URLs and names.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "consensus/service.h"
#include "consensus/status.h"

namespace consensus::node {

enum class NodeEntryKind : std::uint8_t {
    kKvCommand = 1,
    kMemberAttributes = 2,
    kMemberPeerUrls = 3,
};

/// A decoded normal entry. `kv_command` holds the kv bytes for kKvCommand; `member`
/// holds the id plus the attributes or peer URLs for the member kinds, and
/// `request_id` the waiting request of a member kind (0 = nobody waits).
struct NodeEntry {
    NodeEntryKind kind = NodeEntryKind::kKvCommand;
    std::uint64_t request_id = 0;
    std::string kv_command;
    service::Member member;
};

std::string encode_kv_entry(std::string_view kv_command_bytes);
std::string encode_member_attributes_entry(std::uint64_t request_id, NodeId id,
                                           const std::string& name,
                                           const std::vector<std::string>& client_urls);
std::string encode_member_peer_urls_entry(std::uint64_t request_id, NodeId id,
                                          const std::vector<std::string>& peer_urls);
/// Decodes non-empty entry data. kCorruption on an unknown kind or truncated bytes.
Result<NodeEntry> decode_node_entry(std::string_view data);

/// Encodes a member (id, name, peer and client URLs, learner flag).
std::string encode_member(const service::Member& member);
/// kCorruption on truncated or trailing bytes.
Result<service::Member> decode_member(std::string_view bytes);

/// What a ConfChange entry's context carries, see the file comment.
struct ConfChangeContext {
    std::uint64_t request_id = 0;
    service::Member member;
};
std::string encode_conf_change_context(const ConfChangeContext& context);
/// kCorruption on damaged bytes.
Result<ConfChangeContext> decode_conf_change_context(std::string_view bytes);

/// Snapshot data of the member: the member table and the store, see the file comment.
struct SnapshotData {
    std::string member_table;
    std::string store;
};
std::string encode_snapshot_data(const SnapshotData& data);
/// The bytes of encode_snapshot_data before the store, which the caller appends
/// (kv::Store::append_snapshot) so the store's bytes are written once, in place.
std::string encode_snapshot_data_head(std::string_view member_table);
/// kCorruption on an unknown version or truncated bytes.
Result<SnapshotData> decode_snapshot_data(std::string_view bytes);

namespace detail {

/// Appends little-endian integers and length-prefixed strings.
class Writer {
public:
    void u8(std::uint8_t value) { out_.push_back(static_cast<char>(value)); }
    void u32(std::uint32_t value);
    void u64(std::uint64_t value);
    void str(std::string_view value);
    void list(const std::vector<std::string>& values);
    void raw(std::string_view value) { out_.append(value); }
    std::string take() { return std::move(out_); }

private:
    std::string out_;
};

/// Reads what Writer wrote; every read reports false on truncation, never overruns.
class Reader {
public:
    explicit Reader(std::string_view bytes) : bytes_(bytes) {}
    bool u8(std::uint8_t* value);
    bool u32(std::uint32_t* value);
    bool u64(std::uint64_t* value);
    bool str(std::string* value);
    bool list(std::vector<std::string>* values);
    std::string_view rest() const { return bytes_.substr(position_); }
    bool at_end() const { return position_ == bytes_.size(); }

private:
    std::string_view bytes_;
    std::size_t position_ = 0;
};

}  // namespace detail
}  // namespace consensus::node
