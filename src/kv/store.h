#pragma once
/// The replicated state machine: node/ decodes committed Raft entries into Commands
/// and applies them here, in log order, on every member [Raft §5.3]. Applying depends
/// only on the command and the store state, never on a clock or on the member, so
/// every member reaches the same state and emits the same events.
///
/// Store decodes what a command asks for and maps it onto the v2 store's operations
/// the way etcd's applierV2 does [etcd: server/etcdserver/apply_v2.go]; the tree,
/// history and watch rules live in V2Store. The v3 keyspace (revisions, txn, leases,
/// watches, compaction) sits beside it with its own revision counter, as etcd keeps
/// its v2 store and its v3 mvcc store apart.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "consensus/service.h"
#include "consensus/status.h"
#include "consensus/types.h"
#include "consensus/v3.h"
#include "kv/command.h"
#include "kv/v2_store.h"
#include "kv/v3_store.h"

namespace consensus::kv {

/// What one applied v3 command produced.
struct V3ApplyResult {
    /// Not ok: the command was refused (etcd's text and code, v3.h), changing nothing.
    Status status;
    /// The v3 store revision after applying (the response header's revision).
    std::int64_t revision = 0;
    service::v3::TxnResponse txn;                    ///< kV3Txn
    service::v3::LeaseGrantResponse lease_grant;     ///< kV3LeaseGrant
    service::v3::LeaseKeepAliveResponse keep_alive;  ///< kV3LeaseRenew (ttl 0: unknown)
};

/// What one applied command produced.
struct ApplyResult {
    std::optional<service::V2Error> error;
    std::optional<service::V2Event> event;  ///< for writes and quorum gets on success
    Revision etcd_index = 0;                ///< store index after applying (X-Etcd-Index)
    V3ApplyResult v3;                       ///< for the kV3 kinds
};

/// The immediate answer to registering a v3 watch (see service::V3WatchStart).
struct V3WatchStart {
    Status status;
    std::uint64_t watch_id = 0;                    ///< 0 when not created
    std::optional<std::int64_t> compact_revision;  ///< start_revision was compacted
    std::vector<service::v3::Event> backlog;       ///< events in [start_revision, current]
    std::int64_t revision = 0;                     ///< current revision
};

/// Receives a v3 watch's live events: all events of one revision in one call.
using V3WatchCallback =
    std::function<void(const std::vector<service::v3::Event>& events, std::int64_t revision)>;

/// The v2 tree + revision history + watch hub. Single-threaded: every call comes from
/// the member's loop thread. Owned by node/; lives as long as the member.
class Store {
public:
    Store() = default;
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    /// Keeps the v3 keyspace's superseded records in an unnamed file in `dir` instead of
    /// memory (kv/v3_history_log.h; `flush_bytes` is for tests). Call once, before
    /// anything is applied or restored. kIOError naming the directory if no file can be
    /// made there.
    [[nodiscard]] Status keep_v3_history_in(
        const std::string& dir, std::size_t flush_bytes = V3HistoryLog::kFlushBytesDefault);

    /// Applies one committed command:
    /// - kV2Write: PUT (set, create with prevExist=false, update with prevExist=true,
    ///   compareAndSwap with prevValue/prevIndex), POST (in-order create), DELETE
    ///   (delete, or compareAndDelete with prevValue/prevIndex); a GET is served like a
    ///   quorum get. TTLs expire at now_unix_nanos + ttl seconds; ttl 0 or unset means
    ///   permanent.
    /// - kV2ExpireSync: removes every key expiring at or before now_unix_nanos.
    /// - kV2QuorumGet: a read in log order (counted in the get counters).
    /// - kNoop: nothing.
    /// - the kV3 kinds: the v3 keyspace (v3_store.h); the answer is in `v3`.
    /// Watch sinks are called synchronously from here. Store errors come back in
    /// `error` with the current index; they consume no index.
    ApplyResult apply(const Command& command);

