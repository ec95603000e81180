#include "node/peer_transport.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <deque>
#include <string>
#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "consensus/assert.h"
#include "consensus/log.h"
#include "node/flags.h"
#include "node/frame.h"
#include "wal/codec.h"

namespace consensus::node {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using ErrorCode = boost::system::error_code;
using Clock = std::chrono::steady_clock;

namespace detail {

constexpr const char* kComponent = "transport";
/// Bytes asked of the kernel per read on an inbound connection.
constexpr std::size_t kReadBufferBytes = 64 * 1024;
/// Queued bytes gathered into one write; one larger item is still written whole.
constexpr std::size_t kWriteBatchBytesMax = 1 << 20;
/// At most one WARN per interval for refused connections; the rest are counted.
constexpr auto kRefusalWarnInterval = std::chrono::seconds(1);
/// Pause before accepting again after accept() itself failed (for example when out
/// of file descriptors), so the loop does not spin on the same error.
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(100);
/// Largest frame a sender accepts back on its outbound connection: only a refusal is
/// ever written there.
constexpr std::size_t kReplyFrameBytesMax = 64;
/// How long an inbound connection that wrote its one reply (a refusal or a membership
/// answer) waits for the peer to close before closing itself.
constexpr auto kReplyLinger = std::chrono::seconds(2);

class Inbound;

/// What the transport knows of one peer besides its connection.
struct PeerRecord {
    PeerStats stats;
    std::uint64_t latency_samples = 0;
    double latency_m2 = 0;  ///< Welford's running sum of squared deviations.
};

/// State shared by the transport and every connection object. Connections hold it by
/// shared_ptr, so it outlives the PeerTransport while their handlers are queued; once
/// `stopped` is set, no handler touches anything else and no user handler runs.
struct TransportState : std::enable_shared_from_this<TransportState> {
    TransportState(asio::io_context& io_context, TransportOptions transport_options,
                   PeerTransport::Handlers transport_handlers)
        : io(io_context), options(transport_options), handlers(std::move(transport_handlers)) {}

    asio::io_context& io;
    const TransportOptions options;
    const PeerTransport::Handlers handlers;
    bool stopped = false;
    /// Known peers. Invariant: the same ids as PeerTransport::outbound_.
    std::map<NodeId, PeerRecord> peers;
    /// Open inbound connections by connection id.
    std::map<std::uint64_t, std::weak_ptr<Inbound>> inbound;
    std::uint64_t next_inbound_id = 1;
    std::uint64_t refused = 0;
    Clock::time_point last_refusal_warn{};
    std::uint64_t refusals_suppressed = 0;
    /// AppendEntries requests sent and received, for etcd's /v2/stats/self rates.
    RateMeter sent_appends;
    RateMeter received_appends;

    PeerRecord* record(NodeId peer) {
        auto it = peers.find(peer);
        return it == peers.end() ? nullptr : &it->second;
    }

    /// Handlers other than on_message are posted, so that they never run inside a
    /// call into the transport (the member may be in the middle of sending a Ready's
    /// messages when a send fails) and never after stop().
    void report_unreachable(NodeId peer) {
        asio::post(io, [self = shared_from_this(), peer] {
            if (self->stopped || !self->handlers.on_unreachable) return;
            self->handlers.on_unreachable(peer);
        });
    }

    void report_snapshot_sent(NodeId peer, bool failed) {
        asio::post(io, [self = shared_from_this(), peer, failed] {
            if (self->stopped || !self->handlers.on_snapshot_sent) return;
            self->handlers.on_snapshot_sent(peer, failed);
        });
    }

    void report_removed(NodeId peer) {
        asio::post(io, [self = shared_from_this(), peer] {
            if (self->stopped || !self->handlers.on_removed) return;
            self->handlers.on_removed(peer);
        });
    }

    void count_failed(NodeId peer, std::uint64_t messages) {
        if (PeerRecord* peer_record = record(peer)) peer_record->stats.failed += messages;
    }

    void count_sent(NodeId peer, std::uint64_t bytes, double latency_ms) {
        PeerRecord* peer_record = record(peer);
        if (peer_record == nullptr) return;
        PeerStats& stats = peer_record->stats;
        stats.sent_messages += 1;
        stats.sent_bytes += bytes;
        std::uint64_t n = ++peer_record->latency_samples;
        double delta = latency_ms - stats.latency_ms_avg;
        stats.latency_ms_avg += delta / static_cast<double>(n);
        peer_record->latency_m2 += delta * (latency_ms - stats.latency_ms_avg);
        stats.latency_ms_stddev = std::sqrt(peer_record->latency_m2 / static_cast<double>(n));
        stats.latency_ms_last = latency_ms;
        stats.latency_ms_min = n == 1 ? latency_ms : std::min(stats.latency_ms_min, latency_ms);
        stats.latency_ms_max = std::max(stats.latency_ms_max, latency_ms);
    }

