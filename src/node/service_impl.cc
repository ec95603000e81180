#include "node/service_impl.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <utility>

#include <boost/asio/post.hpp>

#include "consensus/assert.h"
#include "consensus/errors.h"
#include "kv/command.h"
#include "node/entry_codec.h"
#include "node/flags.h"
#include "node/member.h"
#include "node/peer_transport.h"
#include "node/url.h"
#include "raft/raft.h"

namespace consensus::node {

namespace {

/// Wraps a Service callback so its answer is posted to the loop, never delivered
/// inside the Service call that registered it (the threading rule of service.h).
template <typename Answer, typename Callback>
std::function<void(Answer)> posted_reply(boost::asio::io_context& io, Callback done) {
    // The reply runs once (service.h), so the callback and the answer move into the
    // posted handler rather than being copied.
    return [&io, done = std::move(done)](Answer answer) mutable {
        boost::asio::post(io, [done = std::move(done), answer = std::move(answer)]() mutable {
            done(std::move(answer));
        });
    };
}

/// The registry's refusal when full (PendingRequests::add), as etcd's ErrTooManyRequests.
constexpr const char* kTooManyRequestsMessage = "etcdserver: too many requests";

/// etcd's answer to a request that needs a leader while none is known.
Status no_leader_status() {
    return Status(StatusCode::kUnavailable, "etcdserver: no leader");
}

/// The HTTP status http/ sends for a keys result, counted for
/// consensus_http_requests_total (http/ does not count, so the service does).
int http_status_of(const service::V2Result& result) {
    if (!result.status.is_ok()) return 500;
    if (result.error.has_value()) return errors::v2_http_status(result.error->error_code);
    if (result.event.has_value() && result.event->action == "create") return 201;
    return 200;
}

/// Peer URLs in the form member ids are computed from ("http://host:port").
std::vector<std::string> normalized_urls(const std::vector<std::string>& urls) {
    std::vector<std::string> result;
    for (const std::string& text : urls) {
        auto url = parse_url(text);
        result.push_back(url.is_ok() ? url.value().to_string() : text);
    }
    return result;
}

std::int64_t wall_now_unix_nanos() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

ServiceImpl::ServiceImpl(Member& member)
    : member_(member), lease_ids_(member.id(), Member::wall_now_unix_nanos() / 1'000'000) {}

std::optional<Status> ServiceImpl::refusal() const {
    if (member_.stopping_) return Status(StatusCode::kUnavailable, kServerStoppedMessage);
    return std::nullopt;
}

service::V2Callback ServiceImpl::deferred(service::V2Callback done) {
    member_.client_request_since_tick_ = true;
    boost::asio::io_context& io = member_.io_;
    Metrics& metrics = member_.metrics_;
    // Called once (service.h), so `done` moves into the posted handler: copying it would
    // allocate a second callback per request.
    return [&io, &metrics, done = std::move(done)](service::V2Result result) mutable {
        metrics.count_http(http_status_of(result));
        boost::asio::post(io, [done = std::move(done), result = std::move(result)]() mutable {
            done(std::move(result));
        });
    };
}

void ServiceImpl::fill_raft_headers(service::V2Headers* headers) const {
    headers->raft_index = member_.applier_->applied_index();
    // The term alone: RawNode::status() would also copy the configuration, on every
    // request.
    headers->raft_term = member_.raft_->raft().hard_state().term;
}

void ServiceImpl::v2_keys(const service::V2Request& request, service::V2Callback done) {
    service::V2Callback reply = deferred(std::move(done));
    if (auto refused = refusal()) {
        reply(service::V2Result{*refused, std::nullopt, std::nullopt, {}});
        return;
    }
    if (request.method != service::V2Method::kGet) {
        serve_write(request, std::move(reply));
    } else if (request.quorum) {
        serve_quorum_get(request, std::move(reply));
    } else {
        serve_local_get(request, reply);
    }
}

void ServiceImpl::serve_local_get(const service::V2Request& request,
                                  const service::V2Callback& done) {
    service::V2Result result = member_.store_.get(request, wall_now_unix_nanos());
    member_.store_.count_get(result.status.is_ok() && !result.error.has_value());
    fill_raft_headers(&result.headers);
    done(std::move(result));
}

void ServiceImpl::serve_quorum_get(const service::V2Request& request, service::V2Callback done) {
    // A quorum read is served locally once this member has applied the cluster's
    // commit index as of the request (ReadIndex [thesis §6.4]), so it reflects every
    // write acknowledged before it started.
    auto waiter = [this, request, done](Result<Outcome> outcome) {
        if (!outcome.is_ok()) {
            done(service::V2Result{outcome.status(), std::nullopt, std::nullopt, {}});
            return;
        }
        serve_local_get(request, done);
    };
    auto id = member_.register_waiter(std::move(waiter));
    if (!id.is_ok()) {
        done(service::V2Result{id.status(), std::nullopt, std::nullopt, {}});
        return;
    }
    member_.read_index_registered(id.value());
}

void ServiceImpl::serve_write(const service::V2Request& request, service::V2Callback done) {
    // The registry refuses a waiter only when it is full (ids are fresh), so asking
    // first lets the waiter own `done` rather than a copy: one callback allocation
    // less per write.
    if (member_.pending_.size() >= member_.pending_.requests_max()) {
        Status refused(StatusCode::kUnavailable, kTooManyRequestsMessage);
        done(service::V2Result{refused, std::nullopt, std::nullopt, {}});
        return;
    }
    auto waiter = [this, done = std::move(done)](Result<Outcome> outcome) {
        service::V2Result result;
        if (!outcome.is_ok()) {
            result.status = outcome.status();
            done(std::move(result));
            return;
        }
        result.error = std::move(outcome.value().error);
        result.event = std::move(outcome.value().event);
        result.headers.etcd_index = outcome.value().etcd_index;
        fill_raft_headers(&result.headers);
        // The waiter runs while its entry is being applied, before the applied index
        // moves past it.
        result.headers.raft_index = std::max(result.headers.raft_index, outcome.value().raft_index);
        done(std::move(result));
    };
    auto id = member_.register_waiter(std::move(waiter));
    CONSENSUS_ASSERT(id.is_ok());
    // The receiving member stamps the write with its clock, as etcd does; TTLs are
    // computed from this stamp on every member alike.
    kv::Command command;
    command.kind = kv::Command::Kind::kV2Write;
    command.request_id = id.value();
    command.now_unix_nanos = wall_now_unix_nanos();
    command.request = request;
    member_.propose_registered(id.value(), encode_kv_entry(kv::encode_command(command)));
}

service::V2WatchStart ServiceImpl::v2_watch(const service::V2Request& request,
                                            service::V2WatchSink sink) {
    service::V2WatchStart start;
    if (member_.stopping_) {
        start.error = service::V2Error{errors::kV2RaftInternal, kServerStoppedMessage, 0};
        return start;
    }
    service::V2WatchSink wrapped;
    wrapped.on_event = [this, on_event = sink.on_event](const service::V2Event& event,
                                                        const service::V2Headers& headers) {
        service::V2Headers filled = headers;
        fill_raft_headers(&filled);
        on_event(event, filled);
    };
    wrapped.on_closed = sink.on_closed;
    kv::Store::WatchStart watch = member_.store_.watch(request, std::move(wrapped));
    start.error = std::move(watch.error);
    start.watch_id = watch.watch_id;
    start.headers.etcd_index = watch.etcd_index;
    fill_raft_headers(&start.headers);
    if (watch.immediate.has_value()) {
        // service.h: events arrive on a later loop turn, never inside v2_watch.
        boost::asio::post(member_.io_,
                          [on_event = sink.on_event, event = std::move(*watch.immediate),
                           headers = start.headers] { on_event(event, headers); });
    }
    return start;
}

void ServiceImpl::v2_cancel_watch(std::uint64_t watch_id) {
    member_.store_.cancel_watch(watch_id);
}

std::uint64_t ServiceImpl::cluster_id() const {
    return member_.cluster_id_;
}

service::ClusterInfo ServiceImpl::cluster_info() const {
    // Read the two states directly rather than through RawNode::status(), which also
    // copies the configuration.
    const raft::Raft& raft = member_.raft_->raft();
    raft::HardState hard_state = raft.hard_state();
    service::ClusterInfo info;
    info.cluster_id = member_.cluster_id_;
    info.member_id = member_.local_id_;
    info.leader_id = raft.soft_state().leader_id;
    info.raft_term = hard_state.term;
    info.raft_index = hard_state.commit;
    info.applied_index = member_.applier_->applied_index();
    info.members = member_.members_.members();
    return info;
}

void ServiceImpl::add_member(std::vector<std::string> peer_urls, bool as_learner,
                             service::MemberCallback done) {
    auto reply = posted_reply<Result<service::Member>>(member_.io_, std::move(done));
    if (auto refused = refusal()) return reply(*refused);
    if (member_.soft_state_.leader_id == kNoNode) {
        return reply(no_leader_status());
    }
    std::vector<std::string> urls = normalized_urls(peer_urls);
    for (const std::string& url : urls) {
        if (member_.members_.find_by_peer_url(url).has_value()) {
            return reply(Status(StatusCode::kAlreadyExists, "membership: peerURL exists"));
        }
    }
    // The id is the one the new member computes from its own flags (its peer URLs and
    // the cluster token), so it recognises itself when its entry arrives.
    service::Member member;
    member.id = compute_member_id(urls, member_.flags_.initial_cluster_token);
    member.peer_urls = urls;
    member.is_learner = as_learner;
    if (member_.members_.is_removed(member.id)) {
        return reply(Status(StatusCode::kFailedPrecondition, "membership: ID removed"));
    }
    if (member_.members_.contains(member.id)) {
        return reply(Status(StatusCode::kAlreadyExists, "membership: ID exists"));
    }
    auto waiter = [reply, member](Result<Outcome> outcome) {
        if (!outcome.is_ok()) return reply(outcome.status());
        reply(member);
    };
    auto id = member_.register_waiter(std::move(waiter));
    if (!id.is_ok()) return reply(id.status());
    raft::ConfChange change;
    change.changes.push_back(
        {as_learner ? raft::ConfChangeType::kAddLearnerNode : raft::ConfChangeType::kAddNode,
         member.id});
    change.context = encode_conf_change_context(ConfChangeContext{id.value(), member});
    member_.propose_conf_change_registered(id.value(), change);
}

void ServiceImpl::remove_member(NodeId id, service::StatusCallback done) {
    auto reply = posted_reply<Status>(member_.io_, std::move(done));
    if (auto refused = refusal()) return reply(*refused);
    if (!member_.members_.contains(id)) {
        return reply(Status(StatusCode::kNotFound, "membership: member not found"));
    }
    if (member_.soft_state_.leader_id == kNoNode) {
        return reply(no_leader_status());
    }
    auto waiter = [reply](Result<Outcome> outcome) {
        reply(outcome.is_ok() ? Status::ok() : outcome.status());
    };
    auto request_id = member_.register_waiter(std::move(waiter));
    if (!request_id.is_ok()) return reply(request_id.status());
    raft::ConfChange change;
    change.changes.push_back({raft::ConfChangeType::kRemoveNode, id});
    service::Member removed;
    removed.id = id;
    change.context = encode_conf_change_context(ConfChangeContext{request_id.value(), removed});
    member_.propose_conf_change_registered(request_id.value(), change);
}

void ServiceImpl::update_member(NodeId id, std::vector<std::string> peer_urls,
                                service::StatusCallback done) {
    auto reply = posted_reply<Status>(member_.io_, std::move(done));
    if (auto refused = refusal()) return reply(*refused);
    if (!member_.members_.contains(id)) {
        return reply(Status(StatusCode::kNotFound, "membership: member not found"));
    }
    std::vector<std::string> urls = normalized_urls(peer_urls);
    for (const std::string& url : urls) {
        auto owner = member_.members_.find_by_peer_url(url);
        if (owner.has_value() && *owner != id) {
            return reply(Status(StatusCode::kAlreadyExists, "membership: peerURL exists"));
        }
    }
    if (member_.soft_state_.leader_id == kNoNode) {
        return reply(no_leader_status());
    }
    auto waiter = [reply](Result<Outcome> outcome) {
        reply(outcome.is_ok() ? Status::ok() : outcome.status());
    };
    auto request_id = member_.register_waiter(std::move(waiter));
    if (!request_id.is_ok()) return reply(request_id.status());
    member_.propose_registered(request_id.value(),
                               encode_member_peer_urls_entry(request_id.value(), id, urls));
}

service::SelfStats ServiceImpl::self_stats() const {
    service::SelfStats stats;
    stats.name = member_.flags_.name;
    stats.id = member_.local_id_;
    stats.is_leader = member_.soft_state_.role == raft::Role::kLeader;
    stats.start_time_unix_nanos = member_.start_time_unix_nanos_;
    stats.leader_id = member_.soft_state_.leader_id;
    stats.leader_start_time_unix_nanos = member_.leader_start_time_unix_nanos_;
    stats.recv_append_request_count = member_.recv_append_count_;
    stats.send_append_request_count = member_.send_append_count_;
    // Moving rates over the last AppendEntries requests, as etcd's statsQueue
    // [etcd: server/etcdserver/api/v2stats/server.go]; http/ shows the receive rates
    // for a follower and the send rates for the leader.
    Rate received = member_.transport_->received_append_rate();
    Rate sent = member_.transport_->sent_append_rate();
    stats.recv_package_rate = received.events_per_second;
    stats.recv_bandwidth_rate = received.bytes_per_second;
    stats.send_package_rate = sent.events_per_second;
    stats.send_bandwidth_rate = sent.bytes_per_second;
    return stats;
}

std::optional<service::LeaderStats> ServiceImpl::leader_stats() const {
    if (member_.soft_state_.role != raft::Role::kLeader) return std::nullopt;
    service::LeaderStats stats;
    stats.leader_id = member_.local_id_;
    for (const service::Member& member : member_.members_.members()) {
        if (member.id == member_.local_id_) continue;
        PeerStats peer = member_.transport_->stats(member.id);
        service::FollowerStats follower;
        follower.latency_current_ms = peer.latency_ms_last;
        follower.latency_average_ms = peer.latency_ms_avg;
        follower.latency_stddev_ms = peer.latency_ms_stddev;
        follower.latency_min_ms = peer.latency_ms_min;
        follower.latency_max_ms = peer.latency_ms_max;
        follower.success = peer.sent_messages;
        follower.fail = peer.failed;
        stats.followers[member.id] = follower;
    }
    return stats;
}

service::StoreStats ServiceImpl::store_stats() const {
    return member_.store_.stats();
}

bool ServiceImpl::is_healthy() const {
    return !member_.stopping_ && member_.soft_state_.leader_id != kNoNode;
}

std::string ServiceImpl::metrics_text() const {
    raft::NodeStatus status = member_.raft_->status();
    MetricsGauges gauges;
    gauges.has_leader = status.soft_state.leader_id != kNoNode;
    gauges.is_leader = status.soft_state.role == raft::Role::kLeader;
    gauges.term = status.hard_state.term;
    gauges.committed_index = status.hard_state.commit;
    gauges.applied_index = member_.applier_->applied_index();
    gauges.pending_requests = member_.pending_.size();
    return member_.metrics_.render(gauges);
}

}  // namespace consensus::node