    /// The same as apply(const Command&), but a v2 write's value is moved out of
    /// `command` into the store instead of copied; `command.request.value` is left
    /// unspecified and every other field untouched.
    ApplyResult apply(Command&& command);

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

    // -- v3 keyspace: an MVCC store beside the v2 tree, with its own revision counter
    //    (as etcd keeps the v2 store and the v3 mvcc store apart). Applied through
    //    apply() with the kV3 kinds; the reads below serve from the applied state.

    /// A range at request.revision (or the current revision). Errors as etcd's mvcc:
    /// kOutOfRange "etcdserver: mvcc: required revision has been compacted" /
    /// "etcdserver: mvcc: required revision is a future revision".
    Result<service::v3::RangeResponse> v3_range(const service::v3::RangeRequest& request) const;
    /// The current v3 revision (1 for an empty store, as etcd starts) and the
    /// compacted revision (0 when never compacted).
    std::int64_t v3_revision() const;
    std::int64_t v3_compact_revision() const;
    /// Time-to-live of a lease at `now_unix_nanos`: ttl -1 for an unknown lease; keys
    /// listed only when request.keys.
    service::v3::LeaseTimeToLiveResponse v3_lease_time_to_live(
        const service::v3::LeaseTimeToLiveRequest& request, std::int64_t now_unix_nanos) const;
    service::v3::LeaseLeasesResponse v3_leases() const;
    bool v3_lease_exists(std::int64_t lease_id) const;
    /// The earliest lease expiry (unset if no lease), so the leader knows when to
    /// propose a kV3LeaseExpireSync, and whether any lease has expired at `now`.
    std::optional<std::int64_t> v3_next_lease_expiry_unix_nanos() const;
    bool v3_has_expired_lease(std::int64_t now_unix_nanos) const;
    /// Registers a v3 watch; `on_events` is then called from later apply() calls.
    V3WatchStart v3_watch(const service::v3::WatchCreateRequest& request,
                          V3WatchCallback on_events);
    void v3_cancel_watch(std::uint64_t watch_id);
    /// Bytes the v3 keyspace holds (keys + values of every kept revision), for dbSize.
    std::int64_t v3_size_bytes() const;
    /// Bytes in the v3 history log, whether kept records still use them or not.
    std::uint64_t v3_history_log_bytes() const;

    /// The whole state (tree, current index, event history, counters, and the v3
    /// keyspace, revisions and leases) in the format of snapshot.h. Watchers are not
    /// included.
    std::string save_snapshot() const;
    /// As save_snapshot, appended to `out`, so a caller that frames it does not copy it.
    void append_snapshot(std::string* out) const;

    /// Replaces the state with a snapshot. kCorruption on damaged bytes, and then the
    /// state is unchanged. Registered watchers stay (as in etcd); v3 watchers get the
    /// restored revisions they had not seen, and one whose next revision was compacted
    /// away is ended without a further call (V3Watchers::resync).
    [[nodiscard]] Status restore_snapshot(std::string_view bytes);

    /// The state machine's invariants (tree links, index bounds, history bound; the v3
    /// histories, revision bounds and lease attachments); kInternal naming the first
    /// violation. For tests and debug checks.
    [[nodiscard]] Status check_invariants() const;

private:
    /// Both apply overloads: `v2_value` is the v2 request's value (empty when unset).
    ApplyResult apply_command(const Command& command, std::string v2_value);
    V2Outcome apply_write(const service::V2Request& request, std::string value,
                          std::int64_t now_unix_nanos);
    V3ApplyResult apply_v3(const Command& command);

    V2Store v2_;
    V3Store v3_;
};

/// The absolute expiration of a write with `ttl_seconds` at `now_unix_nanos`: unset for
/// no TTL or 0 (etcd treats both as permanent), saturating at the int64 maximum.
std::optional<std::int64_t> expiration_for(std::optional<std::uint64_t> ttl_seconds,
                                           std::int64_t now_unix_nanos);

}  // namespace consensus::kv
