#pragma once
/// etcd's v3 API as plain structs: what http/ parses from the JSON gateway's requests
/// and what the member answers [etcd: api/etcdserverpb/rpc.proto, api/mvccpb/kv.proto].
/// Field names follow the proto's, so a reader can hold this beside rpc.proto. Nothing
/// here knows about JSON (http/ maps the proto's JSON names and its zero-value rules),
/// Raft or storage.
///
/// Revisions, versions, TTLs and lease ids are int64, as in the proto. Keys and values
/// are raw bytes in std::string (the JSON gateway carries them base64-encoded).
///
/// Errors travel as a Status whose message is etcd's exact text (for example
/// "etcdserver: mvcc: required revision has been compacted") and whose code maps to
/// the gRPC code the gateway reports [etcd: api/v3rpc/rpctypes/error.go]:
///   kInvalidArgument -> 3 (400)     kOutOfRange -> 11 (400)
///   kNotFound -> 5 (404)            kFailedPrecondition -> 9 (412)
///   kUnavailable, kTimeout -> 14 (503)   anything else -> 13 (500)

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace consensus::service::v3 {

/// mvccpb.KeyValue.
struct KeyValue {
    std::string key;
    std::int64_t create_revision = 0;
    std::int64_t mod_revision = 0;
    std::int64_t version = 0;
    std::string value;
    std::int64_t lease = 0;
};

/// etcdserverpb.ResponseHeader. http/ prints only the fields a given response shows
/// (see NOTES on nested txn headers and the member list).
struct ResponseHeader {
    std::uint64_t cluster_id = 0;
    std::uint64_t member_id = 0;
    std::int64_t revision = 0;
    std::uint64_t raft_term = 0;
};

// ---------------------------------------------------------------------------
// KV [rpc.proto: service KV]
// ---------------------------------------------------------------------------

enum class SortOrder : int { kNone = 0, kAscend = 1, kDescend = 2 };
enum class SortTarget : int { kKey = 0, kVersion = 1, kCreate = 2, kMod = 3, kValue = 4 };

/// range_end: empty = only `key`; "\0" = every key >= key; otherwise [key, range_end).
struct RangeRequest {
    std::string key;
    std::string range_end;
    std::int64_t limit = 0;      ///< <= 0: no limit
    std::int64_t revision = 0;   ///< <= 0: the current revision
    SortOrder sort_order = SortOrder::kNone;
    SortTarget sort_target = SortTarget::kKey;
    bool serializable = false;   ///< false: linearizable (ReadIndex) read
    bool keys_only = false;
    bool count_only = false;
    std::int64_t min_mod_revision = 0;
    std::int64_t max_mod_revision = 0;
    std::int64_t min_create_revision = 0;
    std::int64_t max_create_revision = 0;
};

struct RangeResponse {
    std::vector<KeyValue> kvs;
    bool more = false;
    std::int64_t count = 0;   ///< matching keys before limit
};

struct PutRequest {
    std::string key;
    std::string value;
    std::int64_t lease = 0;
    bool prev_kv = false;
    bool ignore_value = false;
    bool ignore_lease = false;
};

struct PutResponse {
    std::optional<KeyValue> prev_kv;
};

struct DeleteRangeRequest {
    std::string key;
    std::string range_end;
    bool prev_kv = false;
};

struct DeleteRangeResponse {
    std::int64_t deleted = 0;
    std::vector<KeyValue> prev_kvs;
};

/// etcdserverpb.Compare. `target_number` holds version, create_revision,
/// mod_revision or lease (by `target`); `target_value` holds the value for kValue.
struct Compare {
    enum class Result : int { kEqual = 0, kGreater = 1, kLess = 2, kNotEqual = 3 };
    enum class Target : int { kVersion = 0, kCreate = 1, kMod = 2, kValue = 3, kLease = 4 };
    Result result = Result::kEqual;
    Target target = Target::kVersion;
    std::string key;
    std::string range_end;
    std::int64_t target_number = 0;
    std::string target_value;
};

struct TxnRequest;
struct TxnResponse;

/// etcdserverpb.RequestOp: exactly one of the four, named by `kind`.
struct RequestOp {
    enum class Kind : int { kRange = 0, kPut = 1, kDeleteRange = 2, kTxn = 3 };
    Kind kind = Kind::kRange;
    RangeRequest range;
    PutRequest put;
    DeleteRangeRequest delete_range;
    std::vector<TxnRequest> txn;   ///< one element for kTxn (a vector: the type nests)
};

struct TxnRequest {
    std::vector<Compare> compare;
    std::vector<RequestOp> success;
    std::vector<RequestOp> failure;
};

/// etcdserverpb.ResponseOp. `revision` is the revision its header shows.
struct ResponseOp {
    RequestOp::Kind kind = RequestOp::Kind::kRange;
    std::int64_t revision = 0;
    RangeResponse range;
    PutResponse put;
    DeleteRangeResponse delete_range;
    std::vector<TxnResponse> txn;  ///< one element for kTxn
};

struct TxnResponse {
    bool succeeded = false;
    std::vector<ResponseOp> responses;
};

struct CompactionRequest {
    std::int64_t revision = 0;
    bool physical = false;
};

struct CompactionResponse {};

// ---------------------------------------------------------------------------
// Lease [rpc.proto: service Lease]
// ---------------------------------------------------------------------------

/// The server clamps TTL to [minimum, kMaxLeaseTtlSeconds] [etcd: lease/lessor.go].
inline constexpr std::int64_t kMaxLeaseTtlSeconds = 9000000000;

struct LeaseGrantRequest {
    std::int64_t ttl = 0;
    std::int64_t id = 0;   ///< 0: the server picks one
};

struct LeaseGrantResponse {
    std::int64_t id = 0;
    std::int64_t ttl = 0;
};

struct LeaseRevokeRequest {
    std::int64_t id = 0;
};

struct LeaseRevokeResponse {};

struct LeaseTimeToLiveRequest {
    std::int64_t id = 0;
    bool keys = false;
};

/// An unknown or expired lease answers ttl -1 (and no error), as etcd does.
struct LeaseTimeToLiveResponse {
    std::int64_t id = 0;
    std::int64_t ttl = 0;
    std::int64_t granted_ttl = 0;
    std::vector<std::string> keys;
};

struct LeaseLeasesResponse {
    std::vector<std::int64_t> ids;
};

struct LeaseKeepAliveRequest {
    std::int64_t id = 0;
};

/// ttl 0 (left out of the JSON) when the lease is unknown.
struct LeaseKeepAliveResponse {
    std::int64_t id = 0;
    std::int64_t ttl = 0;
};

// ---------------------------------------------------------------------------
// Watch [rpc.proto: service Watch]
// ---------------------------------------------------------------------------

struct WatchCreateRequest {
    std::string key;
    std::string range_end;
    std::int64_t start_revision = 0;  ///< <= 0: from the next change
    bool progress_notify = false;
    bool no_put = false;              ///< filters: NOPUT
    bool no_delete = false;           ///< filters: NODELETE
    bool prev_kv = false;
    std::int64_t watch_id = 0;        ///< as given by the client (0 = assign)
    bool fragment = false;
};

/// mvccpb.Event. A delete's kv carries only key and mod_revision.
struct Event {
    enum class Type : int { kPut = 0, kDelete = 1 };
    Type type = Type::kPut;
    KeyValue kv;
    std::optional<KeyValue> prev_kv;
};

// ---------------------------------------------------------------------------
// Maintenance [rpc.proto: service Maintenance]
// ---------------------------------------------------------------------------

struct StatusResponse {
    std::string version;
    std::int64_t db_size = 0;
    std::uint64_t leader = 0;
    std::uint64_t raft_index = 0;
    std::uint64_t raft_term = 0;
    std::uint64_t raft_applied_index = 0;
    std::int64_t db_size_in_use = 0;
    bool is_learner = false;
};

}  // namespace consensus::service::v3
