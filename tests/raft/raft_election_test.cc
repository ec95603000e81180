// Leader election [Raft §5.2], vote persistence, PreVote [thesis §9.6] and
// CheckQuorum with leader stickiness [thesis §6.2].
#include <catch2/catch.hpp>
#include <vector>

#include "raft/raft.h"
#include "raft/support/network.h"

namespace consensus::raft {
namespace {

using test::FixedRandom;
using test::Network;
using test::of_type;
using test::QuietLogs;
using test::Solo;

void enable_pre_vote(Config& config) {
    config.pre_vote = true;
}
void enable_check_quorum(Config& config) {
    config.check_quorum = true;
}

Message vote_response(NodeId from, Term term, bool reject,
                      MessageType type = MessageType::kRequestVoteResponse) {
    Message message;
    message.type = type;
    message.from = from;
    message.to = 1;
    message.term = term;
    message.reject = reject;
    return message;
}

TEST_CASE("RawNode: a campaigning member of three becomes leader when the others vote", "[raft]") {
    QuietLogs quiet;
    Network net({1, 2, 3});
    net.elect(1);
    CHECK(net.node(1).status().soft_state.role == Role::kLeader);
    CHECK(net.node(2).status().soft_state.leader_id == 1);
    CHECK(net.node(3).status().soft_state.leader_id == 1);
    for (NodeId id : {1, 2, 3}) {
        INFO("member " << id);
        CHECK(net.node(id).status().hard_state.commit == 1);
        CHECK(net.member(id).applied.size() == 1);
    }
    net.check_invariants();
}

TEST_CASE("Raft: election outcome follows the votes when responses arrive", "[raft]") {
    QuietLogs quiet;
    struct Case {
        std::vector<NodeId> voters;
        std::vector<std::pair<NodeId, bool>> votes;
        Role role;
    };
    std::vector<Case> cases = {
        {{1}, {}, Role::kLeader},
        {{1, 2}, {{2, true}}, Role::kLeader},
        {{1, 2}, {{2, false}}, Role::kFollower},
        {{1, 2, 3}, {{2, true}}, Role::kLeader},
        {{1, 2, 3}, {{2, false}}, Role::kCandidate},
        {{1, 2, 3}, {{2, false}, {3, false}}, Role::kFollower},
        {{1, 2, 3, 4, 5}, {{2, true}}, Role::kCandidate},
        {{1, 2, 3, 4, 5}, {{2, true}, {3, true}}, Role::kLeader},
        {{1, 2, 3, 4, 5}, {{2, false}, {3, false}, {4, false}}, Role::kFollower},
    };
    for (std::size_t i = 0; i < cases.size(); ++i) {
        INFO("case " << i);
        Solo solo(1, cases[i].voters);
        solo.node().campaign();
        solo.drain();
        for (auto [from, granted] : cases[i].votes) solo.step(vote_response(from, 1, !granted));
        CHECK(solo.node().status().soft_state.role == cases[i].role);
        solo.check_invariants();
    }
}

TEST_CASE("Raft: randomized election timeout stays in range for every random value", "[raft]") {
    QuietLogs quiet;
    for (std::uint64_t value : {0, 1, 5, 9, 10, 19, 12345}) {
        INFO("random value " << value);
        MemoryStorage storage;
        ConfState conf;
        conf.voters = {1, 2, 3};
        storage.set_conf_state(conf);
        FixedRandom random(value);
        auto node = RawNode::create(test::test_config(1, &storage, &random));
        REQUIRE(node.is_ok());
        int timeout = node.value()->raft().randomized_election_timeout();
        CHECK(timeout >= 10);
        CHECK(timeout < 20);
        CHECK(timeout == 10 + static_cast<int>(value % 10));
    }
}

TEST_CASE("Raft: a granted vote is persisted in the hard state before the response is sent",
          "[raft]") {
    QuietLogs quiet;
    Solo solo(1, {1, 2, 3});
    Message request;
    request.type = MessageType::kRequestVote;
    request.from = 2;
    request.to = 1;
    request.term = 3;
    REQUIRE(solo.node().step(request).is_ok());
    REQUIRE(solo.node().has_ready());
    Ready ready = solo.node().ready();
    REQUIRE(ready.hard_state.has_value());
    CHECK(ready.hard_state->term == 3);
    CHECK(ready.hard_state->vote == 2);
    CHECK(ready.must_sync);
    // The response waits for persistence: it is not in messages_before_persist.
    CHECK(ready.messages_before_persist.empty());
    REQUIRE(ready.messages.size() == 1);
    CHECK(ready.messages[0].type == MessageType::kRequestVoteResponse);
    CHECK_FALSE(ready.messages[0].reject);
    solo.storage().set_hard_state(*ready.hard_state);
    solo.node().advance();
    // A second candidate in the same term is refused.
    request.from = 3;
    auto sent = solo.step(request);
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].reject);
}