    /// Counts a refused inbound connection and logs it, at most once per
    /// kRefusalWarnInterval: a misconfigured member retries forever and would
    /// otherwise flood the log [STYLE §8: bad peer input is rate-limited WARN].
    void note_refusal(const std::string& remote, const std::string& reason) {
        ++refused;
        Clock::time_point now = Clock::now();
        if (now - last_refusal_warn < kRefusalWarnInterval) {
            ++refusals_suppressed;
            return;
        }
        LOG_WARN(
            kComponent, "refused peer connection from %s: %s (%llu similar since the last report)",
            remote.c_str(), reason.c_str(), static_cast<unsigned long long>(refusals_suppressed));
        last_refusal_warn = now;
        refusals_suppressed = 0;
    }
};

/// One queued message, already framed: a single message frame, or every chunk frame
/// of a chunked message back to back.
struct Outgoing {
    std::string bytes;
    bool is_snapshot = false;
    bool is_handshake = false;
    Clock::time_point queued_at;
};

Outgoing make_outgoing(const raft::Message& message, const TransportOptions& options) {
    std::string encoded = wal::encode_message(message);
    Outgoing item;
    item.is_snapshot = message.type == raft::MessageType::kSnapshot;
    item.queued_at = Clock::now();
    bool chunked = encoded.size() > options.frame_bytes_max ||
                   (item.is_snapshot && encoded.size() > options.snapshot_chunk_bytes);
    if (!chunked) {
        item.bytes = encode_frame(FrameKind::kMessage, encoded);
        return item;
    }
    for (const std::string& frame :
         encode_snapshot_chunk_frames(encoded, options.snapshot_chunk_bytes)) {
        item.bytes += frame;
    }
    return item;
}

std::string describe(const tcp::socket& socket) {
    ErrorCode error;
    tcp::endpoint remote = socket.remote_endpoint(error);
    if (error) return "an unknown address";
    return remote.address().to_string() + ":" + std::to_string(remote.port());
}

/// The one outbound connection to a peer: its send queue, its connection and its
/// reconnect timer. Owned by PeerTransport; kept alive by its own pending handlers.
/// Every handler carries the generation it was started in; a handler from an older
/// generation (a connection since failed, replaced or stopped) does nothing.
class Outbound : public std::enable_shared_from_this<Outbound> {
public:
    Outbound(std::shared_ptr<TransportState> state, NodeId peer, std::vector<Url> urls)
        : state_(std::move(state)),
          peer_(peer),
          urls_(std::move(urls)),
          socket_(state_->io),
          resolver_(state_->io),
          timer_(state_->io),
          backoff_ms_(state_->options.reconnect_backoff_min_ms) {}

    void start() { connect(); }

    /// Closes everything; queued messages are dropped without reports.
    void stop() {
        phase_ = Phase::kStopped;
        ++generation_;
        close_socket();
        timer_.cancel();
        queue_.clear();
        queued_bytes_ = 0;
        in_flight_.reset();
        writing_ = false;
    }

    void set_urls(std::vector<Url> urls) {
        urls_ = std::move(urls);
        url_index_ = 0;
        bool current_kept = std::find(urls_.begin(), urls_.end(), current_url_) != urls_.end();
        if ((phase_ == Phase::kConnected || phase_ == Phase::kConnecting) && !current_kept) {
            fail("its peer URLs changed");
        }
    }

    void enqueue(Outgoing item) {
        const TransportOptions& options = state_->options;
        // A message larger than the byte bound (a big MsgSnap) is still accepted into an
        // empty queue; refusing it would make a large state machine impossible to ship
        // to a follower, and the message already exists in memory anyway.
        bool full =
            queue_.size() >= options.send_queue_messages_max ||
            (!queue_.empty() && queued_bytes_ + item.bytes.size() > options.send_queue_bytes_max);
        if (full) {
            LOG_DEBUG(kComponent, "dropped a message to %s: its send queue is full",
                      format_id(peer_).c_str());
            state_->count_failed(peer_, 1);
            state_->report_unreachable(peer_);
            if (item.is_snapshot) state_->report_snapshot_sent(peer_, true);
            return;
        }
        queued_bytes_ += item.bytes.size();
        queue_.push_back(std::move(item));
        do_write();
    }

private:
    enum class Phase { kConnecting, kConnected, kBackoff, kStopped };

