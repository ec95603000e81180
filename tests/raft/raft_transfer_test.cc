// Leadership transfer [thesis §3.10].
#include <catch2/catch.hpp>
#include <vector>

#include "raft/raft.h"
#include "raft/support/network.h"

namespace consensus::raft {
namespace {

using test::Network;
using test::QuietLogs;

TEST_CASE("Transfer: an up-to-date transferee gets TimeoutNow and becomes leader", "[raft]") {
    QuietLogs quiet;
    Network net({1, 2, 3});
    net.elect(1);
    Term term = net.node(1).status().hard_state.term;
    net.clear_delivered();
    net.node(1).transfer_leadership(2);
    net.stabilize();
    CHECK(net.leader() == 2);
    CHECK(net.node(2).status().hard_state.term == term + 1);
    bool timeout_now = false;
    for (const Message& m : net.delivered())
        timeout_now = timeout_now || m.type == MessageType::kTimeoutNow;
    CHECK(timeout_now);
    CHECK(net.node(1).status().lead_transferee == kNoNode);
}

TEST_CASE("Transfer: a lagging transferee is caught up before TimeoutNow", "[raft]") {
    QuietLogs quiet;
    Network net({1, 2, 3});
    net.elect(1);
    net.isolate(3);
    for (int i = 0; i < 3; ++i) REQUIRE(net.node(1).propose("x").is_ok());
    net.stabilize();
    net.heal();
    net.node(1).report_unreachable(3);
    net.node(1).transfer_leadership(3);
    CHECK(net.node(1).status().lead_transferee == 3);
    net.stabilize();
    CHECK(net.leader() == 3);
    CHECK(net.node(3).log_entries().size() >= 4);
}

TEST_CASE("Transfer: proposals are dropped while a transfer is in progress", "[raft]") {
    QuietLogs quiet;
    Network net({1, 2, 3});
    net.elect(1);
    net.isolate(3);
    net.node(1).transfer_leadership(3);
    CHECK(net.node(1).propose("x").code() == StatusCode::kUnavailable);
}

TEST_CASE("Transfer: an unfinished transfer is aborted after an election timeout", "[raft]") {
    QuietLogs quiet;
    Network net({1, 2, 3});
    net.elect(1);
    net.isolate(3);
    net.node(1).transfer_leadership(3);
    REQUIRE(net.node(1).status().lead_transferee == 3);
    net.tick(1, 9);
    CHECK(net.node(1).status().lead_transferee == 3);
    net.tick(1, 1);
    CHECK(net.node(1).status().lead_transferee == kNoNode);
    CHECK(net.node(1).propose("x").is_ok());
    CHECK(net.leader() == 1);
}

TEST_CASE("Transfer: requests to self, learners or non-members are ignored", "[raft]") {
    QuietLogs quiet;
    Network net({1, 2, 3});
    net.add_member(4, ConfState{{1, 2, 3}, {4}, {}, {}, false});
    net.elect(1);
    REQUIRE(net.node(1)
                .propose_conf_change(ConfChange{{{ConfChangeType::kAddLearnerNode, 4}}, "", {}})
                .is_ok());
    net.stabilize();
    for (NodeId target : {NodeId{1}, NodeId{4}, NodeId{9}}) {
        INFO("transferee " << target);
        net.node(1).transfer_leadership(target);
        CHECK(net.node(1).status().lead_transferee == kNoNode);
        net.stabilize();
        CHECK(net.leader() == 1);
    }
}

TEST_CASE("Transfer: a follower forwards the request to the leader", "[raft]") {
    QuietLogs quiet;
    Network net({1, 2, 3});
    net.elect(1);
    net.node(2).transfer_leadership(2);
    net.stabilize();
    CHECK(net.leader() == 2);
}

TEST_CASE("Transfer: the transferee's campaign overrides leader stickiness with CheckQuorum",
          "[raft]") {
    QuietLogs quiet;
    Network net({1, 2, 3}, [](Config& config) {
        config.check_quorum = true;
        config.pre_vote = true;
    });
    net.elect(1);
    net.node(1).transfer_leadership(3);
    net.stabilize();
    CHECK(net.leader() == 3);
}

}  // namespace
}  // namespace consensus::raft
