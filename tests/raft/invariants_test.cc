// The invariant checker must catch each violation it claims to check, or the tests
// that rely on it prove nothing.
#include "raft/invariants.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace consensus::raft {
namespace {

MemberView member(NodeId id, Term term, Role role, Index commit, std::vector<Term> log_terms) {
    MemberView view;
    view.status.id = id;
    view.status.hard_state = HardState{term, kNoNode, commit};
    view.status.soft_state = SoftState{role == Role::kLeader ? id : kNoNode, role};
    view.status.conf_state.voters = {1, 2, 3};
    view.status.last_index = log_terms.size();
    view.status.applied = 0;
    for (std::size_t i = 0; i < log_terms.size(); ++i) {
        view.entries.push_back(
            Entry{log_terms[i], i + 1, EntryType::kNormal, "t" + std::to_string(log_terms[i])});
    }
    return view;
}

void check_fails(const Status& status, const std::string& what) {
    INFO(status.to_string());
    REQUIRE(status.code() == StatusCode::kInternal);
    CHECK(status.message().find(what) != std::string::npos);
}

TEST_CASE("Invariants: check_member reports a broken member when its state is inconsistent",
          "[raft]") {
    CHECK(check_member(member(1, 2, Role::kFollower, 2, {1, 2})).is_ok());
    struct Case {
        const char* name;
        MemberView view;
        const char* what;
    };
    std::vector<Case> cases;
    MemberView gap = member(1, 2, Role::kFollower, 0, {1, 2});
    gap.entries[1].index = 5;
    cases.push_back({"gap", gap, "contiguous"});
    cases.push_back({"decreasing", member(1, 3, Role::kFollower, 0, {2, 1}), "decrease"});
    cases.push_back(
        {"future term", member(1, 1, Role::kFollower, 0, {1, 2}), "above the current term"});
    MemberView applied = member(1, 2, Role::kFollower, 1, {1, 2});
    applied.status.applied = 2;
    cases.push_back({"applied", applied, "applied beyond commit"});
    cases.push_back({"commit", member(1, 2, Role::kFollower, 3, {1, 2}), "commit beyond"});
    MemberView outsider = member(4, 2, Role::kLeader, 0, {1, 2});
    cases.push_back({"leader not voter", outsider, "not a voter"});
    for (const Case& c : cases) {
        INFO(c.name);
        check_fails(check_member(c.view), c.what);
    }
}

TEST_CASE("Invariants: log matching fails when logs differ below a matching entry", "[raft]") {
    MemberView a = member(1, 3, Role::kFollower, 0, {1, 2, 3});
    MemberView b = member(2, 3, Role::kFollower, 0, {1, 2, 3, 3});
    CHECK(check_log_matching({a, b}).is_ok());
    MemberView c = member(3, 3, Role::kFollower, 0, {1, 3});
    CHECK(check_log_matching({a, c}).is_ok());  // diverge at 2, no match above it
    MemberView e = member(4, 3, Role::kFollower, 0, {1, 3, 3});
    check_fails(check_log_matching({a, e}), "log matching");  // match at 3, differ at 2
    MemberView d = b;
    d.entries[0].data = "different";
    check_fails(check_log_matching({a, d}), "log matching");
}

TEST_CASE("Invariants: election safety fails when two members lead one term", "[raft]") {
    SafetyChecker checker;
    REQUIRE(checker.observe({member(1, 2, Role::kLeader, 0, {1, 2})}).is_ok());
    // Later, member 2 claims term 2 as well.
    check_fails(checker.observe({member(2, 2, Role::kLeader, 0, {1, 2})}), "election safety");
}

TEST_CASE("Invariants: state machine safety fails when a committed index changes", "[raft]") {
    SafetyChecker checker;
    REQUIRE(checker.observe({member(1, 2, Role::kFollower, 2, {1, 2})}).is_ok());
    check_fails(checker.observe({member(1, 3, Role::kFollower, 2, {1, 3})}),
                "state machine safety");
}

TEST_CASE("Invariants: leader completeness fails when a later leader lacks a committed entry",
          "[raft]") {
    SafetyChecker checker;
    REQUIRE(checker.observe({member(1, 2, Role::kFollower, 2, {1, 2})}).is_ok());
    // A leader of term 3 whose log stops at index 1.
    check_fails(checker.observe({member(2, 3, Role::kLeader, 1, {1})}), "leader completeness");
    // A leader of the same term the entry was seen committed in is not judged.
    SafetyChecker other;
    REQUIRE(other.observe({member(1, 2, Role::kFollower, 2, {1, 2})}).is_ok());
    CHECK(other.observe({member(2, 2, Role::kLeader, 1, {1})}).is_ok());
}

}  // namespace
}  // namespace consensus::raft
