#pragma once
/// The v2 event history: the last kEventHistoryMax events of the whole store, so a
/// watch can start from a past index [etcd: server/etcdserver/api/v2store/event_history.go].

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "consensus/service.h"
#include "consensus/types.h"

namespace consensus::kv {

/// How many events the history keeps, for the whole store and not per key; older ones
/// are dropped and a watch from them gets 401 [etcd: v2store/store.go newWatchHub(1000)].
inline constexpr std::size_t kEventHistoryMax = 1000;

/// One recorded event. Every index consumed by the store has exactly one event, so the
/// indices in the history are consecutive.
struct HistoryEvent {
    Revision index = 0;  ///< the event's modifiedIndex
    /// Refresh events (a TTL refresh) are recorded but never delivered to watchers
    /// [etcd: v2store/store.go SetRefresh].
    bool refresh = false;
    service::V2Event event;
};

/// The outcome of a history scan: an error (401), an event, or neither (wait).
struct HistoryScan {
    std::optional<service::V2Error> error;
    const HistoryEvent* found = nullptr;  ///< points into the history; valid until the next add
};

/// A bounded ring of events, oldest first. Owned by V2Store; copyable for snapshots.
class EventHistory {
public:
    /// Appends an event. Precondition: its index is one more than the last one (or
    /// the history is empty). Drops the oldest event beyond kEventHistoryMax.
    void add(HistoryEvent event);

    /// etcd's scan: the first non-refresh event at or after `since_index` that is about
    /// `key` (or below it when `recursive`, or a deleted/expired dir above it).
    /// `since_index` older than the oldest kept event gives error 401 with the cause
    /// "the requested history has been cleared [oldest/asked]" and index 0 (the caller
    /// stamps the store index); beyond the newest event gives neither.
    HistoryScan scan(std::string_view key, bool recursive, Revision since_index) const;

    /// Index of the oldest kept event (0 when empty), and of the newest.
    Revision start_index() const { return events_.empty() ? 0 : events_.front().index; }
    Revision last_index() const { return events_.empty() ? 0 : events_.back().index; }
    std::size_t size() const { return events_.size(); }
    const std::deque<HistoryEvent>& events() const { return events_; }

private:
    /// Invariant: size() <= kEventHistoryMax and indices increase by exactly one.
    std::deque<HistoryEvent> events_;
};

/// Whether a history event concerns a watch on `key` (etcd's scan rule).
bool history_event_matches(const HistoryEvent& event, std::string_view key, bool recursive);

}  // namespace consensus::kv
