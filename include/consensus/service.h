#pragma once
/// The narrow interface between the HTTP front end and the member (STYLE §3): http/
/// sees the running member only through Service, and the plain structs here. Nothing
/// here knows about Raft, the WAL or sockets.
///
/// Threading: every method is called on the member's event-loop thread, and every
/// callback is invoked later on that same thread, never from inside the call that
/// registered it. A callback may be invoked after the HTTP session that registered
/// it has gone; sessions therefore capture weak_ptrs or ids, never raw pointers.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "consensus/status.h"
#include "consensus/types.h"
#include "consensus/v3.h"

namespace consensus::service {

// ---------------------------------------------------------------------------
// etcd v2 keys API [etcd v2 API: keys]
// ---------------------------------------------------------------------------

/// One node of the v2 tree as a client sees it. The JSON rules (which fields are
/// left out when) are applied by http/, from these fields:
/// - key: "/a/b"; is_root nodes print no key and no indices.
/// - value: set for files (possibly ""), unset for dirs and in delete/expire events.
/// - ttl / expiration_unix_nanos: set only for nodes with a TTL. ttl is whole
///   seconds remaining, rounded up; it is unset (but expiration set) in the prevNode
///   of an `expire` event, as etcd does.
/// - nodes: children for listings (empty = field omitted).
struct V2Node {
    std::string key;
    bool is_root = false;
    bool dir = false;
    std::optional<std::string> value;
    Revision created_index = 0;
    Revision modified_index = 0;
    std::optional<std::int64_t> ttl;
    std::optional<std::int64_t> expiration_unix_nanos;
    std::vector<V2Node> nodes;
};

/// What a read, a write or a watch produced: `action` is etcd's word (get, set,
/// create, update, delete, compareAndSwap, compareAndDelete, expire).
struct V2Event {
    std::string action;
    V2Node node;
    std::optional<V2Node> prev_node;
};

/// An etcd v2 error: code from errors.h's v2 table, cause as etcd words it, and
/// index = the store index at the time (0 for parameter errors).
struct V2Error {
    int error_code = 0;
    std::string cause;
    Revision index = 0;
};

enum class V2Method { kGet, kPut, kPost, kDelete };

/// A parsed and validated /v2/keys request. http/ does all parameter parsing and
/// reports parameter errors (200-series) itself; the store checks everything that
/// depends on its contents.
struct V2Request {
    V2Method method = V2Method::kGet;
    std::string key;  ///< cleaned, leading "/", no trailing "/" ("/" = root)
    // Writes (PUT, POST, DELETE).
    std::optional<std::string> value;  ///< PUT/POST value; unset = "" for files
    bool dir = false;
    std::optional<std::string> prev_value;  ///< CAS/CAD condition
    Revision prev_index = 0;                ///< CAS/CAD condition; 0 = none
    std::optional<bool> prev_exist;
    std::optional<std::uint64_t> ttl;  ///< seconds; unset = permanent
    bool refresh = false;
    bool no_value_on_success = false;
    // Reads.
    bool recursive = false;
    bool sorted = false;
    bool quorum = false;  ///< linearizable read via ReadIndex
    // Watches (GET with wait=true).
    bool wait = false;
    Revision wait_index = 0;  ///< 0 = from the next change
    bool stream = false;
};

/// Headers every successful keys response carries [etcd v2 API: response headers].
struct V2Headers {
    Revision etcd_index = 0;  ///< X-Etcd-Index
    Index raft_index = 0;     ///< X-Raft-Index
    Term raft_term = 0;       ///< X-Raft-Term
};

/// The outcome of a non-watch keys request: an event or an etcd error, or a Status
/// for failures etcd reports outside the v2 error table (no leader, timeout, shutting
/// down), which http/ maps to etcd's responses for those.
struct V2Result {
    Status status;                 ///< non-ok: the request did not complete
    std::optional<V2Error> error;  ///< set when the store refused the request
    std::optional<V2Event> event;  ///< set on success
    V2Headers headers;
};

using V2Callback = std::function<void(V2Result)>;

/// Receives the events of one watch. on_event gets each matching event in order;
/// a non-stream watch gets exactly one and is then removed by the service.
/// on_closed is called if the service ends the watch itself (the watcher fell too far
/// behind, or the member is shutting down); no call follows it.
struct V2WatchSink {
    std::function<void(const V2Event& event, const V2Headers& headers)> on_event;
    std::function<void()> on_closed;
};

/// Immediate answer to starting a watch: an error (401 index cleared, 400 ...) or a
/// watch id to cancel with. etcd_index is the store index when the watch began (the
/// X-Etcd-Index of a watch that has to wait).
struct V2WatchStart {
    std::optional<V2Error> error;
    std::uint64_t watch_id = 0;
    V2Headers headers;
};

// ---------------------------------------------------------------------------
// etcd v3 API, as its JSON gateway serves it (types in v3.h)
// ---------------------------------------------------------------------------

/// A v3 answer: status ok with the response and the header (cluster, member, revision
/// at the time, term), or a Status carrying etcd's error text (v3.h maps the codes).
template <typename Response>
struct V3Reply {
    Status status;
    Response response;
    v3::ResponseHeader header;
};

template <typename Response>
using V3Callback = std::function<void(V3Reply<Response>)>;

/// Receives the events of one v3 watch: on_events gets all the events of one
/// revision (a txn or a multi-key delete) together, in revision order, with the header
/// at that revision. on_closed is called if the service ends the watch itself
/// (member shutdown); no call follows it.
struct V3WatchSink {
    std::function<void(const std::vector<v3::Event>& events, const v3::ResponseHeader& header)>
        on_events;
    std::function<void()> on_closed;
};

/// The immediate answer to creating a v3 watch.
/// - status not ok: the watch was not created (bad request, shutting down).
/// - compact_revision set: start_revision is compacted; the gateway answers created
///   then canceled with compact_revision, and no watch exists.
/// - otherwise watch_id (for v3_cancel_watch) and `backlog`: every stored event from
///   start_revision to the current revision (empty when it starts at the next change),
///   which the gateway sends as one message after `created`. Live events follow
///   through the sink, with nothing missed or repeated between the two.
struct V3WatchStart {
    Status status;
    std::uint64_t watch_id = 0;
    std::optional<std::int64_t> compact_revision;
    std::vector<v3::Event> backlog;
    v3::ResponseHeader header;
};

// ---------------------------------------------------------------------------
// Cluster, stats and health [etcd v2 API: members, stats]
// ---------------------------------------------------------------------------

struct Member {
    NodeId id = kNoNode;
    std::string name;  ///< empty until the member has started and published it
    std::vector<std::string> peer_urls;
    std::vector<std::string> client_urls;
    bool is_learner = false;
};

struct ClusterInfo {
    std::uint64_t cluster_id = 0;
    NodeId member_id = kNoNode;  ///< this member
    NodeId leader_id = kNoNode;  ///< kNoNode when unknown
    Term raft_term = 0;
    Index raft_index = 0;  ///< committed index
    Index applied_index = 0;
    std::vector<Member> members;
};

/// /v2/stats/self.
struct SelfStats {
    std::string name;
    NodeId id = kNoNode;
    bool is_leader = false;
    std::int64_t start_time_unix_nanos = 0;
    NodeId leader_id = kNoNode;
    std::int64_t leader_start_time_unix_nanos = 0;  ///< when the current leader was learned
    std::uint64_t recv_append_request_count = 0;
    std::uint64_t send_append_request_count = 0;
    double recv_package_rate = 0;    ///< followers only
    double recv_bandwidth_rate = 0;  ///< followers only
    double send_package_rate = 0;    ///< leader only
    double send_bandwidth_rate = 0;  ///< leader only
};

/// /v2/stats/leader (only the leader answers it).
struct FollowerStats {
    double latency_current_ms = 0, latency_average_ms = 0, latency_stddev_ms = 0;
    double latency_min_ms = 0, latency_max_ms = 0;
    std::uint64_t success = 0, fail = 0;
};
struct LeaderStats {
    NodeId leader_id = kNoNode;
    std::map<NodeId, FollowerStats> followers;
};

/// /v2/stats/store: counters of the v2 store, as etcd names them.
struct StoreStats {
    std::uint64_t gets_success = 0, gets_fail = 0;
    std::uint64_t sets_success = 0, sets_fail = 0;
    std::uint64_t delete_success = 0, delete_fail = 0;
    std::uint64_t update_success = 0, update_fail = 0;
    std::uint64_t create_success = 0, create_fail = 0;
    std::uint64_t compare_and_swap_success = 0, compare_and_swap_fail = 0;
    std::uint64_t compare_and_delete_success = 0, compare_and_delete_fail = 0;
    std::uint64_t expire_count = 0;
    std::uint64_t watchers = 0;
};

using MemberCallback = std::function<void(Result<Member>)>;
using StatusCallback = std::function<void(Status)>;

/// What the HTTP front end may ask of a member.
class Service {
public:
    virtual ~Service() = default;

