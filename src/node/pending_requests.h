#pragma once
/// PendingRequests: the registry of client requests waiting for their proposal to be
/// applied (after etcd's pkg/wait [etcd: pkg/wait/wait.go]). A request is registered
/// under an id before its proposal enters Raft; the apply step completes it with what
/// applying produced; a timer fails it with etcd's "request timed out" if it never
/// commits. Each waiter runs exactly once.
///
/// Ids come from an IdGenerator: the high 16 bits are the low 16 bits of the member
/// id, so a command applied on every member completes a waiter only on the member that
/// proposed it (an id from another member is simply not found here); the rest starts
/// from the wall-clock time at start, so entries a previous incarnation of this member
/// proposed, which it re-applies after a restart, complete none of the new waiters.
///
/// Single-threaded: owned by the Member and used only on its event-loop thread. Time is
/// passed in (steady milliseconds), so tests drive it without a clock.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>

#include "consensus/service.h"
#include "consensus/status.h"
#include "consensus/types.h"
#include "kv/store.h"
#include "node/id_generator.h"

namespace consensus::node {

/// Upper bound of requests waiting at once; beyond it new requests are refused with
/// kUnavailable rather than letting a stalled cluster exhaust memory (STYLE §8).
inline constexpr std::size_t kPendingRequestsMax = 100000;
/// How long a request waits for its entry to be applied before it fails with kTimeout,
/// as etcd's default request timeout [etcd: server/config ReqTimeout, 5 s + election].
inline constexpr std::int64_t kRequestTimeoutMs = 5000;
/// etcd's words for a request whose entry was not applied in time.
inline constexpr const char* kRequestTimedOutMessage = "etcdserver: request timed out";
/// etcd's words for a request refused or failed because the member is stopping.
inline constexpr const char* kServerStoppedMessage = "etcdserver: server stopped";

/// What applying one proposal produced, handed to the waiter that proposed it.
struct Outcome {
    std::optional<service::V2Error> error;  ///< the store refused the request
    std::optional<service::V2Event> event;  ///< the store's answer on success
    Revision etcd_index = 0;                ///< store index after the apply
    Index raft_index = 0;                   ///< index of the applied entry
    Term raft_term = 0;                     ///< term of the applied entry
    NodeId member_id = kNoNode;             ///< the member a membership change was about
    kv::V3ApplyResult v3;                   ///< what a v3 command produced
};

/// Called once with the outcome, or with a non-ok Status (timeout, shutdown).
using Waiter = std::function<void(Result<Outcome>)>;

class PendingRequests {
public:
    /// `local_id` supplies the high 16 bits of every id this registry hands out, and
    /// `start_unix_ms` (the wall clock when the member starts) where the rest begins.
    PendingRequests(NodeId local_id, std::int64_t start_unix_ms,
                    std::size_t requests_max = kPendingRequestsMax);
    PendingRequests(const PendingRequests&) = delete;
    PendingRequests& operator=(const PendingRequests&) = delete;

    /// A fresh id, never 0 and never handed out before by this registry.
    std::uint64_t next_id();
    /// Registers `waiter` under `id` until `deadline_ms`. Errors: kUnavailable when
    /// requests_max are already waiting; kAlreadyExists when `id` is waiting. On error
    /// the waiter is not kept and not called.
    Status add(std::uint64_t id, std::int64_t deadline_ms, Waiter waiter);
    /// Completes the request `id` with `outcome` and forgets it. False (and nothing
    /// runs) when no request with that id is waiting: it belongs to another member,
    /// already completed, or timed out.
    bool complete(std::uint64_t id, Result<Outcome> outcome);
    /// Fails every request whose deadline is <= now_ms with kTimeout; returns how many.
    std::size_t expire(std::int64_t now_ms);
    /// Fails every waiting request with `status` (shutdown); returns how many.
    std::size_t fail_all(const Status& status);

    bool contains(std::uint64_t id) const { return waiting_.count(id) != 0; }
    std::size_t size() const { return waiting_.size(); }
    std::size_t requests_max() const { return requests_max_; }

private:
    struct Entry {
        Waiter waiter;
        std::multimap<std::int64_t, std::uint64_t>::iterator deadline;
    };
    IdGenerator ids_;
    std::size_t requests_max_;
    // Invariant: every waiting id has exactly one entry in deadlines_, and vice versa.
    std::unordered_map<std::uint64_t, Entry> waiting_;
    std::multimap<std::int64_t, std::uint64_t> deadlines_;
};

}  // namespace consensus::node
