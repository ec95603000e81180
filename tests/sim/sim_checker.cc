#include "tests/sim/sim_checker.h"

#include <algorithm>
#include <utility>

namespace consensus::sim {
namespace {

std::string describe_entry(const raft::Entry& entry) {
    return "{index " + std::to_string(entry.index) + ", term " + std::to_string(entry.term) + ", " +
           std::to_string(entry.data.size()) + " bytes}";
}

std::string member(NodeId id) {
    return "member " + std::to_string(id);
}

}  // namespace

void SimChecker::fail(const std::string& property, const std::string& detail) {
    if (violation_) return;
    violation_ = Violation{property, detail};
}

void SimChecker::on_leader(NodeId id, Term term) {
    auto [it, inserted] = leaders_.emplace(term, id);
    if (!inserted && it->second != id) {
        fail("election safety", member(it->second) + " and " + member(id) +
                                    " are both leader in term " + std::to_string(term));
    }
}

void SimChecker::on_log(NodeId id, Term term, bool is_leader, LogView log) {
    check_log_shape(id, log);
    for (const auto& [other, other_log] : logs_) {
        if (other != id) check_log_matching(id, log, other, other_log);
    }
    if (is_leader) check_leader_completeness(id, term, log);
    logs_[id] = std::move(log);
}

void SimChecker::check_log_shape(NodeId id, const LogView& log) {
    Term previous = log.snapshot_term;
    for (std::size_t k = 0; k < log.entries.size(); ++k) {
        const raft::Entry& entry = log.entries[k];
        if (entry.index != log.snapshot_index + 1 + k) {
            fail("log matching", member(id) + " has a gap before " + describe_entry(entry));
            return;
        }
        // A leader only appends entries of its own term after what it holds, so terms
        // along any log never decrease [Raft §5.3].
        if (entry.term < previous) {
            fail("log matching", member(id) + " has term going down at " + describe_entry(entry));
            return;
        }
        previous = entry.term;
    }
}

void SimChecker::check_log_matching(NodeId a, const LogView& log_a, NodeId b,
                                    const LogView& log_b) {
    Index low = std::max(log_a.snapshot_index, log_b.snapshot_index) + 1;
    Index high = std::min(log_a.last_index(), log_b.last_index());
    auto at = [](const LogView& log, Index i) -> const raft::Entry& {
        return log.entries[i - log.snapshot_index - 1];
    };
    // Find the highest index where both logs hold the same term; Log Matching says
    // everything from there down must be identical [Raft §5.3].
    Index matched = 0;
    for (Index i = high; i >= low && i > 0; --i) {
        if (at(log_a, i).term == at(log_b, i).term) {
            matched = i;
            break;
        }
    }
    for (Index i = low; i <= matched; ++i) {
        if (at(log_a, i) != at(log_b, i)) {
            fail("log matching", member(a) + " holds " + describe_entry(at(log_a, i)) + " but " +
                                     member(b) + " holds " + describe_entry(at(log_b, i)) +
                                     " below the common entry at index " + std::to_string(matched));
            return;
        }
    }
}

void SimChecker::check_leader_completeness(NodeId id, Term term, const LogView& log) {
    // Entries at or below the snapshot are covered by it: a snapshot only ever holds
    // applied, hence committed, state.
    for (auto it = committed_.upper_bound(log.snapshot_index); it != committed_.end(); ++it) {
        const auto& [index, committed] = *it;
        if (committed.observed_term >= term) continue;
        if (index > log.last_index()) {
            fail("leader completeness", member(id) + " leads term " + std::to_string(term) +
                                            " without the entry committed at index " +
                                            std::to_string(index) + " (its last index is " +
                                            std::to_string(log.last_index()) + ")");
            return;
        }
        const raft::Entry& held = log.entries[index - log.snapshot_index - 1];
        if (held.term != committed.term || held.data != committed.data) {
            fail("leader completeness", member(id) + " leads term " + std::to_string(term) +
                                            " holding " + describe_entry(held) + " where term " +
                                            std::to_string(committed.term) + " was committed");
            return;
        }
    }
}

void SimChecker::on_commit(NodeId id, Index commit) {
    Index& floor = commit_floor_[id];
    if (commit < floor) {
        fail("commit monotonic", member(id) + " moved its commit index from " +
                                     std::to_string(floor) + " back to " + std::to_string(commit));
        return;
    }
    floor = commit;
}

void SimChecker::on_apply(NodeId id, const raft::Entry& entry, Index commit, Term term) {
    Index& applied = applied_[id];
    if (entry.index != applied + 1) {
        fail("apply order", member(id) + " applied index " + std::to_string(entry.index) +
                                " after " + std::to_string(applied));
        return;
    }
    if (entry.index > commit) {
        fail("apply order", member(id) + " applied index " + std::to_string(entry.index) +
                                " beyond its commit index " + std::to_string(commit));
        return;
    }
    applied = entry.index;
    auto [it, inserted] = committed_.emplace(entry.index, Committed{entry.term, entry.data, term});
    if (inserted) return;
    Committed& first = it->second;
    if (first.term != entry.term || first.data != entry.data) {
        fail("state machine safety", member(id) + " applied " + describe_entry(entry) +
                                         " where term " + std::to_string(first.term) +
                                         " was applied before");
        return;
    }
    first.observed_term = std::min(first.observed_term, term);
}

void SimChecker::on_snapshot_restored(NodeId id, Index index) {
    Index& applied = applied_[id];
    // A member restores a snapshot only to move forward; going back would re-apply
    // entries and break exactly-once application.
    if (index < applied) {
        fail("apply order", member(id) + " restored a snapshot at " + std::to_string(index) +
                                " below its applied index " + std::to_string(applied));
        return;
    }
    applied = index;
}

void SimChecker::on_restart(NodeId id, Index commit, Index applied) {
    commit_floor_[id] = commit;
    applied_[id] = applied;
}

void SimChecker::on_core_invariant(NodeId id, const std::string& what) {
    fail("core invariant", member(id) + ": " + what);
}

void SimChecker::on_driver_error(NodeId id, const std::string& what) {
    fail("driver contract", member(id) + ": " + what);
}

void SimChecker::forget(NodeId id) {
    logs_.erase(id);
    commit_floor_.erase(id);
    applied_.erase(id);
}

void SimChecker::on_write_acknowledged(std::uint64_t write_id) {
    if (acknowledged_set_.insert(write_id).second) acknowledged_.push_back(write_id);
}

void SimChecker::on_read_served(NodeId id, const std::string& read_name, std::size_t floor,
                                const std::set<std::uint64_t>& state) {
    ++reads_checked_;
    std::size_t checked = std::min(floor, acknowledged_.size());
    for (std::size_t k = 0; k < checked; ++k) {
        if (state.count(acknowledged_[k]) == 0) {
            fail("linearizable read", member(id) + " served " + read_name + " without write " +
                                          std::to_string(acknowledged_[k]) +
                                          ", which was acknowledged before the read was issued");
            return;
        }
    }
}

}  // namespace consensus::sim