    bool is_stale(std::uint64_t generation) const {
        return generation != generation_ || phase_ == Phase::kStopped || state_->stopped;
    }

    void close_socket() {
        ErrorCode ignored;
        socket_.shutdown(tcp::socket::shutdown_both, ignored);
        socket_.close(ignored);
        resolver_.cancel();
    }

    void connect() {
        phase_ = Phase::kConnecting;
        std::uint64_t generation = ++generation_;
        current_url_ = urls_[url_index_ % urls_.size()];
        auto self = shared_from_this();
        ErrorCode error;
        asio::ip::address address = asio::ip::make_address(current_url_.host, error);
        if (!error) {
            socket_.async_connect(tcp::endpoint(address, current_url_.port),
                                  [self, generation](const ErrorCode& connect_error) {
                                      self->on_connect(generation, connect_error);
                                  });
            return;
        }
        resolver_.async_resolve(
            current_url_.host, std::to_string(current_url_.port),
            [self, generation](const ErrorCode& resolve_error,
                               tcp::resolver::results_type results) {
                if (self->is_stale(generation)) return;
                if (resolve_error) {
                    self->fail("cannot resolve " + self->current_url_.host + ": " +
                               resolve_error.message());
                    return;
                }
                asio::async_connect(
                    self->socket_, results,
                    [self, generation](const ErrorCode& connect_error, const tcp::endpoint&) {
                        self->on_connect(generation, connect_error);
                    });
            });
    }

    void on_connect(std::uint64_t generation, const ErrorCode& error) {
        if (is_stale(generation)) return;
        if (error) {
            fail("cannot connect to " + current_url_.to_string() + ": " + error.message());
            return;
        }
        // Heartbeats are small and latency-bound, so Nagle's delay would only stretch
        // elections; keep-alive lets a silently vanished peer host surface as an error.
        ErrorCode ignored;
        socket_.set_option(tcp::no_delay(true), ignored);
        socket_.set_option(asio::socket_base::keep_alive(true), ignored);
        phase_ = Phase::kConnected;
        connected_at_ = Clock::now();
        handshake_pending_ = true;
        reply_reader_ = FrameReader(kReplyFrameBytesMax);
        LOG_INFO(kComponent, "connected to peer %s at %s", format_id(peer_).c_str(),
                 current_url_.to_string().c_str());
        warned_unreachable_ = false;
        watch_for_close(generation);
        do_write();
    }

    /// The receiver writes at most one frame, a refusal, before it closes the
    /// connection, so a read completes only for that refusal, when the connection
    /// closes (for instance after a refused handshake) or when the peer breaks the
    /// protocol.
    void watch_for_close(std::uint64_t generation) {
        socket_.async_read_some(
            asio::buffer(reply_buffer_),
            [self = shared_from_this(), generation](const ErrorCode& error, std::size_t size) {
                if (self->is_stale(generation)) return;
                if (error) {
                    self->fail("connection closed: " + error.message());
                    return;
                }
                self->on_reply(generation, size);
            });
    }

    void on_reply(std::uint64_t generation, std::size_t size) {
        reply_reader_.append(reply_buffer_.data(), size);
        Result<std::optional<Frame>> frame = reply_reader_.next();
        if (!frame.is_ok()) {
            fail("peer wrote a bad frame: " + frame.status().message());
            return;
        }
        if (!frame.value().has_value()) {
            watch_for_close(generation);
            return;
        }
        if (frame.value()->kind != FrameKind::kRefusal) {
            fail("peer wrote on a send-only connection");
            return;
        }
        Result<RefusalReason> reason = decode_refusal(frame.value()->payload);
        if (!reason.is_ok()) {
            fail("peer wrote a bad refusal: " + reason.status().message());
            return;
        }
        // The peer's applied log says this member was removed; that is final, so the
        // member is told to stop rather than left retrying forever, as etcd's stream
        // reader reports errMemberRemoved on HTTP 410 [etcd: rafthttp/stream.go dial].
        state_->report_removed(peer_);
        fail("refused: this member has been permanently removed from the cluster");
    }

