#pragma once
/// The v3 gateway's response printing: the structs of include/consensus/v3.h as
/// etcd 3.4's gateway writes them [etcd: grpc-gateway v1 runtime.JSONPb{OrigName:
/// true}, i.e. golang/protobuf jsonpb without EmitDefaults]. The rules:
///   - fields appear in proto field order, under their proto names ("create_revision",
///     "ID", "dbSizeInUse");
///   - every zero value is left out: 0, false, "", empty lists, and a bool false;
///     an enum at its zero value too, so PUT events carry no "type";
///   - int64 and uint64 are JSON strings ("revision":"5"); bytes are base64;
///   - a message field that is set prints even when all its fields are zero ({}).
/// Each function returns one complete JSON object without a trailing newline.

#include <cstdint>
#include <string>
#include <vector>

#include "consensus/service.h"
#include "consensus/v3.h"

namespace consensus::http {

namespace v3 = consensus::service::v3;

/// {"cluster_id":..,"member_id":..,"revision":..,"raft_term":..}, zeros left out.
std::string header_json(const v3::ResponseHeader& header);
std::string key_value_json(const v3::KeyValue& kv);
std::string event_json(const v3::Event& event);

std::string range_response_json(const v3::RangeResponse& response,
                                const v3::ResponseHeader& header);
std::string put_response_json(const v3::PutResponse& response, const v3::ResponseHeader& header);
std::string delete_range_response_json(const v3::DeleteRangeResponse& response,
                                       const v3::ResponseHeader& header);
/// The top-level txn answer. Responses nested in it carry a header with only their
/// revision, and a nested txn's own header is {} [etcd: server/etcdserver/apply.go
/// newTxnResp, which allocates empty headers that only the range/put/delete fill].
std::string txn_response_json(const v3::TxnResponse& response, const v3::ResponseHeader& header);
/// Responses with no field besides the header (compaction, lease revoke).
std::string header_only_json(const v3::ResponseHeader& header);

std::string lease_grant_response_json(const v3::LeaseGrantResponse& response,
                                      const v3::ResponseHeader& header);
std::string lease_time_to_live_response_json(const v3::LeaseTimeToLiveResponse& response,
                                             const v3::ResponseHeader& header);
std::string lease_leases_response_json(const v3::LeaseLeasesResponse& response,
                                       const v3::ResponseHeader& header);
std::string lease_keep_alive_response_json(const v3::LeaseKeepAliveResponse& response,
                                           const v3::ResponseHeader& header);

/// etcdserverpb.WatchResponse, in proto field order.
struct WatchMessage {
    v3::ResponseHeader header;
    std::int64_t watch_id = 0;
    bool created = false;
    bool canceled = false;
    std::int64_t compact_revision = 0;
    std::string cancel_reason;
    std::vector<v3::Event> events;
};
std::string watch_response_json(const WatchMessage& message);

/// One message of a streamed answer: {"result":<message>} and the newline the
/// gateway writes after each [etcd: grpc-gateway v1 runtime.ForwardResponseStream].
std::string stream_result_line(const std::string& message_json);

std::string status_response_json(const v3::StatusResponse& response,
                                 const v3::ResponseHeader& header);
/// The member list: its header has no revision [etcd: server/etcdserver/api/v3rpc/
/// member.go header()], member IDs are decimal strings.
std::string member_list_response_json(const service::ClusterInfo& info);

/// The gateway's error body: {"error":msg,"code":N,"message":msg}
/// [etcd: grpc-gateway v1 runtime.DefaultHTTPError].
std::string error_json(int grpc_code, const std::string& message);

}  // namespace consensus::http
