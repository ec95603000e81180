#pragma once
/// The etcd v2 store: the key tree, its index, the event history and the watcher hub,
/// with etcd's operations and their exact error precedence, causes, index use and
/// statistics [etcd: server/etcdserver/api/v2store/store.go].
///
/// Index rule: only successful mutations and each expired key consume an index, one
/// each; failed writes and reads consume none. The index is the store's single
/// monotonic revision (etcd's v2 "index"); a v3 keyspace added beside this store
/// shares it.
///
/// Time: nothing here reads a clock. Every operation takes `now_unix_nanos` from the
/// applied command (the proposer's clock) and uses it only to compute expirations and
/// to render ttl (seconds left, rounded up).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "consensus/service.h"
#include "consensus/status.h"
#include "consensus/types.h"
#include "kv/event_history.h"
#include "kv/v2_tree.h"
#include "kv/watcher_hub.h"

namespace consensus::kv {

/// Expirations before 2000-01-01T00:00:00Z are treated as "no TTL" by creates and sets,
/// as etcd does to survive times that were serialized badly [etcd: v2store/store.go
/// minExpireTime].
inline constexpr std::int64_t kMinExpireUnixNanos = 946'684'800'000'000'000;

/// Digits of the zero-padded key of a POST (in-order) create [etcd v2 API: in-order keys].
inline constexpr int kInOrderKeyDigits = 20;

/// Everything a snapshot holds: the tree, the index, the history and the counters.
/// The watcher hub is not part of it (watchers are connections, not state).
struct V2State {
    V2Tree tree;
    EventHistory history;
    /// Invariant: every node index and every history index is <= current_index.
    Revision current_index = 0;
    service::StoreStats stats;  ///< `watchers` is not kept here; the hub counts it
};

/// TTL options of a write: the absolute expiration (unset = permanent) and whether the
/// write is a refresh (keeps the value, is recorded in history but not notified).
struct V2TtlOptions {
    std::optional<std::int64_t> expire_unix_nanos;
    bool refresh = false;
};

/// The result of one store operation: an etcd error or an event.
struct V2Outcome {
    std::optional<service::V2Error> error;
    std::optional<service::V2Event> event;
};

/// The result of starting a watch (see Store::WatchStart).
struct V2WatchOutcome {
    std::optional<service::V2Error> error;
    std::uint64_t watch_id = 0;  ///< 0 when the watch already finished (or failed)
    Revision etcd_index = 0;
    std::optional<service::V2Event> immediate;
};

/// The v2 store. Single-threaded; owned by kv::Store. Keys given to operations may be
/// unclean (they are cleaned like Go's path.Clean). Sinks registered through watch()
/// are called synchronously from the mutating operations.
class V2Store {
public:
    V2Store() = default;
    V2Store(const V2Store&) = delete;
    V2Store& operator=(const V2Store&) = delete;

    /// etcd Get. Does not touch the counters (see count_get). Errors: 100, 104.
    V2Outcome get(std::string_view key, bool recursive, bool sorted,
                  std::int64_t now_unix_nanos) const;

    /// etcd Set (PUT without conditions): creates or replaces a file, or replaces a file
    /// by a dir. Errors: 107 root, 104 file in the path, 102 the key is a dir, and 100
    /// for a refresh of a missing key. Action "set".
    V2Outcome set(std::string_view key, bool dir, std::string value, V2TtlOptions ttl,
                  std::int64_t now_unix_nanos);

    /// etcd Create (prevExist=false, and POST when `unique`: the key becomes
    /// key/<index zero-padded to 20 digits>). Errors: 107, 104, 105. Action "create".
    V2Outcome create(std::string_view key, bool dir, std::string value, bool unique,
                     V2TtlOptions ttl, std::int64_t now_unix_nanos);

    /// etcd Update (prevExist=true): new value and TTL, createdIndex kept. A dir only
    /// takes an empty value and keeps its modifiedIndex, as etcd 3.4 does. Errors: 107,
    /// 100, 104, 102 (a value for a dir). Action "update".
    V2Outcome update(std::string_view key, std::string value, V2TtlOptions ttl,
                     std::int64_t now_unix_nanos);

