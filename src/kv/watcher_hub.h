#pragma once
/// The v2 watcher hub: live watchers by key, notified when an event is applied
/// [etcd: server/etcdserver/api/v2store/watcher_hub.go, watcher.go].

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "consensus/service.h"
#include "consensus/types.h"

namespace consensus::kv {

/// The bound of a stream watcher's pending-event buffer. kv/ hands events to sinks
/// synchronously and cannot see sockets, so node/ and http/ enforce it: a stream
/// watcher with this many undelivered events is closed, as etcd closes a watcher whose
/// channel of 100 events is full [etcd: v2store/watcher_hub.go watch].
inline constexpr std::size_t kWatcherEventsMax = 100;

/// Registered watchers and their delivery rules. Owned by V2Store; single-threaded.
/// Sinks are called synchronously from notify(); a sink may cancel watches (its own
/// included) while it runs, and the hub copes.
class WatcherHub {
public:
    WatcherHub() = default;
    WatcherHub(const WatcherHub&) = delete;
    WatcherHub& operator=(const WatcherHub&) = delete;

    /// Registers a watcher on clean `key` that accepts events with index >=
    /// `since_index`. Returns its id (never 0).
    std::uint64_t add(std::string key, bool recursive, bool stream, Revision since_index,
                      service::V2WatchSink sink);

    /// Delivers `event` (with index `index`) to the watchers it concerns, in etcd's
    /// order: first the watchers on each path in `removed_paths` (a deleted or expired
    /// subtree), then those on "/", each ancestor of the event's key, and the key.
    /// Non-stream watchers are removed after their one event. A watcher never gets the
    /// same index twice, even where etcd would notify it once as a removed path and
    /// again as the event's own key.
    void notify(const service::V2Event& event, Revision index,
                const std::vector<std::string>& removed_paths);

    /// Delivers `event` to watcher `watch_id` only (catch-up from history) and moves
    /// its since_index past it. Unknown ids are ignored.
    void deliver(std::uint64_t watch_id, const service::V2Event& event, Revision index);

    /// Removes a watcher without calling its sink. Unknown ids are ignored.
    void cancel(std::uint64_t watch_id);

    /// Removes one watcher and calls its on_closed. Unknown ids are ignored.
    void close(std::uint64_t watch_id);

    /// Removes every watcher, calling each on_closed once (in id order).
    void close_all();

    bool contains(std::uint64_t watch_id) const { return watchers_.count(watch_id) != 0; }
    std::size_t count() const { return watchers_.size(); }
    /// The watcher's key, recursive flag and since_index (for catch-up scans).
    /// Precondition: contains(watch_id).
    const std::string& key_of(std::uint64_t watch_id) const;
    bool is_recursive(std::uint64_t watch_id) const;
    Revision since_index_of(std::uint64_t watch_id) const;

private:
    struct Watcher {
        std::string key;
        bool recursive = false;
        bool stream = false;
        /// Invariant: every event delivered so far has an index below since_index.
        Revision since_index = 0;
        service::V2WatchSink sink;
    };

    void notify_path(const service::V2Event& event, Revision index, std::string_view path,
                     bool deleted);
    void remove(std::uint64_t watch_id);

    std::uint64_t next_watch_id_ = 1;
    std::map<std::uint64_t, Watcher> watchers_;
    /// Ids by watched key, in registration order (etcd keeps a list per key).
    std::map<std::string, std::vector<std::uint64_t>, std::less<>> by_key_;
};

/// etcd's isHidden: whether the event at `key_path` is hidden from a watcher on
/// `watch_path` (some component below the watched path starts with '_').
bool is_hidden_from(std::string_view watch_path, std::string_view key_path);

}  // namespace consensus::kv
