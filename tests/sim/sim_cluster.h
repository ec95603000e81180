#pragma once
/// SimCluster: Raft members in one process, each running the real RawNode driven by
/// the same Ready cycle a real member uses (persist, send, apply, advance), over a
/// SimNet, a virtual clock and a per-member SimDisk. One event runs per step, chosen
/// by canonical/raft's fixture rule: the earliest event first, and on equal times a
/// fixed order (network, disk, restart, tick; members by id). The SimChecker sees
/// every step, and every choice draws from one seeded SimRandom, so a seed replays a
/// run exactly.
///
/// Crash model: a member's durable state is its SimDisk. A Ready's entries, hard state
/// and snapshot become durable only when its persist step completes, a random disk
/// latency after the Ready was taken. A
/// crash loses everything else: the core, its unstable entries, the pending Ready and
/// its unsent messages, queued inputs and the state machine. A restart rebuilds the
/// core from the durable copy and the state machine from the durable snapshot; the core
/// then hands the committed entries after it out again (Config::applied = snapshot).

#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "consensus/types.h"
#include "raft/memory_storage.h"
#include "raft/message.h"
#include "raft/raw_node.h"
#include "raft/ready.h"
#include "tests/sim/sim_checker.h"
#include "tests/sim/sim_disk.h"
#include "tests/sim/sim_network.h"
#include "tests/sim/sim_random.h"

namespace consensus::sim {

/// Knobs of one cluster. Every bound is named here.
struct ClusterOptions {
    /// Initial voters, ids 1..members.
    std::size_t members = 3;
    NetConfig net;
    int election_ticks = 10;
    int heartbeat_ticks = 1;
    /// Flow-control bounds handed to every core. Small on purpose: a leader then
    /// replicates a backlog over several AppendEntries, so followers acknowledge
    /// prefixes of it, which is where commitment rules matter [Raft §5.4.2].
    std::uint64_t max_message_bytes = 8;
    int max_inflight_messages = 4;
    /// Virtual time between two ticks of one member (the heartbeat interval).
    SimTime tick_ms = 10;
    /// Bounds of the latency of one persist step.
    SimTime disk_min_ms = 0;
    SimTime disk_max_ms = 3;
    /// A member snapshots its state machine once this many applied entries sit in its
    /// log (and after every configuration change), and keeps compaction_keep_entries of them for
    /// slow followers; the rest of a lagging follower's catch-up goes by InstallSnapshot.
    Index snapshot_entries = 16;
    Index compaction_keep_entries = 4;
    /// Chance that a member crashes right after a persist step (while fewer than half
    /// of the members are down), after one that changed its term or vote, and the
    /// bound of its downtime then.
    std::uint64_t crash_after_persist_per_mille = 0;
    std::uint64_t crash_after_vote_per_mille = 0;
    SimTime bounce_after_persist_max_ms = 5;
    /// Events kept for the trace printed on a violation.
    std::size_t trace_events_max = 50;
    /// Print every event to stdout as it happens.
    bool verbose = false;
    /// Mutation for showing the checker's teeth, never on by default: a restarted
    /// member forgets whom it voted for (breaks [Raft Figure 2] "votedFor persistent").
    bool mutate_drop_vote = false;
};

/// One line of the trace.
struct TraceEvent {
    SimTime time = 0;
    std::string text;
};

/// The cluster. Owns the members, the network, the random generator and the checker.
/// Single-threaded; not copyable. Members are named by NodeId; ids never get reused,
/// a member added later gets the next free id.
class SimCluster {
public:
    SimCluster(const ClusterOptions& options, std::uint64_t seed);
    ~SimCluster();
    SimCluster(const SimCluster&) = delete;
    SimCluster& operator=(const SimCluster&) = delete;

    // ----- running -----
    /// Runs the earliest pending event and checks the invariants. False when nothing
    /// is pending (every member is down and the network is empty).
    bool step();
    /// Runs one event if one is due before `limit`; false otherwise.
    bool step_if_due_before(SimTime limit);
    /// Moves virtual time forward to `time` without running events (for inputs from
    /// outside, such as the workload). No-op if `time` is not ahead.
    void advance_to(SimTime time) { now_ = std::max(now_, time); }
    /// Steps until virtual time reaches `time` (events due at `time` included).
    void run_until(SimTime time);
    /// Steps until `done()` holds or `deadline` passes; returns whether it held.
    template <typename Predicate>
    bool run_until(Predicate done, SimTime deadline) {
        while (!done()) {
            if (!checker_.ok()) return false;
            std::optional<SimTime> next = next_event_time();
            if (!next || *next > deadline) {
                now_ = deadline;
                return done();
            }
            step();
        }
        return true;
    }
    SimTime now() const { return now_; }
    std::uint64_t steps() const { return steps_; }
    SimRandom& random() { return random_; }
    SimNet& net() { return net_; }
    SimChecker& checker() { return checker_; }
    const ClusterOptions& options() const { return options_; }

