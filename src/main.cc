// consensusd: one member of a consensus cluster. Parses etcd's flags, builds the member
// (node/) and its HTTP front end (http/), and runs them on one io_context until
// SIGINT or SIGTERM. The only place that knows every module (STYLE §2).

#include <csignal>
#include <cstdio>
#include <exception>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/signal_set.hpp>

#include "consensus/log.h"
#include "http/server.h"
#include "node/bootstrap.h"
#include "node/flags.h"
#include "node/member.h"
#include "node/membership_discovery.h"
#include "node/url.h"
#include "wal/dump.h"
#include "wal/wal.h"

extern char** environ;

namespace {

using namespace consensus;

constexpr const char* kComponent = "consensusd";
constexpr const char* kVersionLine = "consensusd version 0.1.0 (etcd API 3.4)";

std::map<std::string, std::string> environment() {
    std::map<std::string, std::string> env;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        std::string text(*entry);
        std::size_t equals = text.find('=');
        if (equals == std::string::npos) continue;
        env.emplace(text.substr(0, equals), text.substr(equals + 1));
    }
    return env;
}

/// The address to bind for a listen URL: "localhost" (etcd's default) becomes the
/// IPv4 loopback, since the HTTP listener binds IP addresses only.
std::string listen_address(node::Url url) {
    if (url.host == "localhost") url.host = "127.0.0.1";
    return url.to_string();
}

/// The plan of a member joining a running cluster: asks the other members listed in
/// --initial-cluster for the cluster's id and members (bounded wait), then checks that
/// this member was added. Errors are one line, ready to print.
Result<node::ClusterPlan> join_running_cluster(const node::Flags& flags) {
    std::map<std::string, NodeId> ids = node::initial_member_ids(flags);
    auto local = ids.find(flags.name);
    NodeId local_id = local == ids.end() ? kNoNode : local->second;
    std::vector<node::Url> peers = node::join_peer_urls(flags);
    // An answer that does not list this member yet may come from a member that has
    // not applied the change adding it; others (or the same one shortly) may have.
    auto lists_this_member = [&flags](const node::MembershipAnswer& answer) {
        return node::plan_join(flags, answer).is_ok();
    };
    auto answer =
        node::fetch_membership(peers, local_id, node::DiscoveryOptions{}, lists_this_member);
    if (!answer.is_ok()) {
        return Status(answer.status().code(),
                      "consensusd: cannot fetch the cluster's members from the peer URLs in "
                      "--initial-cluster: " +
                          answer.status().message());
    }
    auto plan = node::plan_join(flags, answer.value());
    if (plan.is_ok()) {
        LOG_INFO(kComponent, "joining cluster %s, which has %zu members",
                 node::format_id(plan.value().cluster_id).c_str(), plan.value().members.size());
    }
    return plan;
}

int run(int argc, char** argv) {
    auto parsed = node::parse_flags(argc, argv, environment());
    if (!parsed.is_ok()) {
        std::fprintf(stderr, "%s\n", parsed.status().message().c_str());
        return 2;
    }
    node::Flags flags = parsed.value();
    if (flags.show_help) {
        std::fputs(node::usage().c_str(), stdout);
        return 0;
    }
    if (flags.show_version) {
        std::printf("%s\n", kVersionLine);
        return 0;
    }
    if (flags.dump_wal_dir.has_value()) {
        Status dumped =
            wal::dump(*flags.dump_wal_dir, 0, std::numeric_limits<Index>::max(), std::cout);
        std::cout.flush();
        if (!dumped.is_ok()) {
            std::fprintf(stderr, "consensusd: %s\n", dumped.to_string().c_str());
            return 1;
        }
        return 0;
    }
    log::Level level = log::Level::kInfo;
    if (log::parse_level(flags.log_level, &level)) log::set_level(level);

    // A member joining a running cluster learns the cluster id and the member table
    // from a member already running, since its own flags cannot give the id once the
    // membership changed [etcd: cluster_util.go GetClusterFromRemotePeers]. A restart
    // (the data dir exists) ignores the initial-cluster flags, as etcd does.
    std::optional<node::ClusterPlan> joined;
    if (flags.initial_cluster_state == "existing" && !wal::Wal::exists(flags.data_dir)) {
        auto plan = join_running_cluster(flags);
        if (!plan.is_ok()) {
            std::fprintf(stderr, "%s\n", plan.status().message().c_str());
            return 2;
        }
        joined = std::move(plan.value());
    }
    auto created = node::Member::create(flags, std::move(joined));
    if (!created.is_ok()) {
        LOG_ERROR(kComponent, "cannot start: %s", created.status().to_string().c_str());
        return 1;
    }
    std::unique_ptr<node::Member> member = std::move(created.value());

    http::ServerOptions options;
    // etcd accepts a request up to --max-request-bytes of payload; the HTTP body also
    // carries the form encoding around it.
    options.body_bytes_max = flags.max_request_bytes + 512 * 1024;
    for (const node::Url& url : flags.advertise_client_urls) {
        options.client_urls.push_back(url.to_string());
    }
    http::Server server(member->io_context(), member->service(), options);
    for (const node::Url& url : flags.listen_client_urls) {
        Status listening = server.listen(listen_address(url));
        if (!listening.is_ok()) {
            LOG_ERROR(kComponent, "cannot listen for clients: %s", listening.to_string().c_str());
            return 1;
        }
    }
    member->add_stop_hook([&server] { server.stop(); });
    Status started = member->start();
    if (!started.is_ok()) {
        LOG_ERROR(kComponent, "cannot start: %s", started.to_string().c_str());
        return 1;
    }

    boost::asio::signal_set signals(member->io_context(), SIGINT, SIGTERM);
    signals.async_wait([&member](const boost::system::error_code& error, int signal_number) {
        if (error) return;
        LOG_INFO(kComponent, "received signal %d, shutting down", signal_number);
        member->stop();
    });
    member->add_stop_hook([&signals] {
        boost::system::error_code ignored;
        signals.cancel(ignored);
    });
    LOG_INFO(kComponent, "serving clients as %s", flags.name.c_str());
    member->run();
    LOG_INFO(kComponent, "stopped");
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    // No exception may cross the event loop (STYLE §8); one that escapes anyway ends
    // the process with a log line instead of an unexplained abort.
    try {
        return run(argc, argv);
    } catch (const std::exception& error) {
        LOG_ERROR(kComponent, "unexpected exception: %s", error.what());
    } catch (...) {
        LOG_ERROR(kComponent, "unexpected exception");
    }
    return 1;
}
