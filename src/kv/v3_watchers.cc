#include "kv/v3_watchers.h"

#include <algorithm>
#include <utility>

#include "consensus/assert.h"
#include "kv/v3_errors.h"
#include "kv/v3_key_range.h"

namespace consensus::kv {
namespace {

using service::v3::Event;

/// [etcd: v3rpc/watch.go sendLoop] prev_kv is the key at the event's revision - 1,
/// skipped for a create and unavailable once that revision is compacted.
void fill_prev_kv(const V3Keyspace& keyspace, Event* event) {
    const bool is_create =
        event->type == Event::Type::kPut && event->kv.create_revision == event->kv.mod_revision;
    if (is_create) return;
    const std::int64_t before = event->kv.mod_revision - 1;
    if (before < keyspace.compact_revision()) return;
    if (const V3Record* record = keyspace.find(event->kv.key, before)) {
        event->prev_kv = to_key_value(event->kv.key, *record);
    }
}

}  // namespace

V3WatchRegistration V3Watchers::watch(const V3Keyspace& keyspace,
                                      const service::v3::WatchCreateRequest& request,
                                      V3EventsCallback on_events) {
    V3WatchRegistration registration;
    const V3KeyRange range{request.key, request.range_end};
    // [etcd: server/mvcc/watcher.go Watch] a bounded range must not be empty.
    if (!range.is_single_key() && !range.is_unbounded() && request.range_end <= request.key) {
        registration.status = v3_empty_watcher_range_error();
        return registration;
    }
    const std::int64_t current = keyspace.revision();
    // [etcd: server/mvcc/watchable_store.go syncWatchers] a start below the compacted
    // revision cannot be served: the watch is answered with the compact revision.
    if (request.start_revision > 0 && request.start_revision < keyspace.compact_revision()) {
        registration.compact_revision = keyspace.compact_revision();
        return registration;
    }
    Watcher watcher;
    watcher.key = request.key;
    watcher.range_end = request.range_end;
    watcher.no_put = request.no_put;
    watcher.no_delete = request.no_delete;
    watcher.prev_kv = request.prev_kv;
    watcher.min_revision = std::max(request.start_revision, current + 1);
    watcher.on_events = std::make_shared<const V3EventsCallback>(std::move(on_events));
    if (request.start_revision > 0 && request.start_revision <= current) {
        registration.backlog =
            select(keyspace, watcher, keyspace.events_since(range, request.start_revision));
    }
    registration.watch_id = next_watch_id_++;
    watchers_.emplace(registration.watch_id, std::move(watcher));
    return registration;
}

void V3Watchers::cancel(std::uint64_t watch_id) {
    watchers_.erase(watch_id);
}

void V3Watchers::notify(const V3Keyspace& keyspace, const std::vector<V3Change>& changes,
                        std::int64_t revision) {
    if (watchers_.empty() || changes.empty()) return;
    std::vector<Event> all;
    all.reserve(changes.size());
    for (const V3Change& change : changes) {
        const V3Record* record = keyspace.record_at(change.key, revision, change.sub);
        CONSENSUS_ASSERT(record != nullptr);
        all.push_back(to_event(change.key, *record));
    }
    // Callbacks may cancel or add watches: walk a copy of the ids and look each up.
    std::vector<std::uint64_t> ids;
    ids.reserve(watchers_.size());
    for (const auto& entry : watchers_) ids.push_back(entry.first);
    for (const std::uint64_t id : ids) {
        const auto it = watchers_.find(id);
        if (it == watchers_.end() || it->second.min_revision > revision) continue;
        const std::vector<Event> events = select(keyspace, it->second, all);
        if (events.empty()) continue;
        const std::shared_ptr<const V3EventsCallback> on_events = it->second.on_events;
        (*on_events)(events, revision);
    }
}

void V3Watchers::resync(const V3Keyspace& keyspace) {
    const std::int64_t current = keyspace.revision();
    std::vector<std::uint64_t> ids;
    ids.reserve(watchers_.size());
    for (const auto& entry : watchers_) ids.push_back(entry.first);
    for (const std::uint64_t id : ids) {
        auto it = watchers_.find(id);
        if (it == watchers_.end() || it->second.min_revision > current) continue;
        if (it->second.min_revision < keyspace.compact_revision()) {
            watchers_.erase(it);
            continue;
        }
        const V3KeyRange range{it->second.key, it->second.range_end};
        const std::vector<Event> missed =
            select(keyspace, it->second, keyspace.events_since(range, it->second.min_revision));
        it->second.min_revision = current + 1;
        const std::shared_ptr<const V3EventsCallback> on_events = it->second.on_events;
        // One call per revision, as live delivery does.
        for (std::size_t begin = 0; begin < missed.size();) {
            const std::int64_t revision = missed[begin].kv.mod_revision;
            std::size_t end = begin;
            while (end < missed.size() && missed[end].kv.mod_revision == revision) ++end;
            (*on_events)(std::vector<Event>(missed.begin() + static_cast<std::ptrdiff_t>(begin),
                                            missed.begin() + static_cast<std::ptrdiff_t>(end)),
                         revision);
            // The callback may have cancelled its own watch.
            if (watchers_.count(id) == 0) break;
            begin = end;
        }
    }
}

std::vector<Event> V3Watchers::select(const V3Keyspace& keyspace, const Watcher& watcher,
                                      const std::vector<Event>& all) {
    const V3KeyRange range{watcher.key, watcher.range_end};
    std::vector<Event> events;
    for (const Event& event : all) {
        if (!range.contains(event.kv.key)) continue;
        if (event.type == Event::Type::kPut && watcher.no_put) continue;
        if (event.type == Event::Type::kDelete && watcher.no_delete) continue;
        events.push_back(event);
        if (watcher.prev_kv) fill_prev_kv(keyspace, &events.back());
    }
    return events;
}

}  // namespace consensus::kv
