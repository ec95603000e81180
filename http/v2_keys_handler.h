#pragma once
/// The v2 keys API handler: /v2/keys and everything below it
/// [etcd: server/etcdserver/api/v2http/client.go keysHandler].
///
/// parse_v2_keys_request validates parameters exactly as etcd's parseKeyRequest, in
/// the same order, so the first failing check decides the error a client sees.
/// Parameter errors are 200-series v2 errors with index 0 (and X-Etcd-Index: 0).
/// Everything that depends on the store's contents is the Service's job.

#include <optional>
#include <string>
#include <string_view>

#include "consensus/service.h"
#include "consensus/status.h"
#include "http/exchange.h"
#include "http/request.h"

namespace consensus::http {

/// What parsing a keys request produced: a request for the Service, or an error.
struct V2KeysParse {
    std::optional<service::V2Error> error;  ///< set when a parameter is invalid
    service::V2Request request;             ///< valid when !error
    bool no_value_on_success = false;
};

/// Parses a keys request. `method` is one of HEAD GET PUT POST DELETE (others are
/// refused before); `key_path` is the decoded URL path after "/v2/keys" ("" for the
/// root); `raw_query` is the undecoded text after '?'. The body is read as a form
/// only for PUT and POST with Content-Type application/x-www-form-urlencoded, and
/// its values come before the query's (so the first `value` in the body wins);
/// DELETE and GET read only the query, as Go's ParseForm does.
V2KeysParse parse_v2_keys_request(std::string_view method, std::string_view key_path,
                                  std::string_view raw_query, std::string_view content_type,
                                  std::string_view body);

/// The v2 error etcd answers for a failure outside the v2 table: code 300 (Raft
/// Internal Error, HTTP 500) with etcd's error text as cause, index 0
/// [etcd: v2http/client.go writeKeyError; etcdserver/errors.go]. Timeouts and a
/// missing leader read "etcdserver: request timed out"; a message that already
/// starts with "etcdserver: " is passed through.
service::V2Error v2_error_from_status(const Status& status);

/// The complete response for a v2 error (status from errors.h, X-Etcd-Index =
/// error.index, X-Etcd-Cluster-Id).
Response v2_error_response(const service::V2Error& error, std::uint64_t cluster_id);

/// Serves one keys request: method check (405 with "HEAD,GET,PUT,POST,DELETE"),
/// parsing, then Service::v2_keys, or Service::v2_watch for wait=true. A watch sends
/// its status and fields at once, then each event as one chunk; a non-stream watch
/// ends after its first event. If the client leaves, the watch is cancelled through
/// Service::v2_cancel_watch. `service` must outlive every exchange it serves.
void serve_v2_keys(service::Service& service, const Request& request, std::string_view key_path,
                   std::string_view raw_query, const ExchangePtr& exchange);

}  // namespace consensus::http