    /// etcd CompareAndSwap. Empty prev_value and prev_index 0 are "no condition".
    /// Errors: 107, 100, 104, 102 (a dir), 101 with cause "[asked != actual]",
    /// "[askedIndex != modifiedIndex]" or both. Action "compareAndSwap".
    V2Outcome compare_and_swap(std::string_view key, std::string_view prev_value,
                               Revision prev_index, std::string value, V2TtlOptions ttl,
                               std::int64_t now_unix_nanos);

    /// etcd Delete. `recursive` implies `dir`; `dir` also deletes a file. Errors: 107,
    /// 100, 104, 102 (a dir without dir/recursive), 108 (a non-empty dir without
    /// recursive). Action "delete".
    V2Outcome remove(std::string_view key, bool dir, bool recursive, std::int64_t now_unix_nanos);

    /// etcd CompareAndDelete. Errors: 100, 104, 102 (a dir, the root included), 101.
    /// Action "compareAndDelete".
    V2Outcome compare_and_delete(std::string_view key, std::string_view prev_value,
                                 Revision prev_index, std::int64_t now_unix_nanos);

    /// etcd DeleteExpiredKeys: removes every node expiring at or before `now`, earliest
    /// first (ties by path), one index and one "expire" event each.
    void delete_expired_keys(std::int64_t now_unix_nanos);

    /// Starts a watch on `key` from `wait_index` (0 = the next change). Answers from
    /// history when it can; a non-stream watch answered so is finished (watch_id 0), a
    /// stream watch keeps going: the rest of its history backlog is delivered at the
    /// next catch_up_stream_watchers() (every apply calls it), before any new event.
    /// Errors: 401 with the store index.
    V2WatchOutcome watch(std::string_view key, bool recursive, bool stream, Revision wait_index,
                         service::V2WatchSink sink);
    void cancel_watch(std::uint64_t watch_id);
    void close_all_watches();
    /// Delivers the history backlog of stream watches that started in the past.
    void catch_up_stream_watchers();

    /// Counts a GET served outside apply (etcd counts every Get).
    void count_get(bool success);
    service::StoreStats stats() const;
    Revision current_index() const { return state_.current_index; }
    std::optional<std::int64_t> next_expiration_unix_nanos() const;
    const V2State& state() const { return state_; }
    /// Replaces the state (snapshot restore). Watchers stay registered, as in etcd;
    /// stream watchers whose backlog is no longer in the history are closed.
    void replace_state(V2State state);
    /// Tree invariants plus the index rules of V2State. kInternal on the first breach.
    Status check_invariants() const;

private:
    V2Outcome fail(int error_code, std::string cause, std::uint64_t* fail_counter);
    /// The file a compare-and-swap or compare-and-delete acts on, once it exists, is a
    /// file and meets the conditions; otherwise nullptr with the etcd error (counted in
    /// *fail_counter) in *refused.
    V2TreeNode* find_compared_file(const std::string& clean, std::string_view prev_value,
                                   Revision prev_index, std::uint64_t* fail_counter,
                                   V2Outcome* refused);
    V2Outcome internal_create(std::string_view key, bool dir, std::string value, bool unique,
                              bool replace, std::optional<std::int64_t> expire_unix_nanos,
                              const char* action, std::int64_t now_unix_nanos);
    /// set() over an existing file, which stays a file: rewrites the node in place.
    V2Outcome replace_file(V2TreeNode& node, std::string value, V2TtlOptions ttl,
                           std::int64_t now_unix_nanos);
    /// Records the event under the current index, then notifies (or, for a refresh,
    /// only records it).
    void publish(const service::V2Event& event, bool refresh,
                 const std::vector<std::string>& removed_paths);

    V2State state_;
    WatcherHub hub_;
    std::vector<std::uint64_t> catching_up_;
};

}  // namespace consensus::kv
