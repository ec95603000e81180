#pragma once
/// ServiceImpl: the member as http/ sees it (consensus::service::Service). Reads are
/// served from the local store (plain GET) or after a read-index round (quorum GET);
/// writes and membership changes are proposed through Raft and answered when their
/// entry is applied (PendingRequests); watches are registered with the store.
///
/// Every callback is posted to the loop, never run inside the call that registered it
/// (service.h's threading rule). Owned by the Member; lives as long as it.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "consensus/service.h"
#include "kv/command.h"
#include "node/id_generator.h"
#include "node/pending_requests.h"

namespace consensus::node {

class Member;

class ServiceImpl final : public service::Service {
public:
    explicit ServiceImpl(Member& member);
    ServiceImpl(const ServiceImpl&) = delete;
    ServiceImpl& operator=(const ServiceImpl&) = delete;

    void v2_keys(const service::V2Request& request, service::V2Callback done) override;
    service::V2WatchStart v2_watch(const service::V2Request& request,
                                   service::V2WatchSink sink) override;
    void v2_cancel_watch(std::uint64_t watch_id) override;

    // v3 (service_v3.cc).
    void v3_range(const service::v3::RangeRequest& request,
                  service::V3Callback<service::v3::RangeResponse> done) override;
    void v3_put(const service::v3::PutRequest& request,
                service::V3Callback<service::v3::PutResponse> done) override;
    void v3_delete_range(const service::v3::DeleteRangeRequest& request,
                         service::V3Callback<service::v3::DeleteRangeResponse> done) override;
    void v3_txn(const service::v3::TxnRequest& request,
                service::V3Callback<service::v3::TxnResponse> done) override;
    void v3_compact(const service::v3::CompactionRequest& request,
                    service::V3Callback<service::v3::CompactionResponse> done) override;
    void v3_lease_grant(const service::v3::LeaseGrantRequest& request,
                        service::V3Callback<service::v3::LeaseGrantResponse> done) override;
    void v3_lease_revoke(const service::v3::LeaseRevokeRequest& request,
                         service::V3Callback<service::v3::LeaseRevokeResponse> done) override;
    void v3_lease_time_to_live(
        const service::v3::LeaseTimeToLiveRequest& request,
        service::V3Callback<service::v3::LeaseTimeToLiveResponse> done) override;
    void v3_lease_leases(service::V3Callback<service::v3::LeaseLeasesResponse> done) override;
    void v3_lease_keep_alive(
        const service::v3::LeaseKeepAliveRequest& request,
        service::V3Callback<service::v3::LeaseKeepAliveResponse> done) override;
    service::V3WatchStart v3_watch(const service::v3::WatchCreateRequest& request,
                                   service::V3WatchSink sink) override;
    void v3_cancel_watch(std::uint64_t watch_id) override;
    service::v3::ResponseHeader v3_header() const override;
    service::v3::StatusResponse v3_status() const override;

    /// Ends every v3 watch, calling each sink's on_closed once (member shutdown).
    void close_v3_watches();

    service::ClusterInfo cluster_info() const override;
    std::uint64_t cluster_id() const override;
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
    /// Every v2 and v3 request passes here first, so it also marks the member's tick as
    /// not idle (Member::maybe_settle).
    service::V2Callback deferred(service::V2Callback done);
    /// Fills the Raft headers of a response from the member's current state.
    void fill_raft_headers(service::V2Headers* headers) const;
    void serve_local_get(const service::V2Request& request, const service::V2Callback& done);
    void serve_quorum_get(const service::V2Request& request, service::V2Callback done);
    void serve_write(const service::V2Request& request, service::V2Callback done);
    /// The refusal shared by every request that needs the cluster while stopping.
    std::optional<Status> refusal() const;

    // v3 helpers (service_v3.cc).
    template <typename Response>
    service::V3Callback<Response> deferred_v3(service::V3Callback<Response> done);
    service::v3::ResponseHeader v3_header_at(std::int64_t revision) const;
    /// Runs `then` once a ReadIndex round confirms the applied state is current, or
    /// with the reason it could not be confirmed.
    void after_read_index(std::function<void(Status)> then);
    /// Proposes `command` (request id and clock filled in) and calls `applied` with
    /// what applying it produced, or with the failure (refusal, timeout, store error).
    void propose_v3(kv::Command command, std::function<void(Result<kv::V3ApplyResult>)> applied);
    std::int64_t minimum_lease_ttl_seconds() const;

    Member& member_;
    LeaseIdGenerator lease_ids_;
    /// on_closed of every live v3 watch, by the store's watch id.
    std::map<std::uint64_t, std::function<void()>> v3_watch_closers_;
};

}  // namespace consensus::node
