#pragma once
/// Shared scalar vocabulary. Raft's words (term, index, node id) and etcd's words
/// (revision) are plain 64-bit integers; the aliases say which one a value is.

#include <cstdint>

namespace consensus {

/// A member's identity in the cluster. 0 means "none" (no leader, no vote).
using NodeId = std::uint64_t;
/// A Raft term [Raft §5.1]. Terms only grow.
using Term = std::uint64_t;
/// A position in the Raft log [Raft §5.3]. The first real entry has index 1.
using Index = std::uint64_t;
/// A store revision (etcd's name for the v2 "index" / v3 "revision").
using Revision = std::uint64_t;

inline constexpr NodeId kNoNode = 0;

}  // namespace consensus
