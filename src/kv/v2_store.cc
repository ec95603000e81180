#include "kv/v2_store.h"

#include <cstdio>
#include <utility>

#include "consensus/errors.h"

namespace consensus::kv {
namespace {

constexpr const char* kActionGet = "get";
constexpr const char* kActionSet = "set";
constexpr const char* kActionCreate = "create";
constexpr const char* kActionUpdate = "update";
constexpr const char* kActionCompareAndSwap = "compareAndSwap";
constexpr const char* kActionDelete = "delete";
constexpr const char* kActionCompareAndDelete = "compareAndDelete";
constexpr const char* kActionExpire = "expire";

/// etcd's getCompareFailCause: which conditions failed, value part first.
std::string compare_fail_cause(const V2TreeNode& node, std::string_view prev_value,
                               Revision prev_index, bool value_matches, bool index_matches) {
    const std::string value_part = "[" + std::string(prev_value) + " != " + node.value + "]";
    const std::string index_part =
        "[" + std::to_string(prev_index) + " != " + std::to_string(node.modified_index) + "]";
    if (!value_matches && !index_matches) return value_part + " " + index_part;
    return value_matches ? index_part : value_part;
}

std::string in_order_name(Revision index) {
    std::string digits = std::to_string(index);
    if (digits.size() < static_cast<std::size_t>(kInOrderKeyDigits)) {
        digits.insert(0, static_cast<std::size_t>(kInOrderKeyDigits) - digits.size(), '0');
    }
    return digits;
}

/// The node of an event about a node that is gone or changed in place: key, indices,
/// dir flag, and no value unless the caller adds one.
service::V2Node event_node(std::string_view key, bool dir, Revision created_index,
                           Revision modified_index) {
    service::V2Node node;
    node.key = std::string(key);
    node.dir = dir;
    node.created_index = created_index;
    node.modified_index = modified_index;
    return node;
}

/// The expiration a create or set stores: unset for times before kMinExpireUnixNanos.
std::optional<std::int64_t> effective_expiration(std::optional<std::int64_t> expire_unix_nanos) {
    if (expire_unix_nanos && *expire_unix_nanos < kMinExpireUnixNanos) return std::nullopt;
    return expire_unix_nanos;
}

/// render_node of a file that is about to be overwritten: its value is moved into the
/// rendering rather than copied, and `node.value` is left empty.
service::V2Node render_node_taking_value(V2TreeNode& node, std::int64_t now_unix_nanos) {
    std::string value = std::move(node.value);
    node.value.clear();
    service::V2Node rendered = render_node(node, false, now_unix_nanos);
    rendered.value = std::move(value);
    return rendered;
}

void render_expiration(const V2TreeNode& node, std::int64_t now_unix_nanos, service::V2Node* out) {
    const service::V2Node rendered = render_node(node, false, now_unix_nanos);
    out->expiration_unix_nanos = rendered.expiration_unix_nanos;
    out->ttl = rendered.ttl;
}

}  // namespace

V2Outcome V2Store::fail(int error_code, std::string cause, std::uint64_t* fail_counter) {
    if (fail_counter != nullptr) ++*fail_counter;
    return V2Outcome{service::V2Error{error_code, std::move(cause), state_.current_index},
                     std::nullopt};
}

V2TreeNode* V2Store::find_compared_file(const std::string& clean, std::string_view prev_value,
                                        Revision prev_index, std::uint64_t* fail_counter,
                                        V2Outcome* refused) {
    // etcd's CompareAndSwap and CompareAndDelete check in this order: the key exists,
    // it is a file, then the conditions (an empty prevValue or a zero prevIndex is no
    // condition) [etcd: server/etcdserver/api/v2store/store.go].
    const V2Lookup found = state_.tree.find(clean);
    if (found.node == nullptr) {
        *refused = fail(found.error_code, found.cause, fail_counter);
        return nullptr;
    }
    V2TreeNode& node = *found.node;
    if (node.is_dir) {
        *refused = fail(errors::kV2NotFile, clean, fail_counter);
        return nullptr;
    }
    const bool index_matches = prev_index == 0 || node.modified_index == prev_index;
    const bool value_matches = prev_value.empty() || node.value == prev_value;
    if (!index_matches || !value_matches) {
        *refused =
            fail(errors::kV2TestFailed,
                 compare_fail_cause(node, prev_value, prev_index, value_matches, index_matches),
                 fail_counter);
        return nullptr;
    }
    return &node;
}

V2Outcome V2Store::get(std::string_view key, bool recursive, bool sorted,
                       std::int64_t now_unix_nanos) const {
    // Children are kept in key order, so every listing is already sorted; etcd's
    // unsorted order is random, which any order satisfies.
    (void)sorted;
    const std::string clean = clean_path(key);
    const V2Lookup found = state_.tree.find(clean);
    if (found.node == nullptr) {
        return V2Outcome{service::V2Error{found.error_code, found.cause, state_.current_index},
                         std::nullopt};
    }
    service::V2Event event;
    event.action = kActionGet;
    event.node = render_listing(*found.node, recursive, now_unix_nanos);
    return V2Outcome{std::nullopt, std::move(event)};
}

V2Outcome V2Store::set(std::string_view key, bool dir, std::string value, V2TtlOptions ttl,
                       std::int64_t now_unix_nanos) {
    const std::string clean = clean_path(key);
    const V2Lookup found = state_.tree.find(clean);
    if (found.node == nullptr && found.error_code != errors::kV2KeyNotFound) {
        return fail(found.error_code, found.cause, &state_.stats.sets_fail);
    }
    if (ttl.refresh) {
        if (found.node == nullptr) {
            return fail(found.error_code, found.cause, &state_.stats.sets_fail);
        }
        value = found.node->value;
    }
    if (found.node != nullptr && !found.node->is_dir && !dir) {
        return replace_file(*found.node, std::move(value), ttl, now_unix_nanos);
    }

    // internal_create renders the replaced file (a file replaced by a dir) as prevNode.
    V2Outcome outcome = internal_create(clean, dir, std::move(value), false, true,
                                        ttl.expire_unix_nanos, kActionSet, now_unix_nanos);
    if (outcome.error) {
        ++state_.stats.sets_fail;
        return outcome;
    }
    publish(*outcome.event, ttl.refresh, {});
    ++state_.stats.sets_success;
    return outcome;
}

V2Outcome V2Store::replace_file(V2TreeNode& node, std::string value, V2TtlOptions ttl,
                                std::int64_t now_unix_nanos) {
    // The most common write, a PUT over an existing file. etcd's Set removes the file
    // and creates a new one [etcd: v2store/store.go internalCreate with replace]; the
    // client sees only the new node (createdIndex = modifiedIndex = the new index) and
    // the old one as prevNode, so the node is rewritten in place instead.
    const Revision next_index = state_.current_index + 1;
    service::V2Event event;
    event.action = kActionSet;
    event.prev_node = render_node_taking_value(node, now_unix_nanos);
    state_.tree.overwrite_file(node, std::move(value), next_index,
                               effective_expiration(ttl.expire_unix_nanos));
    state_.current_index = next_index;
    event.node = render_node(node, false, now_unix_nanos);
    publish(event, ttl.refresh, {});
    ++state_.stats.sets_success;
    return V2Outcome{std::nullopt, std::move(event)};
}

V2Outcome V2Store::create(std::string_view key, bool dir, std::string value, bool unique,
                          V2TtlOptions ttl, std::int64_t now_unix_nanos) {
    V2Outcome outcome = internal_create(key, dir, std::move(value), unique, false,
                                        ttl.expire_unix_nanos, kActionCreate, now_unix_nanos);
    if (outcome.error) {
        ++state_.stats.create_fail;
        return outcome;
    }
    publish(*outcome.event, false, {});
    ++state_.stats.create_success;
    return outcome;
}

V2Outcome V2Store::internal_create(std::string_view key, bool dir, std::string value, bool unique,
                                   bool replace, std::optional<std::int64_t> expire_unix_nanos,
                                   const char* action, std::int64_t now_unix_nanos) {
    const Revision next_index = state_.current_index + 1;
    const std::string path =
        unique ? clean_path(std::string(key) + "/" + in_order_name(next_index)) : clean_path(key);
    // [etcd: v2store/store.go readonlySet] the root is read only.
    if (path == "/") return fail(errors::kV2RootReadOnly, "/", nullptr);
    expire_unix_nanos = effective_expiration(expire_unix_nanos);

    const V2Lookup parent = state_.tree.ensure_dir(parent_path(path), next_index);
    if (parent.node == nullptr) {
        // etcd counts a failed walk as a failed set whatever the action, on top of the
        // action's own failure [etcd: v2store/store.go internalCreate].
        return fail(parent.error_code, parent.cause, &state_.stats.sets_fail);
    }
    const std::string_view name = base_name(path);
    std::optional<service::V2Node> prev;
    auto existing = parent.node->children.find(name);
    if (existing != parent.node->children.end()) {
        if (!replace) return fail(errors::kV2NodeExist, path, nullptr);
        if (existing->second->is_dir) return fail(errors::kV2NotFile, path, nullptr);
        prev = render_node(*existing->second, false, now_unix_nanos);
        state_.tree.remove(*existing->second, nullptr);
    }

    V2TreeNode& node = state_.tree.add_child(*parent.node, name, dir, std::move(value), next_index,
                                             expire_unix_nanos);
    state_.current_index = next_index;
    service::V2Event event;
    event.action = action;
    event.node = render_node(node, false, now_unix_nanos);
    event.prev_node = std::move(prev);
    return V2Outcome{std::nullopt, std::move(event)};
}

V2Outcome V2Store::update(std::string_view key, std::string value, V2TtlOptions ttl,
                          std::int64_t now_unix_nanos) {
    std::uint64_t* const fail_counter = &state_.stats.update_fail;
    const std::string clean = clean_path(key);
    if (clean == "/") return fail(errors::kV2RootReadOnly, "/", fail_counter);
    const V2Lookup found = state_.tree.find(clean);
    if (found.node == nullptr) return fail(found.error_code, found.cause, fail_counter);
    V2TreeNode& node = *found.node;
    if (node.is_dir && !value.empty()) return fail(errors::kV2NotFile, clean, fail_counter);
    if (ttl.refresh) value = node.value;

    const Revision next_index = state_.current_index + 1;
    service::V2Event event;
    event.action = kActionUpdate;
    event.prev_node = render_node(node, false, now_unix_nanos);
    event.node = event_node(clean, node.is_dir, node.created_index, next_index);
    // etcd 3.4 ignores the failed Write of a dir, so a dir keeps its modifiedIndex
    // while the event reports the new index (observed in v2_ttl_dirs).
    if (!node.is_dir) {
        node.value = value;
        node.modified_index = next_index;
        event.node.value = std::move(value);
    }
    state_.tree.set_expiration(node, ttl.expire_unix_nanos);
    render_expiration(node, now_unix_nanos, &event.node);
    state_.current_index = next_index;
    publish(event, ttl.refresh, {});
    ++state_.stats.update_success;
    return V2Outcome{std::nullopt, std::move(event)};
}

V2Outcome V2Store::compare_and_swap(std::string_view key, std::string_view prev_value,
                                    Revision prev_index, std::string value, V2TtlOptions ttl,
                                    std::int64_t now_unix_nanos) {
    std::uint64_t* const fail_counter = &state_.stats.compare_and_swap_fail;
    const std::string clean = clean_path(key);
    if (clean == "/") return fail(errors::kV2RootReadOnly, "/", fail_counter);
    V2Outcome refused;
    V2TreeNode* const compared =
        find_compared_file(clean, prev_value, prev_index, fail_counter, &refused);
    if (compared == nullptr) return refused;
    V2TreeNode& node = *compared;
    if (ttl.refresh) value = node.value;

    const Revision next_index = state_.current_index + 1;
    service::V2Event event;
    event.action = kActionCompareAndSwap;
    event.prev_node = render_node(node, false, now_unix_nanos);
    node.value = std::move(value);
    node.modified_index = next_index;
    state_.tree.set_expiration(node, ttl.expire_unix_nanos);
    event.node = render_node(node, false, now_unix_nanos);
    state_.current_index = next_index;
    publish(event, ttl.refresh, {});
    ++state_.stats.compare_and_swap_success;
    return V2Outcome{std::nullopt, std::move(event)};
}

V2Outcome V2Store::remove(std::string_view key, bool dir, bool recursive,
                          std::int64_t now_unix_nanos) {
    std::uint64_t* const fail_counter = &state_.stats.delete_fail;
    const std::string clean = clean_path(key);
    if (clean == "/") return fail(errors::kV2RootReadOnly, "/", fail_counter);
    if (recursive) dir = true;
    const V2Lookup found = state_.tree.find(clean);
    if (found.node == nullptr) return fail(found.error_code, found.cause, fail_counter);
    V2TreeNode& node = *found.node;
    if (node.is_dir && !dir) return fail(errors::kV2NotFile, node.path, fail_counter);
    if (node.is_dir && !node.children.empty() && !recursive) {
        return fail(errors::kV2DirNotEmpty, node.path, fail_counter);
    }

    const Revision next_index = state_.current_index + 1;
    service::V2Event event;
    event.action = kActionDelete;
    event.node = event_node(clean, node.is_dir, node.created_index, next_index);
    event.prev_node = render_node(node, false, now_unix_nanos);
    std::vector<std::string> removed_paths;
    state_.tree.remove(node, &removed_paths);
    state_.current_index = next_index;
    publish(event, false, removed_paths);
    ++state_.stats.delete_success;
    return V2Outcome{std::nullopt, std::move(event)};
}

V2Outcome V2Store::compare_and_delete(std::string_view key, std::string_view prev_value,
                                      Revision prev_index, std::int64_t now_unix_nanos) {
    std::uint64_t* const fail_counter = &state_.stats.compare_and_delete_fail;
    const std::string clean = clean_path(key);
    V2Outcome refused;
    V2TreeNode* const compared =
        find_compared_file(clean, prev_value, prev_index, fail_counter, &refused);
    if (compared == nullptr) return refused;
    V2TreeNode& node = *compared;

    const Revision next_index = state_.current_index + 1;
    service::V2Event event;
    event.action = kActionCompareAndDelete;
    event.node = event_node(clean, false, node.created_index, next_index);
    event.prev_node = render_node(node, false, now_unix_nanos);
    std::vector<std::string> removed_paths;
    state_.tree.remove(node, &removed_paths);
    state_.current_index = next_index;
    publish(event, false, removed_paths);
    ++state_.stats.compare_and_delete_success;
    return V2Outcome{std::nullopt, std::move(event)};
}

void V2Store::delete_expired_keys(std::int64_t now_unix_nanos) {
    for (;;) {
        V2TreeNode* node = state_.tree.earliest_expiring();
        if (node == nullptr || *node->expire_unix_nanos > now_unix_nanos) break;
        const Revision index = state_.current_index + 1;
        service::V2Event event;
        event.action = kActionExpire;
        event.node = event_node(node->path, node->is_dir, node->created_index, index);
        event.prev_node = render_node(*node, false, now_unix_nanos);
        // [etcd v2 API: TTL] the prevNode of an expire event keeps its expiration but
        // shows no ttl.
        event.prev_node->ttl.reset();
        std::vector<std::string> removed_paths;
        state_.tree.remove(*node, &removed_paths);
        state_.current_index = index;
        ++state_.stats.expire_count;
        publish(event, false, removed_paths);
    }
}

void V2Store::publish(const service::V2Event& event, bool refresh,
                      const std::vector<std::string>& removed_paths) {
    // A stream watch that started in the past must hear its backlog before anything
    // newer, or its events would arrive out of order.
    catch_up_stream_watchers();
    state_.history.add(HistoryEvent{state_.current_index, refresh, event});
    // [etcd: v2store/store.go Set] a refresh is recorded but wakes no watcher.
    if (!refresh) hub_.notify(event, state_.current_index, removed_paths);
}

V2WatchOutcome V2Store::watch(std::string_view key, bool recursive, bool stream,
                              Revision wait_index, service::V2WatchSink sink) {
    V2WatchOutcome outcome;
    outcome.etcd_index = state_.current_index;
    std::string clean = clean_path(key);
    const Revision since_index = wait_index == 0 ? state_.current_index + 1 : wait_index;
    const HistoryScan scan = state_.history.scan(clean, recursive, since_index);
    if (scan.error) {
        outcome.error = scan.error;
        outcome.error->index = state_.current_index;
        return outcome;
    }
    if (scan.found != nullptr) {
        outcome.immediate = scan.found->event;
        if (stream) {
            outcome.watch_id =
                hub_.add(std::move(clean), recursive, true, scan.found->index + 1, std::move(sink));
            catching_up_.push_back(outcome.watch_id);
        }
        return outcome;
    }
    outcome.watch_id = hub_.add(std::move(clean), recursive, stream, since_index, std::move(sink));
    return outcome;
}

void V2Store::catch_up_stream_watchers() {
    if (catching_up_.empty()) return;
    const std::vector<std::uint64_t> ids = std::move(catching_up_);
    catching_up_.clear();
    for (std::uint64_t id : ids) {
        while (hub_.contains(id)) {
            const HistoryScan scan = state_.history.scan(hub_.key_of(id), hub_.is_recursive(id),
                                                         hub_.since_index_of(id));
            if (scan.error) {
                // The backlog left the history (a snapshot was restored meanwhile): the
                // watch cannot continue without a gap, so it is closed.
                hub_.close(id);
                break;
            }
            if (scan.found == nullptr) break;
            const HistoryEvent found = *scan.found;
            hub_.deliver(id, found.event, found.index);
        }
    }
}

void V2Store::cancel_watch(std::uint64_t watch_id) {
    hub_.cancel(watch_id);
}

void V2Store::close_all_watches() {
    catching_up_.clear();
    hub_.close_all();
}

void V2Store::count_get(bool success) {
    if (success) {
        ++state_.stats.gets_success;
    } else {
        ++state_.stats.gets_fail;
    }
}

service::StoreStats V2Store::stats() const {
    service::StoreStats stats = state_.stats;
    stats.watchers = hub_.count();
    return stats;
}

std::optional<std::int64_t> V2Store::next_expiration_unix_nanos() const {
    const V2TreeNode* node = state_.tree.earliest_expiring();
    if (node == nullptr) return std::nullopt;
    return node->expire_unix_nanos;
}

void V2Store::replace_state(V2State state) {
    state_ = std::move(state);
    catch_up_stream_watchers();
}

Status V2Store::check_invariants() const {
    Status status = state_.tree.check_invariants(state_.current_index);
    if (!status.is_ok()) return status;
    if (state_.history.last_index() > state_.current_index) {
        return Status(StatusCode::kInternal, "v2 store: history ahead of the index");
    }
    if (state_.history.size() > kEventHistoryMax) {
        return Status(StatusCode::kInternal, "v2 store: history over its bound");
    }
    return Status::ok();
}

}  // namespace consensus::kv
