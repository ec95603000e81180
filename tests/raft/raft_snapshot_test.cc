// Snapshots [Raft §7]: sending to a follower that is too far behind, reporting the
// outcome, and restoring a follower from one.
#include <catch2/catch.hpp>
#include <vector>

#include "raft/raft.h"
#include "raft/support/network.h"

namespace consensus::raft {
namespace {

using test::Network;
using test::QuietLogs;
using test::Solo;

// Leader 1 commits entries while member 3 is cut off, then compacts its log.
Index lag_and_compact(Network& net) {
    net.elect(1);
    net.isolate(3);
    for (int i = 0; i < 5; ++i) REQUIRE(net.node(1).propose("x").is_ok());
    net.stabilize();
    Index applied = net.node(1).status().applied;
    REQUIRE(applied == 6);
    REQUIRE(net.storage(1).create_snapshot(applied, net.member(1).conf_state, "state@6").is_ok());
    REQUIRE(net.storage(1).compact(applied).is_ok());
    return applied;
}

const Progress& progress_of(Network& net, NodeId leader, NodeId id) {
    return net.node(leader).raft().tracker().progress().at(id);
}

TEST_CASE("Snapshot: a follower behind the compacted log is restored from the leader's snapshot",
          "[raft]") {
    QuietLogs quiet;
    Network net({1, 2, 3});
    Index snapshot_index = lag_and_compact(net);
    net.heal();
    net.clear_delivered();
    net.tick(1);
    net.stabilize();
    bool sent_snapshot = false;
    for (const Message& m : net.delivered()) {
        if (m.type == MessageType::kSnapshot && m.to == 3) {
            sent_snapshot = true;
            CHECK(m.snapshot.metadata.index == snapshot_index);
            CHECK(m.snapshot.data == "state@6");
        }
    }
    CHECK(sent_snapshot);
    CHECK(net.storage(3).first_index() == snapshot_index + 1);
    CHECK(net.node(3).status().hard_state.commit == snapshot_index);
    CHECK(net.member(3).conf_state.voters == std::vector<NodeId>{1, 2, 3});
    CHECK(progress_of(net, 1, 3).state == ProgressState::kReplicate);
    REQUIRE(net.node(1).propose("after").is_ok());
    net.stabilize();
    CHECK(net.member(3).applied.back().data == "after");
}

// Runs the cluster until the leader's MsgSnap to member 3 is queued, and takes it.
std::vector<Message> take_snapshot_message(Network& net) {
    std::vector<Message> snapshots;
    for (int round = 0; round < 10 && snapshots.empty(); ++round) {
        snapshots = net.take(MessageType::kSnapshot, 1);
        if (snapshots.empty()) net.deliver_round();
    }
    return snapshots;
}

TEST_CASE("Snapshot: a failed snapshot send returns the follower to probing and is retried",
          "[raft]") {
    QuietLogs quiet;
    Network net({1, 2, 3});
    lag_and_compact(net);
    net.heal();
    net.tick(1);
    REQUIRE(take_snapshot_message(net).size() == 1);
    REQUIRE(progress_of(net, 1, 3).state == ProgressState::kSnapshot);
    net.node(1).report_snapshot(3, true);
    CHECK(progress_of(net, 1, 3).state == ProgressState::kProbe);
    net.tick(1);
    net.stabilize();
    CHECK(net.storage(3).first_index() == 7);
    CHECK(progress_of(net, 1, 3).state == ProgressState::kReplicate);
}

TEST_CASE("Snapshot: a lost snapshot is reported by the transport and retried", "[raft]") {
    QuietLogs quiet;
    Network net({1, 2, 3});
    lag_and_compact(net);
    net.heal();
    net.drop_type(MessageType::kSnapshot);  // the network reports each loss
    net.tick(1);
    net.stabilize();
    CHECK(progress_of(net, 1, 3).state == ProgressState::kProbe);
    net.allow_all_types();
    net.tick(1);
    net.stabilize();
    CHECK(net.storage(3).first_index() == 7);
}

TEST_CASE("Snapshot: report_snapshot success resumes probing after the snapshot", "[raft]") {
    QuietLogs quiet;
    Network net({1, 2, 3});
    lag_and_compact(net);
    net.heal();
    net.tick(1);
    // Hold the snapshot in flight once the leader sends it, and report it delivered.
    std::vector<Message> snapshots = take_snapshot_message(net);
    REQUIRE(snapshots.size() == 1);
    net.node(1).report_snapshot(3, false);
    CHECK(progress_of(net, 1, 3).state == ProgressState::kProbe);
    CHECK(progress_of(net, 1, 3).next_index == 7);
    net.deliver(snapshots[0]);
    net.stabilize();
    CHECK(progress_of(net, 1, 3).match_index == net.node(1).status().last_index);
}

Message snapshot_message(Index index, Term term, std::vector<NodeId> voters) {
    Message message;
    message.type = MessageType::kSnapshot;
    message.from = 2;
    message.to = 1;
    message.term = term;
    message.snapshot.metadata.index = index;
    message.snapshot.metadata.term = term;
    message.snapshot.metadata.conf_state.voters = std::move(voters);
    message.snapshot.data = "state";
    return message;
}

TEST_CASE("Snapshot: a follower restores log and membership from a snapshot", "[raft]") {
    QuietLogs quiet;
    Solo solo(1, {1, 2});
    auto sent = solo.step(snapshot_message(11, 11, {1, 2, 3}));
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].type == MessageType::kAppendResponse);
    CHECK(sent[0].index == 11);
    CHECK(solo.storage().first_index() == 12);
    NodeStatus status = solo.node().status();
    CHECK(status.hard_state.commit == 11);
    CHECK(status.applied == 11);
    CHECK(status.conf_state.voters == std::vector<NodeId>{1, 2, 3});
    CHECK(status.soft_state.leader_id == 2);
}

TEST_CASE("Snapshot: a snapshot at or below commit is ignored", "[raft]") {
    QuietLogs quiet;
    Solo solo(1, {1, 2});
    solo.step(snapshot_message(11, 11, {1, 2}));
    auto sent = solo.step(snapshot_message(5, 11, {1, 2, 3}));
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].index == 11);
    CHECK(solo.node().status().conf_state.voters == std::vector<NodeId>{1, 2});
}

TEST_CASE("Snapshot: a follower holding the snapshot's last entry only fast-forwards commit",
          "[raft]") {
    QuietLogs quiet;
    Solo solo(1, {1, 2});
    Message append;
    append.type = MessageType::kAppend;
    append.from = 2;
    append.to = 1;
    append.term = 1;
    for (Index i = 1; i <= 3; ++i) append.entries.push_back(Entry{1, i, EntryType::kNormal, "e"});
    solo.step(append);
    REQUIRE(solo.node().status().hard_state.commit == 0);
    Message snapshot = snapshot_message(2, 1, {1, 2});
    auto sent = solo.step(snapshot);
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].index == 2);
    CHECK(solo.node().status().hard_state.commit == 2);
    CHECK(solo.storage().first_index() == 1);  // the log was kept
    CHECK(solo.node().status().last_index == 3);
}

TEST_CASE("Snapshot: a snapshot whose membership excludes the receiver is refused", "[raft]") {
    QuietLogs quiet;
    Solo solo(1, {1, 2});
    auto sent = solo.step(snapshot_message(11, 11, {2, 3}));
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].index == 0);
    CHECK(solo.storage().first_index() == 1);
}

}  // namespace
}  // namespace consensus::raft
