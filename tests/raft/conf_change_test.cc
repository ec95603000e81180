#include "raft/conf_change.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace consensus::raft {
namespace {

ConfChangeSingle add(NodeId id) {
    return {ConfChangeType::kAddNode, id};
}
ConfChangeSingle remove(NodeId id) {
    return {ConfChangeType::kRemoveNode, id};
}
ConfChangeSingle learner(NodeId id) {
    return {ConfChangeType::kAddLearnerNode, id};
}

TrackerConfig voters(std::set<NodeId> ids) {
    TrackerConfig config;
    config.voters.incoming = std::move(ids);
    return config;
}

TEST_CASE("ConfChange: simple change allows at most one voter difference", "[raft]") {
    struct Case {
        std::vector<ConfChangeSingle> changes;
        bool ok;
        std::set<NodeId> voters;
    };
    std::vector<Case> cases = {
        {{add(4)}, true, {1, 2, 3, 4}},
        {{remove(3)}, true, {1, 2}},
        {{learner(4)}, true, {1, 2, 3}},
        {{add(1)}, true, {1, 2, 3}},       // already a voter: no change
        {{add(4), add(5)}, false, {}},     // two voters: needs joint consensus
        {{remove(1), add(4)}, false, {}},  // replacing one is two changes
        {{add(4), learner(4)}, true, {1, 2, 3}},
    };
    for (std::size_t i = 0; i < cases.size(); ++i) {
        INFO("case " << i);
        auto next = simple_change(voters({1, 2, 3}), cases[i].changes);
        REQUIRE(next.is_ok() == cases[i].ok);
        if (next.is_ok()) CHECK(next.value().voters.incoming == cases[i].voters);
        if (!next.is_ok()) CHECK(next.status().code() == StatusCode::kFailedPrecondition);
    }
    CHECK_FALSE(simple_change(voters({1}), {remove(1)}).is_ok());  // no voter would remain
}

TEST_CASE("ConfChange: enter_joint keeps C_old as outgoing when changing many voters", "[raft]") {
    auto joint = enter_joint(voters({1, 2, 3}), true, {add(4), add(5), remove(1)});
    REQUIRE(joint.is_ok());
    CHECK(joint.value().voters.incoming == std::set<NodeId>{2, 3, 4, 5});
    CHECK(joint.value().voters.outgoing == std::set<NodeId>{1, 2, 3});
    CHECK(joint.value().auto_leave);
    // Already joint: refused.
    CHECK_FALSE(enter_joint(joint.value(), false, {add(6)}).is_ok());
    CHECK_FALSE(simple_change(joint.value(), {add(6)}).is_ok());
    auto left = leave_joint(joint.value());
    REQUIRE(left.is_ok());
    CHECK(left.value().voters.incoming == std::set<NodeId>{2, 3, 4, 5});
    CHECK(left.value().voters.outgoing.empty());
    CHECK_FALSE(left.value().auto_leave);
    CHECK_FALSE(leave_joint(left.value()).is_ok());
}

TEST_CASE("ConfChange: a demoted voter waits in learners_next until the joint config is left",
          "[raft]") {
    auto joint = enter_joint(voters({1, 2, 3}), false, {learner(3), add(4)});
    REQUIRE(joint.is_ok());
    CHECK(joint.value().learners_next == std::set<NodeId>{3});
    CHECK(joint.value().learners.empty());
    CHECK(joint.value().voters.outgoing.count(3) == 1);
    REQUIRE(check_config(joint.value()).is_ok());
    auto left = leave_joint(joint.value());
    REQUIRE(left.is_ok());
    CHECK(left.value().learners == std::set<NodeId>{3});
    CHECK(left.value().learners_next.empty());
}

TEST_CASE("ConfChange: apply_change picks simple, joint or leave by transition", "[raft]") {
    ConfChange single{{add(4)}, "", ConfChangeTransition::kAuto};
    auto simple = apply_change(voters({1, 2, 3}), single);
    REQUIRE(simple.is_ok());
    CHECK_FALSE(simple.value().voters.is_joint());

    ConfChange explicit_joint{{add(4)}, "", ConfChangeTransition::kJointExplicit};
    auto joint = apply_change(voters({1, 2, 3}), explicit_joint);
    REQUIRE(joint.is_ok());
    CHECK(joint.value().voters.is_joint());
    CHECK_FALSE(joint.value().auto_leave);

    ConfChange many{{add(4), add(5)}, "", ConfChangeTransition::kAuto};
    auto auto_joint = apply_change(voters({1, 2, 3}), many);
    REQUIRE(auto_joint.is_ok());
    CHECK(auto_joint.value().auto_leave);

    auto left = apply_change(auto_joint.value(), ConfChange{});
    REQUIRE(left.is_ok());
    CHECK_FALSE(left.value().voters.is_joint());
}

TEST_CASE("ConfChange: to and from ConfState round-trip when joint", "[raft]") {
    auto joint = enter_joint(voters({1, 2, 3}), true, {learner(3), add(4)});
    REQUIRE(joint.is_ok());
    ConfState state = joint.value().to_conf_state();
    CHECK(TrackerConfig::from_conf_state(state) == joint.value());
}

TEST_CASE("ConfChange: encoding round-trips and rejects corrupt data", "[raft]") {
    ConfChange change{{add(7), remove(2), learner(9)},
                      "http://127.0.0.1:2380",
                      ConfChangeTransition::kJointExplicit};
    std::string data = encode_conf_change(change);
    auto decoded = decode_conf_change(data);
    REQUIRE(decoded.is_ok());
    CHECK(decoded.value() == change);
    auto empty = decode_conf_change(encode_conf_change(ConfChange{}));
    REQUIRE(empty.is_ok());
    CHECK(empty.value().changes.empty());

    struct Case {
        std::string data;
        const char* why;
    };
    std::vector<Case> cases = {
        {"", "empty"},
        {std::string("\x02", 1), "version"},
        {data.substr(0, data.size() - 1), "truncated"},
        {data + "x", "trailing"},
        {data.substr(0, 4), "truncated"},
    };
    std::string bad_type = data;
    bad_type[6] = '\x07';  // the first change's type byte
    cases.push_back({bad_type, "type"});
    for (const Case& c : cases) {
        INFO(c.why);
        auto result = decode_conf_change(c.data);
        REQUIRE_FALSE(result.is_ok());
        CHECK(result.status().code() == StatusCode::kCorruption);
        CHECK(result.status().message().find(c.why) != std::string::npos);
    }
}

}  // namespace
}  // namespace consensus::raft
