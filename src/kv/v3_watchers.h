#pragma once
/// The v3 watchers: who watches which keys, and the delivery of each applied revision's
/// events to them [etcd: server/mvcc/watchable_store.go, watcher.go;
/// server/etcdserver/api/v3rpc/watch.go].
///
/// A watch covers a key or a range (V3KeyRange), may drop puts or deletes (filters
/// NOPUT, NODELETE) and may ask for prev_kv: the key's state just before the event's
/// revision, left out for a create (etcd's isCreateEvent) and when that revision has
/// been compacted. A watch starting at a past revision gets every stored event since
/// then at once (the backlog); one starting at a compacted revision is refused with
/// the compact revision and never registered; one starting at 0 waits for the next
/// revision. Live events arrive per revision, all the events of one revision in one
/// call, right after the revision is applied, so nothing is missed or repeated between
/// the backlog and the live events.
///
/// Single-threaded; owned by V3Store. Callbacks may cancel watches (their own too) or
/// start new ones; a new watch sees only later revisions.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "consensus/status.h"
#include "consensus/v3.h"
#include "kv/v3_keyspace.h"
#include "kv/v3_write_txn.h"

namespace consensus::kv {

/// Receives a watch's events of one revision, and that revision (same type as
/// store.h's V3WatchCallback).
using V3EventsCallback =
    std::function<void(const std::vector<service::v3::Event>& events, std::int64_t revision)>;

/// The answer to starting a watch (mirrors store.h's V3WatchStart).
struct V3WatchRegistration {
    Status status;
    std::uint64_t watch_id = 0;
    std::optional<std::int64_t> compact_revision;
    std::vector<service::v3::Event> backlog;
};

class V3Watchers {
public:
    V3Watchers() = default;
    V3Watchers(const V3Watchers&) = delete;
    V3Watchers& operator=(const V3Watchers&) = delete;

    /// Starts a watch over `keyspace` as described above. Errors: kInvalidArgument
    /// when range_end is set and not after key (etcd's ErrEmptyWatcherRange).
    V3WatchRegistration watch(const V3Keyspace& keyspace,
                              const service::v3::WatchCreateRequest& request,
                              V3EventsCallback on_events);

    /// Ends a watch; its callback is not called again. Unknown ids are ignored.
    void cancel(std::uint64_t watch_id);

    /// Delivers the changes of the keyspace's newest revision `revision`.
    void notify(const V3Keyspace& keyspace, const std::vector<V3Change>& changes,
                std::int64_t revision);

    /// After the keyspace was replaced by a snapshot: each watch gets, per revision,
    /// the stored events it has not seen yet, as etcd moves its watchers to the
    /// unsynced group on restore [etcd: server/mvcc/watchable_store.go Restore]. A
    /// watch whose next revision was compacted away cannot be served without a gap and
    /// is ended (its callback has no way to report a compaction).
    void resync(const V3Keyspace& keyspace);

    bool empty() const { return watchers_.empty(); }
    std::size_t size() const { return watchers_.size(); }

private:
    struct Watcher {
        std::string key;
        std::string range_end;
        bool no_put = false;
        bool no_delete = false;
        bool prev_kv = false;
        /// The first revision to deliver live: after the backlog, or a future
        /// start_revision.
        std::int64_t min_revision = 0;
        /// Shared so that delivery can hold it while the callback cancels its watch.
        std::shared_ptr<const V3EventsCallback> on_events;
    };

    /// The events of `all` that `watcher` wants, with prev_kv filled if asked.
    static std::vector<service::v3::Event> select(const V3Keyspace& keyspace,
                                                  const Watcher& watcher,
                                                  const std::vector<service::v3::Event>& all);

    std::map<std::uint64_t, Watcher> watchers_;
    std::uint64_t next_watch_id_ = 1;
};

}  // namespace consensus::kv
