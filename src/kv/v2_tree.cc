#include "kv/v2_tree.h"

#include <cstdint>
#include <utility>

#include "consensus/path.h"

namespace consensus::kv {

std::string clean_path(std::string_view path) {
    // Keys arrive clean from http/ almost always; checking is cheaper than rebuilding
    // them through a vector of components on every apply.
    if (is_clean_path(path)) return std::string(path);
    std::vector<std::string_view> components;
    std::size_t start = 0;
    while (start <= path.size()) {
        std::size_t end = path.find('/', start);
        if (end == std::string_view::npos) end = path.size();
        const std::string_view component = path.substr(start, end - start);
        if (component == "..") {
            // Go's path.Clean keeps ".." from climbing above the root of a rooted path.
            if (!components.empty()) components.pop_back();
        } else if (!component.empty() && component != ".") {
            components.push_back(component);
        }
        start = end + 1;
    }
    if (components.empty()) return "/";
    std::string clean;
    for (std::string_view component : components) {
        clean.push_back('/');
        clean.append(component);
    }
    return clean;
}

std::string_view parent_path(std::string_view clean) {
    CONSENSUS_ASSERT(clean.size() > 1);
    const std::size_t slash = clean.rfind('/');
    // The parent is a prefix of the path ("/" for a top-level key), so no copy is made.
    return clean.substr(0, slash == 0 ? 1 : slash);
}

std::string_view base_name(std::string_view clean) {
    const std::size_t slash = clean.rfind('/');
    if (slash == std::string_view::npos) return clean;
    return clean.substr(slash + 1);
}

bool V2TreeNode::is_hidden() const {
    const std::string_view name = base_name(path);
    return !name.empty() && name.front() == '_';
}

namespace {

std::string join_path(std::string_view parent, std::string_view name) {
    std::string joined(parent);
    if (joined != "/") joined.push_back('/');
    joined.append(name);
    return joined;
}

/// Walks the components of a clean path in order ("/" has none) without allocating:
/// next() gives the following component, or false when there is none left.
class ComponentWalk {
public:
    explicit ComponentWalk(std::string_view clean) : clean_(clean) {}
    bool next(std::string_view* component) {
        if (start_ >= clean_.size()) return false;
        std::size_t end = clean_.find('/', start_);
        if (end == std::string_view::npos) end = clean_.size();
        *component = clean_.substr(start_, end - start_);
        start_ = end + 1;
        return true;
    }

private:
    std::string_view clean_;
    std::size_t start_ = 1;
};

}  // namespace

V2Tree::V2Tree() : root_(std::make_unique<V2TreeNode>()) {
    root_->path = "/";
    root_->is_dir = true;
}

V2Tree::~V2Tree() {
    if (root_) destroy_subtree(std::move(root_));
}

V2Tree& V2Tree::operator=(V2Tree&& other) noexcept {
    if (this != &other) {
        if (root_) destroy_subtree(std::move(root_));
        root_ = std::move(other.root_);
        expiring_ = std::move(other.expiring_);
    }
    return *this;
}

void V2Tree::destroy_subtree(std::unique_ptr<V2TreeNode> node) {
    std::vector<std::unique_ptr<V2TreeNode>> pending;
    pending.push_back(std::move(node));
    while (!pending.empty()) {
        std::unique_ptr<V2TreeNode> current = std::move(pending.back());
        pending.pop_back();
        for (auto& [name, child] : current->children) pending.push_back(std::move(child));
        // `current` now owns only empty slots; freeing it recurses no further.
    }
}

bool V2Tree::ExpiryOrder::operator()(const V2TreeNode* left, const V2TreeNode* right) const {
    if (*left->expire_unix_nanos != *right->expire_unix_nanos) {
        return *left->expire_unix_nanos < *right->expire_unix_nanos;
    }
    return left->path < right->path;
}

V2Lookup V2Tree::find(std::string_view clean) const {
    V2TreeNode* current = root_.get();
    ComponentWalk walk(clean);
    std::string_view name;
    while (walk.next(&name)) {
        if (!current->is_dir) {
            // [etcd: v2store/store.go internalGet] names the file met on the way.
            return V2Lookup{nullptr, 104, current->path};
        }
        auto child = current->children.find(name);
        if (child == current->children.end()) {
            return V2Lookup{nullptr, 100, join_path(current->path, name)};
        }
        current = child->second.get();
    }
    return V2Lookup{current, 0, {}};
}

V2Lookup V2Tree::ensure_dir(std::string_view clean, Revision index) {
    // One walk: existing dirs are followed, and from the first missing component on
    // everything is created. The walk fails only on a file, and components below a
    // missing one cannot exist, so no dir is created for a request that fails.
    V2TreeNode* current = root_.get();
    ComponentWalk walk(clean);
    std::string_view name;
    bool creating = false;
    while (walk.next(&name)) {
        if (!creating) {
            auto child = current->children.find(name);
            if (child != current->children.end()) {
                if (!child->second->is_dir) return V2Lookup{nullptr, 104, child->second->path};
                current = child->second.get();
                continue;
            }
            creating = true;
        }
        current = &add_child(*current, name, true, {}, index, std::nullopt);
    }
    return V2Lookup{current, 0, {}};
}

V2TreeNode& V2Tree::add_child(V2TreeNode& parent, std::string_view name, bool is_dir,
                              std::string value, Revision index,
                              std::optional<std::int64_t> expire_unix_nanos) {
    CONSENSUS_ASSERT(parent.is_dir);
    CONSENSUS_ASSERT(!name.empty());
    auto node = std::make_unique<V2TreeNode>();
    node->path = join_path(parent.path, name);
    node->is_dir = is_dir;
    if (!is_dir) node->value = std::move(value);
    node->created_index = index;
    node->modified_index = index;
    node->parent = &parent;
    V2TreeNode& added = *node;
    const bool inserted = parent.children.emplace(std::string(name), std::move(node)).second;
    CONSENSUS_ASSERT(inserted);
    set_expiration(added, expire_unix_nanos);
    return added;
}

void V2Tree::overwrite_file(V2TreeNode& node, std::string value, Revision index,
                            std::optional<std::int64_t> expire_unix_nanos) {
    CONSENSUS_ASSERT(!node.is_dir);
    CONSENSUS_ASSERT(node.parent != nullptr);
    node.value = std::move(value);
    node.created_index = index;
    node.modified_index = index;
    set_expiration(node, expire_unix_nanos);
}

void V2Tree::remove(V2TreeNode& node, std::vector<std::string>* removed_paths) {
    CONSENSUS_ASSERT(node.parent != nullptr);
    // Collect the paths before anything is freed, in [etcd: v2store/node.go Remove]
    // order: children first, depth-first, then the node itself.
    struct Frame {
        V2TreeNode* node;
        bool expanded;
    };
    std::vector<Frame> stack{{&node, false}};
    while (!stack.empty()) {
        Frame& top = stack.back();
        if (!top.expanded && !top.node->children.empty()) {
            top.expanded = true;
            V2TreeNode* parent = top.node;
            for (auto child = parent->children.rbegin(); child != parent->children.rend();
                 ++child) {
                stack.push_back(Frame{child->second.get(), false});
            }
            continue;
        }
        if (removed_paths != nullptr) removed_paths->push_back(top.node->path);
        stack.pop_back();
    }
    forget_subtree_expirations(node);
    V2TreeNode* parent = node.parent;
    auto entry = parent->children.find(base_name(node.path));
    CONSENSUS_ASSERT(entry != parent->children.end());
    std::unique_ptr<V2TreeNode> detached = std::move(entry->second);
    parent->children.erase(entry);
    destroy_subtree(std::move(detached));
}

void V2Tree::forget_subtree_expirations(V2TreeNode& node) {
    std::vector<V2TreeNode*> pending{&node};
    while (!pending.empty()) {
        V2TreeNode* current = pending.back();
        pending.pop_back();
        if (current->expire_unix_nanos) expiring_.erase(current);
        for (auto& [name, child] : current->children) pending.push_back(child.get());
    }
}

void V2Tree::set_expiration(V2TreeNode& node, std::optional<std::int64_t> expire_unix_nanos) {
    if (node.expire_unix_nanos) expiring_.erase(&node);
    node.expire_unix_nanos = expire_unix_nanos;
    if (node.expire_unix_nanos) expiring_.insert(&node);
}

V2TreeNode* V2Tree::earliest_expiring() const {
    if (expiring_.empty()) return nullptr;
    return *expiring_.begin();
}

Status V2Tree::check_invariants(Revision current_index) const {
    std::size_t expiring_seen = 0;
    std::vector<const V2TreeNode*> pending{root_.get()};
    while (!pending.empty()) {
        const V2TreeNode* node = pending.back();
        pending.pop_back();
        if (node->created_index > node->modified_index || node->modified_index > current_index) {
            return Status(StatusCode::kInternal, "v2 tree: bad indices at " + node->path);
        }
        if (node->expire_unix_nanos) {
            ++expiring_seen;
            if (expiring_.find(node) == expiring_.end()) {
                return Status(StatusCode::kInternal,
                              "v2 tree: unindexed expiration at " + node->path);
            }
        }
        if (!node->is_dir && !node->children.empty()) {
            return Status(StatusCode::kInternal, "v2 tree: file with children at " + node->path);
        }
        for (const auto& [name, child] : node->children) {
            if (child->parent != node || child->path != join_path(node->path, name)) {
                return Status(StatusCode::kInternal, "v2 tree: bad link at " + child->path);
            }
            pending.push_back(child.get());
        }
    }
    if (expiring_seen != expiring_.size()) {
        return Status(StatusCode::kInternal, "v2 tree: expiration index has stale entries");
    }
    return Status::ok();
}

std::int64_t ttl_seconds(std::int64_t expire_unix_nanos, std::int64_t now_unix_nanos) {
    constexpr std::int64_t kNanosPerSecond = 1'000'000'000;
    // Both times come from proposers' clocks inside committed commands, which apply
    // must survive whatever they hold, so the difference saturates instead of
    // overflowing.
    std::int64_t left = 0;
    if (__builtin_sub_overflow(expire_unix_nanos, now_unix_nanos, &left)) {
        left = expire_unix_nanos > now_unix_nanos ? INT64_MAX : INT64_MIN;
    }
    std::int64_t ttl = left / kNanosPerSecond;
    if (left % kNanosPerSecond > 0) ++ttl;
    return ttl;
}

namespace {

void render_times(const V2TreeNode& node, std::int64_t now_unix_nanos, service::V2Node* out) {
    if (!node.expire_unix_nanos) return;
    out->expiration_unix_nanos = node.expire_unix_nanos;
    const std::int64_t ttl = ttl_seconds(*node.expire_unix_nanos, now_unix_nanos);
    if (ttl != 0) out->ttl = ttl;
}

void render_children(const V2TreeNode& node, bool recursive, std::int64_t now_unix_nanos,
                     service::V2Node* out) {
    for (const auto& [name, child] : node.children) {
        // [etcd v2 API: hidden keys] listings skip them at every level.
        if (child->is_hidden()) continue;
        out->nodes.push_back(render_node(*child, recursive, now_unix_nanos));
    }
}

}  // namespace

service::V2Node render_node(const V2TreeNode& node, bool recursive, std::int64_t now_unix_nanos) {
    service::V2Node out;
    out.key = node.path;
    out.dir = node.is_dir;
    out.created_index = node.created_index;
    out.modified_index = node.modified_index;
    if (!node.is_dir) out.value = node.value;
    render_times(node, now_unix_nanos, &out);
    if (node.is_dir && recursive) render_children(node, recursive, now_unix_nanos, &out);
    return out;
}

service::V2Node render_listing(const V2TreeNode& node, bool recursive,
                               std::int64_t now_unix_nanos) {
    service::V2Node out = render_node(node, false, now_unix_nanos);
    out.is_root = node.parent == nullptr;
    if (node.is_dir) render_children(node, recursive, now_unix_nanos, &out);
    return out;
}

}  // namespace consensus::kv
