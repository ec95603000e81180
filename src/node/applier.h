#pragma once
/// Applier: the member's state machine as the Ready cycle drives it. It turns committed
/// entries into kv applies, member-table changes and completions of pending requests,
/// restores snapshots, and releases read-index reads once they are applied.
///
/// Entry formats are in entry_codec.h. For each committed entry, in index order:
///   - empty kNormal (the leader's no-op [Raft §8]): nothing but the applied index;
///   - kv command: kv::Store::apply, whose watch sinks fire inside; then the request
///     with the command's request_id completes, if this member registered it;
///   - member attributes / peer URLs: the member table changes;
///   - kConfChange: the core's membership changes (hook), then the member table and
///     the transport's peers (hooks), then the waiting request completes.
/// A damaged entry is logged and skipped on every member alike, so the members'
/// states stay identical and a bad byte in the log cannot crash the loop.
///
/// Owned by the Member; the store, table, registry and metrics it is given must
/// outlive it. Single-threaded.

#include <functional>
#include <vector>

#include "consensus/service.h"
#include "consensus/types.h"
#include "kv/store.h"
#include "node/membership.h"
#include "node/metrics.h"
#include "node/pending_requests.h"
#include "node/ready_loop.h"
#include "raft/message.h"

namespace consensus::node {

class Applier final : public StateMachine {
public:
    /// What applying needs from the member beyond the state machine itself. Every hook
    /// is optional (tests leave them empty).
    struct Hooks {
        /// Applies a committed ConfChange to the Raft core; returns the new ConfState.
        std::function<raft::ConfState(const raft::ConfChange&)> apply_conf_change;
        /// A member joined (or changed its peer URLs): the transport learns its URLs.
        std::function<void(const service::Member&)> on_member_changed;
        /// A member was removed.
        std::function<void(NodeId)> on_member_removed;
        /// The member table was replaced by a snapshot's.
        std::function<void()> on_members_restored;
    };

    Applier(kv::Store& store, MemberTable& members, PendingRequests& pending, Metrics& metrics,
            Hooks hooks);
    Applier(const Applier&) = delete;
    Applier& operator=(const Applier&) = delete;

    /// Sets where applying resumes after a restart or a bootstrap: the snapshot's index,
    /// term and ConfState.
    void reset(Index applied_index, Term applied_term, raft::ConfState conf_state);

    void restore(const raft::Snapshot& snapshot) override;
    void apply(const raft::Entry& entry) override;
    void add_read_states(const std::vector<raft::ReadState>& read_states) override;
    /// Completes the reads whose index is applied (their waiters serve the read).
    void release_reads();

    Index applied_index() const { return applied_index_; }
    Term applied_term() const { return applied_term_; }
    const raft::ConfState& conf_state() const { return conf_state_; }
    std::size_t reads_waiting() const { return reads_.size(); }

private:
    void apply_normal(const raft::Entry& entry);
    void apply_kv_command(const raft::Entry& entry, const std::string& bytes);
    void apply_conf_change(const raft::Entry& entry);

    kv::Store& store_;
    MemberTable& members_;
    PendingRequests& pending_;
    Metrics& metrics_;
    Hooks hooks_;
    ReadQueue reads_;
    // Invariant: applied_index_ only grows, except when a snapshot replaces the state.
    Index applied_index_ = 0;
    Term applied_term_ = 0;
    raft::ConfState conf_state_;
};

}  // namespace consensus::node
