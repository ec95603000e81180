// One test per claim of the Raft paper [Raft §5, §8], named by section (after etcd
// raft's raft_paper_test.go). Each drives a core by hand or a small in-process
// cluster and ends with the invariant checks (Solo and Network run them on every
// Ready).
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "raft/raft.h"
#include "raft/support/network.h"

namespace consensus::raft {
namespace {

using test::Network;
using test::of_type;
using test::QuietLogs;
using test::Solo;

Message message(MessageType type, NodeId from, NodeId to, Term term) {
    Message m;
    m.type = type;
    m.from = from;
    m.to = to;
    m.term = term;
    return m;
}

// Makes solo (member 1 of {1,2,3}) the leader of term 1 with its no-op durable.
void make_leader(Solo& solo) {
    solo.node().campaign();
    solo.drain();
    solo.step(message(MessageType::kRequestVoteResponse, 2, 1, 1));
    REQUIRE(solo.node().status().soft_state.role == Role::kLeader);
}

Message append_response(NodeId from, Term term, Index index) {
    Message m = message(MessageType::kAppendResponse, from, 1, term);
    m.index = index;
    return m;
}

TEST_CASE("5.1: a member adopts a higher term it sees and becomes follower", "[paper]") {
    QuietLogs quiet;
    for (Role role : {Role::kFollower, Role::kCandidate, Role::kLeader}) {
        INFO(role_name(role));
        Solo solo(1, {1, 2, 3});
        if (role == Role::kCandidate) {
            solo.node().campaign();
            solo.drain();
        }
        if (role == Role::kLeader) make_leader(solo);
        solo.step(message(MessageType::kAppend, 2, 1, 5));
        NodeStatus status = solo.node().status();
        CHECK(status.hard_state.term == 5);
        CHECK(status.soft_state.role == Role::kFollower);
        CHECK(status.soft_state.leader_id == 2);
    }
}

TEST_CASE("5.1: a member ignores a request with a stale term", "[paper]") {
    QuietLogs quiet;
    Solo solo(1, {1, 2, 3});
    solo.step(message(MessageType::kHeartbeat, 2, 1, 3));
    Message stale = message(MessageType::kAppend, 3, 1, 2);
    stale.entries.push_back(Entry{2, 1, EntryType::kNormal, "stale"});
    auto sent = solo.step(stale);
    CHECK(sent.empty());
    CHECK(solo.node().status().last_index == 0);
    CHECK(solo.node().status().soft_state.leader_id == 2);
}

TEST_CASE("5.2: a server starts as a follower", "[paper]") {
    QuietLogs quiet;
    Solo solo(1, {1, 2, 3});
    NodeStatus status = solo.node().status();
    CHECK(status.soft_state.role == Role::kFollower);
    CHECK(status.hard_state.term == 0);
    CHECK(status.soft_state.leader_id == kNoNode);
}

TEST_CASE("5.2: a leader sends heartbeats to every follower each heartbeat interval", "[paper]") {
    QuietLogs quiet;
    Solo solo(1, {1, 2, 3});
    make_leader(solo);
    auto sent = solo.tick(1);
    auto heartbeats = of_type(sent, MessageType::kHeartbeat);
    REQUIRE(heartbeats.size() == 2);
    CHECK(heartbeats[0].to == 2);
    CHECK(heartbeats[1].to == 3);
    CHECK(heartbeats[0].term == 1);
}

TEST_CASE("5.2: a follower starts an election when it hears nothing for the election timeout",
          "[paper]") {
    QuietLogs quiet;
    Solo solo(1, {1, 2, 3});
    CHECK(of_type(solo.tick(9), MessageType::kRequestVote).empty());
    auto votes = of_type(solo.tick(1), MessageType::kRequestVote);
    CHECK(votes.size() == 2);
    CHECK(solo.node().status().soft_state.role == Role::kCandidate);
}

TEST_CASE("5.2: a heartbeat from the leader resets the follower's election timer", "[paper]") {
    QuietLogs quiet;
    Solo solo(1, {1, 2, 3});
    solo.tick(9);
    solo.step(message(MessageType::kHeartbeat, 2, 1, 1));
    CHECK(of_type(solo.tick(9), MessageType::kRequestVote).empty());
    CHECK(solo.node().status().soft_state.role == Role::kFollower);
}

TEST_CASE("5.2: a candidate increments its term, votes for itself and requests votes", "[paper]") {
    QuietLogs quiet;
    Solo solo(1, {1, 2, 3});
    auto sent = solo.tick(10);
    NodeStatus status = solo.node().status();
    CHECK(status.hard_state.term == 1);
    CHECK(status.hard_state.vote == 1);
    CHECK(solo.storage().hard_state().vote == 1);  // persisted before the requests leave
    auto votes = of_type(sent, MessageType::kRequestVote);
    REQUIRE(votes.size() == 2);
    for (const Message& vote : votes) {
        CHECK(vote.term == 1);
        CHECK(vote.index == 0);
        CHECK(vote.log_term == 0);
    }
}

TEST_CASE("5.2: a candidate wins with votes from a majority of the cluster", "[paper]") {
    QuietLogs quiet;
    struct Case {
        std::vector<NodeId> voters;
        std::vector<NodeId> granting;
        Role role;
    };
    std::vector<Case> cases = {
        {{1}, {}, Role::kLeader},
        {{1, 2, 3}, {2}, Role::kLeader},
        {{1, 2, 3}, {}, Role::kCandidate},
        {{1, 2, 3, 4, 5}, {2}, Role::kCandidate},
        {{1, 2, 3, 4, 5}, {2, 3}, Role::kLeader},
    };
    for (std::size_t i = 0; i < cases.size(); ++i) {
        INFO("case " << i);
        Solo solo(1, cases[i].voters);
        solo.node().campaign();
        solo.drain();
        for (NodeId from : cases[i].granting)
            solo.step(message(MessageType::kRequestVoteResponse, from, 1, 1));
        CHECK(solo.node().status().soft_state.role == cases[i].role);
    }
}

TEST_CASE("5.2: a follower grants at most one vote per term, first come first served", "[paper]") {
    QuietLogs quiet;
    Solo solo(1, {1, 2, 3});
    auto first = solo.step(message(MessageType::kRequestVote, 2, 1, 1));
    REQUIRE(first.size() == 1);
    CHECK_FALSE(first[0].reject);
    auto second = solo.step(message(MessageType::kRequestVote, 3, 1, 1));
    REQUIRE(second.size() == 1);
    CHECK(second[0].reject);
    auto repeat = solo.step(message(MessageType::kRequestVote, 2, 1, 1));
    REQUIRE(repeat.size() == 1);
    CHECK_FALSE(repeat[0].reject);  // a retransmitted request gets the same answer
}

TEST_CASE("5.2: a candidate becomes follower on AppendEntries from a leader of its term",
          "[paper]") {
    QuietLogs quiet;
    Solo solo(1, {1, 2, 3});
    solo.node().campaign();
    solo.drain();
    solo.step(message(MessageType::kAppend, 2, 1, 1));
    CHECK(solo.node().status().soft_state.role == Role::kFollower);
    CHECK(solo.node().status().soft_state.leader_id == 2);
    CHECK(solo.node().status().hard_state.term == 1);
}

TEST_CASE("5.2: a candidate starts a new election when the election times out", "[paper]") {
    QuietLogs quiet;
    Solo solo(1, {1, 2, 3});
    solo.tick(10);
    REQUIRE(solo.node().status().hard_state.term == 1);
    auto votes = of_type(solo.tick(10), MessageType::kRequestVote);
    CHECK(solo.node().status().hard_state.term == 2);
    CHECK(votes.size() == 2);
}

TEST_CASE("5.2: election timeouts are randomized so that members rarely collide", "[paper]") {
    QuietLogs quiet;
    std::set<int> timeouts;
    for (std::uint64_t seed = 1; seed <= 50; ++seed) {
        MemoryStorage storage;
        ConfState conf;
        conf.voters = {1, 2, 3};
        storage.set_conf_state(conf);
        test::SeededRandom random(seed);
        auto node = RawNode::create(test::test_config(1, &storage, &random));
        REQUIRE(node.is_ok());
        int ticks = 0;
        while (node.value()->status().soft_state.role == Role::kFollower && ticks < 100) {
            node.value()->tick();
            ++ticks;
        }
        CHECK(ticks >= 10);
        CHECK(ticks < 20);
        timeouts.insert(ticks);
    }
    CHECK(timeouts.size() > 5);
}

TEST_CASE("5.3: a leader appends a proposal to its log and sends AppendEntries", "[paper]") {
    QuietLogs quiet;
    Solo solo(1, {1, 2, 3});
    make_leader(solo);
    solo.step(append_response(2, 1, 1));
    solo.step(append_response(3, 1, 1));
    REQUIRE(solo.node().propose("cmd").is_ok());
    auto appends = of_type(solo.drain(), MessageType::kAppend);
    REQUIRE(appends.size() == 2);
    for (const Message& append : appends) {
        CHECK(append.index == 1);
        CHECK(append.log_term == 1);
        REQUIRE(append.entries.size() == 1);
        CHECK(append.entries[0] == Entry{1, 2, EntryType::kNormal, "cmd"});
    }
    CHECK(solo.storage().last_index() == 2);
}

TEST_CASE("5.3: a leader commits an entry once a majority stores it and applies it", "[paper]") {
    QuietLogs quiet;
    Solo solo(1, {1, 2, 3, 4, 5});
    solo.node().campaign();
    solo.drain();
    solo.step(message(MessageType::kRequestVoteResponse, 2, 1, 1));
    solo.step(message(MessageType::kRequestVoteResponse, 3, 1, 1));
    REQUIRE(solo.node().status().soft_state.role == Role::kLeader);
    solo.step(append_response(2, 1, 1));
    CHECK(solo.node().status().hard_state.commit == 0);  // 2 of 5
    solo.step(append_response(3, 1, 1));
    CHECK(solo.node().status().hard_state.commit == 1);  // 3 of 5
    REQUIRE(solo.applied().size() == 1);
    CHECK(solo.applied()[0].index == 1);
}

TEST_CASE("5.3: a leader's commit index reaches followers in later AppendEntries", "[paper]") {
    QuietLogs quiet;
    Network net({1, 2, 3});
    net.elect(1);
    REQUIRE(net.node(1).propose("x").is_ok());
    net.stabilize();
    for (NodeId id : {2, 3}) {
        INFO("member " << id);
        CHECK(net.node(id).status().hard_state.commit == 2);
        CHECK(net.member(id).applied.back().data == "x");
    }
}

TEST_CASE("5.3: a follower refuses AppendEntries when its log lacks the previous entry",
          "[paper]") {
    QuietLogs quiet;
    struct Case {
        Index index;
        Term log_term;
        bool reject;
    };
    // Follower log: 1:1 2:2.
    std::vector<Case> cases = {
        {0, 0, false}, {1, 1, false}, {2, 2, false}, {2, 1, true}, {3, 2, true}};
    for (const Case& c : cases) {
        INFO("prev (" << c.index << ", " << c.log_term << ")");
        Solo solo(1, {1, 2, 3});
        Message seed = message(MessageType::kAppend, 2, 1, 2);
        seed.entries = {Entry{1, 1, EntryType::kNormal, "a"}, Entry{2, 2, EntryType::kNormal, "b"}};
        solo.step(seed);
        Message append = message(MessageType::kAppend, 2, 1, 2);
        append.index = c.index;
        append.log_term = c.log_term;
        auto sent = solo.step(append);
        REQUIRE(sent.size() == 1);
        CHECK(sent[0].reject == c.reject);
    }
}

TEST_CASE("5.3: a follower deletes a conflicting entry and all that follow it", "[paper]") {
    QuietLogs quiet;
    struct Case {
        Index index;
        Term log_term;
        std::vector<Entry> entries;
        std::vector<Term> terms;
    };
    // Follower log: 1:1 2:2 3:2 (etcd TestFollowerAppendEntries).
    std::vector<Case> cases = {
        {2, 2, {Entry{3, 3, EntryType::kNormal, "x"}}, {1, 2, 3}},
        {1,
         1,
         {Entry{3, 2, EntryType::kNormal, "x"}, Entry{4, 3, EntryType::kNormal, "y"}},
         {1, 3, 4}},
        {0, 0, {Entry{1, 1, EntryType::kNormal, "a"}}, {1, 2, 2}},
        {0, 0, {Entry{3, 1, EntryType::kNormal, "x"}}, {3}},
    };
    for (std::size_t i = 0; i < cases.size(); ++i) {
        INFO("case " << i);
        Solo solo(1, {1, 2, 3});
        Message seed = message(MessageType::kAppend, 2, 1, 2);
        seed.entries = {Entry{1, 1, EntryType::kNormal, "a"}, Entry{2, 2, EntryType::kNormal, "b"},
                        Entry{2, 3, EntryType::kNormal, "c"}};
        solo.step(seed);
        Message append = message(MessageType::kAppend, 2, 1, 4);
        append.index = cases[i].index;
        append.log_term = cases[i].log_term;
        append.entries = cases[i].entries;
        solo.step(append);
        std::vector<Term> terms;
        for (const Entry& entry : solo.node().log_entries()) terms.push_back(entry.term);
        CHECK(terms == cases[i].terms);
        CHECK(solo.storage().last_index() == cases[i].terms.size());
    }
}

TEST_CASE("5.3: a leader backs next_index up until the follower's log matches", "[paper]") {
    QuietLogs quiet;
    // Figure 7 (f): the follower holds entries of terms 2 and 3 the leader never had.
    const std::vector<Term> leader = {1, 1, 1, 4, 4, 5, 5, 6, 6, 6};
    const std::vector<Term> follower = {1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3};
    Network net({1, 2, 3}, {}, [&](NodeId id, MemoryStorage& storage) {
        storage.set_hard_state(HardState{8, kNoNode, 0});
        const std::vector<Term>& terms = id == 1   ? leader
                                         : id == 2 ? follower
                                                   : std::vector<Term>{};
        std::vector<Entry> entries;
        for (std::size_t i = 0; i < terms.size(); ++i) {
            entries.push_back(Entry{terms[i], i + 1, EntryType::kNormal,
                                    i < 3 ? "shared" : "t" + std::to_string(terms[i])});
        }
        REQUIRE(storage.append(entries).is_ok());
    });
    net.elect(1);
    REQUIRE(net.leader() == 1);
    CHECK(net.node(2).log_entries() == net.node(1).log_entries());
}

TEST_CASE("5.4.1: a voter rejects a candidate whose log is less up-to-date", "[paper]") {
    QuietLogs quiet;
    struct Case {
        Index index;
        Term log_term;
        bool granted;
    };
    // Voter log: 1:2 2:2 (etcd TestVoter).
    std::vector<Case> cases = {
        {2, 2, true},   // same
        {3, 2, true},   // longer
        {1, 2, false},  // shorter
        {1, 3, true},   // later last term
        {3, 1, false},  // earlier last term, however long
    };
    for (const Case& c : cases) {
        INFO("candidate last (" << c.index << ", " << c.log_term << ")");
        Solo solo(1, {1, 2, 3});
        Message seed = message(MessageType::kAppend, 2, 1, 2);
        seed.entries = {Entry{2, 1, EntryType::kNormal, "a"}, Entry{2, 2, EntryType::kNormal, "b"}};
        solo.step(seed);
        Message request = message(MessageType::kRequestVote, 3, 1, 3);
        request.index = c.index;
        request.log_term = c.log_term;
        auto sent = solo.step(request);
        REQUIRE(sent.size() == 1);
        CHECK(sent[0].reject == !c.granted);
    }
}

TEST_CASE("5.4.2: a leader commits an earlier term's entry only with one of its own term",
          "[paper]") {
    QuietLogs quiet;
    MemoryStorage storage;
    ConfState conf;
    conf.voters = {1, 2, 3};
    storage.set_conf_state(conf);
    REQUIRE(
        storage.append({Entry{1, 1, EntryType::kNormal, "a"}, Entry{2, 2, EntryType::kNormal, "b"}})
            .is_ok());
    storage.set_hard_state(HardState{2, kNoNode, 0});
    Solo solo(1, {1, 2, 3}, [&](Config& config) { config.storage = &storage; });
    solo.node().campaign();
    std::vector<Message> ignored;
    while (solo.node().has_ready()) {
        Ready ready = solo.node().ready();
        REQUIRE(storage.append(ready.entries).is_ok());
        if (ready.hard_state) storage.set_hard_state(*ready.hard_state);
        solo.node().advance();
    }
    REQUIRE(solo.node().step(message(MessageType::kRequestVoteResponse, 2, 1, 3)).is_ok());
    while (solo.node().has_ready()) {
        Ready ready = solo.node().ready();
        REQUIRE(storage.append(ready.entries).is_ok());
        if (ready.hard_state) storage.set_hard_state(*ready.hard_state);
        solo.node().advance();
    }
    REQUIRE(solo.node().status().soft_state.role == Role::kLeader);
    // Member 2 matches through index 2 (term 2): a majority, but of an older term.
    REQUIRE(solo.node().step(append_response(2, 3, 2)).is_ok());
    CHECK(solo.node().status().hard_state.commit == 0);
    // Index 3 is this leader's no-op (term 3): committing it commits 1 and 2.
    REQUIRE(solo.node().step(append_response(2, 3, 3)).is_ok());
    CHECK(solo.node().status().hard_state.commit == 3);
}

TEST_CASE("8: a new leader appends a no-op entry of its term", "[paper]") {
    QuietLogs quiet;
    Solo solo(1, {1, 2, 3});
    make_leader(solo);
    std::vector<Entry> log = solo.node().log_entries();
    REQUIRE(log.size() == 1);
    CHECK(log[0].term == 1);
    CHECK(log[0].data.empty());
    CHECK(log[0].type == EntryType::kNormal);
}

}  // namespace
}  // namespace consensus::raft
