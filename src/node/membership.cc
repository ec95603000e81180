#include "node/membership.h"

#include <algorithm>
#include <utility>

#include "node/entry_codec.h"

namespace consensus::node {

void MemberTable::add(service::Member member) {
    NodeId id = member.id;
    members_[id] = std::move(member);
}

bool MemberTable::remove(NodeId id) {
    removed_.insert(id);
    return members_.erase(id) != 0;
}

bool MemberTable::set_attributes(NodeId id, std::string name,
                                 std::vector<std::string> client_urls) {
    auto found = members_.find(id);
    if (found == members_.end()) return false;
    found->second.name = std::move(name);
    found->second.client_urls = std::move(client_urls);
    return true;
}

bool MemberTable::set_peer_urls(NodeId id, std::vector<std::string> peer_urls) {
    auto found = members_.find(id);
    if (found == members_.end()) return false;
    found->second.peer_urls = std::move(peer_urls);
    return true;
}

const service::Member* MemberTable::find(NodeId id) const {
    auto found = members_.find(id);
    return found == members_.end() ? nullptr : &found->second;
}

std::optional<NodeId> MemberTable::find_by_peer_url(const std::string& peer_url) const {
    for (const auto& [id, member] : members_) {
        const auto& urls = member.peer_urls;
        if (std::find(urls.begin(), urls.end(), peer_url) != urls.end()) return id;
    }
    return std::nullopt;
}

std::vector<service::Member> MemberTable::members() const {
    std::vector<service::Member> result;
    result.reserve(members_.size());
    for (const auto& [id, member] : members_) result.push_back(member);
    return result;
}

std::string MemberTable::encode() const {
    detail::Writer writer;
    writer.u32(static_cast<std::uint32_t>(members_.size()));
    for (const auto& [id, member] : members_) writer.str(encode_member(member));
    writer.u32(static_cast<std::uint32_t>(removed_.size()));
    for (NodeId id : removed_) writer.u64(id);
    return writer.take();
}

Result<MemberTable> MemberTable::decode(std::string_view bytes) {
    detail::Reader reader(bytes);
    MemberTable table;
    std::uint32_t count = 0;
    if (!reader.u32(&count)) return Status(StatusCode::kCorruption, "truncated member table");
    for (std::uint32_t i = 0; i < count; ++i) {
        std::string record;
        if (!reader.str(&record)) return Status(StatusCode::kCorruption, "truncated member");
        auto member = decode_member(record);
        if (!member.is_ok()) return member.status();
        table.add(std::move(member.value()));
    }
    if (!reader.u32(&count)) return Status(StatusCode::kCorruption, "truncated removed ids");
    for (std::uint32_t i = 0; i < count; ++i) {
        NodeId id = 0;
        if (!reader.u64(&id)) return Status(StatusCode::kCorruption, "truncated removed id");
        table.removed_.insert(id);
    }
    if (!reader.at_end()) return Status(StatusCode::kCorruption, "trailing member table bytes");
    return table;
}

bool MemberTable::operator==(const MemberTable& other) const {
    if (removed_ != other.removed_ || members_.size() != other.members_.size()) return false;
    for (const auto& [id, member] : members_) {
        const service::Member* theirs = other.find(id);
        if (theirs == nullptr || theirs->name != member.name ||
            theirs->peer_urls != member.peer_urls || theirs->client_urls != member.client_urls ||
            theirs->is_learner != member.is_learner) {
            return false;
        }
    }
    return true;
}

}  // namespace consensus::node
