#include "http/v3_lease_handler.h"

#include <memory>
#include <utility>
#include <vector>

#include "http/proto_json.h"
#include "http/v3_reply.h"
#include "http/v3_requests.h"
#include "http/v3_responses.h"
#include "http/v3_stream.h"

namespace consensus::http {
namespace {

namespace v3 = service::v3;

void reply_parse_error(const ExchangePtr& exchange, const Status& status) {
    exchange->reply(v3_error(GrpcCode::kInvalidArgument, status.message()));
}

/// The state of one keep-alive stream: the decoded requests, answered one at a time
/// in order (etcd's LeaseKeepAlive loop renews one request before reading the next).
struct KeepAliveStream {
    KeepAliveStream(service::Service& target, ExchangePtr exchange)
        : service(target), writer(std::move(exchange)) {}

    service::Service& service;
    V3StreamWriter writer;
    std::vector<v3::LeaseKeepAliveRequest> requests;
    std::size_t next = 0;
};

void keep_alive_next(const std::shared_ptr<KeepAliveStream>& stream) {
    if (stream->next >= stream->requests.size() || !stream->writer.is_open()) return;
    v3::LeaseKeepAliveRequest request = stream->requests[stream->next++];
    std::weak_ptr<KeepAliveStream> weak = stream;
    stream->service.v3_lease_keep_alive(
        request, [weak, request](service::V3Reply<v3::LeaseKeepAliveResponse> reply) {
            std::shared_ptr<KeepAliveStream> self = weak.lock();
            if (!self) return;
            if (!reply.status.is_ok() && reply.status.code() != StatusCode::kNotFound) {
                self->writer.fail(reply.status);
                return;
            }
            if (!reply.status.is_ok()) {
                // [etcd: v3rpc/lease.go leaseKeepAlive] an unknown lease is answered
                // with its ID and no TTL, and the stream goes on.
                reply.response = v3::LeaseKeepAliveResponse{};
                reply.response.id = request.id;
            }
            self->writer.send_result(lease_keep_alive_response_json(reply.response, reply.header));
            keep_alive_next(self);
        });
}

}  // namespace

void serve_v3_lease(service::Service& service, std::string_view method, const Request& request,
                    const ExchangePtr& exchange) {
    Result<nlohmann::json> body = first_json_value(request.body);
    if (!body.is_ok()) return reply_parse_error(exchange, body.status());
    if (method == "grant") {
        Result<v3::LeaseGrantRequest> grant = parse_lease_grant_request(body.value());
        if (!grant.is_ok()) return reply_parse_error(exchange, grant.status());
        service.v3_lease_grant(
            grant.value(), reply_with<v3::LeaseGrantResponse>(exchange, lease_grant_response_json));
    } else if (method == "revoke") {
        Result<v3::LeaseRevokeRequest> revoke = parse_lease_revoke_request(body.value());
        if (!revoke.is_ok()) return reply_parse_error(exchange, revoke.status());
        service.v3_lease_revoke(revoke.value(), reply_with<v3::LeaseRevokeResponse>(
                                                    exchange, [](const v3::LeaseRevokeResponse&,
                                                                 const v3::ResponseHeader& header) {
                                                        return header_only_json(header);
                                                    }));
    } else if (method == "timetolive") {
        Result<v3::LeaseTimeToLiveRequest> ttl = parse_lease_time_to_live_request(body.value());
        if (!ttl.is_ok()) return reply_parse_error(exchange, ttl.status());
        service.v3_lease_time_to_live(ttl.value(), reply_with<v3::LeaseTimeToLiveResponse>(
                                                       exchange, lease_time_to_live_response_json));
    } else {
        Status empty = check_empty_request(body.value());
        if (!empty.is_ok()) return reply_parse_error(exchange, empty);
        service.v3_lease_leases(
            reply_with<v3::LeaseLeasesResponse>(exchange, lease_leases_response_json));
    }
}

void serve_v3_lease_keep_alive(service::Service& service, const Request& request,
                               const ExchangePtr& exchange) {
    auto stream = std::make_shared<KeepAliveStream>(service, exchange);
    JsonValueStream values(request.body);
    while (true) {
        Result<std::optional<nlohmann::json>> value = values.next();
        if (value.is_ok() && !value.value().has_value()) break;  // the end of the body
        Result<v3::LeaseKeepAliveRequest> parsed =
            value.is_ok() ? parse_lease_keep_alive_request(*value.value())
                          : Result<v3::LeaseKeepAliveRequest>(value.status());
        if (!parsed.is_ok()) {
            if (stream->requests.empty()) {
                return reply_stream_decode_error(exchange, parsed.status());
            }
            break;
        }
        stream->requests.push_back(parsed.value());
    }
    // The stream's state lives as long as the client stays: the session keeps the
    // abort callback, which owns it.
    exchange->on_abort([stream]() { stream->next = stream->requests.size(); });
    keep_alive_next(stream);
}

}  // namespace consensus::http
