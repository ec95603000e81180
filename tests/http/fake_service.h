#pragma once
/// FakeService: a scripted Service for the HTTP tests. It records every call and
/// keeps each callback until the test delivers it, so answers arrive "later" as the
/// Service contract requires and a test controls exactly when.

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "consensus/service.h"

namespace consensus::http::testing {

class FakeService final : public service::Service {
public:
    // --- keys -------------------------------------------------------------
    std::vector<service::V2Request> keys_calls;
    std::deque<service::V2Callback> pending_keys;

    void v2_keys(const service::V2Request& request, service::V2Callback done) override {
        keys_calls.push_back(request);
        pending_keys.push_back(std::move(done));
    }
    /// Answers the oldest pending keys request. Precondition: one is pending.
    void deliver_keys(service::V2Result result) {
        auto done = std::move(pending_keys.front());
        pending_keys.pop_front();
        done(std::move(result));
    }

    // --- watches ----------------------------------------------------------
    std::vector<service::V2Request> watch_calls;
    std::optional<service::V2Error> next_watch_error;
    service::V2Headers next_watch_headers;
    std::map<std::uint64_t, service::V2WatchSink> watches;
    std::vector<std::uint64_t> cancelled;
    std::uint64_t next_watch_id = 7;

    service::V2WatchStart v2_watch(const service::V2Request& request,
                                   service::V2WatchSink sink) override {
        watch_calls.push_back(request);
        service::V2WatchStart start;
        if (next_watch_error) {
            start.error = next_watch_error;
            return start;
        }
        start.watch_id = next_watch_id++;
        start.headers = next_watch_headers;
        watches[start.watch_id] = std::move(sink);
        return start;
    }
    void v2_cancel_watch(std::uint64_t watch_id) override {
        cancelled.push_back(watch_id);
        watches.erase(watch_id);
    }
    /// Fires one event on watch `id`; a non-stream watch is removed as the real
    /// service does.
    void fire(std::uint64_t id, const service::V2Event& event, bool remove = false) {
        auto sink = watches.at(id);
        if (remove) watches.erase(id);
        sink.on_event(event, next_watch_headers);
    }

    // --- cluster ----------------------------------------------------------
    service::ClusterInfo info;
    std::vector<std::vector<std::string>> add_calls;
    std::deque<service::MemberCallback> pending_add;
    std::vector<NodeId> remove_calls;
    std::vector<std::pair<NodeId, std::vector<std::string>>> update_calls;
    std::deque<service::StatusCallback> pending_status;

    // --- v3 ---------------------------------------------------------------
    /// The calls of one unary v3 method: each request as parsed, and its callback
    /// kept until the test delivers an answer.
    template <typename Request, typename Response>
    struct V3Calls {
        std::vector<Request> requests;
        std::deque<service::V3Callback<Response>> pending;

        void record(const Request& request, service::V3Callback<Response> done) {
            requests.push_back(request);
            pending.push_back(std::move(done));
        }
        /// Answers the oldest pending call. Precondition: one is pending.
        void deliver(Response response, service::v3::ResponseHeader header) {
            service::V3Reply<Response> reply;
            reply.response = std::move(response);
            reply.header = header;
            take()(std::move(reply));
        }
        void fail(Status status) {
            service::V3Reply<Response> reply;
            reply.status = std::move(status);
            take()(std::move(reply));
        }

    private:
        service::V3Callback<Response> take() {
            auto done = std::move(pending.front());
            pending.pop_front();
            return done;
        }
    };
    struct NoRequest {};

    V3Calls<service::v3::RangeRequest, service::v3::RangeResponse> range;
    V3Calls<service::v3::PutRequest, service::v3::PutResponse> put;
    V3Calls<service::v3::DeleteRangeRequest, service::v3::DeleteRangeResponse> delete_range;
    V3Calls<service::v3::TxnRequest, service::v3::TxnResponse> txn;
    V3Calls<service::v3::CompactionRequest, service::v3::CompactionResponse> compact;
    V3Calls<service::v3::LeaseGrantRequest, service::v3::LeaseGrantResponse> lease_grant;
    V3Calls<service::v3::LeaseRevokeRequest, service::v3::LeaseRevokeResponse> lease_revoke;
    V3Calls<service::v3::LeaseTimeToLiveRequest, service::v3::LeaseTimeToLiveResponse> lease_ttl;
    V3Calls<NoRequest, service::v3::LeaseLeasesResponse> lease_leases;
    V3Calls<service::v3::LeaseKeepAliveRequest, service::v3::LeaseKeepAliveResponse> keep_alive;

