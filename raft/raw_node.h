#pragma once
/// RawNode: the driver-facing API of the Raft core (after etcd raft's rawnode.go).
/// Single-threaded and deterministic: no I/O, no clock, no threads. The driver calls
/// the inputs below, then repeatedly:
///   if (node.has_ready()) { Ready rd = node.ready(); ...persist, send, apply...;
///                           node.advance(); }
/// See ready.h for the order of work and what may be sent before persisting.

#include <memory>
#include <optional>
#include <string>

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
    /// Feeds a message from a peer. Errors: kInvalidArgument for local-only types.
    consensus::Status step(const Message& message);
    /// Proposes application data. Errors: kUnavailable when there is no leader to
    /// take it, or the proposal was dropped (transfer in progress, uncommitted limit).
    /// A successful return does not mean it will commit.
    consensus::Status propose(std::string data);
    /// Proposes a membership change [Raft §6]. Errors as propose(), plus
    /// kFailedPrecondition when another change is still pending.
    consensus::Status propose_conf_change(const ConfChange& change);
    /// Applies a committed ConfChange entry's change to the core's membership; the
    /// driver calls this when it applies that entry and stores the returned ConfState.
    ConfState apply_conf_change(const ConfChange& change);
    /// Requests a linearizable read point [thesis §6.4]; answered in a later Ready's
    /// read_states with the same context. Errors: kUnavailable with no known leader.
    consensus::Status read_index(std::string request_context);
    /// Asks the leader to hand leadership to `transferee` [thesis §3.10].
    void transfer_leadership(NodeId transferee);
    /// Tells the core that a message to `id` could not be delivered.
    void report_unreachable(NodeId id);
    /// Tells the core whether a snapshot sent to `id` was applied.
    void report_snapshot(NodeId id, bool failed);

    bool has_ready() const;
    /// The next batch of work. Precondition: the previous Ready was advanced.
    Ready ready();
    /// Acknowledges that the last Ready was fully handled (persisted, sent, applied).
    void advance();

    NodeStatus status() const;

private:
    explicit RawNode(std::unique_ptr<Raft> raft);
    std::unique_ptr<Raft> raft_;
    // Implementation detail: the last reported soft and hard state, to diff against.
    SoftState previous_soft_;
    HardState previous_hard_;
};

}  // namespace consensus::raft
