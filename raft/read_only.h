#pragma once
/// ReadOnly: the leader's queue of ReadIndex requests awaiting a heartbeat round that
/// confirms its leadership [thesis §6.4] (after etcd raft's read_only.go, the
/// ReadOnlySafe option).

#include <cstddef>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "consensus/types.h"
#include "raft/message.h"

namespace consensus::raft {

/// One pending read: the request, the commit index when it arrived, and who has
/// acknowledged a heartbeat carrying its context.
struct ReadIndexStatus {
    Message request;
    Index index = 0;
    std::map<NodeId, bool> acks;
};

/// Pending reads in arrival order, keyed by request context. Owned by Raft and reset
/// whenever its term or role changes (a new leader starts a new queue).
class ReadOnly {
public:
    /// Queues `request` (keyed by request.context) at read point `index`. A context
    /// already queued is ignored (the first request's read point stands).
    void add_request(Index index, const Message& request);
    /// Records that `id` acknowledged the heartbeat for `context`. Returns the acks
    /// so far, or nullptr for an unknown context.
    const std::map<NodeId, bool>* receive_ack(NodeId id, const std::string& context);
    /// Removes and returns every request up to and including `context`: one
    /// confirmed heartbeat round confirms every read queued before it too.
    std::vector<ReadIndexStatus> advance(const std::string& context);
    /// Context of the newest pending request, or "" if none.
    std::string last_pending_request_context() const;
    std::size_t size() const { return queue_.size(); }

private:
    std::map<std::string, ReadIndexStatus> pending_;
    /// Invariant: the keys of pending_, in arrival order.
    std::deque<std::string> queue_;
};

}  // namespace consensus::raft
