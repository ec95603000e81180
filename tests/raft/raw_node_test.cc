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

TEST_CASE("RawNode: a commit-only change asks for no write; a term change carries the commit",
          "[raft]") {
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
    // The commit index is volatile [Raft Figure 2]: applying needs no write first.
    CHECK_FALSE(ready.hard_state.has_value());
    CHECK(ready.entries.empty());
    CHECK_FALSE(ready.must_sync);
    REQUIRE(ready.committed_entries.size() == 1);
    CHECK(ready.committed_entries[0].index == 2);
    CHECK(net.node(2).status().hard_state.commit == 2);
    net.node(2).advance();

    net.node(2).campaign();
    Ready vote = net.node(2).ready();
    REQUIRE(vote.hard_state.has_value());
    CHECK(vote.hard_state->term == net.node(1).status().hard_state.term + 1);
    CHECK(vote.hard_state->vote == 2);
    CHECK(vote.hard_state->commit == 2);
    CHECK(vote.must_sync);
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

TEST_CASE("RawNode: appends proposed while a Ready is outstanding can be taken and sent at once",
          "[raft]") {
    QuietLogs quiet;
    Network net({1, 2, 3});
    net.elect(1);
    net.queue().clear();
    const Index before = net.node(1).status().last_index;
    REQUIRE(net.node(1).propose("a").is_ok());
    Ready outstanding = net.node(1).ready();
    REQUIRE(outstanding.entries.size() == 1);
    CHECK(outstanding.messages_before_persist.size() == 2);
    // The leader's write of "a" is in progress; "b" arrives meanwhile.
    REQUIRE(net.node(1).propose("b").is_ok());
    std::vector<Message> appends = net.node(1).take_messages_before_persist();
    REQUIRE(appends.size() == 2);
    for (const Message& m : appends) {
        CHECK(m.type == MessageType::kAppend);
        REQUIRE_FALSE(m.entries.empty());
        CHECK(m.entries.back().index == before + 2);
        CHECK(m.entries.back().data == "b");
    }
    CHECK(net.node(1).take_messages_before_persist().empty());
    // The Ready handed out before is unchanged by the take: it still owns "a" only.
    CHECK(outstanding.entries.back().data == "a");
    REQUIRE(net.storage(1).append(outstanding.entries).is_ok());
    if (outstanding.hard_state) net.storage(1).set_hard_state(*outstanding.hard_state);
    net.node(1).advance();
    Ready next = net.node(1).ready();
    REQUIRE(next.entries.size() == 1);
    CHECK(next.entries[0].data == "b");
    CHECK(next.messages_before_persist.empty());
    REQUIRE(net.storage(1).append(next.entries).is_ok());
    net.node(1).advance();
    net.check_invariants();
}

TEST_CASE(
    "RawNode: a read is confirmed and its read point taken while the leader's and the "
    "followers' writes are in flight",
    "[raft]") {
    QuietLogs quiet;
    Network net({1, 2, 3});
    net.elect(1);
    net.stabilize();
    net.queue().clear();
    const Index committed = net.node(1).raft().log().committed();
    // Every member has a synced write outstanding: the leader's of "x", the
    // followers' of the append carrying it.
    REQUIRE(net.node(1).propose("x").is_ok());
    Ready leader_write = net.node(1).ready();
    REQUIRE(leader_write.entries.size() == 1);
    std::vector<Ready> follower_writes;
    for (const Message& m : leader_write.messages_before_persist) {
        REQUIRE(m.type == MessageType::kAppend);
        REQUIRE(net.node(m.to).step(m).is_ok());
        follower_writes.push_back(net.node(m.to).ready());
        REQUIRE(follower_writes.back().entries.size() == 1);
        // The append's acknowledgement promises "x" is durable: it waits.
        REQUIRE(follower_writes.back().messages.size() == 1);
        CHECK(follower_writes.back().messages[0].type == MessageType::kAppendResponse);
        CHECK(follower_writes.back().messages_before_persist.empty());
    }
    REQUIRE(follower_writes.size() == 2);

    REQUIRE(net.node(1).read_index("r").is_ok());
    std::vector<Message> heartbeats = net.node(1).take_messages_before_persist();
    REQUIRE(heartbeats.size() == 2);
    for (const Message& heartbeat : heartbeats) {
        CHECK(heartbeat.type == MessageType::kHeartbeat);
        CHECK(heartbeat.context == "r");
        REQUIRE(net.node(heartbeat.to).step(heartbeat).is_ok());
        // The response promises nothing about the follower's log or vote.
        std::vector<Message> responses = net.node(heartbeat.to).take_messages_before_persist();
        REQUIRE(responses.size() == 1);
        CHECK(responses[0].type == MessageType::kHeartbeatResponse);
        REQUIRE(net.node(1).step(responses[0]).is_ok());
    }
    // Confirmed at the commit index before "x", which is committed nowhere yet.
    std::vector<ReadState> read_states = net.node(1).take_read_states();
    REQUIRE(read_states.size() == 1);
    CHECK(read_states[0] == ReadState{committed, "r"});
    CHECK(net.node(1).take_read_states().empty());

    // The writes complete as usual afterwards.
    REQUIRE(net.storage(1).append(leader_write.entries).is_ok());
    net.node(1).advance();
    for (std::size_t i = 0; i < follower_writes.size(); ++i) {
        const NodeId id = leader_write.messages_before_persist[i].to;
        REQUIRE(net.storage(id).append(follower_writes[i].entries).is_ok());
        if (follower_writes[i].hard_state) {
            net.storage(id).set_hard_state(*follower_writes[i].hard_state);
        }
        for (const Message& m : follower_writes[i].messages) net.queue().push_back(m);
        net.node(id).advance();
    }
    net.stabilize();
    CHECK(net.node(1).raft().log().committed() == committed + 1);
    net.check_invariants();
}

TEST_CASE("RawNode: the leader counts its own entry toward commit only after advance", "[raft]") {
    QuietLogs quiet;
    Network net({1, 2, 3});
    net.elect(1);
    net.queue().clear();
    const Index committed_before = net.node(1).status().hard_state.commit;
    REQUIRE(net.node(1).propose("x").is_ok());
    Ready outstanding = net.node(1).ready();
    REQUIRE(outstanding.entries.size() == 1);
    const Index x = outstanding.entries[0].index;
    // Only follower 2 stores and acknowledges "x"; follower 3 is slow.
    for (const Message& m : outstanding.messages_before_persist) {
        if (m.to == 2) REQUIRE(net.node(2).step(m).is_ok());
    }
    net.process_ready(2);
    std::vector<Message> acks = net.take(MessageType::kAppendResponse, 2);
    REQUIRE(acks.size() == 1);
    REQUIRE(net.node(1).step(acks[0]).is_ok());
    // One durable copy of three is no quorum while the leader's own write is in flight.
    CHECK(net.node(1).raft().log().committed() == committed_before);
    REQUIRE(net.storage(1).append(outstanding.entries).is_ok());
    net.node(1).advance();
    CHECK(net.node(1).raft().log().committed() == x);
    net.process_ready(1);
    net.check_invariants();
}

TEST_CASE("RawNode: committed entries durable here are handed out while a Ready is outstanding",
          "[raft]") {
    QuietLogs quiet;
    Network net({1, 2, 3});
    net.elect(1);
    net.queue().clear();
    CHECK(net.node(1).take_durable_committed_entries().empty());  // no Ready outstanding
    REQUIRE(net.node(1).propose("a").is_ok());
    Ready first = net.node(1).ready();
    REQUIRE(first.entries.size() == 1);
    const Index a = first.entries[0].index;
    REQUIRE(net.storage(1).append(first.entries).is_ok());
    net.node(1).advance();
    std::vector<Message> appends_a = first.messages_before_persist;

    // "b" is being written by the leader when the acknowledgement of "a" arrives.
    REQUIRE(net.node(1).propose("b").is_ok());
    Ready second = net.node(1).ready();
    REQUIRE(second.entries.size() == 1);
    const Index b = second.entries[0].index;
    CHECK(second.committed_entries.empty());
    for (const Message& m : appends_a) {
        if (m.to == 2) net.deliver(m);
    }
    for (const Message& m : net.take(MessageType::kAppendResponse, 2)) {
        REQUIRE(net.node(1).step(m).is_ok());
    }
    REQUIRE(net.node(1).raft().log().committed() == a);
    std::vector<Entry> early = net.node(1).take_durable_committed_entries();
    REQUIRE(early.size() == 1);
    CHECK(early[0].index == a);
    CHECK(early[0].data == "a");
    CHECK(net.node(1).status().applied == a);
    CHECK(net.node(1).take_durable_committed_entries().empty());

    // Both followers store "b" (follower 3 gets "a" first): "b" commits, but it is
    // not durable on the leader yet.
    for (const Message& m : appends_a) {
        if (m.to == 3) net.deliver(m);
    }
    for (const Message& m : second.messages_before_persist) net.deliver(m);
    for (NodeId follower : {NodeId{2}, NodeId{3}}) {
        for (const Message& m : net.take(MessageType::kAppendResponse, follower)) {
            REQUIRE(net.node(1).step(m).is_ok());
        }
    }
    CHECK(net.node(1).raft().log().committed() == b);
    CHECK(net.node(1).take_durable_committed_entries().empty());

    REQUIRE(net.storage(1).append(second.entries).is_ok());
    net.node(1).advance();
    Ready third = net.node(1).ready();
    REQUIRE(third.committed_entries.size() == 1);
    CHECK(third.committed_entries[0].index == b);
    net.node(1).advance();
    CHECK(net.node(1).status().applied == b);
    net.queue().clear();
    net.check_invariants();
}

TEST_CASE("RawNode: nothing is handed out early when the outstanding Ready's entries come first",
          "[raft]") {
    QuietLogs quiet;
    Network net({1, 2, 3});
    net.elect(1);
    net.queue().clear();
    REQUIRE(net.node(1).propose("a").is_ok());
    Ready first = net.node(1).ready();
    // Both followers store "a" before the leader's own write is done: "a" commits.
    for (const Message& m : first.messages_before_persist) net.deliver(m);
    for (NodeId follower : {NodeId{2}, NodeId{3}}) {
        for (const Message& m : net.take(MessageType::kAppendResponse, follower)) {
            REQUIRE(net.node(1).step(m).is_ok());
        }
    }
    REQUIRE(net.node(1).raft().log().committed() == first.entries[0].index);
    // Committed, but durable only elsewhere: it waits for the leader's write.
    CHECK(net.node(1).take_durable_committed_entries().empty());
    REQUIRE(net.storage(1).append(first.entries).is_ok());
    net.node(1).advance();
    Ready second = net.node(1).ready();
    REQUIRE(second.committed_entries.size() == 1);
    CHECK(second.committed_entries[0].data == "a");
    net.node(1).advance();
    net.queue().clear();
    net.check_invariants();
}

TEST_CASE("RawNode: propose_batch appends its pieces in order and sends one append per follower",
          "[raft]") {
    QuietLogs quiet;
    Network net({1, 2, 3});
    net.elect(1);
    net.queue().clear();
    const Index before = net.node(1).status().last_index;
    REQUIRE(net.node(1).propose_batch({"a", "b", "c"}).is_ok());
    Ready ready = net.node(1).ready();
    REQUIRE(ready.entries.size() == 3);
    for (std::size_t i = 0; i < 3; ++i) {
        CHECK(ready.entries[i].index == before + 1 + i);
        CHECK(ready.entries[i].data == std::string(1, static_cast<char>('a' + i)));
    }
    REQUIRE(ready.messages_before_persist.size() == 2);
    for (const Message& m : ready.messages_before_persist) {
        CHECK(m.type == MessageType::kAppend);
        CHECK(m.entries.size() == 3);
    }
    REQUIRE(net.storage(1).append(ready.entries).is_ok());
    if (ready.hard_state) net.storage(1).set_hard_state(*ready.hard_state);
    for (const Message& m : ready.messages_before_persist) net.queue().push_back(m);
    net.node(1).advance();
    net.stabilize();
    for (NodeId id : {1, 2, 3}) {
        INFO("member " << id);
        const std::vector<Entry>& applied = net.member(id).applied;
        REQUIRE(applied.size() >= 3);
        CHECK(applied[applied.size() - 3].data == "a");
        CHECK(applied[applied.size() - 2].data == "b");
        CHECK(applied[applied.size() - 1].data == "c");
    }
    net.check_invariants();
}

TEST_CASE("RawNode: a follower forwards a batch to the leader as one proposal", "[raft]") {
    QuietLogs quiet;
    Network net({1, 2, 3});
    net.elect(1);
    net.queue().clear();
    REQUIRE(net.node(2).propose_batch({"x", "y"}).is_ok());
    net.process_ready(2);
    std::vector<Message> forwarded = net.take(MessageType::kPropose, 2);
    REQUIRE(forwarded.size() == 1);
    CHECK(forwarded[0].to == 1);
    REQUIRE(forwarded[0].entries.size() == 2);
    CHECK(forwarded[0].entries[0].data == "x");
    CHECK(forwarded[0].entries[1].data == "y");
}

TEST_CASE("RawNode: a batch beyond the uncommitted bytes limit is refused whole", "[raft]") {
    QuietLogs quiet;
    Network net({1, 2, 3}, [](Config& config) { config.max_uncommitted_entries_bytes = 10; });
    net.elect(1);
    net.isolate(1);
    REQUIRE(net.node(1).propose("abcd").is_ok());
    const Index before = net.node(1).status().last_index;
    // 4 + 4 + 4 > 10: none of the three is appended, not just the one over the limit.
    CHECK(net.node(1).propose_batch({"abcd", "ef", "ghij"}).code() == StatusCode::kUnavailable);
    CHECK(net.node(1).status().last_index == before);
    CHECK(net.node(1).raft().uncommitted_bytes() == 4);
    // A batch that fits is taken whole.
    CHECK(net.node(1).propose_batch({"ab", "cd"}).is_ok());
    CHECK(net.node(1).status().last_index == before + 2);
}

}  // namespace
}  // namespace consensus::raft
