// RawNode: the driver-facing contract (input validation, Ready/advance semantics and
// the Ready byte bound).
#include "raft/raw_node.h"

#include <catch2/catch.hpp>
#include <vector>

#include "raft/invariants.h"
#include "raft/raft.h"
#include "raft/support/network.h"

namespace consensus::raft {
namespace {

using test::Network;
using test::QuietLogs;
using test::Solo;

TEST_CASE("RawNode: step refuses local and malformed messages from the network", "[raft]") {
    QuietLogs quiet;
    Solo solo(1, {1, 2, 3});
    struct Case {
        const char* name;
        Message message;
        StatusCode code;
    };
    std::vector<Case> cases;
    for (MessageType local : {MessageType::kHup, MessageType::kBeat, MessageType::kUnreachable,
                              MessageType::kSnapshotStatus, MessageType::kCheckQuorum}) {
        Message m;
        m.type = local;
        m.from = 2;
        cases.push_back({message_type_name(local), m, StatusCode::kInvalidArgument});
    }
    Message vote;
    vote.type = MessageType::kRequestVote;
    vote.from = 2;
    cases.push_back({"vote without term", vote, StatusCode::kInvalidArgument});
    Message proposal;
    proposal.type = MessageType::kPropose;
    proposal.from = 2;
    cases.push_back({"empty proposal", proposal, StatusCode::kInvalidArgument});
    Message gap;
    gap.type = MessageType::kAppend;
    gap.from = 2;
    gap.term = 1;
    gap.index = 0;
    gap.entries = {Entry{1, 2, EntryType::kNormal, ""}};
    cases.push_back({"append with a gap", gap, StatusCode::kInvalidArgument});
    Message future = gap;
    future.entries = {Entry{5, 1, EntryType::kNormal, ""}};
    cases.push_back({"entry from a future term", future, StatusCode::kInvalidArgument});
    Message stranger;
    stranger.type = MessageType::kAppendResponse;
    stranger.from = 9;
    stranger.term = 1;
    cases.push_back({"response from a non-member", stranger, StatusCode::kNotFound});
    for (const Case& c : cases) {
        INFO(c.name);
        CHECK(solo.node().step(c.message).code() == c.code);
    }
    CHECK_FALSE(solo.node().has_ready());
    CHECK(solo.node().status().hard_state.term == 0);
}

TEST_CASE("RawNode: a commit-only hard state change does not require a sync", "[raft]") {
    QuietLogs quiet;
    Network net({1, 2, 3});
    net.elect(1);
    REQUIRE(net.node(1).propose("x").is_ok());
    net.process_ready(1);
    // Follower 2 stores the entry, then learns the commit from a heartbeat.
    for (const Message& m : net.take(MessageType::kAppend, 1)) {
        if (m.to == 2) net.deliver(m);
    }
    for (const Message& m : net.take(MessageType::kAppendResponse, 2)) net.deliver(m);
    net.queue().clear();
    net.tick(1);
    std::vector<Message> heartbeats = net.take(MessageType::kHeartbeat, 1);
    REQUIRE_FALSE(heartbeats.empty());
    REQUIRE(net.node(2).step(heartbeats[0]).is_ok());
    Ready ready = net.node(2).ready();
    REQUIRE(ready.hard_state.has_value());
    CHECK(ready.hard_state->commit == 2);
    CHECK(ready.entries.empty());
    CHECK_FALSE(ready.must_sync);
    net.node(2).advance();
}

TEST_CASE("RawNode: committed entries per Ready stop at max_committed_bytes_per_ready", "[raft]") {
    QuietLogs quiet;
    Network net({1}, [](Config& config) { config.max_committed_bytes_per_ready = 8; });
    net.elect(1);
    for (int i = 0; i < 5; ++i) REQUIRE(net.node(1).propose("abcd").is_ok());
    // Persist all five, then read Readies one at a time.
    Ready first = net.node(1).ready();
    REQUIRE(first.entries.size() == 5);
    REQUIRE(net.storage(1).append(first.entries).is_ok());
    net.node(1).advance();
    std::vector<std::size_t> batch_sizes;
    while (net.node(1).has_ready()) {
        Ready ready = net.node(1).ready();
        if (ready.hard_state) net.storage(1).set_hard_state(*ready.hard_state);
        if (!ready.committed_entries.empty()) batch_sizes.push_back(ready.committed_entries.size());
        CHECK(entries_data_bytes(ready.committed_entries) <= 8);
        net.node(1).advance();
    }
    CHECK(batch_sizes == std::vector<std::size_t>{2, 2, 1});
    CHECK(net.node(1).status().applied == 6);
}

TEST_CASE("RawNode: a Ready is reported once and advance acknowledges it", "[raft]") {
    QuietLogs quiet;
    Solo solo(1, {1});
    CHECK_FALSE(solo.node().has_ready());
    solo.node().campaign();
    REQUIRE(solo.node().has_ready());
    Ready ready = solo.node().ready();
    REQUIRE(ready.soft_state.has_value());
    CHECK(ready.soft_state->role == Role::kLeader);
    CHECK(ready.hard_state->term == 1);
    REQUIRE(solo.storage().append(ready.entries).is_ok());
    solo.storage().set_hard_state(*ready.hard_state);
    solo.node().advance();
    Ready next = solo.node().ready();
    CHECK_FALSE(next.soft_state.has_value());
    CHECK(next.entries.empty());
    CHECK(next.committed_entries.size() == 1);
    solo.node().advance();
    CHECK_FALSE(solo.node().has_ready());
    solo.node().advance();  // nothing outstanding: no effect
    CHECK(solo.node().status().applied == 1);
}

TEST_CASE("RawNode: create restores applied from the config when entries were applied", "[raft]") {
    QuietLogs quiet;
    MemoryStorage storage;
    ConfState conf;
    conf.voters = {1};
    storage.set_conf_state(conf);
    REQUIRE(
        storage.append({Entry{1, 1, EntryType::kNormal, "a"}, Entry{1, 2, EntryType::kNormal, "b"}})
            .is_ok());
    storage.set_hard_state(HardState{1, 1, 2});
    test::FixedRandom random;
    Config config = test::test_config(1, &storage, &random);
    config.applied = 1;
    auto node = RawNode::create(config);
    REQUIRE(node.is_ok());
    Ready ready = node.value()->ready();
    REQUIRE(ready.committed_entries.size() == 1);
    CHECK(ready.committed_entries[0].data == "b");
    node.value()->advance();
    CHECK(check_core(node.value()->raft()).is_ok());
    config.applied = 3;
    CHECK(RawNode::create(config).status().code() == StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace consensus::raft