    void do_write() {
        if (phase_ != Phase::kConnected || writing_) return;
        auto batch = std::make_shared<std::vector<Outgoing>>();
        std::size_t batch_bytes = 0;
        if (handshake_pending_) {
            Handshake handshake{state_->options.cluster_id, state_->options.local_id, peer_};
            Outgoing item;
            item.bytes = encode_frame(FrameKind::kHandshake, encode_handshake(handshake));
            item.is_handshake = true;
            batch_bytes += item.bytes.size();
            batch->push_back(std::move(item));
            handshake_pending_ = false;
        }
        while (!queue_.empty() && (batch->empty() || batch_bytes + queue_.front().bytes.size() <=
                                                         kWriteBatchBytesMax)) {
            batch_bytes += queue_.front().bytes.size();
            queued_bytes_ -= queue_.front().bytes.size();
            batch->push_back(std::move(queue_.front()));
            queue_.pop_front();
        }
        if (batch->empty()) return;
        std::vector<asio::const_buffer> buffers;
        buffers.reserve(batch->size());
        for (const Outgoing& item : *batch) buffers.push_back(asio::buffer(item.bytes));
        in_flight_ = batch;
        writing_ = true;
        // The handler owns the batch, so the bytes stay valid until the write completes
        // even if fail() or stop() gives up on it first.
        asio::async_write(socket_, buffers,
                          [self = shared_from_this(), generation = generation_, batch](
                              const ErrorCode& error, std::size_t) {
                              self->on_write(generation, error, *batch);
                          });
    }

    void on_write(std::uint64_t generation, const ErrorCode& error,
                  const std::vector<Outgoing>& batch) {
        if (is_stale(generation)) return;
        if (error) {
            fail("cannot write: " + error.message());
            return;
        }
        writing_ = false;
        in_flight_.reset();
        Clock::time_point now = Clock::now();
        for (const Outgoing& item : batch) {
            if (item.is_handshake) continue;
            std::chrono::duration<double, std::milli> latency = now - item.queued_at;
            state_->count_sent(peer_, item.bytes.size(), latency.count());
            if (item.is_snapshot) state_->report_snapshot_sent(peer_, false);
        }
        do_write();
    }

    /// The connection (or the attempt to open it) failed: everything queued or in
    /// flight is lost, which Raft tolerates, and is reported so the leader probes this
    /// follower instead of streaming into the void [etcd: rafthttp peer.go
    /// ReportUnreachable]. Then a reconnect is scheduled with backoff.
    void fail(const std::string& reason) {
        bool was_connected = phase_ == Phase::kConnected;
        std::uint64_t generation = ++generation_;
        close_socket();

        std::uint64_t lost = 0;
        auto account = [&](const Outgoing& item) {
            if (item.is_handshake) return;
            ++lost;
            if (item.is_snapshot) state_->report_snapshot_sent(peer_, true);
        };
        if (in_flight_) {
            for (const Outgoing& item : *in_flight_) account(item);
        }
        for (const Outgoing& item : queue_) account(item);
        in_flight_.reset();
        writing_ = false;
        queue_.clear();
        queued_bytes_ = 0;
        state_->count_failed(peer_, lost);
        state_->report_unreachable(peer_);
        if (!warned_unreachable_) {
            LOG_WARN(kComponent, "peer %s is unreachable: %s", format_id(peer_).c_str(),
                     reason.c_str());
            warned_unreachable_ = true;
        } else {
            LOG_DEBUG(kComponent, "peer %s is still unreachable: %s", format_id(peer_).c_str(),
                      reason.c_str());
        }

        // A connection that stayed up for a while was healthy, so its loss starts the
        // backoff over; one that broke at once (a refused handshake) keeps doubling it.
        const TransportOptions& options = state_->options;
        auto lifetime = Clock::now() - connected_at_;
        if (was_connected &&
            lifetime >= std::chrono::milliseconds(options.reconnect_backoff_max_ms)) {
            backoff_ms_ = options.reconnect_backoff_min_ms;
        }
        std::uint32_t delay_ms = backoff_ms_;
        backoff_ms_ = std::min(backoff_ms_ * 2, options.reconnect_backoff_max_ms);
        ++url_index_;
        phase_ = Phase::kBackoff;
        timer_.expires_after(std::chrono::milliseconds(delay_ms));
        timer_.async_wait([self = shared_from_this(), generation](const ErrorCode& error) {
            if (error || self->is_stale(generation)) return;
            self->connect();
        });
    }

