#pragma once
/// The etcd v2 key tree: directories and files, their indices and expiration times
/// [etcd: server/etcdserver/api/v2store/node.go]. V2Tree owns every node; V2Store
/// (v2_store.h) gives the operations their etcd meaning and error precedence.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "consensus/service.h"
#include "consensus/status.h"
#include "consensus/types.h"

namespace consensus::kv {

/// Go's path.Clean(path.Join("/", path)): an absolute path with no empty, "." or ".."
/// components and no trailing slash ("/" for the root). etcd cleans every key this
/// way before walking the tree, so apply never depends on how a key was spelled.
std::string clean_path(std::string_view path);

/// The parent of a clean path ("/a/b" -> "/a", "/a" -> "/"): a view into `clean`, valid
/// as long as it is. Precondition: not "/".
std::string_view parent_path(std::string_view clean);

/// The last component of a clean path ("/a/b" -> "b"; "" for "/").
std::string_view base_name(std::string_view clean);

/// One node of the tree. Owned by its parent's `children` (the root by V2Tree).
struct V2TreeNode {
    std::string path;  ///< clean absolute path; "/" for the root
    bool is_dir = false;
    std::string value;  ///< files only
    Revision created_index = 0;
    /// Invariant: created_index <= modified_index <= the store's current index.
    Revision modified_index = 0;
    /// Unset for permanent nodes. Invariant: set exactly when the node is in the
    /// tree's expiration index.
    std::optional<std::int64_t> expire_unix_nanos;
    V2TreeNode* parent = nullptr;  ///< non-owning; null only for the root
    /// Invariant: only dirs have children; each child's path is path + "/" + name.
    std::map<std::string, std::unique_ptr<V2TreeNode>, std::less<>> children;

    /// etcd's IsHidden: the last path component starts with '_'.
    bool is_hidden() const;
};

/// Where a walk stopped: `node` on success, else an etcd error code (100 or 104) and
/// its cause (the first offending path component, as etcd reports it).
struct V2Lookup {
    V2TreeNode* node = nullptr;
    int error_code = 0;
    std::string cause;
};

/// The tree plus an index of expiring nodes ordered by (expiration, path), so expiry
/// order is the same on every member. Movable, not copyable (node addresses stay
/// stable across moves because nodes live on the heap).
class V2Tree {
public:
    /// A tree holding only the root dir (indices 0, permanent).
    V2Tree();
    /// Frees the nodes without recursion (see destroy_subtree).
    ~V2Tree();
    V2Tree(V2Tree&&) noexcept = default;
    V2Tree& operator=(V2Tree&& other) noexcept;
    V2Tree(const V2Tree&) = delete;
    V2Tree& operator=(const V2Tree&) = delete;

    /// The root dir ("/"). Valid for the tree's lifetime.
    V2TreeNode& root() { return *root_; }
    const V2TreeNode& root() const { return *root_; }

    /// etcd's internalGet on a clean path: the node, or 104 (cause: the file met on
    /// the way) / 100 (cause: the first missing component).
    V2Lookup find(std::string_view clean) const;

    /// etcd's walk with checkDir: returns the dir at `clean`, creating missing dirs
    /// with created/modified index `index`. Fails with 104 (cause: the file in the
    /// way) without creating anything, since a file can only sit above new dirs if
    /// every component before it already existed.
    V2Lookup ensure_dir(std::string_view clean, Revision index);

    /// Adds a new child named `name` under dir `parent`. Precondition: parent is a dir
    /// without such a child. Returns the new node (owned by `parent`).
    V2TreeNode& add_child(V2TreeNode& parent, std::string_view name, bool is_dir, std::string value,
                          Revision index, std::optional<std::int64_t> expire_unix_nanos);

    /// Replaces file `node` by a new file of the same name in place: value, created and
    /// modified index `index`, and expiration (the expiration index follows). Observably
    /// the same as remove + add_child, without freeing and allocating the node.
    /// Precondition: node is a file (so not the root).
    void overwrite_file(V2TreeNode& node, std::string value, Revision index,
                        std::optional<std::int64_t> expire_unix_nanos);

    /// Removes `node` and everything below it. Appends each removed path to
    /// `removed_paths` in etcd's order (children depth-first in key order, then the
    /// node itself). Precondition: node is not the root. `node` dangles afterwards.
    void remove(V2TreeNode& node, std::vector<std::string>* removed_paths);

    /// Changes a node's expiration (unset = permanent), keeping the index in step.
    void set_expiration(V2TreeNode& node, std::optional<std::int64_t> expire_unix_nanos);

    /// The node that expires first (ties broken by path), or null.
    V2TreeNode* earliest_expiring() const;

    /// Number of nodes with an expiration.
    std::size_t expiring_count() const { return expiring_.size(); }

    /// Checks the Invariant lines above and that every node's indices are at most
    /// `current_index`. Returns kInternal naming the first violation.
    Status check_invariants(Revision current_index) const;

private:
    /// Orders by (expiration, path). Transparent, so const nodes can be looked up.
    struct ExpiryOrder {
        using is_transparent = void;
        bool operator()(const V2TreeNode* left, const V2TreeNode* right) const;
    };
    void forget_subtree_expirations(V2TreeNode& node);
    /// Frees a detached subtree iteratively: a key may be thousands of components deep,
    /// and the recursive destructors of nested maps would use one stack frame each.
    static void destroy_subtree(std::unique_ptr<V2TreeNode> node);

    std::unique_ptr<V2TreeNode> root_;
    std::set<V2TreeNode*, ExpiryOrder> expiring_;
};

/// etcd's Repr: a client view of `node`. Dirs list their non-hidden children only when
/// `recursive` (one level below is shown by render_listing). ttl is the number of
/// seconds left at `now_unix_nanos`, rounded up, and left unset when it is 0, as Go's
/// omitempty does. Children are always in key order (which satisfies sorted=true).
service::V2Node render_node(const V2TreeNode& node, bool recursive, std::int64_t now_unix_nanos);

/// etcd's loadInternalNode for a GET: like render_node, but a dir always lists its
/// non-hidden children (recursively when `recursive`); the root is marked is_root.
service::V2Node render_listing(const V2TreeNode& node, bool recursive, std::int64_t now_unix_nanos);

/// Seconds left until `expire_unix_nanos`, rounded up like etcd's expirationAndTTL
/// (Go's truncating division, plus one for a positive remainder).
std::int64_t ttl_seconds(std::int64_t expire_unix_nanos, std::int64_t now_unix_nanos);

}  // namespace consensus::kv