TEST_CASE("Raft: a restarted member keeps its term and vote when storage holds them", "[raft]") {
    QuietLogs quiet;
    MemoryStorage storage;
    ConfState conf;
    conf.voters = {1, 2, 3};
    storage.set_conf_state(conf);
    storage.set_hard_state(HardState{5, 2, 0});
    FixedRandom random;
    auto node = RawNode::create(test::test_config(1, &storage, &random));
    REQUIRE(node.is_ok());
    NodeStatus status = node.value()->status();
    CHECK(status.hard_state.term == 5);
    CHECK(status.hard_state.vote == 2);
    Message request;
    request.type = MessageType::kRequestVote;
    request.from = 3;
    request.to = 1;
    request.term = 5;
    REQUIRE(node.value()->step(request).is_ok());
    Ready ready = node.value()->ready();
    REQUIRE(ready.messages.size() == 1);
    CHECK(ready.messages[0].reject);
}

TEST_CASE("Raft: create refuses a hard state whose commit lies beyond the log", "[raft]") {
    MemoryStorage storage;
    storage.set_hard_state(HardState{1, 0, 5});
    FixedRandom random;
    auto node = RawNode::create(test::test_config(1, &storage, &random));
    REQUIRE_FALSE(node.is_ok());
    CHECK(node.status().code() == StatusCode::kCorruption);
}

