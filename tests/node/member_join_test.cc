#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "node/bootstrap.h"
#include "node/flags.h"
#include "node/frame.h"

namespace consensus::node {
namespace {

/// The joining member "d" after "c" was removed: it lists the two remaining members
/// and itself, as an operator following etcd's runtime reconfiguration guide does.
constexpr const char* kJoinCluster =
    "a=http://127.0.0.1:12380,b=http://127.0.0.1:22380,d=http://127.0.0.1:42380";
constexpr const char* kOwnUrl = "http://127.0.0.1:42380";
constexpr std::uint64_t kRunningClusterId = 0x1c2d3e4f5a6b7c8dULL;

Flags joining_flags(const std::string& token = "etcd-cluster") {
    std::string cluster_flag = std::string("--initial-cluster=") + kJoinCluster;
    std::string peer_flag = std::string("--initial-advertise-peer-urls=") + kOwnUrl;
    std::string token_flag = "--initial-cluster-token=" + token;
    const char* argv[] = {"consensusd",
                          "--name=d",
                          peer_flag.c_str(),
                          cluster_flag.c_str(),
                          "--initial-cluster-state=existing",
                          token_flag.c_str()};
    auto flags = parse_flags(6, argv, {});
    REQUIRE(flags.is_ok());
    return flags.value();
}

service::Member listed(NodeId id, const std::string& peer_url, const std::string& name = "") {
    service::Member member;
    member.id = id;
    member.name = name;
    member.peer_urls = {peer_url};
    return member;
}

/// The running cluster's answer: a and b (started) and d (added, not started yet).
MembershipAnswer running_answer(NodeId joining_id) {
    std::map<std::string, NodeId> ids = initial_member_ids(joining_flags());
    return MembershipAnswer{
        kRunningClusterId,
        {listed(ids.at("b"), "http://127.0.0.1:22380", "b"), listed(joining_id, kOwnUrl),
         listed(ids.at("a"), "http://127.0.0.1:12380", "a")}};
}

TEST_CASE(
    "plan_join: takes the cluster id and members from the answer when this member was "
    "added",
    "[node]") {
    Flags flags = joining_flags();
    NodeId own_id = initial_member_ids(flags).at("d");
    Result<ClusterPlan> plan = plan_join(flags, running_answer(own_id));
    REQUIRE(plan.is_ok());
    // Not the id the flags would derive: the cluster's own.
    CHECK(plan.value().cluster_id == kRunningClusterId);
    CHECK(plan.value().cluster_id != plan_cluster(flags).value().cluster_id);
    CHECK(plan.value().local_id == own_id);
    REQUIRE(plan.value().members.size() == 3);
    for (std::size_t i = 1; i < plan.value().members.size(); ++i) {
        CHECK(plan.value().members[i - 1].id < plan.value().members[i].id);
    }
}

TEST_CASE("plan_join: refuses with etcd's advice when the cluster never added this member",
          "[node]") {
    Flags flags = joining_flags();
    MembershipAnswer answer = running_answer(initial_member_ids(flags).at("d"));
    answer.members.erase(answer.members.begin() + 1);
    Result<ClusterPlan> plan = plan_join(flags, answer);
    REQUIRE_FALSE(plan.is_ok());
    CHECK(plan.status().code() == StatusCode::kFailedPrecondition);
    CHECK(plan.status().message().find("member not added to the cluster: use member add first") !=
          std::string::npos);
}

TEST_CASE("plan_join: refuses a member of another cluster when its token gives another id",
          "[node]") {
    // The cluster added d's peer URL under its own token; d was started with another.
    NodeId added_id = initial_member_ids(joining_flags()).at("d");
    Flags foreign = joining_flags("another-cluster");
    REQUIRE(initial_member_ids(foreign).at("d") != added_id);
    Result<ClusterPlan> plan = plan_join(foreign, running_answer(added_id));
    REQUIRE_FALSE(plan.is_ok());
    CHECK(plan.status().code() == StatusCode::kFailedPrecondition);
    CHECK(plan.status().message().find("belongs to another cluster") != std::string::npos);
}

TEST_CASE("join_peer_urls: lists every other member's peer URL when joining", "[node]") {
    std::vector<Url> urls = join_peer_urls(joining_flags());
    REQUIRE(urls.size() == 2);
    CHECK(urls[0].to_string() == "http://127.0.0.1:12380");
    CHECK(urls[1].to_string() == "http://127.0.0.1:22380");
}

}  // namespace
}  // namespace consensus::node
