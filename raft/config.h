#pragma once
/// Configuration of one Raft core. validate() reports one clear error per bad field.

#include <cstddef>
#include <cstdint>
#include <string>

#include "consensus/status.h"
#include "consensus/types.h"

namespace consensus::raft {

class Storage;
class RandomSource;

struct Config {
    NodeId id = kNoNode;
    /// Ticks without hearing from a leader before a follower campaigns. The actual
    /// timeout is randomized in [election_ticks, 2*election_ticks) [Raft §5.2].
    int election_ticks = 10;
    /// Leader sends heartbeats every heartbeat_ticks. Invariant: < election_ticks.
    int heartbeat_ticks = 1;
    /// Read-only view of durable state; not owned, must outlive the core.
    const Storage* storage = nullptr;
    /// Source of randomness for election timeouts; not owned. Injected so that a
    /// simulation seed replays exactly (STYLE §1.3).
    RandomSource* random = nullptr;
    /// Last applied index at restart (entries up to it are not handed out again).
    Index applied = 0;
    /// Upper bound of entry data bytes in one AppendEntries message.
    std::uint64_t max_message_bytes = 1024 * 1024;
    /// Upper bound of in-flight AppendEntries per follower while replicating.
    int max_inflight_messages = 256;
    /// Upper bound of uncommitted entry bytes at the leader; proposals beyond it are
    /// dropped (kUnavailable) so a stalled cluster cannot exhaust memory. 0 = no limit.
    std::uint64_t max_uncommitted_entries_bytes = 64 * 1024 * 1024;
    /// Upper bound of committed-entry bytes in one Ready.
    std::uint64_t max_committed_bytes_per_ready = 16 * 1024 * 1024;
    /// Upper bound of ReadIndex requests a leader holds (waiting for a heartbeat round
    /// or for its first commit in the term); requests beyond it are dropped
    /// (kUnavailable) and the client retries.
    std::size_t max_pending_read_requests = 4096;
    /// PreVote [thesis §9.6].
    bool pre_vote = true;
    /// CheckQuorum: a leader steps down after an election timeout without hearing
    /// from a quorum [thesis §6.2]; followers then also ignore vote requests while
    /// they believe a leader is alive (leader stickiness).
    bool check_quorum = true;

    /// Ok, or kInvalidArgument naming the first bad field.
    Status validate() const;
};

/// Randomness, injected. next(n) returns a value in [0, n).
class RandomSource {
public:
    virtual ~RandomSource() = default;
    virtual std::uint64_t next(std::uint64_t n) = 0;
};

}  // namespace consensus::raft
