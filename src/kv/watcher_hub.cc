#include "kv/watcher_hub.h"

#include <algorithm>
#include <utility>

#include "consensus/assert.h"
#include "kv/v2_tree.h"

namespace consensus::kv {

bool is_hidden_from(std::string_view watch_path, std::string_view key_path) {
    // When a dir is deleted, watchers below it are notified too; their path is longer
    // than the event's key and nothing about the event is hidden from them.
    if (watch_path.size() > key_path.size()) return false;
    std::string after = "/";
    after.append(key_path.substr(watch_path.size()));
    return clean_path(after).find("/_") != std::string::npos;
}

std::uint64_t WatcherHub::add(std::string key, bool recursive, bool stream, Revision since_index,
                              service::V2WatchSink sink) {
    const std::uint64_t id = next_watch_id_++;
    by_key_[key].push_back(id);
    watchers_.emplace(id, Watcher{std::move(key), recursive, stream, since_index, std::move(sink)});
    return id;
}

void WatcherHub::notify(const service::V2Event& event, Revision index,
                        const std::vector<std::string>& removed_paths) {
    // Most writes happen with nobody watching; then there is no path to look up.
    if (by_key_.empty()) return;
    for (const std::string& path : removed_paths) notify_path(event, index, path, true);
    const std::string_view key = event.node.key;
    notify_path(event, index, "/", false);
    for (std::size_t i = 1; i < key.size(); ++i) {
        if (key[i] == '/') notify_path(event, index, key.substr(0, i), false);
    }
    if (key.size() > 1) notify_path(event, index, key, false);
}

void WatcherHub::notify_path(const service::V2Event& event, Revision index, std::string_view path,
                             bool deleted) {
    auto list = by_key_.find(path);
    if (list == by_key_.end()) return;
    // Copy the ids: a sink may cancel watchers (and so edit the list) while it runs.
    const std::vector<std::uint64_t> ids = list->second;
    const bool original_path = event.node.key == path;
    if (!original_path && is_hidden_from(path, event.node.key)) return;
    for (std::uint64_t id : ids) {
        auto found = watchers_.find(id);
        if (found == watchers_.end()) continue;
        Watcher& watcher = found->second;
        // [etcd: v2store/watcher.go notify] the three reasons to care, under the
        // condition that the event is not older than what the watcher asked for.
        if (!(watcher.recursive || original_path || deleted) || index < watcher.since_index) {
            continue;
        }
        watcher.since_index = index + 1;
        if (watcher.stream) {
            // Copy the sink: the call may cancel this very watcher.
            auto on_event = watcher.sink.on_event;
            if (on_event) on_event(event, service::V2Headers{index, 0, 0});
        } else {
            service::V2WatchSink sink = std::move(watcher.sink);
            remove(id);
            if (sink.on_event) sink.on_event(event, service::V2Headers{index, 0, 0});
        }
    }
}

void WatcherHub::deliver(std::uint64_t watch_id, const service::V2Event& event, Revision index) {
    auto found = watchers_.find(watch_id);
    if (found == watchers_.end()) return;
    found->second.since_index = index + 1;
    auto on_event = found->second.sink.on_event;
    if (!found->second.stream) remove(watch_id);
    if (on_event) on_event(event, service::V2Headers{index, 0, 0});
}

void WatcherHub::cancel(std::uint64_t watch_id) {
    remove(watch_id);
}

void WatcherHub::close(std::uint64_t watch_id) {
    auto found = watchers_.find(watch_id);
    if (found == watchers_.end()) return;
    auto on_closed = std::move(found->second.sink.on_closed);
    remove(watch_id);
    if (on_closed) on_closed();
}

void WatcherHub::close_all() {
    std::map<std::uint64_t, Watcher> closing = std::move(watchers_);
    watchers_.clear();
    by_key_.clear();
    for (auto& [id, watcher] : closing) {
        if (watcher.sink.on_closed) watcher.sink.on_closed();
    }
}

const std::string& WatcherHub::key_of(std::uint64_t watch_id) const {
    auto found = watchers_.find(watch_id);
    CONSENSUS_ASSERT(found != watchers_.end());
    return found->second.key;
}

bool WatcherHub::is_recursive(std::uint64_t watch_id) const {
    auto found = watchers_.find(watch_id);
    CONSENSUS_ASSERT(found != watchers_.end());
    return found->second.recursive;
}

Revision WatcherHub::since_index_of(std::uint64_t watch_id) const {
    auto found = watchers_.find(watch_id);
    CONSENSUS_ASSERT(found != watchers_.end());
    return found->second.since_index;
}

void WatcherHub::remove(std::uint64_t watch_id) {
    auto found = watchers_.find(watch_id);
    if (found == watchers_.end()) return;
    auto list = by_key_.find(found->second.key);
    if (list != by_key_.end()) {
        auto& ids = list->second;
        ids.erase(std::remove(ids.begin(), ids.end(), watch_id), ids.end());
        if (ids.empty()) by_key_.erase(list);
    }
    watchers_.erase(found);
}

}  // namespace consensus::kv
