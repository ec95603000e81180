#include "node/bootstrap.h"

#include <algorithm>
#include <map>
#include <utility>

#include "node/entry_codec.h"
#include "node/membership.h"

namespace consensus::node {

namespace {
constexpr Index kBootstrapIndex = 1;
constexpr Term kBootstrapTerm = 1;
}  // namespace

Result<ClusterPlan> plan_cluster(const Flags& flags) {
    std::map<std::string, NodeId> ids = initial_member_ids(flags);
    auto local = ids.find(flags.name);
    if (local == ids.end()) {
        return Status(StatusCode::kInvalidArgument, "consensusd: couldn't find local name \"" +
                                                        flags.name +
                                                        "\" in the initial cluster configuration");
    }
    ClusterPlan plan;
    plan.local_id = local->second;
    std::map<std::string, std::string> owner_of_url;
    std::vector<NodeId> cluster_ids;
    for (const std::string& name : flags.initial_member_names()) {
        service::Member member;
        member.id = ids.at(name);
        member.name = name;
        for (const Url& url : flags.initial_peer_urls_of(name)) {
            std::string text = url.to_string();
            auto [existing, inserted] = owner_of_url.emplace(text, name);
            if (!inserted && existing->second != name) {
                return Status(StatusCode::kInvalidArgument, "consensusd: peer URL " + text +
                                                                " is used by both " +
                                                                existing->second + " and " + name);
            }
            member.peer_urls.push_back(std::move(text));
        }
        // A joining member is not part of the id the running cluster was formed with.
        if (flags.initial_cluster_state != "existing" || member.id != plan.local_id) {
            cluster_ids.push_back(member.id);
        }
        plan.members.push_back(std::move(member));
    }
    std::sort(plan.members.begin(), plan.members.end(),
              [](const service::Member& a, const service::Member& b) { return a.id < b.id; });
    plan.cluster_id = compute_cluster_id(cluster_ids);
    return plan;
}

std::vector<Url> join_peer_urls(const Flags& flags) {
    std::vector<Url> urls;
    for (const auto& [member_name, url] : flags.initial_cluster) {
        if (member_name != flags.name) urls.push_back(url);
    }
    return urls;
}

Result<ClusterPlan> plan_join(const Flags& flags, const MembershipAnswer& answer) {
    std::map<std::string, NodeId> ids = initial_member_ids(flags);
    auto local = ids.find(flags.name);
    if (local == ids.end()) {
        return Status(StatusCode::kInvalidArgument, "consensusd: couldn't find local name \"" +
                                                        flags.name +
                                                        "\" in the initial cluster configuration");
    }
    std::vector<std::string> own_urls;
    for (const Url& url : flags.initial_peer_urls_of(flags.name))
        own_urls.push_back(url.to_string());
    const service::Member* listed = nullptr;
    for (const service::Member& member : answer.members) {
        for (const std::string& url : member.peer_urls) {
            if (std::find(own_urls.begin(), own_urls.end(), url) != own_urls.end())
                listed = &member;
        }
    }
    std::string own = own_urls.empty() ? "" : own_urls.front();
    if (listed == nullptr) {
        return Status(
            StatusCode::kFailedPrecondition,
            "consensusd: member not added to the cluster: use member add first (cluster " +
                format_id(answer.cluster_id) + " lists no member with peer URL " + own + ")");
    }
    // Member ids hash the peer URLs with the cluster token, so the same URL under
    // another id means this member's token is another cluster's: joining would mix
    // two clusters' logs [etcd: membership.ValidateClusterAndAssignIDs].
    if (listed->id != local->second) {
        return Status(StatusCode::kFailedPrecondition,
                      "consensusd: cluster " + format_id(answer.cluster_id) + " lists peer URL " +
                          own + " as member " + format_id(listed->id) +
                          ", but --initial-cluster-token \"" + flags.initial_cluster_token +
                          "\" makes this member " + format_id(local->second) +
                          ": it belongs to another cluster");
    }
    ClusterPlan plan;
    plan.cluster_id = answer.cluster_id;
    plan.local_id = local->second;
    plan.members = answer.members;
    std::sort(plan.members.begin(), plan.members.end(),
              [](const service::Member& a, const service::Member& b) { return a.id < b.id; });
    return plan;
}

raft::Snapshot bootstrap_snapshot(const ClusterPlan& plan, std::string empty_store_snapshot) {
    MemberTable table;
    raft::Snapshot snapshot;
    for (const service::Member& member : plan.members) {
        table.add(member);
        snapshot.metadata.conf_state.voters.push_back(member.id);
    }
    snapshot.metadata.index = kBootstrapIndex;
    snapshot.metadata.term = kBootstrapTerm;
    snapshot.data =
        encode_snapshot_data(SnapshotData{table.encode(), std::move(empty_store_snapshot)});
    return snapshot;
}

raft::HardState bootstrap_hard_state() {
    raft::HardState hard_state;
    hard_state.term = kBootstrapTerm;
    hard_state.commit = kBootstrapIndex;
    return hard_state;
}

}  // namespace consensus::node
