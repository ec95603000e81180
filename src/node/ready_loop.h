#pragma once
/// The Ready cycle as plain functions over small interfaces (STYLE §4), so tests and
/// the simulator run the same code as the member without sockets or disks.
///
/// handle_ready() does one Ready in the order ready.h prescribes [etcd: raft README
/// "usage"; etcd: server/etcdserver/raft.go]:
///   0. send messages_before_persist (the leader's own appends [thesis §10.2.1]);
///   1. persist a non-empty snapshot, then restore the state machine from it;
///   2. persist hard state and entries in ONE write, synced when must_sync;
///   3. send messages (votes and acknowledgements promise durable state, so only now);
///   4. apply committed entries in index order;
///   5. queue read states, answered once applied >= their index.
/// The caller then calls RawNode::advance(). A durable-log error stops the cycle at
/// once and is returned: the caller must fail-stop (STYLE §8), because continuing
/// would acknowledge state that is not on disk.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "consensus/status.h"
#include "consensus/types.h"
#include "raft/message.h"
#include "raft/ready.h"

namespace consensus::node {

/// Durable Raft state, as the Ready cycle writes it (wal::Wal in production).
class DurableLog {
public:
    virtual ~DurableLog() = default;
    /// Installs `snapshot`; the log before and at its index is discarded.
    virtual Status save_snapshot(const raft::Snapshot& snapshot) = 0;
    /// Persists `hard_state` (when set) and appends `entries` in one write.
    virtual Status save(const std::optional<raft::HardState>& hard_state,
                        const std::vector<raft::Entry>& entries, bool sync) = 0;
};

/// Where outgoing Raft messages go (the peer transport in production). Never blocks.
class MessageSender {
public:
    virtual ~MessageSender() = default;
    virtual void send(raft::Message message) = 0;
};

/// The replicated state machine as the Ready cycle drives it.
class StateMachine {
public:
    virtual ~StateMachine() = default;
    /// Replaces the whole state with the snapshot's (already durable).
    virtual void restore(const raft::Snapshot& snapshot) = 0;
    /// Applies one committed entry. Entries arrive in index order, each once.
    virtual void apply(const raft::Entry& entry) = 0;
    /// Takes read points to answer once the state machine has applied their index.
    virtual void add_read_states(const std::vector<raft::ReadState>& read_states) = 0;
};

/// Handles one Ready (steps 0-5 above; not advance). Returns the durable log's error,
/// if any, after which nothing more of the Ready has been done.
Status handle_ready(raft::Ready& ready, DurableLog& log, MessageSender& sender,
                    StateMachine& state_machine);

// The same steps one by one, for a driver that runs step 2 on a disk thread (the
// member): it calls the first two on the loop, writes hard state and entries on the
// disk thread when needs_synced_write(), and calls finish_persisted_ready() on the loop
// once that write is durable. Meanwhile it may keep sending the leader's new appends
// (RawNode::take_messages_before_persist) [thesis §10.2.1] and applying committed
// entries that are already durable locally (RawNode::take_durable_committed_entries).

/// Step 0: sends messages_before_persist (the leader's appends).
void send_messages_before_persist(raft::Ready& ready, MessageSender& sender);
/// Step 1: persists a non-empty snapshot, then restores the state machine from it.
/// Returns the durable log's error (the state machine is then untouched).
Status persist_snapshot(raft::Ready& ready, DurableLog& log, StateMachine& state_machine);
/// Whether step 2 writes anything: entries, or a term or vote change (the only hard
/// state changes a Ready carries), always synced.
bool needs_synced_write(const raft::Ready& ready);
/// Steps 3-5, once hard state and entries are durable: sends `messages`, applies the
/// committed entries and queues the read states.
void finish_persisted_ready(raft::Ready& ready, MessageSender& sender, StateMachine& state_machine);

/// Read-index requests waiting for the state machine to catch up [thesis §6.4]. The
/// request context of a read is the 8-byte little-endian id of its waiting request.
class ReadQueue {
public:
    /// Queues `read_state`; ignored when its context is not a request id.
    void add(const raft::ReadState& read_state);
    /// Removes and returns, in arrival order, the ids of reads with index <= applied.
    std::vector<std::uint64_t> take_ready(Index applied);
    std::size_t size() const { return reads_.size(); }

private:
    struct Read {
        Index index;
        std::uint64_t request_id;
    };
    std::vector<Read> reads_;
};

/// The request context that carries `request_id` through read_index().
std::string encode_read_context(std::uint64_t request_id);
/// The request id in `context`, or nothing when it is not 8 bytes.
std::optional<std::uint64_t> decode_read_context(std::string_view context);

}  // namespace consensus::node
