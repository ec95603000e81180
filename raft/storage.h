#pragma once
/// The read side of Raft's durable state, as the core sees it (after etcd raft's
/// storage.go and LogCabin's Storage/Log.h). The driver writes to durable storage
/// itself (wal::Wal in production, MemoryStorage in tests and the simulator) and then
/// tells the core via advance(); the core only reads through this interface.
///
/// Index ranges: entries() covers [first_index(), last_index()]. Entry first_index()-1
/// is the one covered by the latest snapshot; its term is still available through
/// term() ("the dummy entry").

#include <cstdint>
#include <vector>

#include "consensus/status.h"
#include "raft/message.h"

namespace consensus::raft {

/// The first state a core is built from: what was durable at start-up.
struct InitialState {
    HardState hard_state;
    ConfState conf_state;
};

/// Read-only access to durable Raft state. Implementations are owned by the driver and
/// must outlive the core reading them.
class Storage {
public:
    virtual ~Storage() = default;

    /// The hard state and membership that were durable at start-up.
    virtual Result<InitialState> initial_state() const = 0;
    /// Entries [low, high), at most max_bytes of entry data (always at least one entry
    /// if any is in range). Errors: kOutOfRange with message "compacted" when
    /// low < first_index(); kOutOfRange "unavailable" when high > last_index()+1.
    virtual Result<std::vector<Entry>> entries(Index low, Index high,
                                               std::uint64_t max_bytes) const = 0;
    /// Term of entry i, for first_index()-1 <= i <= last_index(). Errors as entries().
    virtual Result<Term> term(Index i) const = 0;
    /// Index of the first available entry (snapshot index + 1).
    virtual Index first_index() const = 0;
    /// Index of the last entry (the snapshot index when no entry follows it).
    virtual Index last_index() const = 0;
    /// The most recent snapshot (possibly empty). kUnavailable if it is being made.
    virtual Result<Snapshot> snapshot() const = 0;
};

}  // namespace consensus::raft
