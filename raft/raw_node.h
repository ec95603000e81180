#pragma once
/// RawNode: the driver-facing API of the Raft core (after etcd raft's rawnode.go).
/// Single-threaded and deterministic: no I/O, no clock, no threads. The driver calls
/// the inputs below, then repeatedly:
///   if (node.has_ready()) { Ready rd = node.ready(); ...persist, send, apply...;
///                           node.advance(); }
/// See ready.h for the order of work and what may be sent before persisting.
///
/// Snapshots: the core hands a whole Snapshot to the driver (in a MsgSnap message to
/// send, or in Ready::snapshot to install). Splitting a large snapshot into chunks for
/// the network and reassembling it is the transport's job (src/node), not the core's;
/// the driver reports the outcome of a send with report_snapshot().

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "consensus/status.h"
#include "raft/config.h"
#include "raft/message.h"
#include "raft/ready.h"

namespace consensus::raft {

class Raft;

/// Observable state for status pages, tests and invariant checks.
struct NodeStatus {
    NodeId id = kNoNode;
    HardState hard_state;
    SoftState soft_state;
    Index applied = 0;
    Index last_index = 0;
    ConfState conf_state;
    NodeId lead_transferee = kNoNode;
};

class RawNode {
public:
    /// Builds a core over `config.storage`. Errors: config.validate() failures, or a
    /// storage error reading the initial state.
    static Result<std::unique_ptr<RawNode>> create(const Config& config);
    ~RawNode();
    RawNode(const RawNode&) = delete;
    RawNode& operator=(const RawNode&) = delete;

    /// One logical clock tick (election and heartbeat timers count ticks).
    void tick();
    /// Starts an election (PreVote first when enabled).
    void campaign();
    /// Feeds a message from a peer. Errors: kInvalidArgument for local-only types and
    /// malformed messages (see validate_network_message);
    /// kNotFound for a response from a member not in the configuration; otherwise
    /// what the core reports (e.g. kUnavailable for a forwarded proposal it dropped).
    consensus::Status step(const Message& message);
    /// Proposes application data. Errors: kUnavailable when there is no leader to
    /// take it, or the proposal was dropped (transfer in progress, uncommitted limit).
    /// A successful return does not mean it will commit.
    consensus::Status propose(std::string data);
    /// Proposes several pieces of application data as one message, in order: the
    /// leader appends them together and sends them in one append per follower, and a
    /// follower forwards them in one message, instead of one of each per proposal
    /// [etcd: a MsgProp carries many entries]. All or nothing: on error (as propose())
    /// none of them was appended. Precondition: `data` is not empty.
    consensus::Status propose_batch(std::vector<std::string> data);
    /// Proposes a membership change [Raft §6]. Errors as propose(), plus
    /// kFailedPrecondition when another change is still pending.
    consensus::Status propose_conf_change(const ConfChange& change);
    /// Applies a committed ConfChange entry's change to the core's membership; the
    /// driver calls this when it applies that entry and stores the returned ConfState.
    ConfState apply_conf_change(const ConfChange& change);
    /// Requests a linearizable read point [thesis §6.4]; answered in a later Ready's
    /// read_states with the same context. Errors: kUnavailable with no known leader,
    /// or when the leader already holds Config::max_pending_read_requests reads.
    consensus::Status read_index(std::string request_context);
    /// Asks the leader to hand leadership to `transferee` [thesis §3.10].
    void transfer_leadership(NodeId transferee);
    /// Tells the core that a message to `id` could not be delivered.
    void report_unreachable(NodeId id);
    /// Tells the core whether a snapshot sent to `id` was applied.
    void report_snapshot(NodeId id, bool failed);

    /// Whether ready() would return any work.
    bool has_ready() const;
    /// The next batch of work. Precondition: the previous Ready was advanced.
    Ready ready();
    /// Acknowledges that the last Ready was fully handled (persisted, sent, applied).
    /// Does nothing if no Ready is outstanding.
    void advance();
    /// Removes and returns the messages queued since the last ready() that a Ready
    /// would carry in messages_before_persist: the leader's AppendEntries, heartbeats
    /// and their responses, ReadIndex requests and responses. Callable at any time,
    /// also while a Ready is outstanding or the driver's disk is busy otherwise: a
    /// driver that persists on another thread sends them while that write is in
    /// progress, so replication of new proposals overlaps the leader's own fsync
    /// [thesis §10.2.1; etcd: raft async storage writes] and reads are confirmed
    /// without waiting for it. Safe because the leader counts its own entries toward a
    /// commit quorum only after advance() reports them durable, and the other messages
    /// promise nothing about local state (ready.h step 3).
    std::vector<Message> take_messages_before_persist();
    /// Removes and returns the read points ready since the last ready() (what a Ready
    /// would carry in read_states). Callable at any time: a read point needs nothing
    /// persisted, only the state machine applied up to its index (ready.h step 5).
    std::vector<ReadState> take_read_states();
    /// While a Ready is outstanding (ready() called, advance() not yet, its write in
    /// progress on another thread): the committed entries after every entry handed out
    /// so far that are already durable here (index <= the stable last index), at most
    /// Config::max_committed_bytes_per_ready of data. The driver applies them at once,
    /// in order, instead of waiting for the write: they are committed (durable on a
    /// quorum) and durable locally, which is what etcd raft requires of entries it
    /// hands out for applying under async storage writes [etcd: raft rawnode.go
    /// applyUnstableEntries]. Entries the outstanding Ready itself hands out come
    /// first: when it holds committed entries beyond the stable index, nothing is
    /// returned until advance(). The entries count as applied when returned. Empty
    /// without an outstanding Ready or while a snapshot is pending.
    std::vector<Entry> take_durable_committed_entries();

    /// A snapshot of the observable state (cheap; copies the membership).
    NodeStatus status() const;
    /// Every entry of the core's log from first_index() on, durable and unstable
    /// (tests, the simulator and invariant checks; copies the log).
    std::vector<Entry> log_entries() const;
    /// First index of the core's log (entries before it are compacted).
    Index first_index() const;
    /// The protocol state machine itself, for tests and the simulator's checks.
    const Raft& raft() const { return *raft_; }

private:
    /// What the outstanding Ready handed out, to acknowledge in advance().
    struct Accepted {
        Index last_entry_index = 0;
        Term last_entry_term = 0;
        Index snapshot_index = 0;
        Index last_committed_index = 0;
        std::uint64_t committed_bytes = 0;
    };

    explicit RawNode(std::unique_ptr<Raft> raft);
    std::unique_ptr<Raft> raft_;
    std::optional<Accepted> accepted_;
    // Implementation detail: the last reported soft and hard state, to diff against.
    SoftState previous_soft_;
    HardState previous_hard_;
};

}  // namespace consensus::raft