    // ----- membership and observation -----
    /// Members that exist (up or down), excluding removed ones, in id order.
    std::vector<NodeId> member_ids() const;
    std::vector<NodeId> up_ids() const;
    bool is_up(NodeId id) const;
    /// True once `id` appeared in an applied configuration.
    bool has_joined(NodeId id) const;
    /// The up member that believes it leads in the highest term, or kNoNode.
    NodeId leader() const;
    raft::Role role(NodeId id) const;
    Term term(NodeId id) const;
    Index commit(NodeId id) const;
    Index applied(NodeId id) const;
    /// The membership as of `id`'s applied index.
    const raft::ConfState& conf_state(NodeId id) const;
    /// The writes `id`'s state machine holds.
    const std::set<std::uint64_t>& writes(NodeId id) const;
    /// `id`'s durable log (its SimDisk).
    const raft::MemoryStorage& disk(NodeId id) const;
    /// Number of snapshots `id` installed from a leader (InstallSnapshot).
    std::uint64_t snapshots_installed(NodeId id) const;

    // ----- client inputs (queued if the member is mid-Ready) -----
    /// Proposes a fresh write at `id` and returns its write id. The write is
    /// acknowledged when `id` applies it.
    std::uint64_t propose(NodeId id);
    bool is_acknowledged(std::uint64_t write_id) const {
        return acknowledged_.count(write_id) != 0;
    }
    std::uint64_t acknowledged_count() const { return acknowledged_.size(); }
    /// Issues a ReadIndex read at `id`; returns its read id.
    std::uint64_t read(NodeId id);
    bool is_read_served(std::uint64_t read_id) const { return reads_served_.count(read_id) != 0; }
    std::uint64_t reads_served_count() const { return reads_served_.size(); }
    /// Proposes a membership change at `id`.
    void propose_conf_change(NodeId id, const raft::ConfChange& change);
    /// Creates a new member with an empty disk (not yet in any configuration) and
    /// starts it; returns its id. Add it with propose_conf_change.
    NodeId create_member();
    void transfer_leadership(NodeId id, NodeId transferee);
    void campaign(NodeId id);

    // ----- faults -----
    /// Crashes `id`: it loses all volatile state. No-op if it is down.
    void crash(NodeId id);
    /// Restarts a down member from its disk. No-op if it is up or removed.
    void restart(NodeId id);
    /// Shuts `id` down for good, as an operator retires a member that never joined.
    void remove_member(NodeId id);
    /// True when one more member may crash and a majority of members stays up.
    bool may_crash_one() const;
    /// Turns off crashes right after persist steps.
    void stop_crashes_after_persist() {
        crash_after_persist_per_mille_ = 0;
        crash_after_vote_per_mille_ = 0;
    }
    /// Restarts `id` after `delay_ms` of virtual time.
    void schedule_restart(NodeId id, SimTime delay_ms);

    // ----- reporting -----
    /// The last trace_events_max events, one per line.
    std::string format_trace() const;
    /// Adds a line to the trace (used by the workload for its own decisions).
    void note(const std::string& text);

private:
    struct Input;
    struct Member;

    std::optional<SimTime> next_event_time() const;
    Member& member(NodeId id);
    const Member& member(NodeId id) const;
    void start(Member& m);
    void enqueue(Member& m, Input input);
    void process_inputs(Member& m);
    void apply_input(Member& m, Input& input);
    void drive(Member& m);
    void finish_ready(Member& m);
    void persist(Member& m, const raft::Ready& ready);
    void send(Member& m, const std::vector<raft::Message>& messages);
    void apply(Member& m, const raft::Ready& ready);
    void apply_entry(Member& m, const raft::Entry& entry);
    void serve_reads(Member& m);
    void maybe_snapshot(Member& m);
    void observe_role(Member& m);
    void observe_log(Member& m);
    void deliver(raft::Message message);
    /// Reports a message the network lost to its sender, as a transport would.
    void report_lost(const raft::Message& message);
    void tick(Member& m);
    void retire_removed(const raft::ConfState& conf_state);

    ClusterOptions options_;
    SimRandom random_;
    SimNet net_;
    SimChecker checker_;
    SimTime now_ = 0;
    std::uint64_t steps_ = 0;
    std::uint64_t crash_after_persist_per_mille_ = 0;
    std::uint64_t crash_after_vote_per_mille_ = 0;
    std::map<NodeId, std::unique_ptr<Member>> members_;
    NodeId next_id_ = 1;
    /// Index of the newest configuration entry applied anywhere.
    Index latest_conf_index_ = 0;
    std::uint64_t next_write_id_ = 1;
    std::uint64_t next_read_id_ = 1;
    std::set<std::uint64_t> acknowledged_;
    std::set<std::uint64_t> reads_served_;
    std::deque<TraceEvent> trace_;
};

}  // namespace consensus::sim
