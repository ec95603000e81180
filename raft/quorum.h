#pragma once
/// Quorum arithmetic: the commit index and vote outcome of a majority configuration
/// and of a joint configuration [Raft §6] (after etcd raft's quorum/ package).

#include <cstdint>
#include <map>
#include <set>

#include "consensus/types.h"

namespace consensus::raft {

/// A set of voters; decisions need a strict majority of it.
using MajorityConfig = std::set<NodeId>;

/// Outcome of an election so far.
enum class VoteResult : std::uint8_t {
    kPending,  ///< neither a quorum of yes nor of no yet
    kLost,     ///< a quorum said no (or cannot say yes any more)
    kWon,      ///< a quorum said yes
};

/// The largest index acknowledged by a majority of `voters`, reading each voter's
/// acknowledged (match) index from `acked` (absent = 0). An empty configuration
/// returns the largest Index so that it never constrains a joint configuration.
Index majority_committed_index(const MajorityConfig& voters, const std::map<NodeId, Index>& acked);

/// Vote outcome for `voters` given the votes cast (true = granted). An empty
/// configuration wins, so that it never constrains a joint configuration.
VoteResult majority_vote_result(const MajorityConfig& voters, const std::map<NodeId, bool>& votes);

/// A joint configuration [Raft §6]: incoming is C_new (or the only config), outgoing is
/// C_old during a transition and empty otherwise. Decisions need a majority of both.
struct JointConfig {
    MajorityConfig incoming;
    MajorityConfig outgoing;

    bool operator==(const JointConfig&) const = default;
    /// Every voter of either half.
    std::set<NodeId> ids() const;
    bool is_joint() const { return !outgoing.empty(); }
};

/// min of both halves' committed index.
Index joint_committed_index(const JointConfig& config, const std::map<NodeId, Index>& acked);

/// Won when both halves won; lost when either lost; else pending.
VoteResult joint_vote_result(const JointConfig& config, const std::map<NodeId, bool>& votes);

}  // namespace consensus::raft
