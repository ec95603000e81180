#pragma once
/// MemberTable: the cluster's members as the applied log describes them (after etcd's
/// membership.RaftCluster [etcd: server/etcdserver/api/membership/cluster.go]). It
/// changes only when the member applies a committed entry (a ConfChange, or a node
/// entry publishing attributes or new peer URLs) or restores a snapshot, so every
/// member's table is the same at the same applied index.
///
/// Removed ids are remembered: etcd refuses to re-add a removed id, and a removed
/// member recognises that it was removed and stops.
///
/// Single-threaded: owned by the Member and used on its event-loop thread.

#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "consensus/service.h"
#include "consensus/status.h"
#include "consensus/types.h"

namespace consensus::node {

class MemberTable {
public:
    /// Adds `member`, or replaces the member with the same id.
    void add(service::Member member);
    /// Removes `id` and remembers it as removed. False if it was not a member.
    bool remove(NodeId id);
    /// Sets the name and client URLs a member published. False if `id` is not a member.
    bool set_attributes(NodeId id, std::string name, std::vector<std::string> client_urls);
    /// Replaces a member's peer URLs. False if `id` is not a member.
    bool set_peer_urls(NodeId id, std::vector<std::string> peer_urls);

    bool contains(NodeId id) const { return members_.count(id) != 0; }
    bool is_removed(NodeId id) const { return removed_.count(id) != 0; }
    /// The member, or nullptr. The pointer is valid until the table next changes.
    const service::Member* find(NodeId id) const;
    /// The member that has `peer_url` among its peer URLs, if any (duplicate check).
    std::optional<NodeId> find_by_peer_url(const std::string& peer_url) const;
    /// Every member, ordered by id.
    std::vector<service::Member> members() const;
    std::size_t size() const { return members_.size(); }
    /// How many members have an id below `id`: its rank in id order (0 for the lowest).
    std::size_t rank(NodeId id) const {
        return static_cast<std::size_t>(std::distance(members_.begin(), members_.lower_bound(id)));
    }

    /// Binary form for snapshots: members then removed ids (see entry_codec.h for the
    /// primitive encodings).
    std::string encode() const;
    /// kCorruption on damaged bytes.
    static Result<MemberTable> decode(std::string_view bytes);

    bool operator==(const MemberTable& other) const;

private:
    std::map<NodeId, service::Member> members_;
    std::set<NodeId> removed_;
};

}  // namespace consensus::node
