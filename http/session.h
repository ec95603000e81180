#pragma once
/// Session: one client connection. Self-owning in Beast's manner: every pending
/// asynchronous step, and every Exchange of an unanswered request, holds
/// shared_from_this(), so the session lives exactly as long as something is
/// outstanding (Beast's example/advanced/server/advanced_server.cpp at boost-1.74.0).
///
/// Requests are read one after another and answered in order (HTTP/1.1 pipelining).
/// Each request gets a slot in the response queue and an Exchange pointing at it; a
/// handler may fill its slot at once or later. While the queue holds
/// `pipelined_responses_max` slots the session stops reading, which pushes back on
/// the client through TCP. Otherwise a read stays pending, also while a watch waits,
/// so a client that leaves is noticed at once and its watches are cancelled.
///
/// Limits: a header over `header_bytes_max` is answered 431, a body over
/// `body_bytes_max` 413, a malformed request 400; each then closes the connection.
/// Waiting for a new request on an idle connection is bounded by `idle_timeout_ms`,
/// reading a request body by `read_timeout_ms`; either expiring closes the
/// connection. A streamed answer whose client does not read falls behind; once more
/// than `watch_pending_chunks_max` chunks are waiting the connection is dropped.
///
/// Threading: everything runs on the io_context thread; no locks.

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "http/fields_arena.h"
#include "http/response.h"
#include "http/router.h"

namespace consensus::http {

/// Most chunks of one streamed answer that may wait for the socket. A v2 stream
/// watch whose client reads slower than events arrive is dropped at this bound
/// instead of buffering without limit (STYLE §8: per-watcher buffer).
inline constexpr std::size_t kWatchPendingEventsMax = 1024;

/// Largest request header accepted, as Go's http.DefaultMaxHeaderBytes (1 MiB).
inline constexpr std::uint32_t kHeaderBytesMax = 1 << 20;

/// The bounds one session enforces. The server fills them from ServerOptions.
struct SessionLimits {
    std::uint64_t body_bytes_max = 1536 * 1024 + 512 * 1024;
    std::uint32_t header_bytes_max = kHeaderBytesMax;
    std::uint32_t read_timeout_ms = 30000;
    std::uint32_t idle_timeout_ms = 300000;
    std::size_t pipelined_responses_max = 16;
    std::size_t watch_pending_chunks_max = kWatchPendingEventsMax;
};

class Session : public std::enable_shared_from_this<Session> {
public:
    /// Takes the accepted socket. `router` is shared so that a session finishing
    /// after its server is gone still has it.
    Session(boost::asio::ip::tcp::socket socket, std::shared_ptr<Router> router,
            SessionLimits limits);

    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    /// Starts reading the first request.
    void start();

    /// Server shutdown: stop reading; close now when idle or when a streamed answer
    /// (a watch) is open, whose abort callbacks then run; otherwise close once the
    /// queued answers are written.
    void shutdown();

    // The Exchange operations, addressed by slot id; no-ops for a slot that is gone.
    void exchange_reply(std::uint64_t slot_id, Response response);
    void exchange_start_stream(std::uint64_t slot_id, Response head);
    void exchange_chunk(std::uint64_t slot_id, std::string data);
    void exchange_end_stream(std::uint64_t slot_id);
    void exchange_on_abort(std::uint64_t slot_id, std::function<void()> abort);
    bool exchange_is_open(std::uint64_t slot_id) const;

private:
    /// One request's place in the answer queue.
    struct Slot {
        std::uint64_t id = 0;
        bool is_head_request = false;
        bool close_after = false;  ///< the connection ends after this answer
        bool head_ready = false;   ///< the answer's head is in head_bytes or already in out_
        bool head_sent = false;
        bool streaming = false;
        bool complete = false;  ///< nothing more will be added to this answer
        std::string head_bytes;
        std::string body;  ///< complete answers
        /// Streamed answers, not yet written. A vector rather than a deque: an empty
        /// vector allocates nothing, and every answer starts with an empty one.
        std::vector<std::string> chunks;
        std::function<void()> abort;  ///< run if the client leaves first
    };

    /// Beast's parser with the header fields in fields_arena_.
    using RequestParser =
        boost::beast::http::request_parser<boost::beast::http::string_body, FieldsAllocator<char>>;

    void do_read();
    /// Ends a read: clears the reading state and its timer. False when the session is
    /// closed or lingering (then closed), so the completion handler stops there.
    bool end_read();
    void on_read_header(boost::system::error_code ec);
    void on_read_body(boost::system::error_code ec);
    /// Hands the request parser_ holds to the router, then reads the next one.
    void on_request();
    void answer_broken_request(boost::system::error_code ec);
    void on_client_eof();

    void do_write();
    void on_write(boost::system::error_code ec);
    void resume_reading_if_room();

    void arm_timer(std::uint32_t timeout_ms);
    void cancel_timer();
    void arm_idle_timer_if_idle();

    void close();
    void linger_close();
    void do_drain();

    Slot* find_slot(std::uint64_t slot_id);
    const Slot* find_slot(std::uint64_t slot_id) const;
    /// Appends the head of `response` for `slot` to `out`.
    void append_head(std::string* out, const Slot& slot, const Response& response, bool chunked);
    bool has_open_stream() const;

    boost::asio::ip::tcp::socket socket_;
    boost::asio::steady_timer timer_;
    std::shared_ptr<Router> router_;
    SessionLimits limits_;
    boost::beast::flat_buffer buffer_;
    /// Declared before parser_, so it outlives the fields allocated from it.
    FieldsArena fields_arena_;
    /// The request being read. Replaced for each request; the Request handed to the
    /// router views its method, target and Content-Type, so it stays in place until
    /// Router::route has returned.
    std::optional<RequestParser> parser_;
    std::deque<Slot> slots_;  ///< Invariant: size() <= pipelined_responses_max + 1.
    std::uint64_t next_slot_id_ = 1;
    std::uint64_t timer_generation_ = 0;
    /// Bytes of the write in flight, or of the next write while it is assembled.
    /// Invariant: empty whenever no write is in flight, outside do_write and
    /// exchange_reply; cleared, not freed, after each write, so its capacity is reused.
    std::string out_;
    std::string interim_;                  ///< a "100 Continue" waiting to be written
    std::int64_t date_unix_seconds_ = -1;  ///< the second `date_` shows
    std::string date_;                     ///< the Date field of answers made in that second
    bool reading_ = false;
    bool writing_ = false;
    bool read_paused_ = false;   ///< the queue was full when a read was due
    bool stop_reading_ = false;  ///< no further requests on this connection
    bool close_when_drained_ = false;
    bool close_after_write_ = false;
    bool closed_ = false;
    bool lingering_ = false;  ///< answers done; waiting for the client's end of stream
    bool waiting_for_header_ = false;
};

}  // namespace consensus::http