    std::shared_ptr<TransportState> state_;
    NodeId peer_;
    std::vector<Url> urls_;  ///< Invariant: not empty.
    std::size_t url_index_ = 0;
    Url current_url_;
    tcp::socket socket_;
    tcp::resolver resolver_;
    asio::steady_timer timer_;
    Phase phase_ = Phase::kConnecting;
    std::uint64_t generation_ = 0;
    Clock::time_point connected_at_{};
    std::uint32_t backoff_ms_;
    bool handshake_pending_ = false;
    bool warned_unreachable_ = false;
    /// Invariant: queued_bytes_ is the sum of queue_[i].bytes.size() and exceeds
    /// options.send_queue_bytes_max only when queue_ holds a single message;
    /// queue_.size() <= send_queue_messages_max.
    std::deque<Outgoing> queue_;
    std::size_t queued_bytes_ = 0;
    std::shared_ptr<std::vector<Outgoing>> in_flight_;
    bool writing_ = false;  ///< Invariant: writing_ == (in_flight_ != nullptr).
    std::array<char, kReplyFrameBytesMax> reply_buffer_{};
    FrameReader reply_reader_{kReplyFrameBytesMax};  ///< Fresh for every connection.
};

/// One accepted connection: reads frames, checks the handshake, hands messages to
/// on_message. Registered in TransportState::inbound while open; kept alive by its
/// pending read.
class Inbound : public std::enable_shared_from_this<Inbound> {
public:
    Inbound(std::shared_ptr<TransportState> state, tcp::socket socket, std::uint64_t id)
        : state_(std::move(state)),
          socket_(std::move(socket)),
          id_(id),
          remote_(describe(socket_)),
          reader_(state_->options.frame_bytes_max),
          assembler_(state_->options.snapshot_bytes_max),
          buffer_(kReadBufferBytes),
          linger_timer_(state_->io) {}

    void start() { do_read(); }

    /// Closes the connection and unregisters it. Idempotent.
    void close() {
        if (closed_) return;
        closed_ = true;
        ErrorCode ignored;
        socket_.shutdown(tcp::socket::shutdown_both, ignored);
        socket_.close(ignored);
        linger_timer_.cancel();
        state_->inbound.erase(id_);
    }

    NodeId peer() const { return peer_; }

private:
    void do_read() {
        socket_.async_read_some(
            asio::buffer(buffer_),
            [self = shared_from_this()](const ErrorCode& error, std::size_t size) {
                self->on_read(error, size);
            });
    }

    void on_read(const ErrorCode& error, std::size_t size) {
        if (closed_ || state_->stopped) return;
        if (error) {
            LOG_DEBUG(kComponent, "inbound connection from %s closed: %s", remote_.c_str(),
                      error.message().c_str());
            close();
            return;
        }
        if (replied_) {
            // The one reply is written; what the peer still sends is dropped.
            do_read();
            return;
        }
        reader_.append(buffer_.data(), size);
        while (true) {
            Result<std::optional<Frame>> frame = reader_.next();
            if (!frame.is_ok()) {
                refuse("bad frame: " + frame.status().message());
                return;
            }
            if (!frame.value().has_value()) break;
            if (!handle_frame(*frame.value())) return;
        }
        do_read();
    }

    /// False when the connection was closed (or is replying) after the frame.
    bool handle_frame(const Frame& frame) {
        std::uint64_t wire_bytes = kFrameHeaderBytes + frame.payload.size();
        if (peer_ == kNoNode && frame.kind == FrameKind::kMembershipRequest) {
            answer_membership(frame);
            return false;
        }
        if (peer_ == kNoNode) return handle_handshake(frame);
        if (state_->record(peer_) == nullptr) {
            refuse("member " + format_id(peer_) + " was removed");
            return false;
        }
        switch (frame.kind) {
            case FrameKind::kHandshake:
                refuse("a second handshake");
                return false;
            case FrameKind::kMessage:
                if (assembler_.in_progress()) {
                    refuse("a message inside a chunked message");
                    return false;
                }
                return deliver(frame.payload, wire_bytes);
            case FrameKind::kSnapshotChunk: {
                Result<SnapshotChunk> chunk = decode_snapshot_chunk(frame.payload);
                if (!chunk.is_ok()) {
                    refuse(chunk.status().message());
                    return false;
                }
                Result<std::optional<std::string>> whole = assembler_.add(chunk.value());
                if (!whole.is_ok()) {
                    refuse(whole.status().message());
                    return false;
                }
                if (!whole.value().has_value()) {
                    state_->record(peer_)->stats.received_bytes += wire_bytes;
                    return true;
                }
                return deliver(*whole.value(), wire_bytes);
            }
            case FrameKind::kMembershipRequest:
            case FrameKind::kMembershipAnswer:
            case FrameKind::kRefusal:
                refuse("a frame of kind " + std::to_string(static_cast<int>(frame.kind)) +
                       " after the handshake");
                return false;
        }
        refuse("an unknown frame kind");
        return false;
    }

