#pragma once
/// Flags: consensusd's command line, with etcd's flag names, defaults and checks
/// [etcd: server/embed/config.go, server/etcdmain/config.go], so an etcd command line
/// (or an etcd Procfile) starts a consensusd member unchanged.
///
/// Every setting comes from, in increasing priority: its default, the environment
/// variable CONSENSUS_<FLAG> (upper case, dashes as underscores, e.g.
/// CONSENSUS_INITIAL_CLUSTER, as etcd's ETCD_<FLAG>), and the command line, where both
/// `--flag=value` and `--flag value` work (a single leading dash works too, as with
/// Go's flag package). Environment variables that name no flag are ignored, and the
/// actions --help, --version and --dump-wal are taken from the command line only.
///
/// Also here: etcd's member and cluster ids, derived from the initial configuration so
/// that every member computes the same ids without talking to the others
/// [etcd: server/etcdserver/api/membership/member.go, cluster.go].

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "consensus/status.h"
#include "consensus/types.h"
#include "node/url.h"

namespace consensus::node {

/// etcd's longest allowed election timeout [etcd: server/embed/config.go maxElectionMs].
inline constexpr std::uint32_t kElectionTimeoutMsMax = 50000;
/// etcd's default member name; the default data directory and cluster derive from it.
inline constexpr const char* kDefaultName = "default";
/// Prefix of the environment variables that set flags.
inline constexpr const char* kEnvPrefix = "CONSENSUS_";

/// A parsed and validated command line. Plain data, owned by main.
struct Flags {
    std::string name = kDefaultName;
    std::string data_dir;                          ///< default "<name>.consensus"
    std::vector<Url> listen_client_urls;           ///< default http://localhost:2379
    std::vector<Url> advertise_client_urls;        ///< default http://localhost:2379
    std::vector<Url> listen_peer_urls;             ///< default http://localhost:2380
    std::vector<Url> initial_advertise_peer_urls;  ///< default http://localhost:2380
    /// Every (member name, peer URL) pair; a name appears once per peer URL. Default
    /// "<name>=<each initial-advertise-peer-url>", as etcd's InitialClusterFromName.
    std::vector<std::pair<std::string, Url>> initial_cluster;
    std::string initial_cluster_state = "new";  ///< new | existing
    std::string initial_cluster_token = "etcd-cluster";
    /// Invariant: 0 < heartbeat_interval_ms < election_timeout_ms <= kElectionTimeoutMsMax.
    std::uint32_t heartbeat_interval_ms = 100;
    std::uint32_t election_timeout_ms = 1000;
    std::uint64_t snapshot_count = 100000;
    std::uint64_t max_request_bytes = 1572864;
    std::string log_level = "info";           ///< debug | info | warn | error
    std::optional<std::string> dump_wal_dir;  ///< --dump-wal DIR: print the WAL and exit
    bool show_version = false;                ///< --version
    bool show_help = false;                   ///< --help / -h

    /// The peer URLs of member `member_name` in initial_cluster, in flag order.
    std::vector<Url> initial_peer_urls_of(const std::string& member_name) const;
    /// The distinct member names of initial_cluster, in order of first appearance.
    std::vector<std::string> initial_member_names() const;
};

/// Parses argv[1..argc) over the environment `env` (variable name -> value; only
/// names starting with kEnvPrefix are looked at) and validates the result.
/// Errors are kInvalidArgument with ONE line, ready to print, of the form
/// "consensusd: <what is wrong>": an unknown flag, a flag without its value, a bad
/// integer, URL, --initial-cluster entry or --initial-cluster-state, this member's
/// name missing from --initial-cluster, its --initial-advertise-peer-urls differing
/// from its --initial-cluster entry, --heartbeat-interval not below
/// --election-timeout, or --election-timeout above kElectionTimeoutMsMax.
/// With --help or --version the other checks are skipped (the caller prints and exits).
Result<Flags> parse_flags(int argc, const char* const* argv,
                          const std::map<std::string, std::string>& env);

/// The --help text: every flag with its default, one per line.
std::string usage();

/// etcd's member id: the first 8 bytes (big-endian) of SHA-1 over the member's peer
/// URLs sorted and concatenated, followed by the cluster token
/// [etcd: membership.NewMember / computeMemberID]. peer_urls are in Url::to_string()
/// form. The same inputs give the same id on every member.
NodeId compute_member_id(const std::vector<std::string>& peer_urls, const std::string& token);

/// etcd's cluster id: the first 8 bytes (big-endian) of SHA-1 over the member ids,
/// sorted, each as 8 big-endian bytes [etcd: membership.RaftCluster.genID]. The order
/// of `member_ids` does not matter.
std::uint64_t compute_cluster_id(const std::vector<NodeId>& member_ids);

/// The member ids of the initial cluster, computed from flags.initial_cluster and
/// flags.initial_cluster_token, keyed by member name.
std::map<std::string, NodeId> initial_member_ids(const Flags& flags);

/// Formats an id as etcd prints it: lower-case hex without leading zeros.
std::string format_id(std::uint64_t id);

}  // namespace consensus::node
