#pragma once
/// The replicated state machine: node/ decodes committed Raft entries into Commands
/// and applies them here, in log order, on every member [Raft §5.3]. Applying depends
/// only on the command and the store state, never on a clock or on the member, so
/// every member reaches the same state and emits the same events.
///
/// Store decodes what a command asks for and maps it onto the v2 store's operations
/// the way etcd's applierV2 does [etcd: server/etcdserver/apply_v2.go]; the tree,
/// history and watch rules live in V2Store, so a v3 keyspace can sit beside it and
/// share the one revision counter.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "consensus/service.h"
#include "consensus/status.h"
#include "consensus/types.h"
#include "kv/command.h"
#include "kv/v2_store.h"

namespace consensus::kv {

/// What one applied command produced.
struct ApplyResult {
    std::optional<service::V2Error> error;
    std::optional<service::V2Event> event;  ///< for writes and quorum gets on success
    Revision etcd_index = 0;                ///< store index after applying (X-Etcd-Index)
};

/// The v2 tree + revision history + watch hub. Single-threaded: every call comes from
/// the member's loop thread. Owned by node/; lives as long as the member.
class Store {
public:
    Store() = default;
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    /// Applies one committed command:
    /// - kV2Write: PUT (set, create with prevExist=false, update with prevExist=true,
    ///   compareAndSwap with prevValue/prevIndex), POST (in-order create), DELETE
    ///   (delete, or compareAndDelete with prevValue/prevIndex); a GET is served like a
    ///   quorum get. TTLs expire at now_unix_nanos + ttl seconds; ttl 0 or unset means
    ///   permanent.
    /// - kV2ExpireSync: removes every key expiring at or before now_unix_nanos.
    /// - kV2QuorumGet: a read in log order (counted in the get counters).
    /// - kNoop: nothing.
    /// Watch sinks are called synchronously from here. Store errors come back in
    /// `error` with the current index; they consume no index.
    ApplyResult apply(const Command& command);

    /// A local (serializable) GET. `now_unix_nanos` only renders ttl. Not counted in
    /// the statistics: the caller counts it with count_get. headers.etcd_index is the
    /// current index; raft_index and raft_term are left 0 for node/ to fill.
    service::V2Result get(const service::V2Request& request, std::int64_t now_unix_nanos);

    /// The immediate answer to a watch request.
    struct WatchStart {
        std::optional<service::V2Error> error;      ///< 401 (index cleared) with the index
        std::uint64_t watch_id = 0;                 ///< 0 when failed, or finished by `immediate`
        Revision etcd_index = 0;                    ///< the store index when the watch began
        std::optional<service::V2Event> immediate;  ///< answered from history
    };

    /// Starts a watch for a GET with wait=true (key, recursive, stream, wait_index;
    /// wait_index 0 means from the next change). If history answers it, the event is in
    /// `immediate` and a non-stream watch is finished; a stream watch gets the rest of
    /// its backlog and then live events through `sink` during later apply() calls.
    /// Otherwise `sink` gets events during later apply() calls: once for a non-stream
    /// watch (then it is removed), each matching event for a stream watch. The sink's
    /// headers carry the event's index as etcd_index.
    WatchStart watch(const service::V2Request& request, service::V2WatchSink sink);

    /// Ends a watch without calling its sink. Unknown ids are ignored.
    void cancel_watch(std::uint64_t watch_id);

    /// Ends every watch, calling each sink's on_closed once (member shutdown).
    void close_all_watches();

    /// The earliest expiration of any key (unset if none), so the leader knows when to
    /// propose a kV2ExpireSync.
    std::optional<std::int64_t> next_expiration_unix_nanos() const;

    /// Whether some key expires at or before `now_unix_nanos`.
    bool has_expired(std::int64_t now_unix_nanos) const;

    /// The store index: the number of index-consuming changes applied so far.
    Revision current_index() const;

    /// Counters with etcd's names (for /v2/stats/store), watchers included.
    service::StoreStats stats() const;

    /// Counts a local GET (success: it found the key).
    void count_get(bool success);

    /// The whole state (tree, current index, event history, counters) in the format of
    /// snapshot.h. Watchers are not included.
    std::string save_snapshot() const;

    /// Replaces the state with a snapshot. kCorruption on damaged bytes, and then the
    /// state is unchanged. Registered watchers stay (as in etcd).
    [[nodiscard]] Status restore_snapshot(std::string_view bytes);

    /// The state machine's invariants (tree links, index bounds, history bound);
    /// kInternal naming the first violation. For tests and debug checks.
    [[nodiscard]] Status check_invariants() const;

private:
    V2Outcome apply_write(const service::V2Request& request, std::int64_t now_unix_nanos);

    V2Store v2_;
};

/// The absolute expiration of a write with `ttl_seconds` at `now_unix_nanos`: unset for
/// no TTL or 0 (etcd treats both as permanent), saturating at the int64 maximum.
std::optional<std::int64_t> expiration_for(std::optional<std::uint64_t> ttl_seconds,
                                           std::int64_t now_unix_nanos);

}  // namespace consensus::kv
