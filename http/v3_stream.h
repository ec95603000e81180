#pragma once
/// The answer of a v3 streaming call (watch, lease keep-alive) as etcd's gateway
/// writes it [etcd: grpc-gateway v1 runtime.ForwardResponseStream]: the HTTP status
/// and fields go out only with the first message, each message is one line
/// {"result":{...}}, and a failure ends the stream with one
/// {"error":{"grpc_code":..,"http_code":..,"message":..,"http_status":..}} object.
///
/// Owned by the handler's per-stream state; it holds the exchange and never ends the
/// stream by itself (etcd's streams stay open until the client leaves).

#include <string>
#include <utility>

#include "consensus/status.h"
#include "http/exchange.h"

namespace consensus::http {

class V3StreamWriter {
public:
    explicit V3StreamWriter(ExchangePtr exchange) : exchange_(std::move(exchange)) {}

    /// Sends {"result":<message_json>} and a newline, with the head first if needed.
    void send_result(const std::string& message_json);
    /// Sends the error object and ends the stream; later calls do nothing.
    void fail(const Status& status);
    /// True until the client leaves or the stream failed.
    bool is_open() const { return !failed_ && exchange_->is_open(); }
    const ExchangePtr& exchange() const { return exchange_; }

private:
    ExchangePtr exchange_;
    bool head_sent_ = false;
    bool failed_ = false;
};

/// The answer etcd's gateway gives when the first request of a stream's body does
/// not decode: a complete (not streamed) 500 with gRPC code 2 (Unknown) and the
/// decoder's text, not wrapped in "result" [etcd: grpc-gateway v1
/// runtime.HTTPError for a non-gRPC error].
void reply_stream_decode_error(const ExchangePtr& exchange, const Status& status);

}  // namespace consensus::http
