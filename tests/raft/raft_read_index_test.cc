// ReadIndex [thesis §6.4]: the leader confirms leadership with a heartbeat round
// before answering, and only after committing an entry of its own term.
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

TEST_CASE("ReadIndex: the leader answers at its commit index after a quorum acks the heartbeat",
          "[raft]") {
    QuietLogs quiet;
    Network net({1, 2, 3});
    net.elect(1);
    REQUIRE(net.node(1).propose("x").is_ok());
    net.stabilize();
    net.clear_delivered();
    REQUIRE(net.node(1).read_index("ctx-1").is_ok());
    net.process_ready(1);
    CHECK(net.member(1).read_states.empty());  // not before the heartbeat round
    std::vector<Message> heartbeats = net.take(MessageType::kHeartbeat, 1);
    REQUIRE(heartbeats.size() == 2);
    for (const Message& m : heartbeats) CHECK(m.context == "ctx-1");
    net.deliver(heartbeats[0]);
    net.stabilize();
    REQUIRE(net.member(1).read_states.size() == 1);
    CHECK(net.member(1).read_states[0] == ReadState{2, "ctx-1"});
}

TEST_CASE("ReadIndex: no answer while the heartbeat round lacks a quorum", "[raft]") {
    QuietLogs quiet;
    Network net({1, 2, 3});
    net.elect(1);
    net.isolate(1);
    REQUIRE(net.node(1).read_index("ctx").is_ok());
    net.stabilize();
    CHECK(net.member(1).read_states.empty());
    net.heal();
    net.tick(1);  // the next heartbeat carries the pending context again
    net.stabilize();
    CHECK(net.member(1).read_states.size() == 1);
}

TEST_CASE("ReadIndex: reads wait until the leader commits an entry of its term", "[raft]") {
    QuietLogs quiet;
    Network net({1, 2, 3});
    net.drop_type(MessageType::kAppend);
    net.elect(1);
    REQUIRE(net.leader() == 1);
    REQUIRE(net.node(1).status().hard_state.commit == 0);
    REQUIRE(net.node(1).read_index("early").is_ok());
    net.process_ready(1);
    CHECK(net.take(MessageType::kHeartbeat, 1).empty());  // queued, no round yet
    CHECK(net.node(1).raft().pending_read_requests() == 1);
    net.allow_all_types();
    net.tick(1);
    net.stabilize();
    REQUIRE(net.member(1).read_states.size() == 1);
    CHECK(net.member(1).read_states[0].index == 1);
    CHECK(net.member(1).read_states[0].request_context == "early");
}

TEST_CASE("ReadIndex: a follower forwards the read and receives the read point", "[raft]") {
    QuietLogs quiet;
    Network net({1, 2, 3});
    net.elect(1);
    REQUIRE(net.node(2).read_index("from-2").is_ok());
    net.stabilize();
    REQUIRE(net.member(2).read_states.size() == 1);
    CHECK(net.member(2).read_states[0] == ReadState{1, "from-2"});
    CHECK(net.member(1).read_states.empty());
}

TEST_CASE("ReadIndex: one heartbeat round confirms every read queued before it", "[raft]") {
    QuietLogs quiet;
    Network net({1, 2, 3});
    net.elect(1);
    for (const char* context : {"r1", "r2", "r3"}) {
        REQUIRE(net.node(1).read_index(context).is_ok());
        net.process_ready(1);
    }
    std::vector<Message> heartbeats = net.take(MessageType::kHeartbeat, 1);
    REQUIRE(heartbeats.size() == 6);
    // Deliver only the round for the last read to member 2.
    for (const Message& m : heartbeats) {
        if (m.context == "r3" && m.to == 2) net.deliver(m);
    }
    net.stabilize();
    REQUIRE(net.member(1).read_states.size() == 3);
    CHECK(net.member(1).read_states[0].request_context == "r1");
    CHECK(net.member(1).read_states[2].request_context == "r3");
}

TEST_CASE("ReadIndex: a single voter answers at once", "[raft]") {
    QuietLogs quiet;
    Network net({1});
    net.elect(1);
    REQUIRE(net.node(1).read_index("solo").is_ok());
    net.process_ready(1);
    REQUIRE(net.member(1).read_states.size() == 1);
    CHECK(net.member(1).read_states[0].index == 1);
}

TEST_CASE("ReadIndex: requests are refused when there is no leader or the queue is full",
          "[raft]") {
    QuietLogs quiet;
    Network leaderless({1, 2, 3});
    CHECK(leaderless.node(1).read_index("x").code() == StatusCode::kUnavailable);

    Network net({1, 2, 3}, [](Config& config) { config.max_pending_read_requests = 2; });
    net.elect(1);
    net.isolate(1);
    CHECK(net.node(1).read_index("a").is_ok());
    CHECK(net.node(1).read_index("b").is_ok());
    CHECK(net.node(1).read_index("c").code() == StatusCode::kUnavailable);
    CHECK(net.node(1).raft().pending_read_requests() == 2);
}

TEST_CASE("ReadIndex: pending reads are dropped when leadership is lost", "[raft]") {
    QuietLogs quiet;
    Network net({1, 2, 3});
    net.elect(1);
    net.isolate(1);
    REQUIRE(net.node(1).read_index("lost").is_ok());
    net.stabilize();
    net.heal();
    net.isolate(1);
    net.elect(2);
    net.heal();
    net.tick(2);
    net.stabilize();
    CHECK(net.node(1).status().soft_state.role == Role::kFollower);
    CHECK(net.node(1).raft().pending_read_requests() == 0);
    CHECK(net.member(1).read_states.empty());
}

}  // namespace
}  // namespace consensus::raft