    void v3_range(const service::v3::RangeRequest& request,
                  service::V3Callback<service::v3::RangeResponse> done) override {
        range.record(request, std::move(done));
    }
    void v3_put(const service::v3::PutRequest& request,
                service::V3Callback<service::v3::PutResponse> done) override {
        put.record(request, std::move(done));
    }
    void v3_delete_range(const service::v3::DeleteRangeRequest& request,
                         service::V3Callback<service::v3::DeleteRangeResponse> done) override {
        delete_range.record(request, std::move(done));
    }
    void v3_txn(const service::v3::TxnRequest& request,
                service::V3Callback<service::v3::TxnResponse> done) override {
        txn.record(request, std::move(done));
    }
    void v3_compact(const service::v3::CompactionRequest& request,
                    service::V3Callback<service::v3::CompactionResponse> done) override {
        compact.record(request, std::move(done));
    }
    void v3_lease_grant(const service::v3::LeaseGrantRequest& request,
                        service::V3Callback<service::v3::LeaseGrantResponse> done) override {
        lease_grant.record(request, std::move(done));
    }
    void v3_lease_revoke(const service::v3::LeaseRevokeRequest& request,
                         service::V3Callback<service::v3::LeaseRevokeResponse> done) override {
        lease_revoke.record(request, std::move(done));
    }
    void v3_lease_time_to_live(
        const service::v3::LeaseTimeToLiveRequest& request,
        service::V3Callback<service::v3::LeaseTimeToLiveResponse> done) override {
        lease_ttl.record(request, std::move(done));
    }
    void v3_lease_leases(service::V3Callback<service::v3::LeaseLeasesResponse> done) override {
        lease_leases.record(NoRequest{}, std::move(done));
    }
    void v3_lease_keep_alive(
        const service::v3::LeaseKeepAliveRequest& request,
        service::V3Callback<service::v3::LeaseKeepAliveResponse> done) override {
        keep_alive.record(request, std::move(done));
    }

    // v3 watches: each create is recorded; the answer is `next_v3_watch` (its
    // watch_id replaced by a fresh one), and the sink kept until cancelled.
    std::vector<service::v3::WatchCreateRequest> v3_watch_calls;
    service::V3WatchStart next_v3_watch;
    std::map<std::uint64_t, service::V3WatchSink> v3_watches;
    std::vector<std::uint64_t> v3_cancelled;
    std::uint64_t next_v3_watch_id = 100;
    service::v3::ResponseHeader v3_current_header;
    service::v3::StatusResponse v3_status_response;

    service::V3WatchStart v3_watch(const service::v3::WatchCreateRequest& request,
                                   service::V3WatchSink sink) override {
        v3_watch_calls.push_back(request);
        service::V3WatchStart start = next_v3_watch;
        if (!start.status.is_ok() || start.compact_revision) return start;
        start.watch_id = next_v3_watch_id++;
        v3_watches[start.watch_id] = std::move(sink);
        return start;
    }
    void v3_cancel_watch(std::uint64_t watch_id) override {
        v3_cancelled.push_back(watch_id);
        v3_watches.erase(watch_id);
    }
    /// Fires one revision's events on service watch `id`.
    void fire_v3(std::uint64_t id, const std::vector<service::v3::Event>& events,
                 const service::v3::ResponseHeader& header) {
        auto sink = v3_watches.at(id);
        sink.on_events(events, header);
    }
    service::v3::ResponseHeader v3_header() const override { return v3_current_header; }
    service::v3::StatusResponse v3_status() const override { return v3_status_response; }

    service::ClusterInfo cluster_info() const override { return info; }
    std::uint64_t cluster_id() const override { return info.cluster_id; }
    void add_member(std::vector<std::string> peer_urls, bool,
                    service::MemberCallback done) override {
        add_calls.push_back(std::move(peer_urls));
        pending_add.push_back(std::move(done));
    }
    void remove_member(NodeId id, service::StatusCallback done) override {
        remove_calls.push_back(id);
        pending_status.push_back(std::move(done));
    }
    void update_member(NodeId id, std::vector<std::string> peer_urls,
                       service::StatusCallback done) override {
        update_calls.emplace_back(id, std::move(peer_urls));
        pending_status.push_back(std::move(done));
    }

    // --- stats and health -------------------------------------------------
    service::SelfStats self;
    std::optional<service::LeaderStats> leader;
    service::StoreStats store;
    bool healthy = true;
    std::string metrics = "# HELP up\nup 1\n";

    service::SelfStats self_stats() const override { return self; }
    std::optional<service::LeaderStats> leader_stats() const override { return leader; }
    service::StoreStats store_stats() const override { return store; }
    bool is_healthy() const override { return healthy; }
    std::string metrics_text() const override { return metrics; }
};

/// The cluster of the recorded corpus: one member "n1".
inline service::ClusterInfo corpus_cluster() {
    service::ClusterInfo info;
    info.cluster_id = 0x48276a8f75b6a87ULL;
    info.member_id = 0x2e1259d415f2a040ULL;
    info.leader_id = 0x2e1259d415f2a040ULL;
    service::Member member;
    member.id = 0x2e1259d415f2a040ULL;
    member.name = "n1";
    member.peer_urls = {"http://127.0.0.1:23800"};
    member.client_urls = {"http://127.0.0.1:23790"};
    info.members.push_back(member);
    return info;
}

/// A file node as the corpus records them.
inline service::V2Node file_node(std::string key, std::string value, Revision modified,
                                 Revision created) {
    service::V2Node node;
    node.key = std::move(key);
    node.value = std::move(value);
    node.modified_index = modified;
    node.created_index = created;
    return node;
}

}  // namespace consensus::http::testing
