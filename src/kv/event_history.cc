#include "kv/event_history.h"

#include <utility>

#include "consensus/assert.h"
#include "consensus/errors.h"
#include "kv/v2_tree.h"

namespace consensus::kv {

void EventHistory::add(HistoryEvent event) {
    CONSENSUS_ASSERT(events_.empty() || event.index == events_.back().index + 1);
    events_.push_back(std::move(event));
    if (events_.size() > kEventHistoryMax) events_.pop_front();
}

namespace {

/// The prefix a recursive watch on `key` matches: the clean key plus "/".
std::string recursive_prefix(std::string_view key) {
    std::string prefix = clean_path(key);
    if (prefix.back() != '/') prefix.push_back('/');
    return prefix;
}

bool matches_with_prefix(const HistoryEvent& event, std::string_view key, bool recursive,
                         const std::string& prefix) {
    const std::string& event_key = event.event.node.key;
    bool matches = event_key == key;
    if (recursive) matches = matches || event_key.compare(0, prefix.size(), prefix) == 0;
    // A watcher on /a/b must hear that /a was deleted or expired. etcd compares the
    // raw prefix without a trailing slash, so deleting dir /a also matches a watch on
    // /ab [etcd: v2store/event_history.go scan]; kept for compatibility.
    const auto& action = event.event.action;
    if ((action == "delete" || action == "expire") && event.event.prev_node &&
        event.event.prev_node->dir) {
        const std::string& dir_key = event.event.prev_node->key;
        matches = matches || key.compare(0, dir_key.size(), dir_key) == 0;
    }
    return matches;
}

}  // namespace

bool history_event_matches(const HistoryEvent& event, std::string_view key, bool recursive) {
    return matches_with_prefix(event, key, recursive, recursive_prefix(key));
}

HistoryScan EventHistory::scan(std::string_view key, bool recursive, Revision since_index) const {
    HistoryScan result;
    if (since_index < start_index()) {
        result.error = service::V2Error{errors::kV2EventIndexCleared,
                                        "the requested history has been cleared [" +
                                            std::to_string(start_index()) + "/" +
                                            std::to_string(since_index) + "]",
                                        0};
        return result;
    }
    if (events_.empty() || since_index > last_index()) return result;
    const std::string prefix = recursive_prefix(key);
    // Indices are consecutive, so the offset finds the first candidate directly.
    for (std::size_t i = static_cast<std::size_t>(since_index - start_index()); i < events_.size();
         ++i) {
        const HistoryEvent& event = events_[i];
        if (!event.refresh && matches_with_prefix(event, key, recursive, prefix)) {
            result.found = &event;
            return result;
        }
    }
    return result;
}

}  // namespace consensus::kv
