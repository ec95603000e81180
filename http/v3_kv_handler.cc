#include "http/v3_kv_handler.h"

#include <utility>

#include "http/proto_json.h"
#include "http/v3_requests.h"
#include "http/v3_responses.h"

namespace consensus::http {
namespace {

namespace v3 = service::v3;

/// Bytes of a length-delimited protobuf field: tag, length varint, payload.
std::uint64_t bytes_field(std::uint64_t length) {
    if (length == 0) return 0;
    std::uint64_t varint = 1;
    for (std::uint64_t rest = length >> 7; rest != 0; rest >>= 7) ++varint;
    return 1 + varint + length;
}

/// An int64 or bool field at its widest (tag plus ten varint bytes).
constexpr std::uint64_t kNumberField = 11;
/// The raft request's own header (request id, and the like) around the operation.
constexpr std::uint64_t kRaftRequestOverhead = 32;

std::uint64_t op_size(const v3::RequestOp& op);

std::uint64_t range_size(const v3::RangeRequest& request) {
    return bytes_field(request.key.size()) + bytes_field(request.range_end.size()) +
           9 * kNumberField;
}

std::uint64_t put_size(const v3::PutRequest& request) {
    return bytes_field(request.key.size()) + bytes_field(request.value.size()) + 4 * kNumberField;
}

std::uint64_t delete_size(const v3::DeleteRangeRequest& request) {
    return bytes_field(request.key.size()) + bytes_field(request.range_end.size()) + kNumberField;
}

std::uint64_t txn_size(const v3::TxnRequest& request) {
    std::uint64_t size = 0;
    for (const auto& compare : request.compare) {
        size +=
            bytes_field(bytes_field(compare.key.size()) + bytes_field(compare.range_end.size()) +
                        bytes_field(compare.target_value.size()) + 3 * kNumberField);
    }
    for (const auto& op : request.success) size += bytes_field(op_size(op));
    for (const auto& op : request.failure) size += bytes_field(op_size(op));
    return size;
}

std::uint64_t op_size(const v3::RequestOp& op) {
    switch (op.kind) {
        case v3::RequestOp::Kind::kRange:
            return bytes_field(range_size(op.range));
        case v3::RequestOp::Kind::kPut:
            return bytes_field(put_size(op.put));
        case v3::RequestOp::Kind::kDeleteRange:
            return bytes_field(delete_size(op.delete_range));
        case v3::RequestOp::Kind::kTxn:
            return op.txn.empty() ? 0 : bytes_field(txn_size(op.txn.front()));
    }
    return 0;
}

void reply_parse_error(const ExchangePtr& exchange, const Status& status) {
    exchange->reply(v3_error(GrpcCode::kInvalidArgument, status.message()));
}

/// True (after answering) when `size` is over the limit.
bool refuse_if_too_large(std::uint64_t size, const V3Limits& limits, const ExchangePtr& exchange) {
    if (size <= limits.request_bytes_max) return false;
    exchange->reply(v3_error(GrpcCode::kInvalidArgument, kRequestTooLargeMessage));
    return true;
}

void serve_range(service::Service& service, const nlohmann::json& body,
                 const ExchangePtr& exchange) {
    Result<v3::RangeRequest> request = parse_range_request(body);
    if (!request.is_ok()) return reply_parse_error(exchange, request.status());
    service.v3_range(request.value(), reply_with<v3::RangeResponse>(exchange, range_response_json));
}

void serve_put(service::Service& service, const nlohmann::json& body, const V3Limits& limits,
               const ExchangePtr& exchange) {
    Result<v3::PutRequest> request = parse_put_request(body);
    if (!request.is_ok()) return reply_parse_error(exchange, request.status());
    if (refuse_if_too_large(encoded_size(request.value()), limits, exchange)) return;
    service.v3_put(request.value(), reply_with<v3::PutResponse>(exchange, put_response_json));
}

void serve_delete_range(service::Service& service, const nlohmann::json& body,
                        const V3Limits& limits, const ExchangePtr& exchange) {
    Result<v3::DeleteRangeRequest> request = parse_delete_range_request(body);
    if (!request.is_ok()) return reply_parse_error(exchange, request.status());
    if (refuse_if_too_large(encoded_size(request.value()), limits, exchange)) return;
    service.v3_delete_range(
        request.value(), reply_with<v3::DeleteRangeResponse>(exchange, delete_range_response_json));
}

/// etcd's maxTxnOps default [etcd: server/embed/config.go DefaultMaxTxnOps].
constexpr std::size_t kTxnOpsMax = 128;

void serve_txn(service::Service& service, const nlohmann::json& body, const V3Limits& limits,
               const ExchangePtr& exchange) {
    Result<ParsedTxn> parsed = parse_txn_request(body);
    if (!parsed.is_ok()) return reply_parse_error(exchange, parsed.status());
    const v3::TxnRequest& request = parsed.value().request;
    bool too_many_ops = request.compare.size() > kTxnOpsMax ||
                        request.success.size() > kTxnOpsMax || request.failure.size() > kTxnOpsMax;
    if (parsed.value().has_empty_op && !too_many_ops) {
        // [etcd: server/etcdserver/api/v3rpc/key.go checkRequestOp] an op naming no
        // request is refused as a missing key; the member never sees it.
        exchange->reply(v3_error(GrpcCode::kInvalidArgument, "etcdserver: key not found"));
        return;
    }
    if (refuse_if_too_large(encoded_size(request), limits, exchange)) return;
    service.v3_txn(request, reply_with<v3::TxnResponse>(exchange, txn_response_json));
}

void serve_compaction(service::Service& service, const nlohmann::json& body,
                      const ExchangePtr& exchange) {
    Result<v3::CompactionRequest> request = parse_compaction_request(body);
    if (!request.is_ok()) return reply_parse_error(exchange, request.status());
    service.v3_compact(request.value(), reply_with<v3::CompactionResponse>(
                                            exchange, [](const v3::CompactionResponse&,
                                                         const v3::ResponseHeader& header) {
                                                return header_only_json(header);
                                            }));
}

}  // namespace

std::uint64_t encoded_size(const v3::PutRequest& request) {
    return kRaftRequestOverhead + bytes_field(put_size(request));
}

std::uint64_t encoded_size(const v3::DeleteRangeRequest& request) {
    return kRaftRequestOverhead + bytes_field(delete_size(request));
}

std::uint64_t encoded_size(const v3::TxnRequest& request) {
    return kRaftRequestOverhead + bytes_field(txn_size(request));
}

void serve_v3_kv(service::Service& service, std::string_view method, const Request& request,
                 const V3Limits& limits, const ExchangePtr& exchange) {
    Result<nlohmann::json> body = first_json_value(request.body);
    if (!body.is_ok()) return reply_parse_error(exchange, body.status());
    if (method == "range") {
        serve_range(service, body.value(), exchange);
    } else if (method == "put") {
        serve_put(service, body.value(), limits, exchange);
    } else if (method == "deleterange") {
        serve_delete_range(service, body.value(), limits, exchange);
    } else if (method == "txn") {
        serve_txn(service, body.value(), limits, exchange);
    } else {
        serve_compaction(service, body.value(), exchange);
    }
}

}  // namespace consensus::http
