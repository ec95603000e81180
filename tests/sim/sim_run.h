#pragma once
/// One simulation run from a seed: a fault phase of a fixed number of steps with the
/// workload running, then a liveness phase (network healed, every member restarted)
/// in which a leader must be elected and a fresh write must commit within a bound of
/// virtual time. Shared by the consensus_sim binary and the Catch2 scenarios.

#include <cstdint>
#include <optional>
#include <string>

#include "tests/sim/sim_checker.h"
#include "tests/sim/sim_cluster.h"
#include "tests/sim/workload.h"

namespace consensus::sim {

struct RunOptions {
    RunOptions() {
        cluster.crash_after_persist_per_mille = 3;
        cluster.crash_after_vote_per_mille = 150;
    }

    ClusterOptions cluster;
    WorkloadOptions workload;
    /// Events run in the fault phase.
    std::uint64_t steps = 2000;
    /// After healing, a leader must be elected and a fresh write acknowledged within
    /// this many maximal election timeouts (2 * election_ticks ticks each) of virtual
    /// time, or the run fails with "liveness".
    std::uint64_t liveness_election_timeouts = 10;
};

/// What a run found.
struct RunResult {
    std::uint64_t seed = 0;
    /// The first violated property, including "liveness".
    std::optional<Violation> violation;
    /// The last events before the violation (empty when the run passed).
    std::string trace;
    std::uint64_t steps = 0;
    SimTime time_ms = 0;
    std::size_t committed = 0;
    std::uint64_t acknowledged_writes = 0;
    std::uint64_t reads_served = 0;
    std::uint64_t faults = 0;
    std::uint64_t membership_changes = 0;

    bool ok() const { return !violation.has_value(); }
};

/// Runs one seed. Deterministic: the same options and seed give the same result.
RunResult run_seed(const RunOptions& options, std::uint64_t seed);

/// The maximal election timeout in virtual time.
SimTime election_timeout_ms(const ClusterOptions& options);

/// Steps `cluster` (and `workload` when it is not null) until `cluster` has run
/// `steps` more events or a violation is found.
void run_steps(SimCluster* cluster, Workload* workload, std::uint64_t steps);

/// Heals `cluster` through `workload` and waits up to `bound_ms` of virtual time for a
/// leader and a fresh write, reproposed whenever leadership moves or an election
/// timeout passes. Returns false with a description in `detail` on timeout; returns
/// true when the write commits, or when a safety violation stops the wait (the
/// cluster's checker then holds it).
bool check_liveness(SimCluster* cluster, Workload* workload, SimTime bound_ms, std::string* detail);

}  // namespace consensus::sim
