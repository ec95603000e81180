// SimNet on its own: delays stay within their bounds, the fault rates act at their
// extremes, cuts lose messages at delivery time, and delivery order is a function of
// the seed alone.
#include "tests/sim/sim_network.h"

#include <vector>

#include <catch2/catch.hpp>

namespace consensus::sim {
namespace {

raft::Message message(NodeId from, NodeId to, Index index) {
    raft::Message m;
    m.type = raft::MessageType::kAppend;
    m.from = from;
    m.to = to;
    m.index = index;
    return m;
}

/// Delivers everything queued, returning the delivered messages' indexes and counting
/// the cut ones.
std::vector<Index> drain(SimNet& net, std::size_t* cut_count = nullptr) {
    std::vector<Index> delivered;
    while (std::optional<SimTime> at = net.next_delivery_time()) {
        Delivery delivery = net.pop_due(*at);
        if (delivery.is_cut) {
            if (cut_count != nullptr) ++*cut_count;
            continue;
        }
        delivered.push_back(delivery.message.index);
    }
    return delivered;
}

TEST_CASE("SimNet: delivers every message within the delay bounds when no fault is set", "[sim]") {
    SimRandom random(1);
    NetConfig config;
    config.delay_min_ms = 3;
    config.delay_max_ms = 9;
    SimNet net(&random, config);
    for (Index k = 1; k <= 200; ++k) CHECK(net.send(message(1, 2, k), 100));
    while (std::optional<SimTime> at = net.next_delivery_time()) {
        CHECK(*at >= 103);
        CHECK(*at <= 109);
        CHECK_FALSE(net.pop_due(*at).is_cut);
    }
    CHECK(net.stats().delivered == 200);
    CHECK(net.in_flight() == 0);
}

TEST_CASE("SimNet: applies the fault rates at their extremes", "[sim]") {
    struct Case {
        const char* name;
        std::uint64_t drop_per_mille;
        std::uint64_t duplicate_per_mille;
        std::size_t delivered;
    };
    const std::vector<Case> cases = {
        {"no faults", 0, 0, 50},
        {"drop everything", 1000, 0, 0},
        {"duplicate everything", 0, 1000, 100},
    };
    for (const Case& c : cases) {
        INFO(c.name);
        SimRandom random(2);
        NetConfig config;
        config.drop_per_mille = c.drop_per_mille;
        config.duplicate_per_mille = c.duplicate_per_mille;
        SimNet net(&random, config);
        for (Index k = 1; k <= 50; ++k) net.send(message(1, 2, k), 0);
        CHECK(drain(net).size() == c.delivered);
    }
}

TEST_CASE("SimNet: held-back messages are overtaken by later ones when hold back is on", "[sim]") {
    SimRandom random(3);
    NetConfig config;
    config.hold_back_per_mille = 500;
    config.hold_back_max_ms = 60;
    SimNet net(&random, config);
    for (Index k = 1; k <= 100; ++k) net.send(message(1, 2, k), k);
    std::vector<Index> order = drain(net);
    REQUIRE(order.size() == 100);
    bool reordered = false;
    for (std::size_t k = 1; k < order.size(); ++k) reordered |= order[k] < order[k - 1];
    CHECK(reordered);
}

TEST_CASE("SimNet: loses messages on a cut link at delivery time, one direction only", "[sim]") {
    SimRandom random(4);
    SimNet net(&random, NetConfig{});
    net.send(message(1, 2, 1), 0);
    net.send(message(2, 1, 2), 0);
    // The cut comes after the send: messages already in flight are lost too.
    net.cut(1, 2);
    CHECK(net.is_cut(1, 2));
    CHECK_FALSE(net.is_cut(2, 1));
    std::size_t cut = 0;
    std::vector<Index> delivered = drain(net, &cut);
    CHECK(cut == 1);
    CHECK(delivered == std::vector<Index>{2});
    net.heal();
    CHECK(net.is_healed());
}

TEST_CASE("SimNet: partition cuts both ways between the group and the rest only", "[sim]") {
    SimRandom random(5);
    SimNet net(&random, NetConfig{});
    net.partition({1, 2}, {1, 2, 3, 4, 5});
    CHECK_FALSE(net.is_cut(1, 2));
    CHECK_FALSE(net.is_cut(3, 4));
    for (NodeId inside : {1, 2}) {
        for (NodeId outside : {3, 4, 5}) {
            CHECK(net.is_cut(inside, static_cast<NodeId>(outside)));
            CHECK(net.is_cut(static_cast<NodeId>(outside), inside));
        }
    }
}

TEST_CASE("SimNet: delivery order is the same for the same seed", "[sim]") {
    auto run = [](std::uint64_t seed) {
        SimRandom random(seed);
        NetConfig config;
        config.hold_back_per_mille = 300;
        config.duplicate_per_mille = 200;
        SimNet net(&random, config);
        for (Index k = 1; k <= 100; ++k) net.send(message(1 + k % 3, 1 + (k + 1) % 3, k), k / 4);
        return drain(net);
    };
    CHECK(run(9) == run(9));
    CHECK(run(9) != run(10));
}

}  // namespace
}  // namespace consensus::sim
