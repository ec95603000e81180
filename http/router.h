#pragma once
/// Router: maps one request to its handler the way etcd 3.4's client listener does
/// [etcd: server/embed/serve.go accessController; Go net/http ServeMux (before Go
/// 1.22); server/etcdserver/api/v2http/client.go handleV2].
///
/// In order:
///   1. OPTIONS on any path answers 200 with an empty body (CORS preflight).
///   2. The path is percent-decoded ("%2F" becomes '/', '+' stays '+'); a malformed
///      escape is Go's "400 Bad Request" and the connection closes.
///   3. A path that Go's cleanPath would change ("//", "/./", "/../") gets a 301
///      to the cleaned path (query kept) with Go's small HTML body.
///   4. Exact patterns /v2/keys /v2/members /v2/machines /v2/stats/{self,leader,store}
///      /version /health /metrics, and the subtrees /v2/keys/ and /v2/members/;
///      the subtrees /v3/ and /v3beta/ go to the v3 JSON gateway (http/v3_gateway.h),
///      and "/v3" or "/v3beta" alone get Go's redirect to the subtree;
///      anything else is "404 page not found".
/// Every handler response also gets etcd's Access-Control-Allow-* fields (added by
/// the session for responses whose `cors` is set).
///
/// Owned by the Server; it holds a reference to the Service, which must outlive it.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "consensus/service.h"
#include "http/exchange.h"
#include "http/request.h"
#include "http/v3_reply.h"

namespace consensus::http {

class Router {
public:
    /// `client_urls` are this member's client URLs, for /v2/machines; `v3_limits`
    /// the bounds of the v3 gateway (etcd's --max-request-bytes).
    Router(service::Service& service, std::vector<std::string> client_urls,
           V3Limits v3_limits = V3Limits{});

    Router(const Router&) = delete;
    Router& operator=(const Router&) = delete;

    /// Serves `request`, answering through `exchange` now or later.
    void route(const Request& request, const ExchangePtr& exchange);

    /// The answer for a request whose body the session refused as over its byte
    /// limit, or std::nullopt for the session's own 413: the v3 gateway answers
    /// etcd's "request is too large" instead. `target` is the request-target.
    std::optional<Response> answer_body_too_large(std::string_view target) const;

private:
    service::Service& service_;
    std::vector<std::string> client_urls_;
    V3Limits v3_limits_;
};

/// The answer Go's http.Redirect gives for a GET or HEAD: 301, Location `location`,
/// text/html body `<a href="...">Moved Permanently</a>.` plus two newlines (no body
/// and no Content-Type for other methods).
Response redirect_response(std::string_view method, const std::string& location);

/// Go's ServeMux cleanPath: path.Clean, a leading '/', and a kept trailing slash.
std::string mux_clean_path(std::string_view path);

/// True when mux_clean_path(path) == path, decided without building the cleaned path.
bool is_mux_clean_path(std::string_view path);

}  // namespace consensus::http
