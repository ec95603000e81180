#pragma once
/// SimRandom: the one source of randomness of a simulation run. Every choice the
/// simulator makes (delays, faults, workload, the cores' election timeouts) draws from
/// this generator in a fixed order, so one seed replays one run exactly (STYLE §1.3).
/// std::random_device is never used.

#include <cstdint>
#include <random>

#include "consensus/assert.h"
#include "raft/config.h"

namespace consensus::sim {

/// A seeded std::mt19937_64 behind raft's RandomSource interface. Owned by the
/// cluster; the cores borrow it through Config::random. Distributions are computed by
/// hand (modulo of the raw draw) because the standard distributions are not specified
/// bit-for-bit across library versions, and a seed must replay on every build.
class SimRandom final : public raft::RandomSource {
public:
    explicit SimRandom(std::uint64_t seed) : engine_(seed) {}
    SimRandom(const SimRandom&) = delete;
    SimRandom& operator=(const SimRandom&) = delete;

    /// A value in [0, n). Precondition: n > 0.
    std::uint64_t next(std::uint64_t n) override {
        CONSENSUS_ASSERT(n > 0);
        return engine_() % n;
    }
    /// A value in [low, high]. Precondition: low <= high.
    std::uint64_t between(std::uint64_t low, std::uint64_t high) {
        CONSENSUS_ASSERT(low <= high);
        return low + next(high - low + 1);
    }
    /// True with probability per_mille / 1000.
    bool chance(std::uint64_t per_mille) { return next(1000) < per_mille; }

private:
    std::mt19937_64 engine_;
};

}  // namespace consensus::sim
