#include "http/v3_stream.h"

#include "http/go_json.h"
#include "http/v3_reply.h"
#include "http/v3_responses.h"

namespace consensus::http {

void V3StreamWriter::send_result(const std::string& message_json) {
    if (!is_open()) return;
    if (!head_sent_) {
        head_sent_ = true;
        exchange_->start_stream(v3_stream_head());
    }
    exchange_->stream_chunk(stream_result_line(message_json));
}

void V3StreamWriter::fail(const Status& status) {
    if (!is_open()) return;
    GrpcCode code = grpc_code_of(status.code());
    unsigned http_status = http_status_of(code);
    if (!head_sent_) {
        head_sent_ = true;
        Response head = v3_stream_head();
        head.status = http_status;
        exchange_->start_stream(std::move(head));
    }
    failed_ = true;
    exchange_->stream_chunk("{\"error\":{\"grpc_code\":" + std::to_string(static_cast<int>(code)) +
                            ",\"http_code\":" + std::to_string(http_status) +
                            ",\"message\":" + go_json_quote(status.message()) +
                            ",\"http_status\":" + go_json_quote(reason_phrase(http_status)) + "}}");
    exchange_->end_stream();
}

void reply_stream_decode_error(const ExchangePtr& exchange, const Status& status) {
    exchange->reply(v3_error(GrpcCode::kUnknown, status.message()));
}

}  // namespace consensus::http
