#include "http/server.h"

#include <algorithm>
#include <utility>

#include "consensus/log.h"
#include "http/form.h"

namespace consensus::http {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

/// One acceptor. Shared with its pending accept so a late completion after stop()
/// still has a live object to look at.
struct Server::Listener {
    explicit Listener(asio::io_context& io) : acceptor(io) {}
    tcp::acceptor acceptor;
    bool open = true;
};

namespace {

/// Splits "http://<ip>:<port>" into an endpoint, or explains what is wrong.
Result<tcp::endpoint> parse_listen_url(const std::string& url) {
    constexpr std::string_view kHttp = "http://";
    if (url.rfind("https://", 0) == 0) {
        return Status(StatusCode::kInvalidArgument,
                      "https client URLs are not supported yet: " + url);
    }
    if (url.rfind(kHttp, 0) != 0) {
        return Status(StatusCode::kInvalidArgument, "client URL scheme must be http: " + url);
    }
    std::string rest = url.substr(kHttp.size());
    if (!rest.empty() && rest.back() == '/') rest.pop_back();
    std::size_t colon = rest.rfind(':');
    if (colon == std::string::npos || rest.find('/') != std::string::npos) {
        return Status(StatusCode::kInvalidArgument,
                      "client URL must have the form http://<IP>:<port>: " + url);
    }
    std::string host = rest.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    auto port = parse_go_uint64(rest.substr(colon + 1));
    if (!port || *port > 65535) {
        return Status(StatusCode::kInvalidArgument, "client URL has a bad port: " + url);
    }
    error_code ec;
    asio::ip::address address = asio::ip::make_address(host, ec);
    if (ec) {
        // etcd binds listen URLs by IP only ("expected IP in URL for binding").
        return Status(StatusCode::kInvalidArgument, "expected IP in URL for binding: " + url);
    }
    return tcp::endpoint(address, static_cast<unsigned short>(*port));
}

/// The gateway's request limit: the option, or the body limit less the 512 KiB of
/// gRPC overhead etcd allows on top of --max-request-bytes.
V3Limits v3_limits(const ServerOptions& options) {
    constexpr std::uint64_t kGrpcOverheadBytes = 512 * 1024;
    V3Limits limits;
    if (options.request_bytes_max != 0) {
        limits.request_bytes_max = options.request_bytes_max;
    } else if (options.body_bytes_max > kGrpcOverheadBytes) {
        limits.request_bytes_max = options.body_bytes_max - kGrpcOverheadBytes;
    }
    return limits;
}

}  // namespace

Server::Server(asio::io_context& io, service::Service& service, ServerOptions options)
    : io_(io),
      options_(std::move(options)),
      router_(std::make_shared<Router>(service, options_.client_urls, v3_limits(options_))) {}

Server::~Server() {
    stop();
}

Status Server::listen(const std::string& url) {
    Result<tcp::endpoint> endpoint = parse_listen_url(url);
    if (!endpoint.is_ok()) return endpoint.status();
    auto listener = std::make_shared<Listener>(io_);
    error_code ec;
    std::string where =
        endpoint.value().address().to_string() + ":" + std::to_string(endpoint.value().port());
    listener->acceptor.open(endpoint.value().protocol(), ec);
    if (!ec) listener->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) listener->acceptor.bind(endpoint.value(), ec);
    if (!ec) listener->acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
        return Status(StatusCode::kIOError, "listen tcp " + where + ": " + ec.message());
    }
    listeners_.push_back(listener);
    tcp::endpoint bound = listener->acceptor.local_endpoint(ec);
    if (!ec) where = bound.address().to_string() + ":" + std::to_string(bound.port());
    LOG_INFO("http", "serving client requests on %s", where.c_str());
    do_accept(listener);
    return Status::ok();
}

std::vector<tcp::endpoint> Server::local_endpoints() const {
    std::vector<tcp::endpoint> endpoints;
    for (const auto& listener : listeners_) {
        error_code ec;
        tcp::endpoint endpoint = listener->acceptor.local_endpoint(ec);
        if (!ec) endpoints.push_back(endpoint);
    }
    return endpoints;
}

void Server::do_accept(const std::shared_ptr<Listener>& listener) {
    listener->acceptor.async_accept([this, listener](error_code ec, tcp::socket socket) {
        // The listener is closed by stop() before the server goes away, so a
        // completion for a closed listener must not touch `this`.
        if (!listener->open) return;
        if (ec) {
            LOG_WARN("http", "accept failed: %s", ec.message().c_str());
        } else {
            SessionLimits limits;
            limits.body_bytes_max = options_.body_bytes_max;
            limits.read_timeout_ms = options_.read_timeout_ms;
            limits.idle_timeout_ms = options_.idle_timeout_ms;
            limits.pipelined_responses_max = options_.pipelined_responses_max;
            auto session = std::make_shared<Session>(std::move(socket), router_, limits);
            sessions_.erase(std::remove_if(sessions_.begin(), sessions_.end(),
                                           [](const auto& weak) { return weak.expired(); }),
                            sessions_.end());
            sessions_.push_back(session);
            session->start();
        }
        do_accept(listener);
    });
}

void Server::stop() {
    if (stopped_) return;
    stopped_ = true;
    for (auto& listener : listeners_) {
        listener->open = false;
        error_code ignored;
        listener->acceptor.close(ignored);
    }
    std::vector<std::weak_ptr<Session>> sessions;
    sessions.swap(sessions_);
    for (auto& weak : sessions) {
        if (auto session = weak.lock()) session->shutdown();
    }
}

}  // namespace consensus::http
