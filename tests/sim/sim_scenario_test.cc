// Named simulation scenarios (after TigerBeetle's replica_test.zig): each sets up one
// situation on purpose over the simulated network, clock and disk, with the checker
// running after every step, and then asserts what the cluster must have done.
#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "consensus/log.h"
#include "tests/sim/sim_cluster.h"
#include "tests/sim/sim_run.h"
#include "tests/sim/workload.h"

namespace consensus::sim {
namespace {

/// Keeps the cores' log lines out of the test output for the test's lifetime.
class QuietLogs final : public log::Sink {
public:
    QuietLogs() { log::set_sink(this); }
    ~QuietLogs() override { log::set_sink(nullptr); }
    QuietLogs(const QuietLogs&) = delete;
    QuietLogs& operator=(const QuietLogs&) = delete;
    void write(log::Level, const char*, const std::string&) override {}
};

/// A fault-free cluster of `members`; scenarios inject their own faults.
ClusterOptions calm(std::size_t members) {
    ClusterOptions options;
    options.members = members;
    return options;
}

/// Generous bound for anything a healthy majority must finish.
constexpr SimTime kPatienceMs = 5000;

NodeId wait_for_leader(SimCluster& cluster) {
    bool elected =
        cluster.run_until([&] { return cluster.leader() != kNoNode; }, cluster.now() + kPatienceMs);
    REQUIRE(elected);
    return cluster.leader();
}

std::vector<std::uint64_t> write_and_wait(SimCluster& cluster, NodeId at, int count) {
    std::vector<std::uint64_t> writes;
    for (int k = 0; k < count; ++k) {
        std::uint64_t write = cluster.propose(at);
        bool acknowledged = cluster.run_until([&] { return cluster.is_acknowledged(write); },
                                              cluster.now() + kPatienceMs);
        REQUIRE(acknowledged);
        writes.push_back(write);
    }
    return writes;
}

std::vector<NodeId> others(const SimCluster& cluster, NodeId id) {
    std::vector<NodeId> ids;
    for (NodeId other : cluster.member_ids()) {
        if (other != id) ids.push_back(other);
    }
    return ids;
}

bool log_holds_write(const raft::MemoryStorage& disk, std::uint64_t write) {
    if (disk.last_index() < disk.first_index()) return false;
    auto entries = disk.entries(disk.first_index(), disk.last_index() + 1, UINT64_MAX);
    REQUIRE(entries.is_ok());
    // Appended rather than concatenated: g++ 12 at -O3 reports a false -Wrestrict for
    // a one-character string plus a temporary.
    std::string data(1, 'w');
    data += std::to_string(write);
    for (const raft::Entry& entry : entries.value()) {
        if (entry.data == data) return true;
    }
    return false;
}

TEST_CASE(
    "sim: leader isolated in minority is replaced and old leader's uncommitted entries "
    "are discarded",
    "[sim]") {
    QuietLogs quiet;
    SimCluster cluster(calm(5), 11);
    NodeId old_leader = wait_for_leader(cluster);
    Term old_term = cluster.term(old_leader);
    write_and_wait(cluster, old_leader, 3);

    cluster.net().partition({old_leader}, cluster.member_ids());
    std::vector<std::uint64_t> stranded;
    for (int k = 0; k < 3; ++k) stranded.push_back(cluster.propose(old_leader));
    NodeId new_leader = kNoNode;
    bool replaced = cluster.run_until(
        [&] {
            NodeId leader = cluster.leader();
            if (leader == kNoNode || leader == old_leader) return false;
            new_leader = leader;
            return true;
        },
        cluster.now() + kPatienceMs);
    REQUIRE(replaced);
    CHECK(cluster.term(new_leader) > old_term);
    std::vector<std::uint64_t> committed = write_and_wait(cluster, new_leader, 2);
    CHECK(log_holds_write(cluster.disk(old_leader), stranded.front()));

    cluster.net().heal();
    bool rejoined = cluster.run_until(
        [&] {
            return cluster.applied(old_leader) >= cluster.applied(new_leader) &&
                   cluster.writes(old_leader).count(committed.back()) != 0;
        },
        cluster.now() + kPatienceMs);
    REQUIRE(rejoined);
    CHECK(cluster.role(old_leader) != raft::Role::kLeader);
    for (std::uint64_t write : stranded) {
        INFO("stranded write " << write);
        CHECK_FALSE(cluster.is_acknowledged(write));
        CHECK_FALSE(log_holds_write(cluster.disk(old_leader), write));
        for (NodeId id : cluster.member_ids()) CHECK(cluster.writes(id).count(write) == 0);
    }
    INFO(cluster.format_trace());
    CHECK(cluster.checker().ok());
}

TEST_CASE("sim: crashed follower restarts and catches up by snapshot", "[sim]") {
    QuietLogs quiet;
    SimCluster cluster(calm(3), 21);
    NodeId leader = wait_for_leader(cluster);
    NodeId follower = others(cluster, leader).front();
    cluster.crash(follower);

    // Enough writes that the leader snapshots and compacts past everything the
    // follower holds.
    std::vector<std::uint64_t> writes =
        write_and_wait(cluster, leader, 3 * static_cast<int>(cluster.options().snapshot_entries));
    REQUIRE(cluster.disk(leader).first_index() > cluster.disk(follower).last_index() + 1);

    cluster.restart(follower);
    bool caught_up =
        cluster.run_until([&] { return cluster.applied(follower) >= cluster.applied(leader); },
                          cluster.now() + kPatienceMs);
    REQUIRE(caught_up);
    CHECK(cluster.snapshots_installed(follower) >= 1);
    for (std::uint64_t write : writes) CHECK(cluster.writes(follower).count(write) == 1);
    INFO(cluster.format_trace());
    CHECK(cluster.checker().ok());
}

TEST_CASE(
    "sim: membership change during partition commits on the majority side and reaches "
    "the minority after healing",
    "[sim]") {
    QuietLogs quiet;
    SimCluster cluster(calm(5), 31);
    NodeId leader = wait_for_leader(cluster);
    std::vector<NodeId> followers = others(cluster, leader);
    NodeId leaving = followers[0];
    NodeId cut_off = followers[1];
    cluster.net().partition({leaving, cut_off}, cluster.member_ids());

    // Joint consensus [Raft §6]: replace `leaving` by a new member in one change.
    NodeId joining = cluster.create_member();
    raft::ConfChange change;
    change.changes.push_back({raft::ConfChangeType::kAddNode, joining});
    change.changes.push_back({raft::ConfChangeType::kRemoveNode, leaving});
    cluster.propose_conf_change(leader, change);
    auto has_new_configuration = [&](NodeId id) {
        const raft::ConfState& conf = cluster.conf_state(id);
        std::set<NodeId> voters(conf.voters.begin(), conf.voters.end());
        return conf.voters_outgoing.empty() && voters.count(joining) != 0 &&
               voters.count(leaving) == 0;
    };
    bool changed = cluster.run_until([&] { return has_new_configuration(leader); },
                                     cluster.now() + kPatienceMs);
    REQUIRE(changed);
    CHECK_FALSE(has_new_configuration(cut_off));
    std::vector<std::uint64_t> writes = write_and_wait(cluster, cluster.leader(), 3);

    cluster.net().heal();
    NodeId current = cluster.leader();
    bool converged = cluster.run_until(
        [&] {
            return has_new_configuration(cut_off) && has_new_configuration(joining) &&
                   cluster.writes(cut_off).count(writes.back()) != 0 &&
                   cluster.writes(joining).count(writes.back()) != 0;
        },
        cluster.now() + kPatienceMs);
    INFO(cluster.format_trace());
    REQUIRE(converged);
    CHECK(current != leaving);
    CHECK_FALSE(cluster.is_up(leaving));
    CHECK(cluster.checker().ok());
}

TEST_CASE("sim: read index after leader change reflects acknowledged writes", "[sim]") {
    QuietLogs quiet;
    SimCluster cluster(calm(3), 41);
    NodeId first_leader = wait_for_leader(cluster);
    std::vector<std::uint64_t> writes = write_and_wait(cluster, first_leader, 5);

    NodeId transferee = others(cluster, first_leader).front();
    cluster.transfer_leadership(first_leader, transferee);
    bool moved = cluster.run_until(
        [&] { return cluster.leader() != kNoNode && cluster.leader() != first_leader; },
        cluster.now() + kPatienceMs);
    REQUIRE(moved);
    NodeId second_leader = cluster.leader();
    writes.push_back(write_and_wait(cluster, second_leader, 1).front());

    // One read at every member: at the new leader, at the old leader (now a follower
    // that forwards the request), and at the remaining follower.
    std::vector<std::uint64_t> reads;
    for (NodeId id : cluster.member_ids()) reads.push_back(cluster.read(id));
    bool served = cluster.run_until(
        [&] {
            for (std::uint64_t read : reads) {
                if (!cluster.is_read_served(read)) return false;
            }
            return true;
        },
        cluster.now() + kPatienceMs);
    INFO(cluster.format_trace());
    REQUIRE(served);
    CHECK(cluster.checker().reads_checked() >= reads.size());
    CHECK(cluster.checker().ok());
}

/// Drives two candidates into one term with a voter that restarts between their
/// requests: candidate A gets the voter's vote, the voter crashes and restarts, then
/// candidate B asks it. Returns the checker's verdict. With `forget_vote` the driver
/// drops the durable vote on restart, which must show up as two leaders in one term.
std::optional<Violation> vote_twice_scenario(bool forget_vote) {
    ClusterOptions options = calm(3);
    options.mutate_drop_vote = forget_vote;
    SimCluster cluster(options, 51);
    NodeId voter = wait_for_leader(cluster);
    std::vector<NodeId> candidates = others(cluster, voter);
    NodeId a = candidates[0];
    NodeId b = candidates[1];
    Term term = cluster.term(voter);
    // The candidates cannot reach each other, so only the voter decides.
    cluster.net().cut(a, b);
    cluster.net().cut(b, a);
    cluster.transfer_leadership(voter, a);
    bool voted = cluster.run_until([&] { return cluster.disk(voter).hard_state().vote == a; },
                                   cluster.now() + kPatienceMs);
    REQUIRE(voted);
    REQUIRE(cluster.disk(voter).hard_state().term == term + 1);
    // A's appends as the new leader would make the voter refuse other candidates for
    // a while (leader stickiness); cut them so that only the vote decides.
    cluster.net().cut(a, voter);
    cluster.crash(voter);
    cluster.restart(voter);
    cluster.campaign(b);
    cluster.run_until(cluster.now() + 40 * cluster.options().tick_ms);
    return cluster.checker().violation();
}

TEST_CASE("sim: restarted voter keeps its vote when a second candidate of the term asks", "[sim]") {
    QuietLogs quiet;
    std::optional<Violation> violation = vote_twice_scenario(false);
    INFO((violation ? violation->property + ": " + violation->detail : "no violation"));
    CHECK_FALSE(violation.has_value());
}

TEST_CASE(
    "sim: checker reports election safety when a restarted voter forgets its vote "
    "(driver mutation)",
    "[sim]") {
    QuietLogs quiet;
    std::optional<Violation> violation = vote_twice_scenario(true);
    REQUIRE(violation.has_value());
    CHECK(violation->property == "election safety");
}

TEST_CASE("sim: one seed replays exactly", "[sim]") {
    QuietLogs quiet;
    RunOptions options;
    options.steps = 600;
    RunResult first = run_seed(options, 7);
    RunResult second = run_seed(options, 7);
    CHECK(first.ok());
    CHECK(first.steps == second.steps);
    CHECK(first.time_ms == second.time_ms);
    CHECK(first.committed == second.committed);
    CHECK(first.acknowledged_writes == second.acknowledged_writes);
    CHECK(first.reads_served == second.reads_served);
    RunResult other = run_seed(options, 8);
    CHECK(other.time_ms != first.time_ms);
}

TEST_CASE("sim: liveness check fails when no majority can come back", "[sim]") {
    QuietLogs quiet;
    SimCluster cluster(calm(3), 61);
    wait_for_leader(cluster);
    WorkloadOptions options;
    options.faults = false;
    Workload workload(&cluster, options);
    // Two of three members leave for good: healing restarts nobody who could vote.
    cluster.remove_member(1);
    cluster.remove_member(2);
    std::string detail;
    bool live =
        check_liveness(&cluster, &workload, 10 * election_timeout_ms(cluster.options()), &detail);
    CHECK_FALSE(live);
    CHECK(detail.find("no ") == 0);
    CHECK(cluster.checker().ok());
}

TEST_CASE("sim: trace keeps only the last trace_events_max events", "[sim]") {
    QuietLogs quiet;
    ClusterOptions options = calm(3);
    options.trace_events_max = 5;
    SimCluster cluster(options, 71);
    wait_for_leader(cluster);
    for (int k = 0; k < 8; ++k) cluster.note("mark " + std::to_string(k));
    std::string trace = cluster.format_trace();
    CHECK(std::count(trace.begin(), trace.end(), '\n') == 5);
    CHECK(trace.find("mark 2") == std::string::npos);
    CHECK(trace.find("mark 3") != std::string::npos);
    CHECK(trace.find("mark 7") != std::string::npos);
}

TEST_CASE(
    "Workload: membership stays within members_extra_max and voters_min when changes run "
    "under faults",
    "[sim]") {
    QuietLogs quiet;
    for (std::size_t members : {3, 5}) {
        INFO(members << " members");
        RunOptions options;
        options.cluster.members = members;
        options.workload.members_extra_max = 2;
        options.workload.voters_min = 3;
        SimCluster cluster(options.cluster, 81 + members);
        Workload workload(&cluster, options.workload);
        std::size_t most_members = 0;
        std::size_t fewest_voters = members;
        for (int step = 0; step < 3000 && cluster.checker().ok(); ++step) {
            run_steps(&cluster, &workload, 1);
            most_members = std::max(most_members, cluster.member_ids().size());
            for (NodeId id : cluster.up_ids()) {
                const raft::ConfState& conf = cluster.conf_state(id);
                // Nodes that joined empty have no configuration until they catch up.
                if (!conf.voters.empty())
                    fewest_voters = std::min(fewest_voters, conf.voters.size());
            }
        }
        CHECK(workload.membership_changes() > 0);
        CHECK(most_members <= members + options.workload.members_extra_max);
        CHECK(fewest_voters >= options.workload.voters_min);
        const auto& violation = cluster.checker().violation();
        INFO((violation ? violation->property + ": " + violation->detail : std::string()));
        CHECK(cluster.checker().ok());
    }
}

/// Leaves exactly the links between the listed pairs up, both ways.
void only_links(SimCluster& cluster, const std::vector<std::pair<NodeId, NodeId>>& pairs) {
    std::vector<NodeId> ids = cluster.member_ids();
    cluster.net().heal();
    for (NodeId a : ids) {
        for (NodeId b : ids) {
            if (a == b) continue;
            bool allowed = false;
            for (const auto& [x, y] : pairs) allowed |= (a == x && b == y) || (a == y && b == x);
            if (!allowed) cluster.net().cut(a, b);
        }
    }
}

/// The situation of [Raft Figure 8] on five members. A leads and gets entry x only to
/// B; W is elected by C and D but its own entry reaches nobody; A returns, leads a
/// later term and replicates x to C; then A fails and W asks C and D again. A core
/// that commits x by counting replicas before an entry of A's own term is replicated
/// lets W win and overwrite the committed x. Returns the checker's verdict.
std::optional<Violation> figure_8_scenario() {
    ClusterOptions options = calm(5);
    // One entry per AppendEntries, so a follower can acknowledge x without the entry
    // of A's term behind it.
    options.max_message_bytes = 1;
    SimCluster cluster(options, 91);
    NodeId a = wait_for_leader(cluster);
    write_and_wait(cluster, a, 1);
    std::vector<NodeId> rest = others(cluster, a);
    NodeId b = rest[0];
    Index n = cluster.disk(a).last_index();
    auto patient = [&](auto done) { return cluster.run_until(done, cluster.now() + kPatienceMs); };

    // A replicates x to B only.
    only_links(cluster, {{a, b}});
    cluster.propose(a);
    REQUIRE(patient([&] { return cluster.disk(b).last_index() == n + 1; }));
    cluster.crash(a);

    // C, D and E elect W, whose first entry stays on W alone.
    only_links(cluster, {{rest[1], rest[2]}, {rest[1], rest[3]}, {rest[2], rest[3]}});
    NodeId w = kNoNode;
    REQUIRE(patient([&] {
        w = cluster.leader();
        return w != kNoNode && w != b;
    }));
    cluster.net().partition({w}, cluster.member_ids());
    REQUIRE(patient([&] { return cluster.disk(w).last_index() == n + 1; }));
    cluster.crash(w);
    std::vector<NodeId> voters;
    for (NodeId id : {rest[1], rest[2], rest[3]}) {
        if (id != w) voters.push_back(id);
    }
    NodeId c = voters[0];
    NodeId d = voters[1];

    // A returns, leads a later term with B and C, and replicates x to C.
    only_links(cluster, {{a, b}, {a, c}});
    cluster.restart(a);
    REQUIRE(patient([&] { return cluster.leader() == a; }));
    REQUIRE(patient([&] { return cluster.commit(a) >= n + 1; }));
    cluster.net().partition({a}, cluster.member_ids());
    cluster.crash(a);

    // W asks C and D again; B stays away.
    only_links(cluster, {{w, c}, {w, d}, {c, d}});
    cluster.restart(w);
    cluster.run_until([&] { return !cluster.checker().ok(); }, cluster.now() + kPatienceMs);
    return cluster.checker().violation();
}

TEST_CASE(
    "sim: figure 8, an entry of an earlier term committed by a later leader is never "
    "overwritten",
    "[sim]") {
    QuietLogs quiet;
    std::optional<Violation> violation = figure_8_scenario();
    INFO((violation ? violation->property + ": " + violation->detail : "no violation"));
    CHECK_FALSE(violation.has_value());
}

}  // namespace
}  // namespace consensus::sim
