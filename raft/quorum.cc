#include "raft/quorum.h"

#include <algorithm>
#include <limits>
#include <vector>

namespace consensus::raft {

Index majority_committed_index(const MajorityConfig& voters, const std::map<NodeId, Index>& acked) {
    if (voters.empty()) return std::numeric_limits<Index>::max();
    std::vector<Index> indexes;
    indexes.reserve(voters.size());
    for (NodeId id : voters) {
        auto it = acked.find(id);
        indexes.push_back(it == acked.end() ? 0 : it->second);
    }
    // Sorted descending, the entry at position quorum-1 is the highest index that
    // at least `quorum` voters have reached.
    std::sort(indexes.begin(), indexes.end(), std::greater<>());
    std::size_t quorum = voters.size() / 2 + 1;
    return indexes[quorum - 1];
}

VoteResult majority_vote_result(const MajorityConfig& voters, const std::map<NodeId, bool>& votes) {
    if (voters.empty()) return VoteResult::kWon;
    std::size_t granted = 0;
    std::size_t missing = 0;
    for (NodeId id : voters) {
        auto it = votes.find(id);
        if (it == votes.end()) {
            ++missing;
        } else if (it->second) {
            ++granted;
        }
    }
    std::size_t quorum = voters.size() / 2 + 1;
    if (granted >= quorum) return VoteResult::kWon;
    if (granted + missing >= quorum) return VoteResult::kPending;
    return VoteResult::kLost;
}

std::set<NodeId> JointConfig::ids() const {
    std::set<NodeId> all = incoming;
    all.insert(outgoing.begin(), outgoing.end());
    return all;
}

Index joint_committed_index(const JointConfig& config, const std::map<NodeId, Index>& acked) {
    return std::min(majority_committed_index(config.incoming, acked),
                    majority_committed_index(config.outgoing, acked));
}

VoteResult joint_vote_result(const JointConfig& config, const std::map<NodeId, bool>& votes) {
    VoteResult incoming = majority_vote_result(config.incoming, votes);
    VoteResult outgoing = majority_vote_result(config.outgoing, votes);
    if (incoming == outgoing) return incoming;
    // A joint decision needs both halves: one loss loses, otherwise still pending.
    if (incoming == VoteResult::kLost || outgoing == VoteResult::kLost) return VoteResult::kLost;
    return VoteResult::kPending;
}

}  // namespace consensus::raft
