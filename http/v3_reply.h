#pragma once
/// How the v3 gateway answers: success bodies, errors and the status mapping,
/// shared by the v3 handlers [etcd: grpc-gateway v1 runtime.ForwardResponseMessage,
/// runtime.DefaultHTTPError, runtime.HTTPStatusFromCode].
///
/// A Status from the Service carries etcd's exact error text; its code maps to the
/// gRPC code the gateway reports and that code to the HTTP status (include/consensus/
/// v3.h): kInvalidArgument -> 3 (400), kOutOfRange -> 11 (400), kNotFound -> 5 (404),
/// kFailedPrecondition -> 9 (412), kUnavailable and kTimeout -> 14 (503), anything
/// else -> 13 (500).

#include <cstdint>
#include <string>
#include <utility>

#include "consensus/service.h"
#include "consensus/status.h"
#include "http/exchange.h"
#include "http/response.h"

namespace consensus::http {

/// gRPC status codes the gateway reports.
enum class GrpcCode : int {
    kUnknown = 2,
    kInvalidArgument = 3,
    kNotFound = 5,
    kFailedPrecondition = 9,
    kOutOfRange = 11,
    kUnimplemented = 12,
    kInternal = 13,
    kUnavailable = 14,
};

/// etcd's limit on one request (--max-request-bytes), enforced by the gateway on the
/// request it decoded [etcd: server/etcdserver/v3_server.go processInternalRaftRequest
/// ErrRequestTooLarge].
inline constexpr std::uint64_t kDefaultRequestBytesMax = 1536 * 1024;

/// etcd's error text for a request over the limit (gRPC code 3).
inline constexpr const char* kRequestTooLargeMessage = "etcdserver: request is too large";

GrpcCode grpc_code_of(StatusCode code);

/// grpc-gateway's HTTPStatusFromCode for the codes above.
unsigned http_status_of(GrpcCode code);

/// 200 with `body` as application/json and the gateway's
/// Grpc-Metadata-Content-Type field.
Response v3_success(std::string body);

/// The head of a streamed answer (watch, keep-alive): 200, the same fields as
/// v3_success, chunked body to follow.
Response v3_stream_head();

/// The error envelope for `code` and `message`, with its HTTP status.
Response v3_error(GrpcCode code, const std::string& message);

/// The error envelope for a Service Status (precondition: not ok).
Response v3_error(const Status& status);

/// The bounds the v3 handlers enforce.
struct V3Limits {
    std::uint64_t request_bytes_max = kDefaultRequestBytesMax;
};

/// A Service callback that answers `exchange`: the error envelope for a failed
/// reply, otherwise `print(response, header)` as a success body.
template <typename Message, typename Print>
service::V3Callback<Message> reply_with(ExchangePtr exchange, Print print) {
    return [exchange = std::move(exchange), print](service::V3Reply<Message> reply) {
        if (!reply.status.is_ok()) {
            exchange->reply(v3_error(reply.status));
            return;
        }
        exchange->reply(v3_success(print(reply.response, reply.header)));
    };
}

}  // namespace consensus::http
