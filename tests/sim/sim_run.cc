#include "tests/sim/sim_run.h"

namespace consensus::sim {

SimTime election_timeout_ms(const ClusterOptions& options) {
    // The core randomizes its timeout in [election_ticks, 2 * election_ticks) ticks
    // [Raft §5.2]; the bound takes the worst case.
    return 2 * static_cast<SimTime>(options.election_ticks) * options.tick_ms;
}

void run_steps(SimCluster* cluster, Workload* workload, std::uint64_t steps) {
    std::uint64_t end = cluster->steps() + steps;
    while (cluster->steps() < end && cluster->checker().ok()) {
        // The cluster's own events win ties with the workload (fixed order).
        SimTime workload_at = workload != nullptr ? workload->next_time() : UINT64_MAX;
        if (!cluster->step_if_due_before(workload_at + 1)) {
            if (workload == nullptr || workload_at == UINT64_MAX) return;
            cluster->advance_to(workload_at);
            workload->act();
        }
    }
}

bool check_liveness(SimCluster* cluster, Workload* workload, SimTime bound_ms,
                    std::string* detail) {
    workload->heal();
    SimTime start = cluster->now();
    SimTime deadline = start + bound_ms;
    SimTime reproposal_ms = election_timeout_ms(cluster->options());
    NodeId proposed_at = kNoNode;
    SimTime proposed_time = 0;
    std::optional<std::uint64_t> write;
    while (cluster->checker().ok()) {
        if (write && cluster->is_acknowledged(*write)) return true;
        NodeId leader = cluster->leader();
        if (leader != kNoNode &&
            (leader != proposed_at || cluster->now() >= proposed_time + reproposal_ms)) {
            write = cluster->propose(leader);
            proposed_at = leader;
            proposed_time = cluster->now();
            cluster->note("liveness: propose w" + std::to_string(*write) + " at leader " +
                          std::to_string(leader));
        }
        if (cluster->now() >= deadline || !cluster->step_if_due_before(deadline + 1)) {
            break;
        }
    }
    if (!cluster->checker().ok()) return true;
    *detail = "no " + std::string(cluster->leader() == kNoNode ? "leader" : "committed write") +
              " within " + std::to_string(bound_ms) + " ms of virtual time after healing at " +
              std::to_string(start) + " ms";
    return false;
}

RunResult run_seed(const RunOptions& options, std::uint64_t seed) {
    RunResult result;
    result.seed = seed;
    SimCluster cluster(options.cluster, seed);
    Workload workload(&cluster, options.workload);
    run_steps(&cluster, &workload, options.steps);
    if (cluster.checker().ok()) {
        std::string detail;
        SimTime bound = options.liveness_election_timeouts * election_timeout_ms(options.cluster);
        if (!check_liveness(&cluster, &workload, bound, &detail)) {
            result.violation = Violation{"liveness", detail};
        }
    }
    if (!cluster.checker().ok()) result.violation = cluster.checker().violation();
    if (result.violation) result.trace = cluster.format_trace();
    result.steps = cluster.steps();
    result.time_ms = cluster.now();
    result.committed = cluster.checker().committed_count();
    result.acknowledged_writes = cluster.acknowledged_count();
    result.reads_served = cluster.reads_served_count();
    result.faults = workload.faults_injected();
    result.membership_changes = workload.membership_changes();
    return result;
}

}  // namespace consensus::sim
