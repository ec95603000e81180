#include "http/v3_reply.h"

#include <utility>

#include "http/v3_responses.h"

namespace consensus::http {

GrpcCode grpc_code_of(StatusCode code) {
    switch (code) {
        case StatusCode::kInvalidArgument:
            return GrpcCode::kInvalidArgument;
        case StatusCode::kOutOfRange:
            return GrpcCode::kOutOfRange;
        case StatusCode::kNotFound:
            return GrpcCode::kNotFound;
        case StatusCode::kFailedPrecondition:
            return GrpcCode::kFailedPrecondition;
        case StatusCode::kUnavailable:
        case StatusCode::kTimeout:
            return GrpcCode::kUnavailable;
        default:
            return GrpcCode::kInternal;
    }
}

unsigned http_status_of(GrpcCode code) {
    switch (code) {
        case GrpcCode::kInvalidArgument:
        case GrpcCode::kOutOfRange:
            return 400;
        case GrpcCode::kNotFound:
            return 404;
        case GrpcCode::kFailedPrecondition:
            return 412;
        case GrpcCode::kUnimplemented:
            return 501;
        case GrpcCode::kUnavailable:
            return 503;
        case GrpcCode::kUnknown:
        case GrpcCode::kInternal:
            return 500;
    }
    return 500;
}

Response v3_success(std::string body) {
    Response response;
    response.status = 200;
    response.set_field("Content-Type", "application/json");
    // grpc-gateway forwards the gRPC response's header metadata with this prefix.
    response.set_field("Grpc-Metadata-Content-Type", "application/grpc");
    response.body = std::move(body);
    return response;
}

Response v3_stream_head() {
    return v3_success("");
}

Response v3_error(GrpcCode code, const std::string& message) {
    Response response;
    response.status = http_status_of(code);
    response.set_field("Content-Type", "application/json");
    response.body = error_json(static_cast<int>(code), message);
    return response;
}

Response v3_error(const Status& status) {
    return v3_error(grpc_code_of(status.code()), status.message());
}

}  // namespace consensus::http