    /// A joining member asks for the cluster id and member table before it knows
    /// the cluster id [etcd: server/etcdserver/cluster_util.go
    /// GetClusterFromRemotePeers, served by etcd's /members peer endpoint].
    void answer_membership(const Frame& frame) {
        Result<MembershipRequest> request = decode_membership_request(frame.payload);
        if (!request.is_ok()) {
            refuse(request.status().message());
            return;
        }
        if (!state_->handlers.membership) {
            refuse("a membership request, which this member does not answer");
            return;
        }
        MembershipAnswer answer = state_->handlers.membership();
        LOG_INFO(kComponent, "told joining member %s at %s the %zu members of cluster %s",
                 format_id(request.value().from).c_str(), remote_.c_str(), answer.members.size(),
                 format_id(answer.cluster_id).c_str());
        reply_and_close(
            encode_frame(FrameKind::kMembershipAnswer, encode_membership_answer(answer)));
    }

    /// Writes `frame` as this connection's one reply, then shuts down the sending
    /// side and reads (and drops) until the peer closes or kReplyLinger passes.
    /// Closing at once could make the kernel reset the connection (the peer may have
    /// sent more frames that are still unread here), and a reset can discard the
    /// reply before the peer reads it.
    void reply_and_close(std::string frame) {
        replied_ = true;
        auto bytes = std::make_shared<std::string>(std::move(frame));
        asio::async_write(socket_, asio::buffer(*bytes),
                          [self = shared_from_this(), bytes](const ErrorCode& error, std::size_t) {
                              if (self->closed_ || self->state_->stopped) return;
                              if (error) {
                                  self->close();
                                  return;
                              }
                              ErrorCode ignored;
                              self->socket_.shutdown(tcp::socket::shutdown_send, ignored);
                              self->linger_timer_.expires_after(kReplyLinger);
                              self->linger_timer_.async_wait([self](const ErrorCode& wait_error) {
                                  if (!wait_error) self->close();
                              });
                              self->do_read();
                          });
    }

    bool handle_handshake(const Frame& frame) {
        if (frame.kind != FrameKind::kHandshake) {
            refuse("the first frame is not a handshake");
            return false;
        }
        Result<Handshake> handshake = decode_handshake(frame.payload);
        if (!handshake.is_ok()) {
            refuse(handshake.status().message());
            return false;
        }
        const Handshake& hello = handshake.value();
        const TransportOptions& options = state_->options;
        // [etcd: rafthttp checkClusterCompatibilityFromHeader] members of two clusters
        // that share a host must never mix their logs.
        if (hello.cluster_id != options.cluster_id) {
            refuse("cluster id mismatch: remote " + format_id(hello.cluster_id) + ", local " +
                   format_id(options.cluster_id));
            return false;
        }
        if (hello.to != options.local_id) {
            refuse("addressed to member " + format_id(hello.to) + ", this is " +
                   format_id(options.local_id));
            return false;
        }
        // A removed member that never applied its own removal (it was down or cut off
        // when it was removed) would otherwise retry forever; it is told why, and
        // stops [etcd: rafthttp/http.go answers a removed member with 410 Gone].
        if (state_->handlers.is_removed && state_->handlers.is_removed(hello.from)) {
            state_->note_refusal(remote_, "member " + format_id(hello.from) + " was removed");
            reply_and_close(
                encode_frame(FrameKind::kRefusal, encode_refusal(RefusalReason::kRemoved)));
            return false;
        }
        if (state_->record(hello.from) == nullptr) {
            refuse("unknown member " + format_id(hello.from));
            return false;
        }
        peer_ = hello.from;
        // The sender opens a new connection only after its previous one failed, so an
        // older inbound connection from the same peer is dead and is closed now rather
        // than when TCP notices.
        std::vector<std::shared_ptr<Inbound>> older;
        for (const auto& [other_id, weak] : state_->inbound) {
            std::shared_ptr<Inbound> other = weak.lock();
            if (other && other_id != id_ && other->peer() == peer_) older.push_back(other);
        }
        for (const auto& other : older) other->close();
        LOG_DEBUG(kComponent, "accepted connection from peer %s at %s", format_id(peer_).c_str(),
                  remote_.c_str());
        return true;
    }

    bool deliver(std::string_view encoded, std::uint64_t wire_bytes) {
        Result<raft::Message> message = wal::decode_message(encoded);
        if (!message.is_ok()) {
            refuse("undecodable message: " + message.status().message());
            return false;
        }
        if (message.value().from != peer_ || message.value().to != state_->options.local_id) {
            refuse("message from " + format_id(message.value().from) + " to " +
                   format_id(message.value().to) + " on the connection of " + format_id(peer_));
            return false;
        }
        PeerStats& stats = state_->record(peer_)->stats;
        stats.received_messages += 1;
        stats.received_bytes += wire_bytes;
        if (message.value().type == raft::MessageType::kAppend) {
            state_->received_appends.record(Clock::now(), wire_bytes);
        }
        if (state_->handlers.on_message) state_->handlers.on_message(std::move(message.value()));
        // The handler may have stopped the transport or removed this peer.
        return !closed_ && !state_->stopped;
    }