    /// GET (plain or quorum), PUT, POST and DELETE on /v2/keys. `now_unix_nanos` is
    /// not passed: the member stamps writes with its own clock, as etcd does.
    virtual void v2_keys(const V2Request& request, V2Callback done) = 0;
    /// Starts a watch (request.wait is true). See V2WatchSink for delivery.
    virtual V2WatchStart v2_watch(const V2Request& request, V2WatchSink sink) = 0;
    /// Ends a watch early (client went away). Unknown ids are ignored.
    virtual void v2_cancel_watch(std::uint64_t watch_id) = 0;

    /// The v3 KV service. A range is linearizable (ReadIndex) unless serializable;
    /// put, delete_range, txn and compact go through Raft. Requests are validated as
    /// etcd's server does before proposing (v3.h error texts).
    virtual void v3_range(const v3::RangeRequest& request, V3Callback<v3::RangeResponse> done) = 0;
    virtual void v3_put(const v3::PutRequest& request, V3Callback<v3::PutResponse> done) = 0;
    virtual void v3_delete_range(const v3::DeleteRangeRequest& request,
                                 V3Callback<v3::DeleteRangeResponse> done) = 0;
    virtual void v3_txn(const v3::TxnRequest& request, V3Callback<v3::TxnResponse> done) = 0;
    virtual void v3_compact(const v3::CompactionRequest& request,
                            V3Callback<v3::CompactionResponse> done) = 0;

