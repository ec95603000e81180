#include "node/flags.h"

#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

namespace consensus::node {
namespace {

using Env = std::map<std::string, std::string>;

/// Runs parse_flags over a command line given without the program name.
Result<Flags> parse(std::vector<std::string> args, const Env& env = {}) {
    std::vector<const char*> argv = {"consensusd"};
    for (const std::string& arg : args) argv.push_back(arg.c_str());
    return parse_flags(static_cast<int>(argv.size()), argv.data(), env);
}

// One flag and its value per line, as in etcd's Procfile.
// clang-format off
const std::vector<std::string> kInfra1 = {
    "--name", "infra1",
    "--listen-client-urls", "http://127.0.0.1:2379",
    "--advertise-client-urls", "http://127.0.0.1:2379",
    "--listen-peer-urls", "http://127.0.0.1:12380",
    "--initial-advertise-peer-urls", "http://127.0.0.1:12380",
    "--initial-cluster-token", "etcd-cluster-1",
    "--initial-cluster",
    "infra1=http://127.0.0.1:12380,infra2=http://127.0.0.1:22380,infra3=http://127.0.0.1:32380",
    "--initial-cluster-state", "new",
};
// clang-format on

TEST_CASE("parse_flags: gives etcd's defaults when no flag is set", "[node]") {
    Result<Flags> flags = parse({});
    REQUIRE(flags.is_ok());
    const Flags& f = flags.value();
    CHECK(f.name == "default");
    CHECK(f.data_dir == "default.consensus");
    CHECK(join_urls(f.listen_client_urls) == "http://localhost:2379");
    CHECK(join_urls(f.advertise_client_urls) == "http://localhost:2379");
    CHECK(join_urls(f.listen_peer_urls) == "http://localhost:2380");
    CHECK(join_urls(f.initial_advertise_peer_urls) == "http://localhost:2380");
    REQUIRE(f.initial_cluster.size() == 1);
    CHECK(f.initial_cluster[0].first == "default");
    CHECK(f.initial_cluster[0].second.to_string() == "http://localhost:2380");
    CHECK(f.initial_cluster_state == "new");
    CHECK(f.initial_cluster_token == "etcd-cluster");
    CHECK(f.heartbeat_interval_ms == 100);
    CHECK(f.election_timeout_ms == 1000);
    CHECK(f.snapshot_count == 100000);
    CHECK(f.max_request_bytes == 1572864);
    CHECK(f.log_level == "info");
    CHECK_FALSE(f.dump_wal_dir.has_value());
    CHECK_FALSE(f.show_help);
    CHECK_FALSE(f.show_version);
}

TEST_CASE("parse_flags: reads an etcd Procfile command line when given with spaces", "[node]") {
    Result<Flags> flags = parse(kInfra1);
    REQUIRE(flags.is_ok());
    const Flags& f = flags.value();
    CHECK(f.name == "infra1");
    CHECK(f.data_dir == "infra1.consensus");
    CHECK(f.initial_cluster_token == "etcd-cluster-1");
    CHECK(f.initial_member_names() == std::vector<std::string>{"infra1", "infra2", "infra3"});
    CHECK(join_urls(f.initial_peer_urls_of("infra2")) == "http://127.0.0.1:22380");
}

TEST_CASE("parse_flags: accepts each setting when given as --flag=value", "[node]") {
    Result<Flags> flags =
        parse({"--name=n1", "--data-dir=/tmp/n1", "--heartbeat-interval=50",
               "--election-timeout=500", "--snapshot-count=7", "--max-request-bytes=1024",
               "--log-level=debug", "--initial-cluster-state=existing", "--enable-v2=true",
               "--enable-v2", "-listen-peer-urls=http://127.0.0.1:2380",
               "--initial-advertise-peer-urls=http://127.0.0.1:2380", "--dump-wal=/tmp/wal"});
    REQUIRE(flags.is_ok());
    const Flags& f = flags.value();
    CHECK(f.name == "n1");
    CHECK(f.data_dir == "/tmp/n1");
    CHECK(f.heartbeat_interval_ms == 50);
    CHECK(f.election_timeout_ms == 500);
    CHECK(f.snapshot_count == 7);
    CHECK(f.max_request_bytes == 1024);
    CHECK(f.log_level == "debug");
    CHECK(f.initial_cluster_state == "existing");
    REQUIRE(f.dump_wal_dir.has_value());
    CHECK(*f.dump_wal_dir == "/tmp/wal");
    // With --name set and no --initial-cluster, the member forms a cluster of itself
    // under its own name, as etcd's InitialClusterFromName.
    REQUIRE(f.initial_cluster.size() == 1);
    CHECK(f.initial_cluster[0].first == "n1");
    CHECK(f.initial_cluster[0].second.to_string() == "http://127.0.0.1:2380");
}

TEST_CASE("parse_flags: takes settings from CONSENSUS_ variables when flags are absent", "[node]") {
    Env env = {
        {"CONSENSUS_NAME", "infra2"},
        {"CONSENSUS_INITIAL_ADVERTISE_PEER_URLS", "http://127.0.0.1:22380"},
        {"CONSENSUS_INITIAL_CLUSTER",
         "infra1=http://127.0.0.1:12380,infra2=http://127.0.0.1:22380"},
        {"CONSENSUS_HEARTBEAT_INTERVAL", "20"},
        {"CONSENSUS_ELECTION_TIMEOUT", "200"},
        {"CONSENSUS_NOT_A_FLAG", "ignored"},
        {"ETCD_NAME", "ignored"},
    };
    Result<Flags> flags = parse({}, env);
    REQUIRE(flags.is_ok());
    CHECK(flags.value().name == "infra2");
    CHECK(flags.value().heartbeat_interval_ms == 20);
    CHECK(flags.value().election_timeout_ms == 200);
    CHECK(flags.value().initial_cluster.size() == 2);
}

TEST_CASE("parse_flags: lets a flag override its variable when both are set", "[node]") {
    // The variable's value is bad, but the flag wins, so it is never looked at.
    Result<Flags> flags =
        parse({"--heartbeat-interval", "50", "--name", "flag-name"},
              {{"CONSENSUS_HEARTBEAT_INTERVAL", "not-a-number"}, {"CONSENSUS_NAME", "env-name"}});
    REQUIRE(flags.is_ok());
    CHECK(flags.value().heartbeat_interval_ms == 50);
    CHECK(flags.value().name == "flag-name");
}

TEST_CASE("parse_flags: skips validation when --help or --version is given", "[node]") {
    struct Case {
        std::vector<std::string> args;
        bool help;
        bool version;
    };
    const std::vector<Case> cases = {
        {{"--help"}, true, false},
        {{"-h"}, true, false},
        {{"--version"}, false, true},
        {{"--version", "--name", "nowhere"}, false, true},
    };
    for (const Case& c : cases) {
        INFO(c.args[0]);
        Result<Flags> flags = parse(c.args);
        REQUIRE(flags.is_ok());
        CHECK(flags.value().show_help == c.help);
        CHECK(flags.value().show_version == c.version);
    }
}

TEST_CASE("parse_flags: reports one clear line when the command line is bad", "[node]") {
    struct Case {
        std::vector<std::string> args;
        Env env;
        std::string expected_fragment;
    };
    const std::string cluster = "--initial-cluster=a=http://127.0.0.1:1,b=http://127.0.0.1:2";
    const std::vector<Case> cases = {
        {{"--no-such-flag"}, {}, "unknown flag --no-such-flag"},
        {{"--logger=zap"}, {}, "unknown flag --logger"},
        {{"stray"}, {}, "unexpected argument \"stray\""},
        {{"--"}, {}, "unexpected argument"},
        {{"--name"}, {}, "flag --name needs a value"},
        {{"--name="}, {}, "invalid value for --name: must not be empty"},
        {{"--heartbeat-interval", "abc"}, {}, "invalid value for --heartbeat-interval"},
        {{"--heartbeat-interval", "-5"}, {}, "invalid value for --heartbeat-interval"},
        {{"--election-timeout", "4294967296"}, {}, "invalid value for --election-timeout"},
        {{"--snapshot-count", "99999999999999999999"}, {}, "invalid value for --snapshot-count"},
        {{"--listen-client-urls", "localhost:2379"}, {}, "invalid value for --listen-client-urls"},
        {{"--listen-peer-urls", "https://127.0.0.1:2380"}, {}, "https is not supported yet"},
        {{"--advertise-client-urls", "http://a:1,"}, {}, "empty URL in list"},
        {{"--initial-cluster", "infra1"}, {}, "entry must be name=http://host:port"},
        {{"--initial-cluster", "=http://127.0.0.1:2380"}, {}, "entry must be name="},
        {{"--initial-cluster", "a=ftp://x:1"}, {}, "invalid value for --initial-cluster"},
        {{"--initial-cluster-state", "maybe"}, {}, "valid values are \"new\", \"existing\""},
        {{"--log-level", "loud"}, {}, "invalid value for --log-level"},
        {{"--enable-v2=false"}, {}, "v2 API is always on"},
        {{"--enable-v2=maybe"}, {}, "not a boolean"},
        {{"--name", "c", cluster}, {}, "couldn't find local name \"c\""},
        {{"--name", "a", cluster}, {}, "does not match the --initial-cluster entry of \"a\""},
        {{"--name", "a", "--initial-advertise-peer-urls", "http://127.0.0.1:1",
          "--initial-cluster=a=http://127.0.0.1:1,b=http://127.0.0.1:1"},
         {},
         "for both \"a\" and \"b\""},
        {{"--heartbeat-interval", "1000", "--election-timeout", "1000"},
         {},
         "--heartbeat-interval[1000ms] must be less than --election-timeout[1000ms]"},
        {{"--heartbeat-interval", "0"}, {}, "--heartbeat-interval must be positive"},
        {{"--heartbeat-interval", "100", "--election-timeout", "50001"},
         {},
         "--election-timeout[50001ms] is too long"},
        {{},
         {{"CONSENSUS_ELECTION_TIMEOUT", "x"}},
         "invalid value for --election-timeout (from CONSENSUS_ELECTION_TIMEOUT)"},
        {{}, {{"CONSENSUS_INITIAL_CLUSTER_STATE", "old"}}, "--initial-cluster-state (from"},
        {{}, {{"CONSENSUS_ENABLE_V2", "false"}}, "v2 API is always on"},
    };
    for (const Case& c : cases) {
        std::string shown;
        for (const std::string& arg : c.args) shown += arg + " ";
        for (const auto& [key, value] : c.env) shown += key + "=" + value + " ";
        INFO(shown);
        Result<Flags> flags = parse(c.args, c.env);
        REQUIRE_FALSE(flags.is_ok());
        const std::string& message = flags.status().message();
        CHECK(flags.status().code() == StatusCode::kInvalidArgument);
        CHECK(message.rfind("consensusd: ", 0) == 0);
        CHECK(message.find('\n') == std::string::npos);
        CHECK(message.find(c.expected_fragment) != std::string::npos);
    }
}

TEST_CASE("parse_flags: accepts the largest election timeout when it equals etcd's bound",
          "[node]") {
    Result<Flags> at_bound = parse({"--election-timeout", std::to_string(kElectionTimeoutMsMax)});
    CHECK(at_bound.is_ok());
    Result<Flags> above = parse({"--election-timeout", std::to_string(kElectionTimeoutMsMax + 1)});
    CHECK_FALSE(above.is_ok());
}

TEST_CASE("usage: lists every flag with its default when help is asked for", "[node]") {
    std::string text = usage();
    for (const char* flag :
         {"--name", "--data-dir", "--listen-client-urls", "--advertise-client-urls",
          "--listen-peer-urls", "--initial-advertise-peer-urls", "--initial-cluster ",
          "--initial-cluster-state", "--initial-cluster-token", "--heartbeat-interval",
          "--election-timeout", "--snapshot-count", "--max-request-bytes", "--log-level",
          "--enable-v2", "--dump-wal", "--version", "--help"}) {
        INFO(flag);
        CHECK(text.find(flag) != std::string::npos);
    }
    CHECK(text.find("(default: etcd-cluster)") != std::string::npos);
}

TEST_CASE("compute_member_id: matches etcd's ids when given etcd's Procfile cluster", "[node]") {
    // The ids etcd prints for its Procfile cluster (etcdctl member list).
    struct Case {
        std::vector<std::string> peer_urls;
        std::string token;
        std::string id;
    };
    const std::vector<Case> cases = {
        {{"http://127.0.0.1:12380"}, "etcd-cluster-1", "8211f1d0f64f3269"},
        {{"http://127.0.0.1:22380"}, "etcd-cluster-1", "91bc3c398fb3c146"},
        {{"http://127.0.0.1:32380"}, "etcd-cluster-1", "fd422379fda50e48"},
        {{"http://localhost:2380"}, "etcd-cluster", "8e9e05c52164694d"},
    };
    for (const Case& c : cases) {
        INFO(c.peer_urls[0]);
        CHECK(format_id(compute_member_id(c.peer_urls, c.token)) == c.id);
    }
}

TEST_CASE(
    "compute_member_id: keeps the id when URLs are reordered and changes it when the token differs",
    "[node]") {
    NodeId forward = compute_member_id({"http://a:1", "http://b:2"}, "t");
    NodeId backward = compute_member_id({"http://b:2", "http://a:1"}, "t");
    CHECK(forward == backward);
    CHECK(forward != compute_member_id({"http://a:1", "http://b:2"}, "u"));
}

TEST_CASE("compute_cluster_id: matches etcd's default cluster id when members come in any order",
          "[node]") {
    CHECK(format_id(compute_cluster_id({0x8e9e05c52164694dULL})) == "cdf818194e3a8c32");
    std::vector<NodeId> ids = {0x8211f1d0f64f3269ULL, 0x91bc3c398fb3c146ULL, 0xfd422379fda50e48ULL};
    std::vector<NodeId> reversed(ids.rbegin(), ids.rend());
    CHECK(compute_cluster_id(ids) == compute_cluster_id(reversed));
    CHECK(compute_cluster_id(ids) != compute_cluster_id({ids[0], ids[1]}));
}

TEST_CASE("initial_member_ids: computes one id per member when a member has two URLs", "[node]") {
    Result<Flags> flags = parse({"--name", "a", "--initial-advertise-peer-urls",
                                 "http://127.0.0.1:2,http://127.0.0.1:1", "--initial-cluster",
                                 "a=http://127.0.0.1:1,b=http://127.0.0.1:3,a=http://127.0.0.1:2"});
    REQUIRE(flags.is_ok());
    std::map<std::string, NodeId> ids = initial_member_ids(flags.value());
    REQUIRE(ids.size() == 2);
    CHECK(ids["a"] ==
          compute_member_id({"http://127.0.0.1:1", "http://127.0.0.1:2"}, "etcd-cluster"));
    CHECK(ids["b"] == compute_member_id({"http://127.0.0.1:3"}, "etcd-cluster"));
}

}  // namespace
}  // namespace consensus::node
