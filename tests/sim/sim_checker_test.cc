// The checker must have teeth: each hand-made bad history below breaks exactly one
// property, and the checker has to name that property. Good histories stay quiet.
#include "tests/sim/sim_checker.h"

#include <functional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

namespace consensus::sim {
namespace {

raft::Entry entry(Index index, Term term, std::string data = "") {
    return raft::Entry{term, index, raft::EntryType::kNormal, std::move(data)};
}

LogView log_of(std::vector<raft::Entry> entries, Index snapshot_index = 0, Term snapshot_term = 0) {
    LogView view;
    view.snapshot_index = snapshot_index;
    view.snapshot_term = snapshot_term;
    view.entries = std::move(entries);
    return view;
}

std::string property_of(const SimChecker& checker) {
    return checker.violation() ? checker.violation()->property : std::string("none");
}

struct HistoryCase {
    const char* name;
    std::function<void(SimChecker&)> history;
    const char* expected;  ///< the property reported, or "none"
};

void run_cases(const std::vector<HistoryCase>& cases) {
    for (const HistoryCase& c : cases) {
        SimChecker checker;
        c.history(checker);
        INFO("history: " << c.name);
        CHECK(property_of(checker) == c.expected);
        CHECK(checker.ok() == (std::string(c.expected) == "none"));
    }
}

TEST_CASE("SimChecker: reports election safety when two members lead one term", "[sim]") {
    run_cases({
        {"two leaders in term 3",
         [](SimChecker& c) {
             c.on_leader(1, 3);
             c.on_leader(2, 3);
         },
         "election safety"},
        {"one leader seen twice",
         [](SimChecker& c) {
             c.on_leader(1, 3);
             c.on_leader(1, 3);
         },
         "none"},
        {"leaders in different terms",
         [](SimChecker& c) {
             c.on_leader(1, 3);
             c.on_leader(2, 4);
         },
         "none"},
    });
}

TEST_CASE(
    "SimChecker: reports state machine safety when members apply different entries at one index",
    "[sim]") {
    run_cases({
        {"different data at index 1",
         [](SimChecker& c) {
             c.on_apply(1, entry(1, 1, "w1"), 1, 1);
             c.on_apply(2, entry(1, 1, "w2"), 1, 1);
         },
         "state machine safety"},
        {"different term at index 1",
         [](SimChecker& c) {
             c.on_apply(1, entry(1, 1, "w1"), 1, 1);
             c.on_apply(2, entry(1, 2, "w1"), 1, 2);
         },
         "state machine safety"},
        {"same entry applied by two members",
         [](SimChecker& c) {
             c.on_apply(1, entry(1, 1, "w1"), 1, 1);
             c.on_apply(2, entry(1, 1, "w1"), 1, 1);
         },
         "none"},
    });
}

TEST_CASE("SimChecker: reports a stale read when a read misses a write acknowledged before it",
          "[sim]") {
    run_cases({
        {"read issued after the ack misses the write",
         [](SimChecker& c) {
             c.on_write_acknowledged(7);
             std::size_t floor = c.on_read_issued();
             c.on_read_served(2, "r1", floor, {});
         },
         "linearizable read"},
        {"read issued before the ack may miss the write",
         [](SimChecker& c) {
             std::size_t floor = c.on_read_issued();
             c.on_write_acknowledged(7);
             c.on_read_served(2, "r1", floor, {});
         },
         "none"},
        {"read that holds the write",
         [](SimChecker& c) {
             c.on_write_acknowledged(7);
             std::size_t floor = c.on_read_issued();
             c.on_read_served(2, "r1", floor, {7});
         },
         "none"},
    });
}

TEST_CASE("SimChecker: reports log matching when logs agree on an entry but differ below it",
          "[sim]") {
    run_cases({
        {"same term at 3, different data at 2",
         [](SimChecker& c) {
             c.on_log(1, 2, false, log_of({entry(1, 1, "a"), entry(2, 1, "b"), entry(3, 2, "c")}));
             c.on_log(2, 2, false, log_of({entry(1, 1, "a"), entry(2, 1, "x"), entry(3, 2, "c")}));
         },
         "log matching"},
        {"diverging suffix after the common prefix",
         [](SimChecker& c) {
             c.on_log(1, 3, false, log_of({entry(1, 1, "a"), entry(2, 2, "b")}));
             c.on_log(2, 3, false, log_of({entry(1, 1, "a"), entry(2, 3, "x"), entry(3, 3, "y")}));
         },
         "none"},
        {"compared across a snapshot boundary",
         [](SimChecker& c) {
             c.on_log(1, 2, false, log_of({entry(3, 2, "c"), entry(4, 2, "d")}, 2, 1));
             c.on_log(2, 2, false, log_of({entry(1, 1, "a"), entry(2, 1, "b"), entry(3, 2, "c")}));
         },
         "none"},
        {"term going down along one log",
         [](SimChecker& c) {
             c.on_log(1, 3, false, log_of({entry(1, 2), entry(2, 1)}));
         },
         "log matching"},
        {"gap in one log",
         [](SimChecker& c) {
             c.on_log(1, 3, false, log_of({entry(1, 1), entry(3, 1)}));
         },
         "log matching"},
    });
}

TEST_CASE("SimChecker: reports leader completeness when a leader lacks an entry committed earlier",
          "[sim]") {
    run_cases({
        {"leader of term 3 lacks index 2 committed in term 1",
         [](SimChecker& c) {
             c.on_apply(1, entry(1, 1, "a"), 2, 1);
             c.on_apply(1, entry(2, 1, "b"), 2, 1);
             c.on_log(2, 3, true, log_of({entry(1, 1, "a")}));
         },
         "leader completeness"},
        {"leader of term 3 holds another entry at index 2",
         [](SimChecker& c) {
             c.on_apply(1, entry(1, 1, "a"), 2, 1);
             c.on_apply(1, entry(2, 1, "b"), 2, 1);
             c.on_log(2, 3, true, log_of({entry(1, 1, "a"), entry(2, 2, "z")}));
         },
         "leader completeness"},
        {"leader of the committing term need not be checked against itself",
         [](SimChecker& c) {
             c.on_apply(1, entry(1, 3, "a"), 1, 3);
             c.on_log(2, 3, true, log_of({}));
         },
         "none"},
        {"leader holding every committed entry",
         [](SimChecker& c) {
             c.on_apply(1, entry(1, 1, "a"), 2, 1);
             c.on_apply(1, entry(2, 1, "b"), 2, 1);
             c.on_log(2, 3, true, log_of({entry(1, 1, "a"), entry(2, 1, "b"), entry(3, 3)}));
         },
         "none"},
    });
}

TEST_CASE("SimChecker: reports commit and apply order faults when a member goes backwards",
          "[sim]") {
    run_cases({
        {"commit index moves back",
         [](SimChecker& c) {
             c.on_commit(1, 5);
             c.on_commit(1, 4);
         },
         "commit monotonic"},
        {"commit index restarts from the durable one",
         [](SimChecker& c) {
             c.on_commit(1, 5);
             c.on_restart(1, 3, 0);
             c.on_commit(1, 4);
         },
         "none"},
        {"applies beyond commit", [](SimChecker& c) { c.on_apply(1, entry(1, 1), 0, 1); },
         "apply order"},
        {"skips an index", [](SimChecker& c) { c.on_apply(1, entry(2, 1), 2, 1); }, "apply order"},
        {"snapshot moves applied back",
         [](SimChecker& c) {
             c.on_apply(1, entry(1, 1), 2, 1);
             c.on_apply(1, entry(2, 1), 2, 1);
             c.on_snapshot_restored(1, 1);
         },
         "apply order"},
        {"snapshot then the next index",
         [](SimChecker& c) {
             c.on_snapshot_restored(1, 4);
             c.on_apply(1, entry(5, 1), 5, 1);
         },
         "none"},
    });
}

TEST_CASE("SimChecker: keeps the first violation when several properties break", "[sim]") {
    SimChecker checker;
    checker.on_leader(1, 2);
    checker.on_leader(2, 2);
    checker.on_commit(1, 5);
    checker.on_commit(1, 1);
    REQUIRE(checker.violation());
    CHECK(checker.violation()->property == "election safety");
    CHECK(checker.violation()->detail.find("term 2") != std::string::npos);
}

TEST_CASE("SimChecker: reports a core invariant when the core's own check fails", "[sim]") {
    SimChecker checker;
    checker.on_core_invariant(2, "applied 5 > commit 4");
    REQUIRE(checker.violation());
    CHECK(checker.violation()->property == "core invariant");
    CHECK(checker.violation()->detail.find("applied 5") != std::string::npos);
}

TEST_CASE("SimChecker: reports the driver contract when the driver cannot carry out a Ready",
          "[sim]") {
    SimChecker checker;
    checker.on_driver_error(3, "append: out of range");
    REQUIRE(checker.violation());
    CHECK(checker.violation()->property == "driver contract");
    CHECK(checker.violation()->detail.find("member 3") != std::string::npos);
}

}  // namespace
}  // namespace consensus::sim
