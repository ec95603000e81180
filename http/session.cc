#include "http/session.h"

#include <array>
#include <chrono>
#include <string_view>
#include <tuple>
#include <utility>

#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>

#include "consensus/assert.h"
#include "consensus/log.h"
#include "http/exchange.h"
#include "http/request.h"

namespace consensus::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using boost::system::error_code;

namespace {

/// The Exchange a session hands to the router: the session and the id of the
/// request's slot. It keeps the session object alive while an answer may still come
/// (a paused or closing session has no pending I/O to do that), but once the client
/// has gone every call is a no-op. The Service drops the exchange when it answers or
/// when the watch is cancelled, so no cycle outlives the connection.
class SessionExchange final : public Exchange {
public:
    SessionExchange(std::shared_ptr<Session> session, std::uint64_t slot_id)
        : session_(std::move(session)), slot_id_(slot_id) {}

    void reply(Response response) override {
        session_->exchange_reply(slot_id_, std::move(response));
    }
    void start_stream(Response head) override {
        session_->exchange_start_stream(slot_id_, std::move(head));
    }
    void stream_chunk(std::string data) override {
        session_->exchange_chunk(slot_id_, std::move(data));
    }
    void end_stream() override { session_->exchange_end_stream(slot_id_); }
    void on_abort(std::function<void()> abort) override {
        session_->exchange_on_abort(slot_id_, std::move(abort));
    }
    bool is_open() const override { return session_->exchange_is_open(slot_id_); }

private:
    std::shared_ptr<Session> session_;
    std::uint64_t slot_id_;
};

/// The answers Go's server writes itself for a request it could not read; no
/// handler runs, so there are no CORS fields, and the connection closes.
Response server_error(unsigned status) {
    Response response;
    response.status = status;
    response.set_field("Content-Type", "text/plain; charset=utf-8");
    response.body = std::to_string(status) + " " + std::string(reason_phrase(status));
    response.cors = false;
    response.close_connection = true;
    return response;
}

/// Room for the head of a usual answer (status line, a keys answer's fields, CORS,
/// Date and Content-Length take about 400 bytes), reserved with its body.
constexpr std::size_t kHeadBytesTypical = 512;

bool is_client_gone(const error_code& ec) {
    return ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
           ec == asio::error::connection_reset || ec == bhttp::error::partial_message ||
           ec == asio::error::operation_aborted || ec == asio::error::broken_pipe;
}

std::string_view as_std(beast::string_view text) {
    return std::string_view(text.data(), text.size());
}

std::int64_t now_unix_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

Session::Session(asio::ip::tcp::socket socket, std::shared_ptr<Router> router, SessionLimits limits)
    : socket_(std::move(socket)),
      timer_(socket_.get_executor()),
      router_(std::move(router)),
      limits_(limits) {}

void Session::start() {
    do_read();
}

void Session::shutdown() {
    if (closed_) return;
    stop_reading_ = true;
    if (slots_.empty() || has_open_stream()) {
        close();
        return;
    }
    close_when_drained_ = true;
}

// ---------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------

void Session::do_read() {
    if (closed_ || reading_ || stop_reading_) return;
    if (slots_.size() >= limits_.pipelined_responses_max) {
        // The advanced_server pattern: a full queue stops reading until an answer has
        // been written, so a pipelining client cannot make us buffer without bound.
        read_paused_ = true;
        return;
    }
    read_paused_ = false;
    // The previous request's parser goes first, which rewinds the arena for this one.
    parser_.reset();
    parser_.emplace(std::piecewise_construct, std::make_tuple(),
                    std::make_tuple(FieldsAllocator<char>(&fields_arena_)));
    parser_->header_limit(limits_.header_bytes_max);
    parser_->body_limit(limits_.body_bytes_max);
    reading_ = true;
    waiting_for_header_ = true;
    arm_idle_timer_if_idle();
    bhttp::async_read_header(
        socket_, buffer_, *parser_,
        [self = shared_from_this()](error_code ec, std::size_t) { self->on_read_header(ec); });
}

bool Session::end_read() {
    reading_ = false;
    cancel_timer();
    if (closed_) return false;
    if (lingering_) {
        close();
        return false;
    }
    return true;
}

void Session::on_read_header(error_code ec) {
    waiting_for_header_ = false;
    if (!end_read()) return;
    if (ec) {
        if (ec == bhttp::error::end_of_stream || is_client_gone(ec)) {
            on_client_eof();
            return;
        }
        answer_broken_request(ec);
        return;
    }
    if (parser_->is_done()) {
        on_request();
        return;
    }
    auto expect = parser_->get()[bhttp::field::expect];
    if (beast::iequals(expect, "100-continue") && slots_.empty() && !writing_) {
        // curl waits up to a second for this before sending a body; Go sends it when
        // the handler starts reading, which for us is now.
        interim_ = "HTTP/1.1 100 Continue\r\n\r\n";
        do_write();
    }
    reading_ = true;
    arm_timer(limits_.read_timeout_ms);
    bhttp::async_read(socket_, buffer_, *parser_,
                      [self = shared_from_this()](error_code read_ec, std::size_t) {
                          self->on_read_body(read_ec);
                      });
}

void Session::on_read_body(error_code ec) {
    if (!end_read()) return;
    if (ec) {
        if (is_client_gone(ec)) {
            close();
            return;
        }
        answer_broken_request(ec);
        return;
    }
    on_request();
}

void Session::answer_broken_request(error_code ec) {
    unsigned status = 400;
    if (ec == bhttp::error::header_limit) status = 431;
    if (ec == bhttp::error::body_limit) status = 413;
    LOG_DEBUG("http", "refusing request: %s", ec.message().c_str());
    stop_reading_ = true;
    Slot& slot = slots_.emplace_back();
    slot.id = next_slot_id_++;
    slot.close_after = true;
    Response response = server_error(status);
    if (status == 413) {
        // Go's MaxBytesReader wording, the closest etcd has to a body limit.
        response.body = "http: request body too large\n";
        // The v3 gateway reads any body and refuses the request it decodes as too
        // large, with its own error envelope.
        std::optional<Response> gateway_answer =
            router_->answer_body_too_large(as_std(parser_->get().target()));
        if (gateway_answer) response = std::move(*gateway_answer);
    }
    exchange_reply(slots_.back().id, std::move(response));
}

void Session::on_client_eof() {
    // A client that leaves while a watch waits is done with it: cancel at once. A
    // client that only half-closed after sending requests still gets its answers.
    if (slots_.empty() || has_open_stream()) {
        close();
        return;
    }
    stop_reading_ = true;
    close_when_drained_ = true;
}

void Session::on_request() {
    auto& message = parser_->get();
    bool keep_alive = message.keep_alive();
    Slot& slot = slots_.emplace_back();
    slot.id = next_slot_id_++;
    slot.is_head_request = message.method_string() == "HEAD";
    slot.close_after = !keep_alive;
    std::uint64_t slot_id = slot.id;
    if (!keep_alive) stop_reading_ = true;

    // The method, target and Content-Type are viewed in the parsed message, which
    // parser_ keeps until do_read() below replaces it; the router and its handlers
    // copy whatever they keep beyond route() (request.h). Only the body moves out.
    Request request;
    request.method = as_std(message.method_string());
    request.target = as_std(message.target());
    request.content_type = as_std(message[bhttp::field::content_type]);
    request.body = std::move(message.body());
    auto exchange = std::make_shared<SessionExchange>(shared_from_this(), slot_id);
    router_->route(request, exchange);
    do_read();
}

// ---------------------------------------------------------------------------
// Exchange operations
// ---------------------------------------------------------------------------

Session::Slot* Session::find_slot(std::uint64_t slot_id) {
    for (auto& slot : slots_) {
        if (slot.id == slot_id) return &slot;
    }
    return nullptr;
}

const Session::Slot* Session::find_slot(std::uint64_t slot_id) const {
    for (const auto& slot : slots_) {
        if (slot.id == slot_id) return &slot;
    }
    return nullptr;
}

void Session::append_head(std::string* out, const Slot& slot, const Response& response,
                          bool chunked) {
    // [etcd: embed/serve.go addCORSHeader] with the default --cors "*".
    static constexpr std::pair<std::string_view, std::string_view> kCorsFields[] = {
        {"Access-Control-Allow-Headers", "accept, content-type, authorization"},
        {"Access-Control-Allow-Methods", "POST, GET, OPTIONS, PUT, DELETE"},
        {"Access-Control-Allow-Origin", "*"},
    };
    HeadOptions options;
    if (response.cors) options.added_fields = kCorsFields;
    options.chunked = chunked;
    options.close = slot.close_after;
    // The Date field has a one-second resolution, so it is formatted once a second
    // rather than once per answer.
    std::int64_t now = now_unix_seconds();
    if (now != date_unix_seconds_) {
        date_unix_seconds_ = now;
        date_ = http_date(now);
    }
    options.date = date_;
    http::append_head(out, response, options);
}

void Session::exchange_reply(std::uint64_t slot_id, Response response) {
    Slot* slot = find_slot(slot_id);
    if (closed_ || slot == nullptr || slot->head_ready) return;
    if (response.close_connection) {
        slot->close_after = true;
        stop_reading_ = true;
    }
    bool with_body = !slot->is_head_request && status_allows_body(response.status);
    if (slot == &slots_.front() && !writing_ && interim_.empty()) {
        // The usual case: the answer is next in line and the socket is free, so head
        // and body go straight into the write buffer, whose capacity earlier answers
        // left behind; the answer then costs no allocation of its own.
        CONSENSUS_ASSERT(out_.empty());
        out_.reserve(kHeadBytesTypical + response.body.size());
        append_head(&out_, *slot, response, false);
        if (with_body) out_ += response.body;
        slot->head_sent = true;
    } else {
        append_head(&slot->head_bytes, *slot, response, false);
        if (with_body) slot->body = std::move(response.body);
    }
    slot->head_ready = true;
    slot->complete = true;
    slot->abort = nullptr;
    do_write();
}

void Session::exchange_start_stream(std::uint64_t slot_id, Response head) {
    Slot* slot = find_slot(slot_id);
    if (closed_ || slot == nullptr || slot->head_ready) return;
    append_head(&slot->head_bytes, *slot, head, true);
    slot->head_ready = true;
    slot->streaming = true;
    do_write();
}

void Session::exchange_chunk(std::uint64_t slot_id, std::string data) {
    Slot* slot = find_slot(slot_id);
    if (closed_ || slot == nullptr || !slot->streaming || slot->complete || data.empty()) return;
    slot->chunks.push_back(std::move(data));
    if (slot->chunks.size() > limits_.watch_pending_chunks_max) {
        LOG_WARN("http", "dropping a connection whose stream fell %zu chunks behind",
                 slot->chunks.size());
        close();
        return;
    }
    do_write();
}

void Session::exchange_end_stream(std::uint64_t slot_id) {
    Slot* slot = find_slot(slot_id);
    if (closed_ || slot == nullptr || !slot->streaming || slot->complete) return;
    slot->complete = true;
    slot->abort = nullptr;
    do_write();
}

void Session::exchange_on_abort(std::uint64_t slot_id, std::function<void()> abort) {
    Slot* slot = find_slot(slot_id);
    if (closed_ || slot == nullptr || slot->complete) {
        // The client is already gone (or the answer is done): abort right away so
        // the caller's resource (a watch) is not left behind.
        if (closed_ && abort) abort();
        return;
    }
    slot->abort = std::move(abort);
}

bool Session::exchange_is_open(std::uint64_t slot_id) const {
    const Slot* slot = find_slot(slot_id);
    return !closed_ && slot != nullptr && !slot->complete;
}

bool Session::has_open_stream() const {
    for (const auto& slot : slots_) {
        if (slot.abort || (slot.streaming && !slot.complete)) return true;
    }
    return false;
}

// ---------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------

void Session::do_write() {
    if (writing_ || closed_) return;
    if (!interim_.empty()) {
        // Only set while no answer is queued, so out_ is empty here.
        out_ += interim_;
        interim_.clear();
    }
    // Answers go out strictly in request order; everything ready at the front of the
    // queue is written in one go.
    while (!slots_.empty()) {
        Slot& slot = slots_.front();
        if (!slot.head_ready) break;
        if (!slot.head_sent) {
            out_ += slot.head_bytes;
            out_ += slot.body;
            slot.head_sent = true;
        }
        for (const auto& chunk : slot.chunks) append_chunk(&out_, chunk);
        slot.chunks.clear();
        if (!slot.complete) break;
        if (slot.streaming) out_ += kLastChunk;
        bool close_after = slot.close_after;
        slots_.pop_front();
        if (close_after) {
            close_after_write_ = true;
            break;
        }
    }
    if (out_.empty()) return;
    writing_ = true;
    asio::async_write(
        socket_, asio::buffer(out_),
        [self = shared_from_this()](error_code ec, std::size_t) { self->on_write(ec); });
}

void Session::on_write(error_code ec) {
    writing_ = false;
    out_.clear();
    if (closed_) return;
    if (ec) {
        close();
        return;
    }
    if (close_after_write_) {
        linger_close();
        return;
    }
    if (close_when_drained_ && slots_.empty()) {
        linger_close();
        return;
    }
    do_write();
    resume_reading_if_room();
    arm_idle_timer_if_idle();
}

void Session::resume_reading_if_room() {
    if (read_paused_ && slots_.size() < limits_.pipelined_responses_max) do_read();
}

// ---------------------------------------------------------------------------
// Timers and closing
// ---------------------------------------------------------------------------

void Session::arm_timer(std::uint32_t timeout_ms) {
    std::uint64_t generation = ++timer_generation_;
    timer_.expires_after(std::chrono::milliseconds(timeout_ms));
    timer_.async_wait([self = shared_from_this(), generation](error_code ec) {
        if (ec || generation != self->timer_generation_ || self->closed_) return;
        LOG_DEBUG("http", "closing a connection after its timeout");
        self->close();
    });
}

void Session::cancel_timer() {
    ++timer_generation_;
    timer_.cancel();
}

void Session::arm_idle_timer_if_idle() {
    // Only a connection with nothing outstanding is idle; a waiting watch or a slow
    // quorum read keeps it open however long it takes.
    if (waiting_for_header_ && slots_.empty() && !writing_) arm_timer(limits_.idle_timeout_ms);
}

void Session::close() {
    if (closed_) return;
    closed_ = true;
    cancel_timer();
    error_code ignored;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    std::deque<Slot> slots;
    slots.swap(slots_);
    for (auto& slot : slots) {
        if (slot.abort) slot.abort();
    }
}

void Session::linger_close() {
    // Closing with unread request bytes in the kernel would send a reset that can
    // destroy the answer just written; Go's closeWriteAndWait does the same dance.
    stop_reading_ = true;
    lingering_ = true;
    error_code ignored;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    arm_timer(limits_.read_timeout_ms);
    // A request read still pending ends the session when it completes.
    if (!reading_) do_drain();
}

void Session::do_drain() {
    auto scratch = std::make_shared<std::array<char, 4096>>();
    socket_.async_read_some(asio::buffer(*scratch),
                            [self = shared_from_this(), scratch](error_code ec, std::size_t) {
                                if (self->closed_) return;
                                if (ec) {
                                    self->close();
                                    return;
                                }
                                self->do_drain();
                            });
}

}  // namespace consensus::http
