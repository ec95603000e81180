#pragma once
/// Executable safety invariants of Raft [Raft Figure 3], checked by tests after every
/// step and by the simulator after every event (after LogCabin's
/// RaftConsensusInvariants). The checks read only what any driver can observe: each
/// member's NodeStatus and its log.

#include <map>
#include <vector>

#include "consensus/status.h"
#include "raft/message.h"
#include "raft/raft.h"
#include "raft/raw_node.h"

namespace consensus::raft {

/// One member as the checker sees it at one instant.
struct MemberView {
    NodeStatus status;
    /// Index of entries[0]; entries before it are compacted.
    Index first_index = 1;
    /// The member's log (durable and unstable) from first_index on.
    std::vector<Entry> entries;
};

/// A view of `node` now (copies its log).
MemberView view_of(const RawNode& node);

/// Checks one member on its own: entries are contiguous from first_index with
/// non-decreasing terms no larger than the current term; applied <= commit <=
/// last_index; a leader is a voter of its own configuration. kInternal names the
/// first violation.
Status check_member(const MemberView& member);

/// Checks the core's own bookkeeping (the `Invariant:` lines in raft/): the membership
/// passes check_config; every Progress has match_index < next_index and at most
/// capacity appends in flight; a learner does not lead; ReadIndex requests wait only at
/// a leader; the unstable entries are contiguous. kInternal names the first violation.
Status check_core(const Raft& raft);

/// Log Matching [Raft §5.3]: if two logs hold an entry with the same index and term,
/// the logs are identical up to that index (where both still hold entries).
Status check_log_matching(const std::vector<MemberView>& members);

/// Remembers what was observed across calls (leaders per term, committed entries) and
/// checks the properties that span time. Owned by a test or the simulator; feed it
/// every state of the cluster in order.
class SafetyChecker {
public:
    /// Checks every member, Log Matching, and against everything observed before:
    /// Election Safety (at most one leader per term [Raft §5.2]), State Machine Safety
    /// (a committed index never holds two different entries [Raft §5.4.3]) and Leader
    /// Completeness (a leader of a term above the one an entry was seen committed in
    /// holds that entry [Raft §5.4]). kInternal names the first violation.
    Status observe(const std::vector<MemberView>& members);

private:
    struct CommittedEntry {
        Entry entry;
        /// Highest term of a member seen holding it committed; the entry was
        /// committed at or before this term.
        Term seen_at_term = 0;
    };

    Status record_leaders(const std::vector<MemberView>& members);
    Status record_committed(const MemberView& member);
    Status check_leader_completeness(const MemberView& leader) const;

    /// Invariant: one leader per term, ever.
    std::map<Term, NodeId> leaders_;
    std::map<Index, CommittedEntry> committed_;
};

}  // namespace consensus::raft
