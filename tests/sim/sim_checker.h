#pragma once
/// SimChecker: the safety properties of Raft [Raft Figure 3] and of linearizable reads
/// [thesis §6.4], checked against observations the simulator feeds it after every
/// step. It knows nothing about how the observations were produced, so unit tests feed
/// it hand-made histories to prove that each check fires.
///
/// Properties (the name each one reports):
/// - "election safety": at most one leader per term.
/// - "log matching": two logs that hold an entry with the same index and term hold
///   identical entries up to that index; terms never decrease along a log.
/// - "leader completeness": a leader's log holds every entry committed in an earlier
///   term.
/// - "state machine safety": no two members apply different entries at one index.
/// - "commit monotonic": a member's commit index never moves backwards while it runs.
/// - "apply order": a member applies index applied+1 next, and never beyond its commit.
/// - "linearizable read": a read served by ReadIndex reflects every write acknowledged
///   before the read was issued.
/// - "core invariant": the core's own per-member check (raft/invariants.h) failed.
/// - "driver contract": the core handed its driver something the storage contract
///   rejects (a stale snapshot, a gap in the entries, an undecodable ConfChange).

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "consensus/types.h"
#include "raft/message.h"

namespace consensus::sim {

/// The first property found broken, and what broke it.
struct Violation {
    std::string property;
    std::string detail;
};

/// A member's durable log as the checker sees it: the entries after the snapshot.
/// Invariant: entries[k].index == snapshot_index + 1 + k.
struct LogView {
    Index snapshot_index = 0;
    Term snapshot_term = 0;
    std::vector<raft::Entry> entries;

    Index last_index() const { return snapshot_index + entries.size(); }
};

/// Accumulates observations of one run and remembers the first violation. Owned by
/// the cluster (or a test); single-threaded. After a violation further observations
/// are still accepted but never replace the first report.
class SimChecker {
public:
    SimChecker() = default;
    SimChecker(const SimChecker&) = delete;
    SimChecker& operator=(const SimChecker&) = delete;

    /// `id` is leader in `term`.
    void on_leader(NodeId id, Term term);
    /// `id`'s durable log changed to `log`; `term` and `is_leader` are its current
    /// term and role, for the leader completeness check.
    void on_log(NodeId id, Term term, bool is_leader, LogView log);
    /// `id`'s commit index is now `commit`.
    void on_commit(NodeId id, Index commit);
    /// `id` applies `entry` while its commit index is `commit` and its term `term`.
    void on_apply(NodeId id, const raft::Entry& entry, Index commit, Term term);
    /// `id` replaced its state machine with a snapshot at `index`.
    void on_snapshot_restored(NodeId id, Index index);
    /// `id` restarted from durable state with commit `commit` and state machine at
    /// `applied`; its per-run floors start again from there.
    void on_restart(NodeId id, Index commit, Index applied);
    /// The core's own invariant check of `id` failed with `what`.
    void on_core_invariant(NodeId id, const std::string& what);
    /// The driver of `id` could not carry out a Ready as the core asked; `what` says why.
    void on_driver_error(NodeId id, const std::string& what);
    /// `id` left the cluster for good; its log no longer takes part in comparisons.
    void forget(NodeId id);

    /// The write `write_id` was acknowledged to its client.
    void on_write_acknowledged(std::uint64_t write_id);
    /// A read is being issued now; returns its floor, the number of writes
    /// acknowledged so far, which on_read_served needs.
    std::size_t on_read_issued() const { return acknowledged_.size(); }
    /// `id` served the read `read_name` whose floor is `floor` from a state machine
    /// holding the writes `state`.
    void on_read_served(NodeId id, const std::string& read_name, std::size_t floor,
                        const std::set<std::uint64_t>& state);

    bool ok() const { return !violation_.has_value(); }
    const std::optional<Violation>& violation() const { return violation_; }
    /// Number of distinct committed indexes seen applied, for summaries.
    std::size_t committed_count() const { return committed_.size(); }
    std::size_t reads_checked() const { return reads_checked_; }

private:
    struct Committed {
        Term term = 0;
        std::string data;
        /// The smallest term of a member seen applying this entry: it was committed in
        /// this term or earlier.
        Term observed_term = 0;
    };

    void fail(const std::string& property, const std::string& detail);
    void check_log_shape(NodeId id, const LogView& log);
    void check_log_matching(NodeId a, const LogView& log_a, NodeId b, const LogView& log_b);
    void check_leader_completeness(NodeId id, Term term, const LogView& log);

    std::optional<Violation> violation_;
    std::map<Term, NodeId> leaders_;
    std::map<NodeId, LogView> logs_;
    std::map<NodeId, Index> commit_floor_;
    std::map<NodeId, Index> applied_;
    std::map<Index, Committed> committed_;
    std::vector<std::uint64_t> acknowledged_;
    std::set<std::uint64_t> acknowledged_set_;
    std::size_t reads_checked_ = 0;
};

}  // namespace consensus::sim
