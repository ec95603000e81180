#pragma once
/// Membership transitions [Raft §6; thesis §4] (after etcd raft's confchange/): a
/// simple change of at most one voter, entering a joint configuration C_old,new, and
/// leaving it for C_new. Each returns the new TrackerConfig or an error explaining why
/// the change is not allowed; none has side effects.

#include <vector>

#include "consensus/status.h"
#include "raft/message.h"
#include "raft/progress.h"

namespace consensus::raft {

/// Applies `changes` to a non-joint `config` directly. Errors (kFailedPrecondition):
/// the config is joint; more than one voter would change (that needs joint consensus,
/// or old and new majorities might not overlap [thesis §4.1]); no voter would remain.
Result<TrackerConfig> simple_change(const TrackerConfig& config,
                                    const std::vector<ConfChangeSingle>& changes);

/// Enters the joint configuration: outgoing = the current voters, incoming = them with
/// `changes` applied. Voters demoted to learners wait in learners_next until the joint
/// configuration is left. Errors (kFailedPrecondition): already joint; no voters to
/// start from; no incoming voter would remain.
Result<TrackerConfig> enter_joint(const TrackerConfig& config, bool auto_leave,
                                  const std::vector<ConfChangeSingle>& changes);

/// Leaves the joint configuration: drops outgoing voters, turns learners_next into
/// learners and clears auto_leave. Errors (kFailedPrecondition): not joint.
Result<TrackerConfig> leave_joint(const TrackerConfig& config);

/// Picks the transition `change` asks for (see ConfChangeTransition) and applies it.
Result<TrackerConfig> apply_change(const TrackerConfig& config, const ConfChange& change);

/// Ok when `config` satisfies the ConfState invariants: learners are disjoint from
/// voters, learners_next is a subset of outgoing voters and disjoint from learners,
/// and a non-joint config has no learners_next and no auto_leave. Else kInternal.
Status check_config(const TrackerConfig& config);

}  // namespace consensus::raft
