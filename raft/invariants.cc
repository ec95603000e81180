#include "raft/invariants.h"

#include <algorithm>
#include <string>

#include "raft/conf_change.h"

namespace consensus::raft {
namespace {

Status violated(const std::string& what) {
    return Status(StatusCode::kInternal, what);
}

std::string node_name(NodeId id) {
    return "member " + std::to_string(id);
}

const Entry* entry_at(const MemberView& member, Index index) {
    if (index < member.first_index || index >= member.first_index + member.entries.size()) {
        return nullptr;
    }
    return &member.entries[index - member.first_index];
}

bool contains(const std::vector<NodeId>& ids, NodeId id) {
    return std::find(ids.begin(), ids.end(), id) != ids.end();
}

Status check_pair(const MemberView& a, const MemberView& b) {
    Index low = std::max(a.first_index, b.first_index);
    Index high = std::min(a.first_index + a.entries.size(), b.first_index + b.entries.size());
    // Walk down from the highest shared index: once an index matches in term, every
    // entry below must match exactly.
    bool matched = false;
    for (Index i = high; i-- > low;) {
        const Entry* x = entry_at(a, i);
        const Entry* y = entry_at(b, i);
        if (!matched) {
            matched = x->term == y->term;
            if (!matched) continue;
        }
        if (!(*x == *y)) {
            return violated("log matching: " + node_name(a.status.id) + " and " +
                            node_name(b.status.id) + " differ at index " + std::to_string(i) +
                            " below a matching entry");
        }
    }
    return Status::ok();
}

}  // namespace

MemberView view_of(const RawNode& node) {
    MemberView view;
    view.status = node.status();
    view.first_index = node.first_index();
    view.entries = node.log_entries();
    return view;
}

Status check_member(const MemberView& member) {
    const NodeStatus& status = member.status;
    std::string who = node_name(status.id);
    Term previous_term = 0;
    for (std::size_t i = 0; i < member.entries.size(); ++i) {
        const Entry& entry = member.entries[i];
        if (entry.index != member.first_index + i) return violated(who + ": log is not contiguous");
        if (entry.term < previous_term) return violated(who + ": entry terms decrease");
        if (entry.term > status.hard_state.term) {
            return violated(who + ": entry term above the current term");
        }
        previous_term = entry.term;
    }
    if (status.applied > status.hard_state.commit) return violated(who + ": applied beyond commit");
    if (status.hard_state.commit > status.last_index) {
        return violated(who + ": commit beyond the last index");
    }
    if (status.soft_state.role == Role::kLeader) {
        if (status.soft_state.leader_id != status.id) {
            return violated(who + ": leader does not name itself leader");
        }
        const ConfState& conf = status.conf_state;
        if (!contains(conf.voters, status.id) && !contains(conf.voters_outgoing, status.id)) {
            return violated(who + ": leader is not a voter");
        }
    }
    return Status::ok();
}

Status check_core(const Raft& raft) {
    std::string who = node_name(raft.id());
    Status config = check_config(raft.tracker().config());
    if (!config.is_ok()) return violated(who + ": " + config.message());
    for (const auto& [id, progress] : raft.tracker().progress()) {
        if (progress.match_index >= progress.next_index) {
            return violated(who + ": progress of " + node_name(id) + " has match >= next");
        }
        if (progress.inflights.count() > progress.inflights.capacity()) {
            return violated(who + ": progress of " + node_name(id) + " exceeds its inflight bound");
        }
    }
    if (raft.role() == Role::kLeader && raft.is_learner())
        return violated(who + ": a learner leads");
    if (raft.role() != Role::kLeader && raft.pending_read_requests() != 0) {
        return violated(who + ": read requests pending at a non-leader");
    }
    const std::vector<Entry>& unstable = raft.log().unstable_entries();
    for (std::size_t i = 1; i < unstable.size(); ++i) {
        if (unstable[i].index != unstable[i - 1].index + 1) {
            return violated(who + ": unstable entries are not contiguous");
        }
    }
    return Status::ok();
}

Status check_log_matching(const std::vector<MemberView>& members) {
    for (std::size_t i = 0; i < members.size(); ++i) {
        for (std::size_t j = i + 1; j < members.size(); ++j) {
            Status status = check_pair(members[i], members[j]);
            if (!status.is_ok()) return status;
        }
    }
    return Status::ok();
}

Status SafetyChecker::observe(const std::vector<MemberView>& members) {
    for (const MemberView& member : members) {
        Status status = check_member(member);
        if (!status.is_ok()) return status;
    }
    Status status = check_log_matching(members);
    if (!status.is_ok()) return status;
    status = record_leaders(members);
    if (!status.is_ok()) return status;
    for (const MemberView& member : members) {
        status = record_committed(member);
        if (!status.is_ok()) return status;
    }
    for (const MemberView& member : members) {
        if (member.status.soft_state.role != Role::kLeader) continue;
        status = check_leader_completeness(member);
        if (!status.is_ok()) return status;
    }
    return Status::ok();
}

Status SafetyChecker::record_leaders(const std::vector<MemberView>& members) {
    for (const MemberView& member : members) {
        if (member.status.soft_state.role != Role::kLeader) continue;
        Term term = member.status.hard_state.term;
        auto [it, inserted] = leaders_.emplace(term, member.status.id);
        if (!inserted && it->second != member.status.id) {
            return violated("election safety: " + node_name(it->second) + " and " +
                            node_name(member.status.id) + " both led term " + std::to_string(term));
        }
    }
    return Status::ok();
}

Status SafetyChecker::record_committed(const MemberView& member) {
    Index commit = member.status.hard_state.commit;
    Term term = member.status.hard_state.term;
    for (Index i = member.first_index; i <= commit; ++i) {
        const Entry* entry = entry_at(member, i);
        if (entry == nullptr) break;
        auto [it, inserted] = committed_.emplace(i, CommittedEntry{*entry, term});
        if (inserted) continue;
        if (!(it->second.entry == *entry)) {
            return violated("state machine safety: " + node_name(member.status.id) +
                            " committed a different entry at index " + std::to_string(i));
        }
        it->second.seen_at_term = std::max(it->second.seen_at_term, term);
    }
    return Status::ok();
}

Status SafetyChecker::check_leader_completeness(const MemberView& leader) const {
    Term term = leader.status.hard_state.term;
    for (const auto& [index, committed] : committed_) {
        if (committed.seen_at_term >= term) continue;
        if (index < leader.first_index) continue;  // compacted into its snapshot
        const Entry* entry = entry_at(leader, index);
        if (entry == nullptr || !(*entry == committed.entry)) {
            return violated("leader completeness: leader " + node_name(leader.status.id) +
                            " of term " + std::to_string(term) + " lacks committed index " +
                            std::to_string(index));
        }
    }
    return Status::ok();
}

}  // namespace consensus::raft
