// Membership changes [Raft §6; thesis §4]: simple changes, joint consensus with
// automatic or explicit leave, learners, pending-change rejection, leader removal.
#include <catch2/catch.hpp>
#include <vector>

#include "raft/raft.h"
#include "raft/support/network.h"

namespace consensus::raft {
namespace {

using test::Network;
using test::QuietLogs;

ConfChange change(std::vector<ConfChangeSingle> singles,
                  ConfChangeTransition transition = ConfChangeTransition::kAuto) {
    return ConfChange{std::move(singles), "", transition};
}

// A member joining later starts from the same bootstrap configuration as the founders
// and learns every change by replaying the log (or from a snapshot).
ConfState bootstrap() {
    ConfState conf;
    conf.voters = {1, 2, 3};
    return conf;
}

ConfChangeSingle add(NodeId id) {
    return {ConfChangeType::kAddNode, id};
}
ConfChangeSingle remove(NodeId id) {
    return {ConfChangeType::kRemoveNode, id};
}
ConfChangeSingle learner(NodeId id) {
    return {ConfChangeType::kAddLearnerNode, id};
}

TEST_CASE("Membership: a simple change adds a voter that then counts toward commit", "[raft]") {
    QuietLogs quiet;
    Network net({1, 2, 3});
    net.add_member(4, bootstrap());
    net.elect(1);
    REQUIRE(net.node(1).propose_conf_change(change({add(4)})).is_ok());
    net.stabilize();
    for (NodeId id : {1, 2, 3, 4}) {
        INFO("member " << id);
        CHECK(net.member(id).conf_state.voters == std::vector<NodeId>{1, 2, 3, 4});
    }
    // With four voters, two acknowledgements besides the leader are needed.
    net.isolate(3);
    net.isolate(4);
    REQUIRE(net.node(1).propose("x").is_ok());
    net.stabilize();
    Index last = net.node(1).status().last_index;
    CHECK(net.node(1).status().hard_state.commit < last);
    net.heal();
    net.isolate(3);
    net.tick(1);
    net.stabilize();
    CHECK(net.node(1).status().hard_state.commit == last);
}

TEST_CASE("Membership: a second change is refused while one is pending", "[raft]") {
    QuietLogs quiet;
    Network net({1, 2, 3});
    net.elect(1);
    net.isolate(1);
    REQUIRE(net.node(1).propose_conf_change(change({learner(4)})).is_ok());
    Status second = net.node(1).propose_conf_change(change({learner(5)}));
    CHECK(second.code() == StatusCode::kFailedPrecondition);
    net.heal();
    net.tick(1);
    net.stabilize();
    CHECK(net.node(1).propose_conf_change(change({learner(5)})).is_ok());
}

TEST_CASE("Membership: a newly elected leader refuses changes until its log is applied", "[raft]") {
    QuietLogs quiet;
    Network net({1, 2, 3});
    net.elect(1);
    // Member 2 receives "x" but the leader never hears back, so it is uncommitted.
    net.cut(2, 1);
    net.isolate(3);
    REQUIRE(net.node(1).propose("x").is_ok());
    net.stabilize();
    net.heal();
    net.isolate(1);
    net.drop_type(MessageType::kAppend);
    net.elect(2);
    REQUIRE(net.leader() == 2);
    // Member 2's log may hold an unapplied change up to its last index.
    CHECK(net.node(2).propose_conf_change(change({learner(4)})).code() ==
          StatusCode::kFailedPrecondition);
    net.allow_all_types();
    net.tick(2);
    net.stabilize();
    CHECK(net.node(2).propose_conf_change(change({learner(4)})).is_ok());
}

TEST_CASE("Membership: an invalid change is refused when proposed", "[raft]") {
    QuietLogs quiet;
    Network net({1, 2, 3});
    net.elect(1);
    struct Case {
        ConfChange proposal;
        StatusCode code;
    };
    std::vector<Case> cases = {
        {change({remove(1), remove(2), remove(3)}), StatusCode::kInvalidArgument},
        {change({add(4), add(5)}, ConfChangeTransition::kAuto), StatusCode::kOk},
    };
    CHECK(net.node(1).propose_conf_change(change({})).code() == StatusCode::kFailedPrecondition);
    for (std::size_t i = 0; i < cases.size(); ++i) {
        INFO("case " << i);
        CHECK(net.node(1).propose_conf_change(cases[i].proposal).code() == cases[i].code);
    }
}

TEST_CASE("Membership: joint consensus with auto leave ends in C_new on every member", "[raft]") {
    QuietLogs quiet;
    Network net({1, 2, 3});
    net.add_member(4, bootstrap());
    net.add_member(5, bootstrap());
    net.elect(1);
    REQUIRE(net.node(1).propose_conf_change(change({add(4), add(5), remove(3)})).is_ok());
    net.stabilize();
    for (NodeId id : {1, 2, 4, 5}) {
        INFO("member " << id);
        const ConfState& conf = net.member(id).conf_state;
        CHECK(conf.voters == std::vector<NodeId>{1, 2, 4, 5});
        CHECK(conf.voters_outgoing.empty());
        CHECK_FALSE(conf.auto_leave);
    }
    // Two conf entries were applied: enter joint, then the leader's leave entry.
    std::size_t conf_entries = 0;
    for (const Entry& entry : net.member(2).applied) {
        conf_entries += entry.type == EntryType::kConfChange ? 1 : 0;
    }
    CHECK(conf_entries == 2);
}

TEST_CASE("Membership: an explicit joint config stays joint until the empty change", "[raft]") {
    QuietLogs quiet;
    Network net({1, 2, 3});
    net.add_member(4, bootstrap());
    net.elect(1);
    REQUIRE(net.node(1)
                .propose_conf_change(change({add(4)}, ConfChangeTransition::kJointExplicit))
                .is_ok());
    net.stabilize();
    CHECK(net.member(1).conf_state.voters_outgoing == std::vector<NodeId>{1, 2, 3});
    CHECK(net.member(1).conf_state.voters == std::vector<NodeId>{1, 2, 3, 4});
    CHECK(net.node(1).propose_conf_change(change({add(5)})).code() ==
          StatusCode::kFailedPrecondition);
    REQUIRE(net.node(1).propose_conf_change(change({})).is_ok());
    net.stabilize();
    CHECK(net.member(4).conf_state.voters_outgoing.empty());
    CHECK(net.member(4).conf_state.voters == std::vector<NodeId>{1, 2, 3, 4});
}

TEST_CASE("Membership: a joint config needs a majority of both halves to commit", "[raft]") {
    QuietLogs quiet;
    Network net({1, 2, 3});
    for (NodeId id : {4, 5, 6}) net.add_member(id, bootstrap());
    net.elect(1);
    REQUIRE(net.node(1)
                .propose_conf_change(change({add(4), add(5), add(6), remove(2), remove(3)},
                                            ConfChangeTransition::kJointExplicit))
                .is_ok());
    net.stabilize();
    REQUIRE(net.member(1).conf_state.voters_outgoing == std::vector<NodeId>{1, 2, 3});
    // C_new = {1,4,5,6} has a majority without 2 and 3, but C_old = {1,2,3} does not.
    net.isolate(2);
    net.isolate(3);
    REQUIRE(net.node(1).propose("x").is_ok());
    net.stabilize();
    Index last = net.node(1).status().last_index;
    CHECK(net.node(1).status().hard_state.commit < last);
    net.heal();
    net.tick(1);
    net.stabilize();
    CHECK(net.node(1).status().hard_state.commit == last);
}

TEST_CASE("Membership: a learner replicates but never votes or counts", "[raft]") {
    QuietLogs quiet;
    Network net({1, 2, 3});
    net.add_member(4, bootstrap());
    net.elect(1);
    REQUIRE(net.node(1).propose_conf_change(change({learner(4)})).is_ok());
    net.stabilize();
    CHECK(net.member(4).conf_state.learners == std::vector<NodeId>{4});
    REQUIRE(net.node(1).propose("x").is_ok());
    net.stabilize();
    CHECK(net.member(4).applied.back().data == "x");
    // Leader plus the learner are not a quorum of {1,2,3}.
    net.isolate(2);
    net.isolate(3);
    REQUIRE(net.node(1).propose("y").is_ok());
    net.stabilize();
    CHECK(net.member(4).applied.back().data == "x");
    // The learner never campaigns.
    net.heal();
    net.isolate(1);
    net.tick(4, 50);
    CHECK(net.node(4).status().soft_state.role == Role::kFollower);
    // Promotion to voter.
    net.heal();
    net.tick(1);
    net.stabilize();
    REQUIRE(net.node(1).propose_conf_change(change({add(4)})).is_ok());
    net.stabilize();
    CHECK(net.member(4).conf_state.voters == std::vector<NodeId>{1, 2, 3, 4});
    CHECK(net.member(4).conf_state.learners.empty());
}

TEST_CASE("Membership: a voter demoted in a joint config becomes a learner on leaving", "[raft]") {
    QuietLogs quiet;
    Network net({1, 2, 3});
    net.elect(1);
    REQUIRE(net.node(1)
                .propose_conf_change(change({learner(3)}, ConfChangeTransition::kJointExplicit))
                .is_ok());
    net.stabilize();
    CHECK(net.member(2).conf_state.learners_next == std::vector<NodeId>{3});
    REQUIRE(net.node(1).propose_conf_change(change({})).is_ok());
    net.stabilize();
    CHECK(net.member(2).conf_state.learners == std::vector<NodeId>{3});
    CHECK(net.member(2).conf_state.voters == std::vector<NodeId>{1, 2});
    CHECK(net.node(3).raft().is_learner());
}

TEST_CASE("Membership: a removed leader steps down once the change is applied", "[raft]") {
    QuietLogs quiet;
    Network net({1, 2, 3});
    net.elect(1);
    REQUIRE(net.node(1).propose_conf_change(change({remove(1)})).is_ok());
    net.stabilize();
    CHECK(net.node(1).status().soft_state.role == Role::kFollower);
    CHECK(net.member(2).conf_state.voters == std::vector<NodeId>{2, 3});
    net.tick(2, 20);
    net.stabilize();
    NodeId leader = net.leader();
    CHECK((leader == 2 || leader == 3));
    // The removed member does not campaign.
    Term term = net.node(1).status().hard_state.term;
    net.isolate(1);
    net.tick(1, 50);
    CHECK(net.node(1).status().hard_state.term == term);
}

}  // namespace
}  // namespace consensus::raft