    /// The v3 Lease service. Grant, revoke and keep-alive go through Raft; keep-alive
    /// answers one request (the gateway loops for a stream).
    virtual void v3_lease_grant(const v3::LeaseGrantRequest& request,
                                V3Callback<v3::LeaseGrantResponse> done) = 0;
    virtual void v3_lease_revoke(const v3::LeaseRevokeRequest& request,
                                 V3Callback<v3::LeaseRevokeResponse> done) = 0;
    virtual void v3_lease_time_to_live(const v3::LeaseTimeToLiveRequest& request,
                                       V3Callback<v3::LeaseTimeToLiveResponse> done) = 0;
    virtual void v3_lease_leases(V3Callback<v3::LeaseLeasesResponse> done) = 0;
    virtual void v3_lease_keep_alive(const v3::LeaseKeepAliveRequest& request,
                                     V3Callback<v3::LeaseKeepAliveResponse> done) = 0;

    /// The v3 Watch service: one watch of a stream (the gateway numbers a stream's
    /// watches itself). See V3WatchStart and V3WatchSink.
    virtual V3WatchStart v3_watch(const v3::WatchCreateRequest& request, V3WatchSink sink) = 0;
    /// Ends a watch (cancel_request, or the client went away). Unknown ids are ignored.
    virtual void v3_cancel_watch(std::uint64_t watch_id) = 0;
    /// The header at the current revision (a progress_request's answer).
    virtual v3::ResponseHeader v3_header() const = 0;

    /// /v3/maintenance/status.
    virtual v3::StatusResponse v3_status() const = 0;

    virtual ClusterInfo cluster_info() const = 0;
    /// cluster_info().cluster_id without copying the member list: the v2 handlers
    /// put it in the X-Etcd-Cluster-Id field of every answer.
    virtual std::uint64_t cluster_id() const = 0;
    /// Adds a member with these peer URLs (as a voter, or a learner). Errors: etcd's
    /// member errors (kAlreadyExists for a duplicate URL, kFailedPrecondition while
    /// another change is pending, kUnavailable without a leader).
    virtual void add_member(std::vector<std::string> peer_urls, bool as_learner,
                            MemberCallback done) = 0;
    virtual void remove_member(NodeId id, StatusCallback done) = 0;
    virtual void update_member(NodeId id, std::vector<std::string> peer_urls,
                               StatusCallback done) = 0;

    virtual SelfStats self_stats() const = 0;
    /// Unset when this member is not the leader (etcd answers 403).
    virtual std::optional<LeaderStats> leader_stats() const = 0;
    virtual StoreStats store_stats() const = 0;
    /// True when the member has a leader and is not shutting down.
    virtual bool is_healthy() const = 0;
    /// Prometheus text exposition of the member's metrics.
    virtual std::string metrics_text() const = 0;
};

}  // namespace consensus::service
