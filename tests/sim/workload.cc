#include "tests/sim/workload.h"

#include <algorithm>
#include <limits>

#include "consensus/assert.h"

namespace consensus::sim {
namespace {

bool contains(const std::vector<NodeId>& ids, NodeId id) {
    return std::find(ids.begin(), ids.end(), id) != ids.end();
}

std::vector<NodeId> without(std::vector<NodeId> ids, NodeId id) {
    ids.erase(std::remove(ids.begin(), ids.end(), id), ids.end());
    return ids;
}

raft::ConfChange change_of(std::initializer_list<raft::ConfChangeSingle> steps) {
    raft::ConfChange change;
    change.changes.assign(steps.begin(), steps.end());
    return change;
}

}  // namespace

Workload::Workload(SimCluster* cluster, const WorkloadOptions& options)
    : cluster_(cluster), options_(options) {
    CONSENSUS_ASSERT(options_.client_interval_min_ms <= options_.client_interval_max_ms);
    CONSENSUS_ASSERT(options_.fault_interval_min_ms <= options_.fault_interval_max_ms);
    SimRandom& random = cluster_->random();
    next_client_at_ = cluster_->now() + random.between(options_.client_interval_min_ms,
                                                       options_.client_interval_max_ms);
    next_fault_at_ = cluster_->now() +
                     random.between(options_.fault_interval_min_ms, options_.fault_interval_max_ms);
}

SimTime Workload::next_time() const {
    if (stopped_) return std::numeric_limits<SimTime>::max();
    if (!options_.faults) return next_client_at_;
    return std::min(next_client_at_, next_fault_at_);
}

void Workload::act() {
    if (stopped_) return;
    SimRandom& random = cluster_->random();
    if (next_client_at_ <= next_fault_at_ || !options_.faults) {
        client_operation();
        next_client_at_ = cluster_->now() + random.between(options_.client_interval_min_ms,
                                                           options_.client_interval_max_ms);
        return;
    }
    fault_operation();
    next_fault_at_ = cluster_->now() +
                     random.between(options_.fault_interval_min_ms, options_.fault_interval_max_ms);
}

NodeId Workload::pick(const std::vector<NodeId>& ids) {
    if (ids.empty()) return kNoNode;
    return ids[cluster_->random().next(ids.size())];
}

void Workload::client_operation() {
    SimRandom& random = cluster_->random();
    std::vector<NodeId> up = cluster_->up_ids();
    if (up.empty()) return;
    NodeId leader = cluster_->leader();
    // Most clients find the leader; the rest talk to any member, which forwards
    // proposals and read requests to the leader it knows.
    NodeId target = (leader != kNoNode && random.chance(700)) ? leader : pick(up);
    std::uint64_t dice = random.next(1000);
    if (dice < 550) {
        cluster_->propose(target);
    } else if (dice < 830) {
        cluster_->read(target);
    } else if (dice < 920) {
        if (options_.membership_changes && leader != kNoNode) change_membership(leader);
    } else if (dice < 960) {
        if (leader == kNoNode) return;
        NodeId transferee = pick(without(cluster_->conf_state(leader).voters, leader));
        if (transferee != kNoNode) {
            cluster_->note("workload: transfer leadership " + std::to_string(leader) + " -> " +
                           std::to_string(transferee));
            cluster_->transfer_leadership(leader, transferee);
        }
    } else {
        NodeId candidate = pick(up);
        cluster_->note("workload: campaign at " + std::to_string(candidate));
        cluster_->campaign(candidate);
    }
}

void Workload::change_membership(NodeId leader) {
    raft::ConfState conf = cluster_->conf_state(leader);
    retire_orphans(conf);
    // The leader's core refuses a second change while one is pending, and it leaves
    // a joint configuration by itself (auto_leave); both refusals are part of what is
    // being tested, so the workload only avoids changes that could break a majority.
    if (!conf.voters_outgoing.empty()) {
        if (cluster_->random().chance(300)) {
            cluster_->propose_conf_change(leader, raft::ConfChange{});
        }
        return;
    }
    raft::ConfChange change;
    std::string what;
    if (!plan_change(conf, leader, &change, &what)) return;
    ++membership_changes_;
    cluster_->note("workload: " + what + " at leader " + std::to_string(leader));
    cluster_->propose_conf_change(leader, change);
}

bool Workload::plan_change(const raft::ConfState& conf, NodeId leader, raft::ConfChange* change,
                           std::string* what) {
    SimRandom& random = cluster_->random();
    std::size_t capacity = cluster_->options().members + options_.members_extra_max;
    bool can_grow = cluster_->member_ids().size() < capacity;
    bool can_shrink = conf.voters.size() > options_.voters_min;
    std::vector<NodeId> removable_voters = without(conf.voters, leader);
    NodeId learner = pick(conf.learners);
    NodeId voter = pick(removable_voters);
    using Type = raft::ConfChangeType;
    switch (random.next(7)) {
        case 0:
        case 1: {
            if (!can_grow) return false;
            NodeId fresh = create_joining_member();
            bool as_voter = random.chance(500);
            *change = change_of({{as_voter ? Type::kAddNode : Type::kAddLearnerNode, fresh}});
            *what = (as_voter ? "add voter " : "add learner ") + std::to_string(fresh);
            return true;
        }
        case 2:
            if (learner == kNoNode) return false;
            *change = change_of({{Type::kAddNode, learner}});
            *what = "promote learner " + std::to_string(learner);
            return true;
        case 3:
            if (learner == kNoNode) return false;
            *change = change_of({{Type::kRemoveNode, learner}});
            *what = "remove learner " + std::to_string(learner);
            return true;
        case 4: {
            if (!can_shrink || voter == kNoNode) return false;
            bool demote = random.chance(400);
            *change = change_of({{demote ? Type::kAddLearnerNode : Type::kRemoveNode, voter}});
            *what = (demote ? "demote voter " : "remove voter ") + std::to_string(voter);
            return true;
        }
        case 5: {
            // Joint consensus [Raft §6]: replace one voter by a new member in one step.
            if (!can_grow || voter == kNoNode) return false;
            NodeId fresh = create_joining_member();
            *change = change_of({{Type::kAddNode, fresh}, {Type::kRemoveNode, voter}});
            *what =
                "joint: replace voter " + std::to_string(voter) + " by " + std::to_string(fresh);
            return true;
        }
        default:
            // Joint consensus: swap the roles of a learner and a voter.
            if (learner == kNoNode || voter == kNoNode) return false;
            *change = change_of({{Type::kAddNode, learner}, {Type::kAddLearnerNode, voter}});
            *what =
                "joint: promote " + std::to_string(learner) + ", demote " + std::to_string(voter);
            return true;
    }
}

NodeId Workload::create_joining_member() {
    NodeId fresh = cluster_->create_member();
    joining_[fresh] = cluster_->now();
    return fresh;
}

void Workload::retire_orphans(const raft::ConfState& conf_state) {
    for (auto it = joining_.begin(); it != joining_.end();) {
        NodeId id = it->first;
        bool in_conf = contains(conf_state.voters, id) || contains(conf_state.learners, id) ||
                       contains(conf_state.voters_outgoing, id);
        if (in_conf || cluster_->has_joined(id)) {
            it = joining_.erase(it);
        } else if (cluster_->now() > it->second + options_.join_deadline_ms) {
            cluster_->note("workload: retire member " + std::to_string(id) + " that never joined");
            cluster_->remove_member(id);
            it = joining_.erase(it);
        } else {
            ++it;
        }
    }
}

void Workload::fault_operation() {
    SimRandom& random = cluster_->random();
    ++faults_injected_;
    std::vector<NodeId> members = cluster_->member_ids();
    std::vector<NodeId> up = cluster_->up_ids();
    std::size_t down = members.size() - up.size();
    // Keep a majority of members up most of the time so the run makes progress; now
    // and then lose the majority too.
    bool may_crash = down + 1 <= (members.size() - 1) / 2 || random.chance(100);
    // With every member already down there is nobody left to crash (pick() would give
    // kNoNode).
    if (up.empty()) may_crash = false;
    switch (random.next(10)) {
        case 0:
            if (may_crash) cluster_->crash(pick(up));
            return;
        case 1:
            if (may_crash) {
                NodeId victim = pick(up);
                cluster_->crash(victim);
                cluster_->schedule_restart(
                    victim, random.between(options_.bounce_min_ms, options_.bounce_max_ms));
            }
            return;
        case 2:
        case 3: {
            std::vector<NodeId> down_ids;
            for (NodeId id : members) {
                if (!cluster_->is_up(id)) down_ids.push_back(id);
            }
            NodeId revived = pick(down_ids);
            if (revived != kNoNode) cluster_->restart(revived);
            return;
        }
        case 4:
        case 5:
            partition();
            return;
        case 6:
        case 7:
            cluster_->note("fault: heal network");
            cluster_->net().heal();
            return;
        case 8: {
            NetConfig config = cluster_->net().config();
            config.drop_per_mille = random.between(0, options_.drop_per_mille_max);
            config.duplicate_per_mille = random.between(0, options_.duplicate_per_mille_max);
            config.hold_back_per_mille = random.between(0, options_.hold_back_per_mille_max);
            cluster_->note("fault: drop " + std::to_string(config.drop_per_mille) + " dup " +
                           std::to_string(config.duplicate_per_mille) + " hold back " +
                           std::to_string(config.hold_back_per_mille) + " per mille");
            cluster_->net().set_config(config);
            return;
        }
        default: {
            NodeId leader = cluster_->leader();
            if (leader == kNoNode) return;
            cluster_->note("fault: isolate leader " + std::to_string(leader));
            cluster_->net().partition({leader}, members);
            return;
        }
    }
}

void Workload::partition() {
    SimRandom& random = cluster_->random();
    std::vector<NodeId> members = cluster_->member_ids();
    if (members.size() < 2) return;
    if (random.chance(300)) {
        // An asymmetric fault: one direction of one link fails.
        NodeId source = pick(members);
        NodeId target = pick(without(members, source));
        cluster_->note("fault: cut link " + std::to_string(source) + " -> " +
                       std::to_string(target));
        cluster_->net().cut(source, target);
        return;
    }
    // A symmetric split into a minority and a majority side; members drawn in random
    // order so that either side may hold the leader.
    std::vector<NodeId> shuffled = members;
    for (std::size_t k = shuffled.size() - 1; k > 0; --k) {
        std::swap(shuffled[k], shuffled[random.next(k + 1)]);
    }
    std::size_t minority = 1 + random.next((members.size() - 1) / 2 + 1);
    minority = std::min(minority, members.size() - 1);
    std::vector<NodeId> group(shuffled.begin(), shuffled.begin() + static_cast<long>(minority));
    std::string line = "fault: partition off";
    for (NodeId id : group) {
        line += ' ';
        line += std::to_string(id);
    }
    cluster_->note(line);
    cluster_->net().partition(group, members);
}

void Workload::heal() {
    stopped_ = true;
    cluster_->stop_crashes_after_persist();
    cluster_->note("heal: network healed, faults off, every member restarted");
    cluster_->net().heal();
    NetConfig config = cluster_->net().config();
    config.drop_per_mille = 0;
    config.duplicate_per_mille = 0;
    config.hold_back_per_mille = 0;
    cluster_->net().set_config(config);
    for (NodeId id : cluster_->member_ids()) cluster_->restart(id);
}

}  // namespace consensus::sim
