// Property: the optimized quorum arithmetic agrees with a naive definition on random
// configurations (after etcd raft's quorum/quick_test.go).
#include <catch2/catch.hpp>
#include <cstdint>
#include <map>
#include <set>

#include "raft/quorum.h"
#include "raft/support/network.h"

namespace consensus::raft {
namespace {

// The naive definition: the largest index that at least a majority has reached.
Index naive_committed_index(const MajorityConfig& voters, const std::map<NodeId, Index>& acked) {
    if (voters.empty()) return std::numeric_limits<Index>::max();
    Index best = 0;
    for (NodeId candidate : voters) {
        auto found = acked.find(candidate);
        Index index = found == acked.end() ? 0 : found->second;
        std::size_t reached = 0;
        for (NodeId id : voters) {
            auto it = acked.find(id);
            if ((it == acked.end() ? 0 : it->second) >= index) ++reached;
        }
        if (reached > voters.size() / 2) best = std::max(best, index);
    }
    return best;
}

constexpr int kIterations = 2000;
constexpr std::uint64_t kSeed = 20240521;

TEST_CASE("Quorum: optimized committed index equals the naive one on random configs",
          "[raft][property]") {
    test::SeededRandom random(kSeed);
    for (int iteration = 0; iteration < kIterations; ++iteration) {
        MajorityConfig voters;
        std::map<NodeId, Index> acked;
        std::uint64_t size = random.next(8);
        for (std::uint64_t i = 0; i < size; ++i) voters.insert(1 + random.next(10));
        for (NodeId id = 1; id <= 10; ++id) {
            if (random.next(4) != 0) acked[id] = random.next(20);
        }
        INFO("seed " << kSeed << " iteration " << iteration);
        REQUIRE(majority_committed_index(voters, acked) == naive_committed_index(voters, acked));
    }
}

TEST_CASE("Quorum: joint committed index equals the naive minimum on random configs",
          "[raft][property]") {
    test::SeededRandom random(kSeed + 1);
    for (int iteration = 0; iteration < kIterations; ++iteration) {
        JointConfig joint;
        for (std::uint64_t i = 0, n = 1 + random.next(6); i < n; ++i)
            joint.incoming.insert(1 + random.next(8));
        for (std::uint64_t i = 0, n = random.next(6); i < n; ++i)
            joint.outgoing.insert(1 + random.next(8));
        std::map<NodeId, Index> acked;
        for (NodeId id = 1; id <= 8; ++id) acked[id] = random.next(30);
        Index naive = std::min(naive_committed_index(joint.incoming, acked),
                               naive_committed_index(joint.outgoing, acked));
        INFO("seed " << kSeed + 1 << " iteration " << iteration);
        REQUIRE(joint_committed_index(joint, acked) == naive);
    }
}

}  // namespace
}  // namespace consensus::raft
