#pragma once
/// The v3 KV service over the JSON gateway: POST /v3/kv/range, /v3/kv/put,
/// /v3/kv/deleterange, /v3/kv/txn and /v3/kv/compaction [etcd: api/etcdserverpb/gw/
/// rpc.pb.gw.go; server/etcdserver/api/v3rpc/key.go].
///
/// Each call decodes the body's first JSON value (an empty body is {}), refuses a
/// body that does not decode with gRPC code 3, refuses a write whose encoded size
/// exceeds the request limit with "etcdserver: request is too large", and otherwise
/// passes the request to the Service, which validates it as etcd's server does and
/// answers later. `service` must outlive every exchange it serves.

#include <string_view>

#include "consensus/service.h"
#include "http/exchange.h"
#include "http/request.h"
#include "http/v3_reply.h"

namespace consensus::http {

/// `method` is the last path part: "range", "put", "deleterange", "txn" or
/// "compaction" (the gateway routes only those here).
void serve_v3_kv(service::Service& service, std::string_view method, const Request& request,
                 const V3Limits& limits, const ExchangePtr& exchange);

/// The size etcd's check would see for these requests: the protobuf encoding of the
/// raft request that carries them, estimated from field sizes (tags and lengths
/// included), so that a value just under the limit passes as it does in etcd.
std::uint64_t encoded_size(const service::v3::PutRequest& request);
std::uint64_t encoded_size(const service::v3::DeleteRangeRequest& request);
std::uint64_t encoded_size(const service::v3::TxnRequest& request);

}  // namespace consensus::http