    void refuse(const std::string& reason) {
        state_->note_refusal(remote_, reason);
        close();
    }

    std::shared_ptr<TransportState> state_;
    tcp::socket socket_;
    std::uint64_t id_;
    std::string remote_;
    FrameReader reader_;
    SnapshotAssembler assembler_;
    std::vector<char> buffer_;
    NodeId peer_ = kNoNode;  ///< Set by an accepted handshake.
    bool closed_ = false;
    bool replied_ = false;  ///< The one reply was sent; frames are no longer handled.
    asio::steady_timer linger_timer_;
};

/// One listening socket. Owned by PeerTransport; kept alive by its pending accept.
class Listener : public std::enable_shared_from_this<Listener> {
public:
    Listener(std::shared_ptr<TransportState> state, tcp::acceptor acceptor)
        : state_(std::move(state)), acceptor_(std::move(acceptor)), retry_timer_(state_->io) {}

    void start() { do_accept(); }

    void stop() {
        closed_ = true;
        ErrorCode ignored;
        acceptor_.close(ignored);
        retry_timer_.cancel();
    }

    Url local_url() const {
        ErrorCode error;
        tcp::endpoint endpoint = acceptor_.local_endpoint(error);
        Url url;
        url.host = error ? "" : endpoint.address().to_string();
        url.port = error ? 0 : endpoint.port();
        return url;
    }

private:
    void do_accept() {
        acceptor_.async_accept(
            [self = shared_from_this()](const ErrorCode& error, tcp::socket socket) {
                self->on_accept(error, std::move(socket));
            });
    }

    void on_accept(const ErrorCode& error, tcp::socket socket) {
        if (closed_ || state_->stopped) return;
        if (error) {
            LOG_WARN(kComponent, "accepting a peer connection failed: %s", error.message().c_str());
            retry_timer_.expires_after(kAcceptRetryDelay);
            retry_timer_.async_wait([self = shared_from_this()](const ErrorCode& wait_error) {
                if (wait_error || self->closed_ || self->state_->stopped) return;
                self->do_accept();
            });
            return;
        }
        if (state_->inbound.size() >= state_->options.inbound_connections_max) {
            state_->note_refusal(describe(socket), "too many inbound connections");
            ErrorCode ignored;
            socket.close(ignored);
        } else {
            std::uint64_t id = state_->next_inbound_id++;
            auto inbound = std::make_shared<Inbound>(state_, std::move(socket), id);
            state_->inbound[id] = inbound;
            inbound->start();
        }
        do_accept();
    }

