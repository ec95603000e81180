#pragma once
/// ServiceImpl: the member as http/ sees it (consensus::service::Service). Reads are
/// served from the local store (plain GET) or after a read-index round (quorum GET);
/// writes and membership changes are proposed through Raft and answered when their
/// entry is applied (PendingRequests); watches are registered with the store.
///
/// Every callback is posted to the loop, never run inside the call that registered it
/// (service.h's threading rule). Owned by the Member; lives as long as it.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "consensus/service.h"
#include "node/pending_requests.h"

namespace consensus::node {

class Member;

class ServiceImpl final : public service::Service {
public:
    explicit ServiceImpl(Member& member) : member_(member) {}
    ServiceImpl(const ServiceImpl&) = delete;
    ServiceImpl& operator=(const ServiceImpl&) = delete;

    void v2_keys(const service::V2Request& request, service::V2Callback done) override;
    service::V2WatchStart v2_watch(const service::V2Request& request,
                                   service::V2WatchSink sink) override;
    void v2_cancel_watch(std::uint64_t watch_id) override;

    service::ClusterInfo cluster_info() const override;
    void add_member(std::vector<std::string> peer_urls, bool as_learner,
                    service::MemberCallback done) override;
    void remove_member(NodeId id, service::StatusCallback done) override;
    void update_member(NodeId id, std::vector<std::string> peer_urls,
                       service::StatusCallback done) override;

    service::SelfStats self_stats() const override;
    std::optional<service::LeaderStats> leader_stats() const override;
    service::StoreStats store_stats() const override;
    bool is_healthy() const override;
    std::string metrics_text() const override;

private:
    /// Wraps `done` so that it runs on a later loop turn and is counted by HTTP status.
    service::V2Callback deferred(service::V2Callback done);
    /// Fills the Raft headers of a response from the member's current state.
    void fill_raft_headers(service::V2Headers* headers) const;
    void serve_local_get(const service::V2Request& request, const service::V2Callback& done);
    void serve_quorum_get(const service::V2Request& request, service::V2Callback done);
    void serve_write(const service::V2Request& request, service::V2Callback done);
    /// The refusal shared by every request that needs the cluster while stopping.
    std::optional<Status> refusal() const;

    Member& member_;
};

}  // namespace consensus::node
