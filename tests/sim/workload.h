#pragma once
/// Workload: the clients and the fault injector of a simulation run. Clients propose
/// writes, issue ReadIndex reads, change the membership (single steps and joint
/// consensus, keeping a valid voter majority) and transfer leadership; the fault
/// injector crashes and restarts members, cuts links (symmetric and asymmetric,
/// minority and majority sides, the leader alone) and varies drop, duplicate and
/// reorder rates. Every choice draws from the cluster's SimRandom.

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "tests/sim/sim_cluster.h"

namespace consensus::sim {

/// Rates and bounds of the workload. Every bound is named here.
struct WorkloadOptions {
    /// Virtual time between two client operations.
    SimTime client_interval_min_ms = 2;
    SimTime client_interval_max_ms = 20;
    /// Virtual time between two fault decisions.
    SimTime fault_interval_min_ms = 20;
    SimTime fault_interval_max_ms = 250;
    bool faults = true;
    bool membership_changes = true;
    /// Members beyond the initial ones that may exist at once.
    std::size_t members_extra_max = 2;
    /// Membership changes never leave fewer voters than this.
    std::size_t voters_min = 3;
    /// A member created for an addition that has not joined after this long is
    /// retired.
    SimTime join_deadline_ms = 3000;
    /// Upper bounds of the fault rates the injector picks (per mille).
    std::uint64_t drop_per_mille_max = 150;
    std::uint64_t duplicate_per_mille_max = 50;
    std::uint64_t hold_back_per_mille_max = 100;
    /// Bounds of the downtime of a quick crash-and-restart ("bounce").
    SimTime bounce_min_ms = 1;
    SimTime bounce_max_ms = 40;
};

/// Drives one SimCluster, which must outlive it. The runner interleaves it with the
/// cluster's own events: whichever is due first runs, the cluster on a tie.
class Workload {
public:
    Workload(SimCluster* cluster, const WorkloadOptions& options);
    Workload(const Workload&) = delete;
    Workload& operator=(const Workload&) = delete;

    /// When the workload next acts.
    SimTime next_time() const;
    /// Runs the operation due at cluster->now() (the client first on a tie).
    void act();
    /// Ends the fault phase: heals the network, zeroes the fault rates, restarts every
    /// member that is down, and stops all further operations.
    void heal();

    std::uint64_t faults_injected() const { return faults_injected_; }
    std::uint64_t membership_changes() const { return membership_changes_; }

private:
    void client_operation();
    void fault_operation();
    void change_membership(NodeId leader);
    /// Chooses one membership change valid for `conf` at `leader`; false when the
    /// drawn kind of change is not possible now.
    bool plan_change(const raft::ConfState& conf, NodeId leader, raft::ConfChange* change,
                     std::string* what);
    /// Starts a fresh member for an addition and remembers when, for retire_orphans.
    NodeId create_joining_member();
    void partition();
    NodeId pick(const std::vector<NodeId>& ids);
    void retire_orphans(const raft::ConfState& conf_state);

    SimCluster* cluster_;
    WorkloadOptions options_;
    SimTime next_client_at_ = 0;
    SimTime next_fault_at_ = 0;
    bool stopped_ = false;
    /// Members created for an addition, with their creation time, until they join.
    std::map<NodeId, SimTime> joining_;
    std::uint64_t faults_injected_ = 0;
    std::uint64_t membership_changes_ = 0;
};

}  // namespace consensus::sim
