// SimDisk on its own: what persist() makes durable, how a conflicting suffix is
// replaced, and what a snapshot with compaction keeps.
#include "tests/sim/sim_disk.h"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

namespace consensus::sim {
namespace {

raft::Entry entry(Index index, Term term, std::string data = "") {
    return raft::Entry{term, index, raft::EntryType::kNormal, std::move(data)};
}

raft::ConfState voters(std::vector<NodeId> ids) {
    raft::ConfState conf;
    conf.voters = std::move(ids);
    return conf;
}

TEST_CASE("SimDisk: bootstrap leaves a snapshot at index 1 holding the voters", "[sim]") {
    SimDisk disk;
    disk.bootstrap(voters({1, 2, 3}));
    CHECK(disk.snapshot_index() == 1);
    CHECK(disk.storage().last_index() == 1);
    CHECK(disk.storage().hard_state() == raft::HardState{1, kNoNode, 1});
    auto initial = disk.storage().initial_state();
    REQUIRE(initial.is_ok());
    CHECK(initial.value().conf_state.voters == std::vector<NodeId>{1, 2, 3});
}

TEST_CASE(
    "SimDisk: persist makes entries and hard state durable and replaces a conflicting "
    "suffix",
    "[sim]") {
    SimDisk disk;
    disk.bootstrap(voters({1, 2, 3}));
    raft::Ready first;
    first.entries = {entry(2, 2, "a"), entry(3, 2, "b"), entry(4, 2, "c")};
    first.hard_state = raft::HardState{2, 1, 2};
    REQUIRE(disk.persist(first).is_ok());
    CHECK(disk.storage().last_index() == 4);
    CHECK(disk.storage().hard_state() == raft::HardState{2, 1, 2});

    raft::Ready second;
    second.entries = {entry(3, 3, "x")};
    REQUIRE(disk.persist(second).is_ok());
    auto view = disk.log_view();
    REQUIRE(view.is_ok());
    CHECK(view.value().last_index() == 3);
    CHECK(view.value().entries.back() == entry(3, 3, "x"));
    // A Ready without a hard state leaves the durable one alone.
    CHECK(disk.storage().hard_state() == raft::HardState{2, 1, 2});
}

TEST_CASE("SimDisk: persist refuses entries after a gap", "[sim]") {
    SimDisk disk;
    disk.bootstrap(voters({1}));
    raft::Ready gap;
    gap.entries = {entry(5, 2)};
    CHECK_FALSE(disk.persist(gap).is_ok());
}

TEST_CASE("SimDisk: snapshot_and_compact keeps keep_entries entries below the snapshot", "[sim]") {
    struct Case {
        Index applied;
        Index keep_entries;
        Index first_index_after;
    };
    const std::vector<Case> cases = {{8, 3, 6}, {8, 0, 9}, {3, 5, 2}};
    for (const Case& c : cases) {
        INFO("applied " << c.applied << " keep " << c.keep_entries);
        SimDisk disk;
        disk.bootstrap(voters({1}));
        raft::Ready ready;
        for (Index i = 2; i <= 10; ++i) ready.entries.push_back(entry(i, 2));
        REQUIRE(disk.persist(ready).is_ok());
        REQUIRE(disk.snapshot_and_compact(c.applied, voters({1}), "1,2", c.keep_entries).is_ok());
        CHECK(disk.storage().first_index() == c.first_index_after);
        auto snapshot = disk.storage().snapshot();
        REQUIRE(snapshot.is_ok());
        CHECK(snapshot.value().metadata.index == c.applied);
        CHECK(snapshot.value().data == "1,2");
        CHECK(disk.storage().last_index() == 10);
    }
}

TEST_CASE("SimDisk: forget_vote clears only the vote", "[sim]") {
    SimDisk disk;
    disk.bootstrap(voters({1, 2, 3}));
    raft::Ready ready;
    ready.hard_state = raft::HardState{4, 2, 1};
    REQUIRE(disk.persist(ready).is_ok());
    disk.forget_vote();
    CHECK(disk.storage().hard_state() == raft::HardState{4, kNoNode, 1});
}

}  // namespace
}  // namespace consensus::sim
