#pragma once
/// The v3 gateway's request decoding: JSON bodies into the plain structs of
/// include/consensus/v3.h, field by field as etcd's rpc.proto names them
/// [etcd: api/etcdserverpb/rpc.proto], with the protobuf-JSON rules of
/// http/proto_json.h. Every parser takes the decoded JSON value of one request
/// (null and {} are the empty message) and fails with kInvalidArgument and a
/// Go-decoder-like text; semantic checks (empty key, too many txn ops) are the
/// member's, except where the struct cannot express the request (see parse_txn).

#include <cstdint>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "consensus/status.h"
#include "consensus/v3.h"

namespace consensus::http {

namespace v3 = consensus::service::v3;

Result<v3::RangeRequest> parse_range_request(const nlohmann::json& value);
Result<v3::PutRequest> parse_put_request(const nlohmann::json& value);
Result<v3::DeleteRangeRequest> parse_delete_range_request(const nlohmann::json& value);
Result<v3::CompactionRequest> parse_compaction_request(const nlohmann::json& value);

/// A TxnRequest and whether any RequestOp in it (nested txns included) named no
/// operation at all ({}), which v3.h's RequestOp cannot express. etcd refuses such a
/// txn with "etcdserver: key not found" [etcd: server/etcdserver/api/v3rpc/key.go
/// checkRequestOp]; the handler answers that itself.
struct ParsedTxn {
    v3::TxnRequest request;
    bool has_empty_op = false;
};
Result<ParsedTxn> parse_txn_request(const nlohmann::json& value);

Result<v3::LeaseGrantRequest> parse_lease_grant_request(const nlohmann::json& value);
Result<v3::LeaseRevokeRequest> parse_lease_revoke_request(const nlohmann::json& value);
Result<v3::LeaseTimeToLiveRequest> parse_lease_time_to_live_request(const nlohmann::json& value);
Result<v3::LeaseKeepAliveRequest> parse_lease_keep_alive_request(const nlohmann::json& value);

/// etcdserverpb.WatchRequest: one of create_request, cancel_request or
/// progress_request, or none of them (etcd ignores such a request).
struct WatchRequest {
    enum class Kind { kNone, kCreate, kCancel, kProgress };
    Kind kind = Kind::kNone;
    v3::WatchCreateRequest create;
    std::int64_t cancel_watch_id = 0;
};
Result<WatchRequest> parse_watch_request(const nlohmann::json& value);

/// etcdserverpb.AlarmRequest: action GET (0), ACTIVATE (1) or DEACTIVATE (2).
struct AlarmRequest {
    int action = 0;
    std::uint64_t member_id = 0;
    int alarm = 0;
};
Result<AlarmRequest> parse_alarm_request(const nlohmann::json& value);

/// Checks that `value` is a message (an object or null) whose fields this server
/// does not read (LeaseLeasesRequest, StatusRequest, MemberListRequest).
Status check_empty_request(const nlohmann::json& value);

}  // namespace consensus::http
