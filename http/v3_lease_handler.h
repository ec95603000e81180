#pragma once
/// The v3 Lease service over the JSON gateway [etcd: api/etcdserverpb/gw/
/// rpc.pb.gw.go; server/etcdserver/api/v3rpc/lease.go]:
///   POST /v3/lease/grant, /v3/lease/revoke, /v3/lease/timetolive, /v3/lease/leases
///   (and the /v3/kv/lease/... aliases) answer once;
///   POST /v3/lease/keepalive is a stream: every request object in the body gets one
///   {"result":{...}} line, in order, and the response stays open.
/// `service` must outlive every exchange it serves.

#include <string_view>

#include "consensus/service.h"
#include "http/exchange.h"
#include "http/request.h"

namespace consensus::http {

/// `method` is the last path part: "grant", "revoke", "timetolive" or "leases".
void serve_v3_lease(service::Service& service, std::string_view method, const Request& request,
                    const ExchangePtr& exchange);

/// The keep-alive stream. A first request that does not decode answers 500 code 2;
/// a later one ends the reading of the body (as etcd's gateway stops sending), and
/// the answers to the requests before it still go out. An unknown lease answers
/// without TTL; any other failure ends the stream with an error object.
void serve_v3_lease_keep_alive(service::Service& service, const Request& request,
                               const ExchangePtr& exchange);

}  // namespace consensus::http
