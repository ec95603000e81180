// ServiceImpl's v3 half: etcd's KV, Lease, Watch and Maintenance services over the
// member [etcd: server/etcdserver/v3_server.go, api/v3rpc/]. Requests are checked as
// etcd's gRPC layer checks them (kv/v3_validate.h), then:
//   - linearizable reads (range, lease time-to-live and list) wait for a ReadIndex
//     round and serve from the applied store [thesis §6.4]; serializable ranges serve
//     at once;
//   - writes, compaction and every lease change are proposed as kv commands and
//     answered from what applying produced, on the member that proposed them;
//   - watches register with the store and stream from it.
// Time-dependent choices (a new lease id, the clock a grant or keep-alive is stamped
// with) are made here, by the proposer, and travel in the command, so applying stays
// deterministic on every member.

#include <algorithm>
#include <filesystem>
#include <system_error>
#include <utility>

#include <boost/asio/post.hpp>

#include "consensus/version.h"
#include "kv/command.h"
#include "kv/v3_validate.h"
#include "node/entry_codec.h"
#include "node/member.h"
#include "node/service_impl.h"

namespace consensus::node {

namespace v3 = service::v3;

namespace {

/// The HTTP status the gateway sends for a v3 answer (v3.h's code map), counted for
/// consensus_http_requests_total.
int http_status_of(const Status& status) {
    switch (status.code()) {
        case StatusCode::kOk:
            return 200;
        case StatusCode::kInvalidArgument:
        case StatusCode::kOutOfRange:
            return 400;
        case StatusCode::kNotFound:
            return 404;
        case StatusCode::kFailedPrecondition:
            return 412;
        case StatusCode::kUnavailable:
        case StatusCode::kTimeout:
            return 503;
        default:
            return 500;
    }
}

/// The bytes of every regular file under `dir` (0 if it cannot be read).
std::int64_t data_dir_bytes(const std::string& dir) {
    std::error_code error;
    std::int64_t total = 0;
    for (std::filesystem::recursive_directory_iterator it(dir, error), end; !error && it != end;
         it.increment(error)) {
        if (it->is_regular_file(error)) {
            total += static_cast<std::int64_t>(it->file_size(error));
        }
    }
    return total;
}

kv::Command txn_command(v3::RequestOp::Kind op, v3::TxnRequest txn) {
    kv::Command command;
    command.kind = kv::Command::Kind::kV3Txn;
    command.v3_op = op;
    command.v3_txn = std::move(txn);
    return command;
}

v3::RequestOp single_op(v3::RequestOp::Kind kind) {
    v3::RequestOp op;
    op.kind = kind;
    return op;
}

}  // namespace

template <typename Response>
service::V3Callback<Response> ServiceImpl::deferred_v3(service::V3Callback<Response> done) {
    member_.client_request_since_tick_ = true;
    boost::asio::io_context& io = member_.io_;
    Metrics& metrics = member_.metrics_;
    return [&io, &metrics, done = std::move(done)](service::V3Reply<Response> reply) {
        metrics.count_http(http_status_of(reply.status));
        boost::asio::post(io,
                          [done, reply = std::move(reply)]() mutable { done(std::move(reply)); });
    };
}

v3::ResponseHeader ServiceImpl::v3_header_at(std::int64_t revision) const {
    v3::ResponseHeader header;
    header.cluster_id = member_.cluster_id_;
    header.member_id = member_.local_id_;
    header.revision = revision;
    header.raft_term = member_.raft_->status().hard_state.term;
    return header;
}

v3::ResponseHeader ServiceImpl::v3_header() const {
    return v3_header_at(member_.store_.v3_revision());
}

void ServiceImpl::after_read_index(std::function<void(Status)> then) {
    if (auto refused = refusal()) return then(*refused);
    auto waiter = [then](Result<Outcome> outcome) {
        then(outcome.is_ok() ? Status::ok() : outcome.status());
    };
    auto id = member_.register_waiter(std::move(waiter));
    if (!id.is_ok()) return then(id.status());
    member_.read_index_registered(id.value());
}

void ServiceImpl::propose_v3(kv::Command command,
                             std::function<void(Result<kv::V3ApplyResult>)> applied) {
    if (auto refused = refusal()) return applied(*refused);
    auto waiter = [applied](Result<Outcome> outcome) {
        if (!outcome.is_ok()) return applied(outcome.status());
        if (!outcome.value().v3.status.is_ok()) return applied(outcome.value().v3.status);
        applied(std::move(outcome.value().v3));
    };
    auto id = member_.register_waiter(std::move(waiter));
    if (!id.is_ok()) return applied(id.status());
    command.request_id = id.value();
    command.now_unix_nanos = Member::wall_now_unix_nanos();
    member_.propose_registered(id.value(), encode_kv_entry(kv::encode_command(command)));
}

// -- KV ---------------------------------------------------------------------------

void ServiceImpl::v3_range(const v3::RangeRequest& request,
                           service::V3Callback<v3::RangeResponse> done) {
    auto reply = deferred_v3(std::move(done));
    if (Status valid = kv::validate_range(request); !valid.is_ok()) {
        return reply({valid, {}, {}});
    }
    auto serve = [this, request, reply](Status ready) {
        if (!ready.is_ok()) return reply({ready, {}, {}});
        auto range = member_.store_.v3_range(request);
        if (!range.is_ok()) return reply({range.status(), {}, {}});
        reply({Status::ok(), std::move(range.value()), v3_header()});
    };
    if (request.serializable) return serve(Status::ok());
    after_read_index(std::move(serve));
}

void ServiceImpl::v3_put(const v3::PutRequest& request, service::V3Callback<v3::PutResponse> done) {
    auto reply = deferred_v3(std::move(done));
    if (Status valid = kv::validate_put(request); !valid.is_ok()) return reply({valid, {}, {}});
    v3::TxnRequest txn;
    txn.success.push_back(single_op(v3::RequestOp::Kind::kPut));
    txn.success.back().put = request;
    propose_v3(
        txn_command(v3::RequestOp::Kind::kPut, std::move(txn)),
        [this, reply](Result<kv::V3ApplyResult> applied) {
            if (!applied.is_ok()) return reply({applied.status(), {}, {}});
            v3::PutResponse response;
            if (!applied.value().txn.responses.empty()) {
                response = std::move(applied.value().txn.responses.front().put);
            }
            reply({Status::ok(), std::move(response), v3_header_at(applied.value().revision)});
        });
}

void ServiceImpl::v3_delete_range(const v3::DeleteRangeRequest& request,
                                  service::V3Callback<v3::DeleteRangeResponse> done) {
    auto reply = deferred_v3(std::move(done));
    if (Status valid = kv::validate_delete_range(request); !valid.is_ok()) {
        return reply({valid, {}, {}});
    }
    v3::TxnRequest txn;
    txn.success.push_back(single_op(v3::RequestOp::Kind::kDeleteRange));
    txn.success.back().delete_range = request;
    propose_v3(
        txn_command(v3::RequestOp::Kind::kDeleteRange, std::move(txn)),
        [this, reply](Result<kv::V3ApplyResult> applied) {
            if (!applied.is_ok()) return reply({applied.status(), {}, {}});
            v3::DeleteRangeResponse response;
            if (!applied.value().txn.responses.empty()) {
                response = std::move(applied.value().txn.responses.front().delete_range);
            }
            reply({Status::ok(), std::move(response), v3_header_at(applied.value().revision)});
        });
}

void ServiceImpl::v3_txn(const v3::TxnRequest& request, service::V3Callback<v3::TxnResponse> done) {
    auto reply = deferred_v3(std::move(done));
    if (Status valid = kv::validate_txn(request); !valid.is_ok()) return reply({valid, {}, {}});
    // Every txn, read-only ones included, goes through the log: it is then ordered
    // with the writes around it and its compares see a linearizable state.
    propose_v3(txn_command(v3::RequestOp::Kind::kTxn, request),
               [this, reply](Result<kv::V3ApplyResult> applied) {
                   if (!applied.is_ok()) return reply({applied.status(), {}, {}});
                   reply({Status::ok(), std::move(applied.value().txn),
                          v3_header_at(applied.value().revision)});
               });
}

void ServiceImpl::v3_compact(const v3::CompactionRequest& request,
                             service::V3Callback<v3::CompactionResponse> done) {
    auto reply = deferred_v3(std::move(done));
    kv::Command command;
    command.kind = kv::Command::Kind::kV3Compact;
    command.v3_revision = request.revision;
    propose_v3(std::move(command), [this, reply](Result<kv::V3ApplyResult> applied) {
        if (!applied.is_ok()) return reply({applied.status(), {}, {}});
        reply({Status::ok(), {}, v3_header_at(applied.value().revision)});
    });
}

// -- Lease ------------------------------------------------------------------------

std::int64_t ServiceImpl::minimum_lease_ttl_seconds() const {
    // etcd: minTTL = ceil((3 * electionTicks / 2) * heartbeat) [etcd: lease/lessor.go,
    // server/etcdserver/server.go]: a lease must outlive one leader election, or it
    // could expire while the cluster elects a leader to renew it.
    const std::int64_t heartbeat_ms = member_.flags_.heartbeat_interval_ms;
    const std::int64_t election_ticks = member_.flags_.election_timeout_ms / heartbeat_ms;
    const std::int64_t minimum_ms = (3 * election_ticks / 2) * heartbeat_ms;
    return (minimum_ms + 999) / 1000;
}

void ServiceImpl::v3_lease_grant(const v3::LeaseGrantRequest& request,
                                 service::V3Callback<v3::LeaseGrantResponse> done) {
    auto reply = deferred_v3(std::move(done));
    if (request.ttl > v3::kMaxLeaseTtlSeconds) {
        return reply({Status(StatusCode::kOutOfRange, "etcdserver: too large lease TTL"), {}, {}});
    }
    kv::Command command;
    command.kind = kv::Command::Kind::kV3LeaseGrant;
    command.v3_lease_id = request.id != 0 ? request.id : lease_ids_.next();
    command.v3_lease_ttl = std::max(request.ttl, minimum_lease_ttl_seconds());
    propose_v3(std::move(command), [this, reply](Result<kv::V3ApplyResult> applied) {
        if (!applied.is_ok()) return reply({applied.status(), {}, {}});
        reply({Status::ok(), applied.value().lease_grant, v3_header_at(applied.value().revision)});
    });
}

void ServiceImpl::v3_lease_revoke(const v3::LeaseRevokeRequest& request,
                                  service::V3Callback<v3::LeaseRevokeResponse> done) {
    auto reply = deferred_v3(std::move(done));
    kv::Command command;
    command.kind = kv::Command::Kind::kV3LeaseRevoke;
    command.v3_lease_id = request.id;
    propose_v3(std::move(command), [this, reply](Result<kv::V3ApplyResult> applied) {
        if (!applied.is_ok()) return reply({applied.status(), {}, {}});
        reply({Status::ok(), {}, v3_header_at(applied.value().revision)});
    });
}

void ServiceImpl::v3_lease_keep_alive(const v3::LeaseKeepAliveRequest& request,
                                      service::V3Callback<v3::LeaseKeepAliveResponse> done) {
    auto reply = deferred_v3(std::move(done));
    // A renewal moves the expiry every member holds, so it is stamped by this member's
    // clock and ordered through the log like any other lease change.
    kv::Command command;
    command.kind = kv::Command::Kind::kV3LeaseRenew;
    command.v3_lease_id = request.id;
    propose_v3(std::move(command),
               [this, reply, id = request.id](Result<kv::V3ApplyResult> applied) {
                   if (!applied.is_ok()) return reply({applied.status(), {}, {}});
                   v3::LeaseKeepAliveResponse response = applied.value().keep_alive;
                   response.id = id;
                   reply({Status::ok(), response, v3_header_at(applied.value().revision)});
               });
}

void ServiceImpl::v3_lease_time_to_live(const v3::LeaseTimeToLiveRequest& request,
                                        service::V3Callback<v3::LeaseTimeToLiveResponse> done) {
    auto reply = deferred_v3(std::move(done));
    after_read_index([this, request, reply](Status ready) {
        if (!ready.is_ok()) return reply({ready, {}, {}});
        reply({Status::ok(),
               member_.store_.v3_lease_time_to_live(request, Member::wall_now_unix_nanos()),
               v3_header()});
    });
}

void ServiceImpl::v3_lease_leases(service::V3Callback<v3::LeaseLeasesResponse> done) {
    auto reply = deferred_v3(std::move(done));
    after_read_index([this, reply](Status ready) {
        if (!ready.is_ok()) return reply({ready, {}, {}});
        reply({Status::ok(), member_.store_.v3_leases(), v3_header()});
    });
}

// -- Watch ------------------------------------------------------------------------

service::V3WatchStart ServiceImpl::v3_watch(const v3::WatchCreateRequest& request,
                                            service::V3WatchSink sink) {
    service::V3WatchStart start;
    if (auto refused = refusal()) {
        start.status = *refused;
        return start;
    }
    auto on_events = [this, deliver = sink.on_events](const std::vector<v3::Event>& events,
                                                      std::int64_t revision) {
        deliver(events, v3_header_at(revision));
    };
    kv::V3WatchStart watch = member_.store_.v3_watch(request, std::move(on_events));
    start.status = watch.status;
    start.watch_id = watch.watch_id;
    start.compact_revision = watch.compact_revision;
    start.backlog = std::move(watch.backlog);
    start.header = v3_header_at(watch.revision);
    if (watch.watch_id != 0 && sink.on_closed) v3_watch_closers_[watch.watch_id] = sink.on_closed;
    return start;
}

void ServiceImpl::v3_cancel_watch(std::uint64_t watch_id) {
    v3_watch_closers_.erase(watch_id);
    member_.store_.v3_cancel_watch(watch_id);
}

void ServiceImpl::close_v3_watches() {
    auto closers = std::move(v3_watch_closers_);
    v3_watch_closers_.clear();
    for (auto& [watch_id, on_closed] : closers) {
        member_.store_.v3_cancel_watch(watch_id);
        on_closed();
    }
}

// -- Maintenance ------------------------------------------------------------------

v3::StatusResponse ServiceImpl::v3_status() const {
    raft::NodeStatus status = member_.raft_->status();
    v3::StatusResponse response;
    response.version = std::string(kEtcdServerVersion);
    // etcd reports its bbolt file; the nearest thing here is what the data dir holds
    // on disk (the WAL's LevelDB files and snapshots), which is never 0.
    response.db_size = data_dir_bytes(member_.flags_.data_dir);
    response.db_size_in_use = response.db_size;
    response.leader = status.soft_state.leader_id;
    response.raft_index = status.hard_state.commit;
    response.raft_term = status.hard_state.term;
    response.raft_applied_index = member_.applier_->applied_index();
    const service::Member* self = member_.members_.find(member_.local_id_);
    response.is_learner = self != nullptr && self->is_learner;
    return response;
}

}  // namespace consensus::node
