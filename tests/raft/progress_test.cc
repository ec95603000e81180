#include "raft/progress.h"

#include <catch2/catch.hpp>
#include <vector>

namespace consensus::raft {
namespace {

TEST_CASE("Inflights: full at capacity and freed up to an acknowledged index", "[raft]") {
    Inflights inflights(3);
    inflights.add(5);
    inflights.add(7);
    CHECK_FALSE(inflights.full());
    inflights.add(9);
    CHECK(inflights.full());  // the bound max_inflight_messages is reached
    inflights.free_le(7);
    CHECK(inflights.count() == 1);
    CHECK_FALSE(inflights.full());
    inflights.free_first_one();
    CHECK(inflights.count() == 0);
}

TEST_CASE("Progress: maybe_update moves match and next only forward", "[raft]") {
    struct Case {
        Index update;
        bool updated;
        Index match;
        Index next;
    };
    // Start: match 3, next 5.
    std::vector<Case> cases = {
        {2, false, 3, 5}, {3, false, 3, 5}, {4, true, 4, 5}, {5, true, 5, 6}, {6, true, 6, 7},
    };
    for (const Case& c : cases) {
        INFO("update " << c.update);
        Progress progress(5, 4, false);
        progress.match_index = 3;
        CHECK(progress.maybe_update(c.update) == c.updated);
        CHECK(progress.match_index == c.match);
        CHECK(progress.next_index == c.next);
    }
}

TEST_CASE("Progress: maybe_decrease_to backs off only for the outstanding append", "[raft]") {
    struct Case {
        ProgressState state;
        Index match;
        Index next;
        Index rejected;
        Index hint;
        bool decreased;
        Index want_next;
    };
    std::vector<Case> cases = {
        // Replicate: a rejection at or below match is stale.
        {ProgressState::kReplicate, 5, 10, 5, 5, false, 10},
        {ProgressState::kReplicate, 5, 10, 4, 4, false, 10},
        // Replicate: otherwise restart after match.
        {ProgressState::kReplicate, 5, 10, 9, 9, true, 6},
        // Probe: only the append at next-1 counts.
        {ProgressState::kProbe, 0, 0, 0, 0, false, 0},
        {ProgressState::kProbe, 0, 10, 5, 5, false, 10},
        {ProgressState::kProbe, 0, 10, 9, 9, true, 9},
        {ProgressState::kProbe, 0, 2, 1, 1, true, 1},
        {ProgressState::kProbe, 0, 1, 0, 0, true, 1},  // never below match + 1
        // Probe: the hint can skip far back.
        {ProgressState::kProbe, 0, 10, 9, 2, true, 3},
        {ProgressState::kProbe, 0, 10, 9, 0, true, 1},
    };
    for (std::size_t i = 0; i < cases.size(); ++i) {
        INFO("case " << i);
        const Case& c = cases[i];
        Progress progress(c.next, 4, false);
        progress.state = c.state;
        progress.match_index = c.match;
        CHECK(progress.maybe_decrease_to(c.rejected, c.hint) == c.decreased);
        CHECK(progress.next_index == c.want_next);
    }
}

TEST_CASE("Progress: is_paused depends on the replication state", "[raft]") {
    Progress progress(1, 1, false);
    CHECK_FALSE(progress.is_paused());
    progress.probe_sent = true;
    CHECK(progress.is_paused());  // probe: one append per round
    progress.become_replicate();
    CHECK_FALSE(progress.is_paused());
    progress.inflights.add(1);
    CHECK(progress.is_paused());  // replicate: bounded by inflights
    progress.become_snapshot(10);
    CHECK(progress.is_paused());  // snapshot: nothing else
}

TEST_CASE("Progress: become_probe after a snapshot resumes past the snapshot", "[raft]") {
    Progress progress(5, 4, false);
    progress.match_index = 1;
    progress.become_snapshot(10);
    progress.become_probe();
    CHECK(progress.state == ProgressState::kProbe);
    CHECK(progress.next_index == 11);
    Progress failed(5, 4, false);
    failed.match_index = 1;
    failed.become_snapshot(10);
    failed.pending_snapshot = 0;  // a failed snapshot is forgotten
    failed.become_probe();
    CHECK(failed.next_index == 2);
}

TEST_CASE("ProgressTracker: set_config adds and removes progress when members change", "[raft]") {
    ProgressTracker tracker(4);
    TrackerConfig config;
    config.voters.incoming = {1, 2, 3};
    config.learners = {4};
    tracker.set_config(config, 7);
    CHECK(tracker.progress().size() == 4);
    CHECK(tracker.find(4)->is_learner);
    CHECK(tracker.find(2)->next_index == 7);
    config.voters.incoming = {1, 2};
    config.learners = {};
    tracker.set_config(config, 9);
    CHECK(tracker.progress().size() == 2);
    CHECK(tracker.find(3) == nullptr);
}

TEST_CASE("ProgressTracker: committed is the quorum match when voters acknowledge", "[raft]") {
    ProgressTracker tracker(4);
    TrackerConfig config;
    config.voters.incoming = {1, 2, 3};
    config.learners = {4};
    tracker.set_config(config, 1);
    tracker.find(1)->match_index = 5;
    tracker.find(2)->match_index = 3;
    tracker.find(3)->match_index = 1;
    tracker.find(4)->match_index = 9;  // learners never count
    CHECK(tracker.committed() == 3);
}

TEST_CASE("ProgressTracker: tally_votes counts each voter's first vote", "[raft]") {
    ProgressTracker tracker(4);
    TrackerConfig config;
    config.voters.incoming = {1, 2, 3, 4, 5};
    tracker.set_config(config, 1);
    int granted = 0;
    int rejected = 0;
    tracker.record_vote(1, true);
    tracker.record_vote(2, false);
    tracker.record_vote(2, true);  // a changed mind does not count
    CHECK(tracker.tally_votes(&granted, &rejected) == VoteResult::kPending);
    CHECK(granted == 1);
    CHECK(rejected == 1);
    tracker.record_vote(3, false);
    tracker.record_vote(4, false);
    CHECK(tracker.tally_votes(&granted, &rejected) == VoteResult::kLost);
}

}  // namespace
}  // namespace consensus::raft
