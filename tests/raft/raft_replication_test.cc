// Log replication [Raft §5.3, §5.4.2, §8]: consistency check, conflicting-suffix
// replacement, fast backtracking, batching, pipelining, uncommitted-bytes limit.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "raft/raft.h"
#include "raft/support/network.h"

namespace consensus::raft {
namespace {

using test::Network;
using test::QuietLogs;
using test::Solo;

std::vector<Entry> log_with_terms(const std::vector<Term>& terms) {
    std::vector<Entry> entries;
    for (std::size_t i = 0; i < terms.size(); ++i) {
        entries.push_back(Entry{terms[i], i + 1, EntryType::kNormal, "e" + std::to_string(i + 1)});
    }
    return entries;
}

std::vector<Term> terms_of(const std::vector<Entry>& entries) {
    std::vector<Term> terms;
    for (const Entry& entry : entries) terms.push_back(entry.term);
    return terms;
}

std::size_t count(const std::vector<Message>& messages, MessageType type, NodeId from, NodeId to,
                  bool reject = false) {
    std::size_t n = 0;
    for (const Message& m : messages) {
        if (m.type == type && m.from == from && m.to == to && m.reject == reject) ++n;
    }
    return n;
}

TEST_CASE("Raft: proposals commit and apply in order on every member when all are reachable",
          "[raft]") {
    QuietLogs quiet;
    Network net({1, 2, 3});
    net.elect(1);
    for (const char* data : {"a", "b", "c"}) REQUIRE(net.node(1).propose(data).is_ok());
    net.stabilize();
    for (NodeId id : {1, 2, 3}) {
        INFO("member " << id);
        const std::vector<Entry>& applied = net.member(id).applied;
        REQUIRE(applied.size() == 4);
        CHECK(applied[0].data.empty());  // the leader's no-op [Raft §8]
        CHECK(applied[1].data == "a");
        CHECK(applied[3].data == "c");
    }
}

TEST_CASE("Raft: a follower forwards proposals to the leader when it knows one", "[raft]") {
    QuietLogs quiet;
    Network net({1, 2, 3});
    net.elect(1);
    REQUIRE(net.node(2).propose("via-follower").is_ok());
    net.stabilize();
    CHECK(net.member(1).applied.back().data == "via-follower");
    Network leaderless({1, 2, 3});
    CHECK(leaderless.node(2).propose("x").code() == StatusCode::kUnavailable);
}

TEST_CASE("Raft: the leader brings Figure 7 follower logs to its own when elected", "[raft]") {
    QuietLogs quiet;
    // [Raft Figure 7]: the leader's log for term 8, and followers (a) to (f).
    const std::vector<Term> leader_terms = {1, 1, 1, 4, 4, 5, 5, 6, 6, 6};
    struct Case {
        const char* name;
        std::vector<Term> follower;
        std::size_t rejections;
    };
    std::vector<Case> cases = {
        {"a", {1, 1, 1, 4, 4, 5, 5, 6, 6}, 1},
        {"b", {1, 1, 1, 4}, 1},
        {"c", {1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6}, 0},
        {"d", {1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7}, 0},
        {"e", {1, 1, 1, 4, 4, 4, 4}, 1},
        {"f", {1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3}, 1},
    };
    for (const Case& c : cases) {
        INFO("follower (" << c.name << ")");
        std::vector<Entry> leader_log = log_with_terms(leader_terms);
        std::vector<Entry> follower_log = log_with_terms(c.follower);
        // Entries the follower shares with the leader must be identical (Log Matching).
        for (std::size_t i = 0; i < follower_log.size() && i < leader_log.size(); ++i) {
            if (follower_log[i].term == leader_log[i].term)
                follower_log[i].data = leader_log[i].data;
        }
        Network net({1, 2, 3}, {}, [&](NodeId id, MemoryStorage& storage) {
            storage.set_hard_state(HardState{8, kNoNode, 0});
            if (id == 1) REQUIRE(storage.append(leader_log).is_ok());
            if (id == 2) REQUIRE(storage.append(follower_log).is_ok());
        });
        net.elect(1);
        REQUIRE(net.leader() == 1);
        std::vector<Term> expected = leader_terms;
        expected.push_back(9);  // the new leader's no-op
        CHECK(terms_of(net.node(2).log_entries()) == expected);
        CHECK(net.node(2).log_entries() == net.node(1).log_entries());
        // Fast backtracking: at most one rejection per follower here, however many
        // entries differ [Raft §5.3].
        CHECK(count(net.delivered(), MessageType::kAppendResponse, 2, 1, true) == c.rejections);
        CHECK(net.node(2).status().hard_state.commit == 11);
    }
}

TEST_CASE("Raft: backtracking costs one round trip per term when a follower diverges widely",
          "[raft]") {
    QuietLogs quiet;
    // The follower holds 50 entries of term 2 that the leader (terms 1 and 3) lacks.
    std::vector<Term> leader_terms(10, 1);
    leader_terms.insert(leader_terms.end(), 40, 3);
    std::vector<Term> follower_terms(10, 1);
    follower_terms.insert(follower_terms.end(), 50, 2);
    std::vector<Entry> leader_log = log_with_terms(leader_terms);
    std::vector<Entry> follower_log = log_with_terms(follower_terms);
    for (std::size_t i = 10; i < follower_log.size(); ++i) follower_log[i].data = "stale";
    Network net({1, 2, 3}, {}, [&](NodeId id, MemoryStorage& storage) {
        storage.set_hard_state(HardState{3, kNoNode, 0});
        if (id == 1) REQUIRE(storage.append(leader_log).is_ok());
        if (id == 2) REQUIRE(storage.append(follower_log).is_ok());
    });
    net.elect(1);
    CHECK(net.node(2).log_entries() == net.node(1).log_entries());
    CHECK(count(net.delivered(), MessageType::kAppendResponse, 2, 1, true) <= 2);
}

TEST_CASE("Raft: a follower rejects an append whose previous entry does not match", "[raft]") {
    QuietLogs quiet;
    struct Case {
        Index index;
        Term log_term;
        bool reject;
        Index hint;
        Term hint_term;
    };
    // Follower log: 1:1 2:2 3:2.
    std::vector<Case> cases = {
        {3, 2, false, 0, 0}, {2, 2, false, 0, 0},
        {3, 3, true, 3, 2},  // term mismatch at 3: hint at 3 (term 2 <= 3)
        {3, 1, true, 1, 1},  // skip every entry of term > 1
        {5, 3, true, 3, 2},  // beyond our log: hint at our last index
    };
    for (std::size_t i = 0; i < cases.size(); ++i) {
        INFO("case " << i);
        Solo solo(1, {1, 2, 3});
        REQUIRE(solo.storage().append(log_with_terms({1, 2, 2})).is_ok());
        Solo fresh(1, {1, 2, 3}, [&](Config& config) { config.storage = &solo.storage(); });
        Message append;
        append.type = MessageType::kAppend;
        append.from = 2;
        append.to = 1;
        append.term = 3;
        append.index = cases[i].index;
        append.log_term = cases[i].log_term;
        auto sent = fresh.step(append);
        REQUIRE(sent.size() == 1);
        CHECK(sent[0].type == MessageType::kAppendResponse);
        CHECK(sent[0].reject == cases[i].reject);
        if (cases[i].reject) {
            CHECK(sent[0].index == cases[i].index);
            CHECK(sent[0].reject_hint == cases[i].hint);
            CHECK(sent[0].log_term == cases[i].hint_term);
        }
    }
}

TEST_CASE("Raft: appends carry at most max_message_bytes of entries when a follower catches up",
          "[raft]") {
    QuietLogs quiet;
    Network net({1, 2, 3}, [](Config& config) { config.max_message_bytes = 10; });
    net.elect(1);
    net.isolate(3);
    for (int i = 0; i < 6; ++i) REQUIRE(net.node(1).propose("abcd").is_ok());
    net.stabilize();
    net.heal();
    net.clear_delivered();
    net.node(1).report_unreachable(3);
    net.tick(1);
    net.stabilize();
    std::size_t appends_to_3 = 0;
    for (const Message& m : net.delivered()) {
        if (m.type != MessageType::kAppend || m.to != 3 || m.entries.empty()) continue;
        ++appends_to_3;
        std::uint64_t bytes = entries_data_bytes(m.entries);
        CHECK((bytes <= 10 || m.entries.size() == 1));
    }
    CHECK(appends_to_3 >= 3);  // 6 entries of 4 bytes, at most 2 per message
    CHECK(net.node(3).log_entries() == net.node(1).log_entries());
}

TEST_CASE("Raft: in-flight appends per follower stop at max_inflight_messages when unacknowledged",
          "[raft]") {
    QuietLogs quiet;
    Network net({1, 2, 3}, [](Config& config) { config.max_inflight_messages = 2; });
    net.elect(1);
    net.cut(2, 1);  // member 2's acknowledgements are lost
    net.clear_delivered();
    for (int i = 0; i < 5; ++i) {
        REQUIRE(net.node(1).propose("p").is_ok());
        net.stabilize();
    }
    std::size_t appends_to_2 = 0;
    for (const Message& m : net.delivered()) {
        if (m.type == MessageType::kAppend && m.to == 2 && !m.entries.empty()) ++appends_to_2;
    }
    CHECK(appends_to_2 == 2);
    net.heal();
    net.tick(1);
    net.stabilize();
    CHECK(net.node(2).log_entries() == net.node(1).log_entries());
}

TEST_CASE("Raft: a probing follower gets one append until it answers", "[raft]") {
    QuietLogs quiet;
    Network net({1, 2, 3});
    net.elect(1);
    net.node(1).report_unreachable(2);  // replicate -> probe
    net.cut(2, 1);
    net.clear_delivered();
    for (int i = 0; i < 3; ++i) {
        REQUIRE(net.node(1).propose("p").is_ok());
        net.stabilize();
    }
    std::size_t appends_to_2 = 0;
    for (const Message& m : net.delivered()) {
        if (m.type == MessageType::kAppend && m.to == 2 && !m.entries.empty()) ++appends_to_2;
    }
    CHECK(appends_to_2 == 1);
}

TEST_CASE("Raft: proposals are dropped beyond the uncommitted bytes limit until entries commit",
          "[raft]") {
    QuietLogs quiet;
    Network net({1, 2, 3}, [](Config& config) { config.max_uncommitted_entries_bytes = 10; });
    net.elect(1);
    net.isolate(1);
    CHECK(net.node(1).propose("abcd").is_ok());
    CHECK(net.node(1).propose("abcd").is_ok());
    CHECK(net.node(1).propose("abcd").code() == StatusCode::kUnavailable);  // 12 > 10
    CHECK(net.node(1).raft().uncommitted_bytes() == 8);
    net.heal();
    net.tick(1);
    net.stabilize();
    CHECK(net.node(1).raft().uncommitted_bytes() == 0);
    CHECK(net.node(1).propose("abcd").is_ok());
}

TEST_CASE("Raft: the leader counts itself only after advance when entries are not yet durable",
          "[raft]") {
    QuietLogs quiet;
    Solo solo(1, {1});
    solo.node().campaign();
    // Single member: it became leader and appended its no-op, but nothing is durable.
    CHECK(solo.node().status().soft_state.role == Role::kLeader);
    CHECK(solo.node().status().hard_state.commit == 0);
    Ready ready = solo.node().ready();
    REQUIRE(ready.entries.size() == 1);
    CHECK(ready.committed_entries.empty());
    REQUIRE(solo.storage().append(ready.entries).is_ok());
    solo.node().advance();
    CHECK(solo.node().status().hard_state.commit == 1);
    Ready next = solo.node().ready();
    CHECK(next.committed_entries.size() == 1);
    solo.node().advance();
}

TEST_CASE("Raft: the leader's appends may leave before persistence while replies wait", "[raft]") {
    QuietLogs quiet;
    Network net({1, 2, 3});
    net.elect(1);
    REQUIRE(net.node(1).propose("x").is_ok());
    Ready ready = net.node(1).ready();
    REQUIRE(ready.entries.size() == 1);
    CHECK(ready.must_sync);
    REQUIRE(ready.messages_before_persist.size() == 2);
    for (const Message& m : ready.messages_before_persist) CHECK(m.type == MessageType::kAppend);
    CHECK(ready.messages.empty());
    REQUIRE(net.storage(1).append(ready.entries).is_ok());
    net.node(1).advance();
    // The follower's acknowledgement waits for its own persistence.
    REQUIRE(net.node(2).step(ready.messages_before_persist[0]).is_ok());
    Ready follower = net.node(2).ready();
    CHECK(follower.messages_before_persist.empty());
    REQUIRE(follower.messages.size() == 1);
    CHECK(follower.messages[0].type == MessageType::kAppendResponse);
    CHECK(follower.must_sync);
    REQUIRE(net.storage(2).append(follower.entries).is_ok());
    net.node(2).advance();
}

TEST_CASE("Raft: Figure 8 an uncommitted old-term entry is overwritten when a later leader wins",
          "[raft]") {
    QuietLogs quiet;
    Network net({1, 2, 3, 4, 5});
    net.elect(1);  // term 1; no-op at index 1 committed everywhere
    // (a) S1 replicates index 2 only to S2.
    net.partition({1, 2}, {3, 4, 5});
    REQUIRE(net.node(1).propose("x").is_ok());
    net.stabilize();
    REQUIRE(net.node(1).status().hard_state.commit == 1);
    REQUIRE(net.node(2).log_entries().size() == 2);
    // (b)/(d) S1 stops; S5 wins with S3 and S4 and replaces index 2 everywhere it can.
    net.heal();
    net.isolate(1);
    net.elect(5);
    REQUIRE(net.leader() == 5);
    std::vector<Entry> log = net.node(2).log_entries();
    REQUIRE(log.size() == 2);
    CHECK(log[1].term == net.node(5).status().hard_state.term);
    CHECK(log[1].data.empty());
    CHECK(net.node(2).status().hard_state.commit == 2);
}

TEST_CASE("Raft: commit waits for the current-term entry when only old entries are replicated",
          "[raft]") {
    QuietLogs quiet;
    // Members 1-3 hold index 2 from term 1; members 4 and 5 only index 1.
    Network net({1, 2, 3, 4, 5}, {}, [](NodeId id, MemoryStorage& storage) {
        storage.set_hard_state(HardState{2, kNoNode, 1});
        std::vector<Entry> log = {Entry{1, 1, EntryType::kNormal, ""}};
        if (id <= 3) log.push_back(Entry{1, 2, EntryType::kNormal, "old"});
        REQUIRE(storage.append(log).is_ok());
    });
    net.drop_type(MessageType::kAppend);
    net.elect(1);
    REQUIRE(net.leader() == 1);
    Term term = net.node(1).status().hard_state.term;
    // Members 2 and 3 report (truthfully) that they match up to index 2.
    for (NodeId from : {2, 3}) {
        Message ack;
        ack.type = MessageType::kAppendResponse;
        ack.from = from;
        ack.to = 1;
        ack.term = term;
        ack.index = 2;
        REQUIRE(net.node(1).step(ack).is_ok());
        net.process_ready(1);
    }
    // Three of five hold index 2, but it is from term 1: not committed [Raft Figure 8].
    CHECK(net.node(1).status().hard_state.commit == 1);
    net.queue().clear();
    net.allow_all_types();
    net.tick(1);
    net.stabilize();
    // Once the no-op of this term reaches a majority, both commit.
    CHECK(net.node(1).status().hard_state.commit == 3);
    CHECK(net.member(1).applied.back().index == 3);
}

}  // namespace
}  // namespace consensus::raft
