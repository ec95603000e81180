#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "node/bootstrap.h"
#include "node/entry_codec.h"
#include "node/flags.h"
#include "node/membership.h"

using consensus::StatusCode;
using consensus::node::ClusterPlan;
using consensus::node::Flags;

namespace {

constexpr const char* kCluster =
    "a=http://127.0.0.1:12380,b=http://127.0.0.1:22380,c=http://127.0.0.1:32380";

Flags flags_for(const std::string& name, const std::string& peer_url,
                const std::string& state = "new", const char* cluster = kCluster) {
    std::string name_flag = "--name=" + name;
    std::string peer_flag = "--initial-advertise-peer-urls=" + peer_url;
    std::string listen_flag = "--listen-peer-urls=" + peer_url;
    std::string cluster_flag = std::string("--initial-cluster=") + cluster;
    std::string state_flag = "--initial-cluster-state=" + state;
    const char* argv[] = {"consensusd",        name_flag.c_str(),    peer_flag.c_str(),
                          listen_flag.c_str(), cluster_flag.c_str(), state_flag.c_str()};
    auto flags = consensus::node::parse_flags(6, argv, {});
    REQUIRE(flags.is_ok());
    return flags.value();
}

ClusterPlan plan_for(const Flags& flags) {
    auto plan = consensus::node::plan_cluster(flags);
    REQUIRE(plan.is_ok());
    return plan.value();
}

}  // namespace

TEST_CASE("bootstrap: every member computes the same cluster when given the same flags", "[node]") {
    ClusterPlan a = plan_for(flags_for("a", "http://127.0.0.1:12380"));
    ClusterPlan b = plan_for(flags_for("b", "http://127.0.0.1:22380"));
    ClusterPlan c = plan_for(flags_for("c", "http://127.0.0.1:32380"));
    CHECK(a.cluster_id == b.cluster_id);
    CHECK(b.cluster_id == c.cluster_id);
    CHECK(a.local_id != b.local_id);
    CHECK(b.local_id != c.local_id);
    REQUIRE(a.members.size() == 3);
    for (std::size_t i = 0; i < a.members.size(); ++i) {
        CHECK(a.members[i].id == c.members[i].id);
        CHECK(a.members[i].peer_urls == c.members[i].peer_urls);
        CHECK(a.members[i].name == c.members[i].name);
    }
    // The bootstrap snapshots are byte-identical, which makes entry 1 agree everywhere.
    CHECK(consensus::node::bootstrap_snapshot(a, "store") ==
          consensus::node::bootstrap_snapshot(c, "store"));
}

TEST_CASE("bootstrap: the snapshot holds every member as a voter when a cluster starts", "[node]") {
    ClusterPlan plan = plan_for(flags_for("b", "http://127.0.0.1:22380"));
    auto snapshot = consensus::node::bootstrap_snapshot(plan, "empty store");
    CHECK(snapshot.metadata.index == 1);
    CHECK(snapshot.metadata.term == 1);
    CHECK(snapshot.metadata.conf_state.voters.size() == 3);
    auto data = consensus::node::decode_snapshot_data(snapshot.data);
    REQUIRE(data.is_ok());
    CHECK(data.value().store == "empty store");
    auto table = consensus::node::MemberTable::decode(data.value().member_table);
    REQUIRE(table.is_ok());
    CHECK(table.value().size() == 3);
    REQUIRE(table.value().find(plan.local_id) != nullptr);
    CHECK(table.value().find(plan.local_id)->name == "b");
    auto hard_state = consensus::node::bootstrap_hard_state();
    CHECK(hard_state.term == 1);
    CHECK(hard_state.commit == 1);
    CHECK(hard_state.vote == consensus::kNoNode);
}

TEST_CASE("bootstrap: a joining member uses the running cluster's id when state is existing",
          "[node]") {
    ClusterPlan original = plan_for(flags_for("a", "http://127.0.0.1:12380", "new",
                                              "a=http://127.0.0.1:12380,b=http://127.0.0.1:22380"));
    ClusterPlan joining = plan_for(flags_for("c", "http://127.0.0.1:32380", "existing"));
    CHECK(joining.cluster_id == original.cluster_id);
    CHECK(joining.members.size() == 3);
}

TEST_CASE("bootstrap: a single default member gets a stable id when no cluster flags are given",
          "[node]") {
    const char* argv[] = {"consensusd"};
    auto flags = consensus::node::parse_flags(1, argv, {});
    REQUIRE(flags.is_ok());
    ClusterPlan first = plan_for(flags.value());
    ClusterPlan second = plan_for(flags.value());
    CHECK(first.local_id == second.local_id);
    CHECK(first.local_id != consensus::kNoNode);
    CHECK(first.members.size() == 1);
}
