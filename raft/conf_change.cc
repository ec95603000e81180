#include "raft/conf_change.h"

#include <string>

namespace consensus::raft {
namespace {

Status refused(const std::string& why) {
    return Status(StatusCode::kFailedPrecondition, why);
}

void make_voter(TrackerConfig* config, NodeId id) {
    config->voters.incoming.insert(id);
    config->learners.erase(id);
    config->learners_next.erase(id);
}

void make_learner(TrackerConfig* config, NodeId id) {
    if (config->learners.count(id) != 0) return;
    config->voters.incoming.erase(id);
    config->learners_next.erase(id);
    // A voter of C_old keeps voting there until the joint configuration is left, so it
    // may only become a learner then; a member may never be a voter and a learner at
    // once [etcd: confchange/confchange.go makeLearner].
    if (config->voters.outgoing.count(id) != 0) {
        config->learners_next.insert(id);
    } else {
        config->learners.insert(id);
    }
}

void remove_member(TrackerConfig* config, NodeId id) {
    // A removed voter of C_old stays in outgoing: C_old still decides until left.
    config->voters.incoming.erase(id);
    config->learners.erase(id);
    config->learners_next.erase(id);
}

Status apply_singles(TrackerConfig* config, const std::vector<ConfChangeSingle>& changes) {
    for (const ConfChangeSingle& single : changes) {
        if (single.node_id == kNoNode) continue;  // etcd ignores the zero id too
        switch (single.type) {
            case ConfChangeType::kAddNode:
                make_voter(config, single.node_id);
                break;
            case ConfChangeType::kAddLearnerNode:
                make_learner(config, single.node_id);
                break;
            case ConfChangeType::kRemoveNode:
                remove_member(config, single.node_id);
                break;
        }
    }
    if (config->voters.incoming.empty()) return refused("removed all voters");
    return Status::ok();
}

std::size_t symmetric_difference_size(const MajorityConfig& a, const MajorityConfig& b) {
    std::size_t count = 0;
    for (NodeId id : a) count += b.count(id) == 0 ? 1 : 0;
    for (NodeId id : b) count += a.count(id) == 0 ? 1 : 0;
    return count;
}

}  // namespace

Status check_config(const TrackerConfig& config) {
    for (NodeId id : config.learners) {
        if (config.voters.incoming.count(id) || config.voters.outgoing.count(id)) {
            return Status(StatusCode::kInternal, "a learner is also a voter");
        }
    }
    for (NodeId id : config.learners_next) {
        if (config.voters.outgoing.count(id) == 0) {
            return Status(StatusCode::kInternal, "learners_next member is not an outgoing voter");
        }
        if (config.learners.count(id) != 0) {
            return Status(StatusCode::kInternal, "learners_next member is already a learner");
        }
    }
    if (!config.voters.is_joint()) {
        if (!config.learners_next.empty()) {
            return Status(StatusCode::kInternal, "learners_next outside a joint configuration");
        }
        if (config.auto_leave) {
            return Status(StatusCode::kInternal, "auto_leave outside a joint configuration");
        }
    }
    return Status::ok();
}

Result<TrackerConfig> simple_change(const TrackerConfig& config,
                                    const std::vector<ConfChangeSingle>& changes) {
    if (config.voters.is_joint())
        return refused("can't apply simple config change in joint config");
    TrackerConfig next = config;
    Status status = apply_singles(&next, changes);
    if (!status.is_ok()) return status;
    if (symmetric_difference_size(config.voters.incoming, next.voters.incoming) > 1) {
        return refused("more than one voter changed without entering joint config");
    }
    status = check_config(next);
    if (!status.is_ok()) return status;
    return next;
}

Result<TrackerConfig> enter_joint(const TrackerConfig& config, bool auto_leave,
                                  const std::vector<ConfChangeSingle>& changes) {
    if (config.voters.is_joint()) return refused("config is already joint");
    if (config.voters.incoming.empty()) return refused("can't make a zero-voter config joint");
    TrackerConfig next = config;
    next.voters.outgoing = config.voters.incoming;
    Status status = apply_singles(&next, changes);
    if (!status.is_ok()) return status;
    next.auto_leave = auto_leave;
    status = check_config(next);
    if (!status.is_ok()) return status;
    return next;
}

Result<TrackerConfig> leave_joint(const TrackerConfig& config) {
    if (!config.voters.is_joint()) return refused("can't leave a non-joint config");
    TrackerConfig next = config;
    next.learners.insert(next.learners_next.begin(), next.learners_next.end());
    next.learners_next.clear();
    next.voters.outgoing.clear();
    next.auto_leave = false;
    Status status = check_config(next);
    if (!status.is_ok()) return status;
    return next;
}

Result<TrackerConfig> apply_change(const TrackerConfig& config, const ConfChange& change) {
    if (change.changes.empty()) return leave_joint(config);
    if (change.transition == ConfChangeTransition::kAuto && change.changes.size() == 1) {
        return simple_change(config, change.changes);
    }
    bool auto_leave = change.transition != ConfChangeTransition::kJointExplicit;
    return enter_joint(config, auto_leave, change.changes);
}

}  // namespace consensus::raft
