#pragma once
/// Server: the client-facing HTTP listener of one member. It owns the acceptors and
/// the Router; each accepted connection becomes a self-owning Session
/// (http/session.h). Everything runs on the member's io_context thread; the server
/// never calls run().
///
/// Lifecycle: construct, listen() on each client URL, and stop() before the Service
/// goes away. The Service must outlive every session; sessions still finishing after
/// stop() only touch the Service through the cancel callbacks stop() runs at once.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "consensus/service.h"
#include "consensus/status.h"
#include "http/router.h"
#include "http/session.h"

namespace consensus::http {

/// The node passes its flags here.
struct ServerOptions {
    /// etcd's --max-request-bytes (1.5 MiB) plus gRPC-gateway-ish overhead.
    std::uint64_t body_bytes_max = 1536 * 1024 + 512 * 1024;
    std::uint32_t read_timeout_ms = 30000;     ///< reading one request's body
    std::uint32_t idle_timeout_ms = 300000;    ///< a keep-alive connection with nothing to do
    std::size_t pipelined_responses_max = 16;  ///< per session
    std::vector<std::string> client_urls;      ///< for /v2/machines
    /// etcd's --max-request-bytes as the v3 gateway applies it to a decoded request.
    /// 0: derived from body_bytes_max, which the member sets to it plus 512 KiB.
    std::uint64_t request_bytes_max = 0;
};

class Server {
public:
    /// `service` must outlive the server and every session it accepted.
    Server(boost::asio::io_context& io, service::Service& service, ServerOptions options);
    ~Server();

    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    /// Starts accepting on `url` ("http://127.0.0.1:2379"; port 0 picks a free port,
    /// see local_endpoints). Errors: kInvalidArgument for a URL that is not
    /// http://<IP>:<port> (https is not supported yet and says so); kIOError when the
    /// address cannot be bound, naming it.
    [[nodiscard]] Status listen(const std::string& url);

    /// The bound addresses, in listen() order.
    std::vector<boost::asio::ip::tcp::endpoint> local_endpoints() const;

    /// Stops accepting, closes idle sessions, ends open watches (cancelling them via
    /// Service::v2_cancel_watch) and lets sessions with answers in flight close once
    /// those are written. Idempotent.
    void stop();

private:
    struct Listener;

    void do_accept(const std::shared_ptr<Listener>& listener);

    boost::asio::io_context& io_;
    ServerOptions options_;
    std::shared_ptr<Router> router_;
    std::vector<std::shared_ptr<Listener>> listeners_;
    std::vector<std::weak_ptr<Session>> sessions_;
    bool stopped_ = false;
};

}  // namespace consensus::http