    std::shared_ptr<TransportState> state_;
    tcp::acceptor acceptor_;
    asio::steady_timer retry_timer_;
    bool closed_ = false;
};

/// The first address `url` names: an IP literal as is, a host name resolved now.
Result<tcp::endpoint> resolve_now(asio::io_context& io, const Url& url) {
    ErrorCode error;
    asio::ip::address address = asio::ip::make_address(url.host, error);
    if (!error) return tcp::endpoint(address, url.port);
    tcp::resolver resolver(io);
    tcp::resolver::results_type results =
        resolver.resolve(url.host, std::to_string(url.port), error);
    if (error || results.empty()) {
        return Status(StatusCode::kIOError, "cannot resolve " + url.host + ": " +
                                                (error ? error.message() : "no address"));
    }
    return results.begin()->endpoint();
}

}  // namespace detail

PeerTransport::PeerTransport(asio::io_context& io, TransportOptions options, Handlers handlers) {
    CONSENSUS_ASSERT(options.local_id != kNoNode);
    CONSENSUS_ASSERT(options.snapshot_chunk_bytes > 0);
    CONSENSUS_ASSERT(options.frame_bytes_max > kSnapshotChunkHeaderBytes);
    CONSENSUS_ASSERT(options.snapshot_chunk_bytes <=
                     options.frame_bytes_max - kSnapshotChunkHeaderBytes);
    CONSENSUS_ASSERT(options.reconnect_backoff_min_ms > 0);
    CONSENSUS_ASSERT(options.reconnect_backoff_min_ms <= options.reconnect_backoff_max_ms);
    state_ = std::make_shared<detail::TransportState>(io, options, std::move(handlers));
}

PeerTransport::~PeerTransport() {
    stop();
}

Status PeerTransport::listen(const Url& url) {
    if (state_->stopped) return Status(StatusCode::kFailedPrecondition, "transport is stopped");
    Result<tcp::endpoint> endpoint = detail::resolve_now(state_->io, url);
    if (!endpoint.is_ok()) {
        return Status(StatusCode::kIOError, "cannot listen for peers on " + url.to_string() + ": " +
                                                endpoint.status().message());
    }
    tcp::acceptor acceptor(state_->io);
    ErrorCode error;
    acceptor.open(endpoint.value().protocol(), error);
    // A restarted member must get its port back while connections of its previous
    // run sit in TIME_WAIT.
    if (!error) acceptor.set_option(tcp::acceptor::reuse_address(true), error);
    if (!error) acceptor.bind(endpoint.value(), error);
    if (!error) acceptor.listen(asio::socket_base::max_listen_connections, error);
    if (error) {
        return Status(StatusCode::kIOError,
                      "cannot listen for peers on " + url.to_string() + ": " + error.message());
    }
    auto listener = std::make_shared<detail::Listener>(state_, std::move(acceptor));
    listeners_.push_back(listener);
    listener->start();
    LOG_INFO(detail::kComponent, "listening for peers on %s",
             listener->local_url().to_string().c_str());
    return Status::ok();
}

void PeerTransport::add_peer(NodeId id, std::vector<Url> urls) {
    CONSENSUS_ASSERT(!urls.empty());
    if (state_->stopped || id == state_->options.local_id) return;
    auto it = outbound_.find(id);
    if (it != outbound_.end()) {
        it->second->set_urls(std::move(urls));
        return;
    }
    state_->peers[id];
    auto outbound = std::make_shared<detail::Outbound>(state_, id, std::move(urls));
    outbound_[id] = outbound;
    outbound->start();
}

void PeerTransport::update_peer(NodeId id, std::vector<Url> urls) {
    add_peer(id, std::move(urls));
}

void PeerTransport::remove_peer(NodeId id) {
    if (state_->stopped) return;
    auto it = outbound_.find(id);
    if (it == outbound_.end()) return;
    it->second->stop();
    outbound_.erase(it);
    state_->peers.erase(id);
    std::vector<std::shared_ptr<detail::Inbound>> from_peer;
    for (const auto& [inbound_id, weak] : state_->inbound) {
        std::shared_ptr<detail::Inbound> inbound = weak.lock();
        if (inbound && inbound->peer() == id) from_peer.push_back(inbound);
    }
    for (const auto& inbound : from_peer) inbound->close();
}

void PeerTransport::send(raft::Message message) {
    CONSENSUS_ASSERT_MSG(raft::is_network_message(message.type),
                         "only network message types can be sent to a peer");
    if (state_->stopped) return;
    auto it = outbound_.find(message.to);
    if (it == outbound_.end()) {
        LOG_DEBUG(detail::kComponent, "dropped a %s to unknown peer %s",
                  raft::message_type_name(message.type), format_id(message.to).c_str());
        state_->report_unreachable(message.to);
        if (message.type == raft::MessageType::kSnapshot) {
            state_->report_snapshot_sent(message.to, true);
        }
        return;
    }
    detail::Outgoing item = detail::make_outgoing(message, state_->options);
    if (message.type == raft::MessageType::kAppend) {
        state_->sent_appends.record(Clock::now(), item.bytes.size());
    }
    it->second->enqueue(std::move(item));
}

void PeerTransport::stop() {
    if (state_->stopped) return;
    state_->stopped = true;
    for (const auto& listener : listeners_) listener->stop();
    for (const auto& [id, outbound] : outbound_) outbound->stop();
    std::vector<std::shared_ptr<detail::Inbound>> inbound;
    for (const auto& [inbound_id, weak] : state_->inbound) {
        if (auto connection = weak.lock()) inbound.push_back(connection);
    }
    for (const auto& connection : inbound) connection->close();
    state_->inbound.clear();
    listeners_.clear();
    outbound_.clear();
}

PeerStats PeerTransport::stats(NodeId id) const {
    const detail::PeerRecord* record = state_->record(id);
    return record == nullptr ? PeerStats{} : record->stats;
}

std::uint64_t PeerTransport::cluster_id() const {
    return state_->options.cluster_id;
}

std::vector<Url> PeerTransport::listen_urls() const {
    std::vector<Url> urls;
    for (const auto& listener : listeners_) urls.push_back(listener->local_url());
    return urls;
}

std::uint64_t PeerTransport::refused_connections() const {
    return state_->refused;
}

Rate PeerTransport::sent_append_rate() {
    return state_->sent_appends.rate(Clock::now());
}

Rate PeerTransport::received_append_rate() {
    return state_->received_appends.rate(Clock::now());
}

}  // namespace consensus::node