TEST_CASE("Raft: create starts from the applied index when the recorded commit lags it", "[raft]") {
    // The commit index is recorded only now and then (ready.h step 2), so a member may
    // restart with a snapshot taken past it, and with entries kept before the snapshot
    // for lagging followers. What was applied was committed.
    MemoryStorage storage;
    Snapshot snapshot;
    snapshot.metadata.index = 4;
    snapshot.metadata.term = 2;
    snapshot.metadata.conf_state.voters = {1};
    REQUIRE(storage.apply_snapshot(snapshot).is_ok());
    std::vector<Entry> entries;
    for (Index index = 5; index <= 12; ++index)
        entries.push_back(Entry{2, index, EntryType::kNormal, ""});
    REQUIRE(storage.append(entries).is_ok());
    storage.set_hard_state(HardState{2, 0, 6});
    FixedRandom random;
    Config config = test::test_config(1, &storage, &random);
    config.applied = 10;
    auto node = RawNode::create(config);
    REQUIRE(node.is_ok());
    CHECK(node.value()->status().hard_state.commit == 10);
    CHECK(node.value()->status().hard_state.term == 2);

    config.applied = 13;
    auto beyond = RawNode::create(config);
    REQUIRE_FALSE(beyond.is_ok());
    CHECK(beyond.status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("Raft: a learner never campaigns when its election timeout passes", "[raft]") {
    QuietLogs quiet;
    MemoryStorage storage;
    ConfState conf;
    conf.voters = {1};
    conf.learners = {2};
    storage.set_conf_state(conf);
    FixedRandom random;
    auto node = RawNode::create(test::test_config(2, &storage, &random));
    REQUIRE(node.is_ok());
    for (int i = 0; i < 100; ++i) node.value()->tick();
    CHECK(node.value()->status().soft_state.role == Role::kFollower);
    CHECK(node.value()->status().hard_state.term == 0);
}

TEST_CASE("PreVote: a pre-candidate keeps its term when the PreVote round fails", "[raft]") {
    QuietLogs quiet;
    Network net({1, 2, 3}, enable_pre_vote);
    net.elect(1);
    Term term = net.node(1).status().hard_state.term;
    net.isolate(3);
    net.tick(3, 40);
    net.stabilize();
    // Without PreVote member 3 would be at a much higher term by now.
    CHECK(net.node(3).status().hard_state.term == term);
    CHECK(net.node(3).status().soft_state.role == Role::kPreCandidate);
    net.heal();
    net.tick(1, 1);
    net.stabilize();
    // Rejoining does not depose the leader.
    CHECK(net.leader() == 1);
    CHECK(net.node(1).status().hard_state.term == term);
    CHECK(net.node(3).status().soft_state.leader_id == 1);
}

TEST_CASE("PreVote: a successful PreVote round increments the term exactly once", "[raft]") {
    QuietLogs quiet;
    Network net({1, 2, 3}, enable_pre_vote);
    net.process_all();
    net.node(1).campaign();
    net.process_ready(1);
    // PreVote requests ask about term 1 without adopting it.
    std::vector<Message> requests = net.take(MessageType::kRequestPreVote, 1);
    REQUIRE(requests.size() == 2);
    CHECK(requests[0].term == 1);
    CHECK(net.node(1).status().hard_state.term == 0);
    for (const Message& request : requests) net.deliver(request);
    net.stabilize();
    CHECK(net.leader() == 1);
    CHECK(net.node(1).status().hard_state.term == 1);
}

TEST_CASE("PreVote: a member with a stale log cannot win the PreVote round", "[raft]") {
    QuietLogs quiet;
    Network net({1, 2, 3}, enable_pre_vote);
    net.elect(1);
    net.isolate(3);
    REQUIRE(net.node(1).propose("x").is_ok());
    net.stabilize();
    net.heal();
    // Member 1 stops; member 3, which lacks "x", campaigns and is refused.
    net.isolate(1);
    net.node(3).campaign();
    net.stabilize();
    CHECK(net.node(3).status().soft_state.role != Role::kLeader);
    net.node(2).campaign();
    net.stabilize();
    CHECK(net.leader() == 2);
}

TEST_CASE("CheckQuorum: a leader steps down when it hears from no quorum for an election timeout",
          "[raft]") {
    QuietLogs quiet;
    Network net({1, 2, 3}, enable_check_quorum);
    net.elect(1);
    net.isolate(1);
    net.tick(1, 10);
    CHECK(net.node(1).status().soft_state.role == Role::kLeader);  // the first round marks
    net.tick(1, 10);
    CHECK(net.node(1).status().soft_state.role == Role::kFollower);
}

TEST_CASE("CheckQuorum: a leader keeps leading when a quorum answers heartbeats", "[raft]") {
    QuietLogs quiet;
    Network net({1, 2, 3}, enable_check_quorum);
    net.elect(1);
    net.isolate(3);
    for (int i = 0; i < 30; ++i) {
        net.tick(1);
        net.stabilize();
    }
    CHECK(net.leader() == 1);
}

TEST_CASE("CheckQuorum: a follower ignores a vote request while it hears from its leader",
          "[raft]") {
    QuietLogs quiet;
    Network net({1, 2, 3}, enable_check_quorum);
    net.elect(1);
    Term term = net.node(1).status().hard_state.term;
    net.isolate(3);
    net.tick(3, 20);  // member 3 campaigns at a higher term, alone
    Term partitioned_term = net.node(3).status().hard_state.term;
    REQUIRE(partitioned_term > term);
    net.heal();
    std::vector<Message> requests = net.take(MessageType::kRequestVote, 3);
    REQUIRE_FALSE(requests.empty());
    net.queue().clear();
    // Leader stickiness: member 2 heard from the leader within the election timeout.
    for (const Message& request : requests) {
        if (request.to == 2) net.deliver(request);
    }
    CHECK(net.node(2).status().hard_state.term == term);
    CHECK(net.node(2).status().soft_state.leader_id == 1);
}

TEST_CASE("CheckQuorum: a stale-term append is answered so the old leader learns the term",
          "[raft]") {
    QuietLogs quiet;
    Solo solo(1, {1, 2, 3}, enable_check_quorum);
    Message raise;
    raise.type = MessageType::kHeartbeat;
    raise.from = 2;
    raise.to = 1;
    raise.term = 5;
    solo.step(raise);
    Message stale;
    stale.type = MessageType::kAppend;
    stale.from = 3;
    stale.to = 1;
    stale.term = 2;
    auto sent = solo.step(stale);
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].type == MessageType::kAppendResponse);
    CHECK(sent[0].to == 3);
    CHECK(sent[0].term == 5);
}

TEST_CASE("Raft: a member with unapplied conf changes does not campaign", "[raft]") {
    QuietLogs quiet;
    Solo solo(1, {1, 2, 3});
    Message append;
    append.type = MessageType::kAppend;
    append.from = 2;
    append.to = 1;
    append.term = 1;
    append.commit = 1;
    append.entries.push_back(
        Entry{1, 1, EntryType::kConfChange,
              encode_conf_change(ConfChange{{{ConfChangeType::kAddLearnerNode, 4}}, "", {}})});
    REQUIRE(solo.node().step(append).is_ok());
    // The entry is committed but not yet applied (no Ready handled).
    solo.node().campaign();
    CHECK(solo.node().status().hard_state.term == 1);
    CHECK(solo.node().status().soft_state.role == Role::kFollower);
    solo.drain();
    solo.node().campaign();
    CHECK(solo.node().status().soft_state.role == Role::kCandidate);
}

}  // namespace
}  // namespace consensus::raft
