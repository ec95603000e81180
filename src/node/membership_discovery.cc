#include "node/membership_discovery.h"

#include <array>
#include <optional>
#include <string>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include "consensus/log.h"
#include "node/flags.h"

namespace consensus::node {

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using ErrorCode = boost::system::error_code;
using Clock = std::chrono::steady_clock;

constexpr const char* kComponent = "discovery";
/// Bytes asked of the kernel per read while waiting for the answer.
constexpr std::size_t kReadChunkBytes = 4096;

/// One attempt against one peer: connect, send the request, read one frame. Owns
/// every object its handlers touch, and outlives them: the io_context is run to
/// completion (or its handlers destroyed with it) before an Attempt goes away.
class Attempt {
public:
    Attempt(const Url& url, NodeId requester, std::size_t answer_bytes_max)
        : url_(url),
          socket_(io_),
          resolver_(io_),
          reader_(answer_bytes_max),
          request_(encode_frame(FrameKind::kMembershipRequest,
                                encode_membership_request(MembershipRequest{requester}))) {}

    Result<MembershipAnswer> run(std::chrono::milliseconds timeout) {
        resolver_.async_resolve(url_.host, std::to_string(url_.port),
                                [this](const ErrorCode& error, tcp::resolver::results_type found) {
                                    on_resolve(error, std::move(found));
                                });
        io_.run_for(timeout);
        if (!outcome_.has_value()) {
            return Status(StatusCode::kTimeout, url_.to_string() + " did not answer within " +
                                                    std::to_string(timeout.count()) + " ms");
        }
        return *outcome_;
    }

private:
    void on_resolve(const ErrorCode& error, tcp::resolver::results_type found) {
        if (error) return finish(failure("cannot resolve: " + error.message()));
        asio::async_connect(socket_, found, [this](const ErrorCode& connect_error, const auto&) {
            if (connect_error) return finish(failure("cannot connect: " + connect_error.message()));
            asio::async_write(
                socket_, asio::buffer(request_), [this](const ErrorCode& write_error, std::size_t) {
                    if (write_error) {
                        return finish(failure("cannot send: " + write_error.message()));
                    }
                    do_read();
                });
        });
    }

    void do_read() {
        socket_.async_read_some(
            asio::buffer(buffer_),
            [this](const ErrorCode& error, std::size_t size) { on_read(error, size); });
    }

    void on_read(const ErrorCode& error, std::size_t size) {
        // The peer closes without answering when it refuses the request.
        if (error) return finish(failure("closed without an answer: " + error.message()));
        reader_.append(buffer_.data(), size);
        Result<std::optional<Frame>> frame = reader_.next();
        if (!frame.is_ok()) return finish(failure("bad frame: " + frame.status().message()));
        if (!frame.value().has_value()) return do_read();
        if (frame.value()->kind != FrameKind::kMembershipAnswer) {
            return finish(failure("answered with a frame of kind " +
                                  std::to_string(static_cast<int>(frame.value()->kind))));
        }
        Result<MembershipAnswer> answer = decode_membership_answer(frame.value()->payload);
        if (!answer.is_ok()) return finish(failure(answer.status().message()));
        finish(std::move(answer.value()));
    }

    Status failure(const std::string& what) const {
        return Status(StatusCode::kUnavailable, url_.to_string() + ": " + what);
    }

    void finish(Result<MembershipAnswer> outcome) {
        outcome_ = std::move(outcome);
        ErrorCode ignored;
        socket_.close(ignored);
        io_.stop();
    }

    Url url_;
    asio::io_context io_{1};
    tcp::socket socket_;
    tcp::resolver resolver_;
    FrameReader reader_;
    std::string request_;
    std::array<char, kReadChunkBytes> buffer_{};
    std::optional<Result<MembershipAnswer>> outcome_;
};

}  // namespace

Result<MembershipAnswer> fetch_membership(const std::vector<Url>& peer_urls, NodeId requester,
                                          const DiscoveryOptions& options,
                                          const AnswerCheck& is_final) {
    if (peer_urls.empty()) {
        return Status(StatusCode::kInvalidArgument, "no other member's peer URL to ask");
    }
    Clock::time_point deadline = Clock::now() + options.deadline;
    std::optional<Status> last_failure;
    std::optional<MembershipAnswer> refused_answer;
    while (true) {
        for (const Url& url : peer_urls) {
            auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            if (left.count() <= 0 && refused_answer.has_value()) return *refused_answer;
            if (left.count() <= 0) {
                return Status(StatusCode::kUnavailable,
                              "no listed member answered within " +
                                  std::to_string(options.deadline.count()) + " ms (last: " +
                                  (last_failure ? last_failure->message() : "no peer was asked") +
                                  ")");
            }
            Attempt attempt(url, requester, options.answer_bytes_max);
            const bool cut_short = left < options.attempt_timeout;
            Result<MembershipAnswer> answer = attempt.run(std::min(left, options.attempt_timeout));
            if (answer.is_ok() && (!is_final || is_final(answer.value()))) return answer;
            if (answer.is_ok()) {
                LOG_DEBUG(kComponent, "%s answered, but not finally; asking on",
                          url.to_string().c_str());
                refused_answer = std::move(answer.value());
                continue;
            }
            LOG_DEBUG(kComponent, "asking for the cluster's members failed: %s",
                      answer.status().message().c_str());
            // An attempt that only ran out of the time the deadline left it says less
            // than the failure before it (a refusal, say), which the report keeps.
            const bool said_less = cut_short && last_failure.has_value() &&
                                   answer.status().code() == StatusCode::kTimeout;
            if (!said_less) last_failure = answer.status();
        }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        // Bounded by the deadline: the start-up waits for a peer, never forever.
        std::this_thread::sleep_for(
            std::min(std::max(left, std::chrono::milliseconds(0)), options.retry_delay));
    }
}

}  // namespace consensus::node
