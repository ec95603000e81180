#include "raft/quorum.h"

#include <catch2/catch.hpp>
#include <limits>
#include <map>
#include <vector>

namespace consensus::raft {
namespace {

TEST_CASE("Quorum: majority committed index is the quorum-th highest match", "[raft]") {
    struct Case {
        MajorityConfig voters;
        std::map<NodeId, Index> acked;
        Index committed;
    };
    std::vector<Case> cases = {
        {{1}, {{1, 5}}, 5},
        {{1, 2}, {{1, 5}, {2, 3}}, 3},
        {{1, 2, 3}, {{1, 5}, {2, 3}}, 3},
        {{1, 2, 3}, {{1, 5}}, 0},
        {{1, 2, 3, 4}, {{1, 5}, {2, 4}, {3, 3}, {4, 2}}, 3},
        {{1, 2, 3, 4, 5}, {{1, 9}, {2, 8}, {3, 7}, {4, 1}, {5, 1}}, 7},
        // Acks from non-voters are ignored.
        {{1, 2, 3}, {{1, 5}, {7, 9}, {8, 9}}, 0},
        {{}, {}, std::numeric_limits<Index>::max()},
    };
    for (std::size_t i = 0; i < cases.size(); ++i) {
        INFO("case " << i);
        CHECK(majority_committed_index(cases[i].voters, cases[i].acked) == cases[i].committed);
    }
}

TEST_CASE("Quorum: majority vote result is won, lost or pending by counts", "[raft]") {
    struct Case {
        MajorityConfig voters;
        std::map<NodeId, bool> votes;
        VoteResult result;
    };
    std::vector<Case> cases = {
        {{}, {}, VoteResult::kWon},
        {{1}, {}, VoteResult::kPending},
        {{1}, {{1, true}}, VoteResult::kWon},
        {{1}, {{1, false}}, VoteResult::kLost},
        {{1, 2, 3}, {{1, true}}, VoteResult::kPending},
        {{1, 2, 3}, {{1, true}, {2, true}}, VoteResult::kWon},
        {{1, 2, 3}, {{1, true}, {2, false}}, VoteResult::kPending},
        {{1, 2, 3}, {{1, false}, {2, false}}, VoteResult::kLost},
        {{1, 2, 3, 4}, {{1, true}, {2, true}, {3, false}}, VoteResult::kPending},
        {{1, 2, 3, 4}, {{1, true}, {2, false}, {3, false}}, VoteResult::kLost},
    };
    for (std::size_t i = 0; i < cases.size(); ++i) {
        INFO("case " << i);
        CHECK(majority_vote_result(cases[i].voters, cases[i].votes) == cases[i].result);
    }
}

TEST_CASE("Quorum: joint decisions need both halves when the config is joint", "[raft]") {
    JointConfig joint{{1, 2, 3}, {3, 4, 5}};
    // 1, 2 ack 9: incoming commits 9 but outgoing only has 3 at 9.
    std::map<NodeId, Index> acked = {{1, 9}, {2, 9}, {3, 5}, {4, 5}, {5, 1}};
    CHECK(joint_committed_index(joint, acked) == 5);
    CHECK(joint_vote_result(joint, {{1, true}, {2, true}}) == VoteResult::kPending);
    CHECK(joint_vote_result(joint, {{1, true}, {2, true}, {4, true}, {5, true}}) ==
          VoteResult::kWon);
    CHECK(joint_vote_result(joint, {{1, true}, {2, true}, {4, false}, {5, false}}) ==
          VoteResult::kLost);
    JointConfig simple{{1, 2, 3}, {}};
    CHECK(joint_committed_index(simple, acked) == 9);
    CHECK(joint.ids() == std::set<NodeId>{1, 2, 3, 4, 5});
}

}  // namespace
}  // namespace consensus::raft
