#include "http/v3_cluster_handlers.h"

#include "http/proto_json.h"
#include "http/v3_reply.h"
#include "http/v3_requests.h"
#include "http/v3_responses.h"

namespace consensus::http {
namespace {

/// Decodes the body as a message whose fields this server does not use; answers
/// and returns false when it does not decode.
bool check_body(const Request& request, const ExchangePtr& exchange) {
    Result<nlohmann::json> body = first_json_value(request.body);
    Status status = body.is_ok() ? check_empty_request(body.value()) : body.status();
    if (status.is_ok()) return true;
    exchange->reply(v3_error(GrpcCode::kInvalidArgument, status.message()));
    return false;
}

}  // namespace

void serve_v3_member_list(service::Service& service, const Request& request,
                          const ExchangePtr& exchange) {
    if (!check_body(request, exchange)) return;
    exchange->reply(v3_success(member_list_response_json(service.cluster_info())));
}

void serve_v3_status(service::Service& service, const Request& request,
                     const ExchangePtr& exchange) {
    if (!check_body(request, exchange)) return;
    exchange->reply(v3_success(status_response_json(service.v3_status(), service.v3_header())));
}

void serve_v3_alarm(const Request& request, const ExchangePtr& exchange) {
    Result<nlohmann::json> body = first_json_value(request.body);
    Status status = body.is_ok() ? parse_alarm_request(body.value()).status() : body.status();
    if (!status.is_ok()) {
        exchange->reply(v3_error(GrpcCode::kInvalidArgument, status.message()));
        return;
    }
    exchange->reply(v3_success("{}"));
}

void serve_v3_defragment(const Request& request, const ExchangePtr& exchange) {
    if (!check_body(request, exchange)) return;
    exchange->reply(v3_success("{}"));
}

}  // namespace consensus::http
