#include "node/membership_discovery.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "node/peer_transport.h"

namespace consensus::node {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using std::chrono::milliseconds;

constexpr std::uint64_t kClusterId = 0xcdf818194e3a8c32ULL;

/// Short bounds: every test that fails to reach a peer ends within about a second.
DiscoveryOptions quick_options() {
    DiscoveryOptions options;
    options.deadline = milliseconds(800);
    options.attempt_timeout = milliseconds(200);
    options.retry_delay = milliseconds(20);
    return options;
}

/// A running member's transport on its own thread, as a peer process would be.
class ServingPeer {
public:
    explicit ServingPeer(PeerTransport::Handlers handlers) {
        TransportOptions options;
        options.cluster_id = kClusterId;
        options.local_id = 2;
        transport_ = std::make_unique<PeerTransport>(io_, options, std::move(handlers));
        REQUIRE(transport_->listen(Url{"http", "127.0.0.1", 0}).is_ok());
        url_ = transport_->listen_urls().at(0);
        thread_ = std::thread([this] { io_.run(); });
    }
    ~ServingPeer() {
        asio::post(io_, [this] {
            transport_->stop();
            work_.reset();
        });
        thread_.join();
    }
    ServingPeer(const ServingPeer&) = delete;
    ServingPeer& operator=(const ServingPeer&) = delete;

    const Url& url() const { return url_; }

private:
    asio::io_context io_{1};
    asio::executor_work_guard<asio::io_context::executor_type> work_{io_.get_executor()};
    std::unique_ptr<PeerTransport> transport_;
    Url url_;
    std::thread thread_;
};

/// A loopback URL with nothing listening on it.
Url closed_url() {
    asio::io_context io;
    tcp::acceptor probe(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    Url url{"http", "127.0.0.1", probe.local_endpoint().port()};
    probe.close();
    return url;
}

service::Member member(NodeId id, const std::string& peer_url) {
    service::Member result;
    result.id = id;
    result.peer_urls = {peer_url};
    return result;
}

TEST_CASE("fetch_membership: returns a running member's answer when an earlier URL is down",
          "[node]") {
    PeerTransport::Handlers handlers;
    handlers.membership = [] {
        return MembershipAnswer{
            kClusterId, {member(2, "http://127.0.0.1:2380"), member(4, "http://127.0.0.1:4380")}};
    };
    ServingPeer peer(handlers);
    Result<MembershipAnswer> answer =
        fetch_membership({closed_url(), peer.url()}, 4, quick_options());
    REQUIRE(answer.is_ok());
    CHECK(answer.value().cluster_id == kClusterId);
    REQUIRE(answer.value().members.size() == 2);
    CHECK(answer.value().members[1].id == 4);
}

TEST_CASE(
    "fetch_membership: fails with kUnavailable when no listed member answers by the "
    "deadline",
    "[node]") {
    Result<MembershipAnswer> answer = fetch_membership({closed_url()}, 4, quick_options());
    REQUIRE_FALSE(answer.is_ok());
    CHECK(answer.status().code() == StatusCode::kUnavailable);
    CHECK(answer.status().message().find("no listed member answered") != std::string::npos);
    CHECK(answer.status().message().find("cannot connect") != std::string::npos);
}

TEST_CASE("fetch_membership: fails with kUnavailable when the peer refuses to answer", "[node]") {
    ServingPeer peer(PeerTransport::Handlers{});  // No membership handler: it only closes.
    Result<MembershipAnswer> answer = fetch_membership({peer.url()}, 4, quick_options());
    REQUIRE_FALSE(answer.is_ok());
    CHECK(answer.status().code() == StatusCode::kUnavailable);
    CHECK(answer.status().message().find("closed without an answer") != std::string::npos);
}

TEST_CASE("fetch_membership: reports the refusal, not an attempt the deadline cut short",
          "[node]") {
    ServingPeer refusing(PeerTransport::Handlers{});  // No membership handler: it closes.
    // Listens but never accepts: connecting and sending succeed, no answer ever comes.
    asio::io_context io;
    tcp::acceptor silent(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    const Url silent_url{"http", "127.0.0.1", silent.local_endpoint().port()};
    DiscoveryOptions options;
    options.deadline = milliseconds(300);
    options.attempt_timeout = milliseconds(5000);
    Result<MembershipAnswer> answer = fetch_membership({refusing.url(), silent_url}, 4, options);
    REQUIRE_FALSE(answer.is_ok());
    INFO(answer.status().to_string());
    CHECK(answer.status().code() == StatusCode::kUnavailable);
    CHECK(answer.status().message().find("closed without an answer") != std::string::npos);
}

bool lists_member_4(const MembershipAnswer& answer) {
    for (const service::Member& listed : answer.members) {
        if (listed.id == 4) return true;
    }
    return false;
}

TEST_CASE("fetch_membership: asks again when an answer does not list the joining member yet",
          "[node]") {
    // The first answer predates the change that added member 4; the second has it.
    std::atomic<int> asked{0};
    PeerTransport::Handlers handlers;
    handlers.membership = [&asked] {
        MembershipAnswer answer{kClusterId, {member(2, "http://127.0.0.1:2380")}};
        if (++asked > 1) answer.members.push_back(member(4, "http://127.0.0.1:4380"));
        return answer;
    };
    ServingPeer peer(handlers);
    Result<MembershipAnswer> answer =
        fetch_membership({peer.url()}, 4, quick_options(), lists_member_4);
    REQUIRE(answer.is_ok());
    CHECK(lists_member_4(answer.value()));
    CHECK(asked.load() == 2);
}

TEST_CASE("fetch_membership: returns the last answer when none is final by the deadline",
          "[node]") {
    PeerTransport::Handlers handlers;
    handlers.membership = [] {
        return MembershipAnswer{kClusterId, {member(2, "http://127.0.0.1:2380")}};
    };
    ServingPeer peer(handlers);
    Result<MembershipAnswer> answer =
        fetch_membership({peer.url()}, 4, quick_options(), lists_member_4);
    // The caller gets the answer itself and can say what it lacks.
    REQUIRE(answer.is_ok());
    CHECK(answer.value().cluster_id == kClusterId);
    CHECK_FALSE(lists_member_4(answer.value()));
}

TEST_CASE("fetch_membership: fails with kInvalidArgument when no URL is given", "[node]") {
    Result<MembershipAnswer> answer = fetch_membership({}, 4, quick_options());
    REQUIRE_FALSE(answer.is_ok());
    CHECK(answer.status().code() == StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace consensus::node
