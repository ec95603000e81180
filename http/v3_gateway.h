#pragma once
/// The v3 JSON gateway's front door: maps /v3/... and /v3beta/... paths to the v3
/// handlers as etcd 3.4's grpc-gateway ServeMux does [etcd: server/embed/serve.go
/// createMux; grpc-gateway v1 runtime.ServeMux.ServeHTTP; api/etcdserverpb/gw/
/// rpc.pb.gw.go patterns].
///
///   - Every gateway method is a POST. A known path with another method answers 405
///     "Method Not Allowed" as text; an unknown path below /v3/ answers 404
///     "Not Found" as text (not Go's "404 page not found", which the router keeps for
///     paths outside the gateway, /v3alpha included).
///   - /v3beta/x is served as /v3/x (etcd 3.4 still accepts the beta prefix).
///   - /v3/kv/lease/{revoke,timetolive,leases} are aliases of /v3/lease/....
///   - Paths etcd serves but this server does not implement (auth, election, lock,
///     maintenance hash, hashkv, snapshot and transfer-leadership, member changes)
///     answer gRPC code 12 (Unimplemented, HTTP 501).

#include <string_view>

#include "consensus/service.h"
#include "http/exchange.h"
#include "http/request.h"
#include "http/response.h"
#include "http/v3_reply.h"

namespace consensus::http {

/// True when the router should hand `path` (decoded, cleaned) to serve_v3: it is
/// below "/v3/" or "/v3beta/".
bool is_v3_gateway_path(std::string_view path);

/// Serves one gateway request. `path` satisfies is_v3_gateway_path.
void serve_v3(service::Service& service, const Request& request, std::string_view path,
              const V3Limits& limits, const ExchangePtr& exchange);

/// The answer to a gateway request whose body is over the session's byte limit
/// (etcd reads any body and refuses the decoded request as too large).
Response v3_body_too_large();

}  // namespace consensus::http
