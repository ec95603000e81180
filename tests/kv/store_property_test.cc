// Property test: random operation sequences against a naive model of the v2 tree (a
// std::map from full path to node, with every rule written out the simple way). The
// store and the model must agree on every result, every index and every node. Seeded,
// so a failure replays exactly.

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "consensus/errors.h"
#include "kv/store.h"
#include "kv_test_support.h"

namespace consensus::kv::test {
namespace {

struct ModelNode {
    bool dir = false;
    std::string value;
    Revision created = 0;
    Revision modified = 0;
};

struct ModelResult {
    int error_code = 0;
    std::string cause;
    std::string action;
    std::string key;
    Revision created = 0;
    Revision modified = 0;
    std::optional<std::string> value;
};

/// The naive v2 tree: full path -> node; the root "/" is an implicit dir.
class Model {
public:
    Revision index = 0;
    std::map<std::string, ModelNode> nodes;

    static std::vector<std::string> prefixes(const std::string& path) {
        std::vector<std::string> out;
        for (std::size_t i = 1; i <= path.size(); ++i) {
            if (i == path.size() || path[i] == '/') out.push_back(path.substr(0, i));
        }
        return out;
    }

    bool is_file(const std::string& path) const {
        auto found = nodes.find(path);
        return found != nodes.end() && !found->second.dir;
    }

    /// 104 for a file above `path`, 100 for the first missing prefix, or 0.
    ModelResult lookup(const std::string& path) const {
        ModelResult result;
        std::string parent = "/";
        for (const std::string& prefix : prefixes(path)) {
            if (is_file(parent)) return fail(errors::kV2NotDir, parent);
            if (nodes.count(prefix) == 0) return fail(errors::kV2KeyNotFound, prefix);
            parent = prefix;
        }
        return result;
    }

    ModelResult fail(int code, std::string cause) const {
        ModelResult result;
        result.error_code = code;
        result.cause = std::move(cause);
        return result;
    }

    ModelResult success(const char* action, const std::string& key, const ModelNode& node,
                        Revision modified) const {
        ModelResult result;
        result.action = action;
        result.key = key;
        result.created = node.created;
        result.modified = modified;
        if (!node.dir) result.value = node.value;
        return result;
    }

    ModelResult create_node(const std::string& path, bool dir, const std::string& value,
                            bool replace, const char* action) {
        if (path == "/") return fail(errors::kV2RootReadOnly, "/");
        const std::vector<std::string> chain = prefixes(path);
        for (std::size_t i = 0; i + 1 < chain.size(); ++i) {
            if (is_file(chain[i])) return fail(errors::kV2NotDir, chain[i]);
        }
        auto existing = nodes.find(path);
        if (existing != nodes.end()) {
            if (!replace) return fail(errors::kV2NodeExist, path);
            if (existing->second.dir) return fail(errors::kV2NotFile, path);
        }
        ++index;
        for (std::size_t i = 0; i + 1 < chain.size(); ++i) {
            if (nodes.count(chain[i]) == 0) nodes[chain[i]] = ModelNode{true, "", index, index};
        }
        nodes[path] = ModelNode{dir, dir ? "" : value, index, index};
        return success(action, path, nodes[path], index);
    }

    ModelResult set(const std::string& path, bool dir, const std::string& value) {
        if (path == "/") return fail(errors::kV2RootReadOnly, "/");
        ModelResult found = lookup(path);
        if (found.error_code != 0 && found.error_code != errors::kV2KeyNotFound) return found;
        return create_node(path, dir, value, true, "set");
    }

    ModelResult update(const std::string& path, const std::string& value) {
        if (path == "/") return fail(errors::kV2RootReadOnly, "/");
        ModelResult found = lookup(path);
        if (found.error_code != 0) return found;
        ModelNode& node = nodes[path];
        if (node.dir && !value.empty()) return fail(errors::kV2NotFile, path);
        ++index;
        if (!node.dir) {
            node.value = value;
            node.modified = index;
        }
        return success("update", path, node, index);
    }

    ModelResult compare_and_swap(const std::string& path, const std::string& prev,
                                 const std::string& value) {
        if (path == "/") return fail(errors::kV2RootReadOnly, "/");
        ModelResult found = lookup(path);
        if (found.error_code != 0) return found;
        ModelNode& node = nodes[path];
        if (node.dir) return fail(errors::kV2NotFile, path);
        if (node.value != prev)
            return fail(errors::kV2TestFailed, "[" + prev + " != " + node.value + "]");
        ++index;
        node.value = value;
        node.modified = index;
        return success("compareAndSwap", path, node, index);
    }

    ModelResult remove(const std::string& path, bool dir, bool recursive) {
        if (path == "/") return fail(errors::kV2RootReadOnly, "/");
        if (recursive) dir = true;
        ModelResult found = lookup(path);
        if (found.error_code != 0) return found;
        const ModelNode node = nodes[path];
        bool has_children = false;
        for (const auto& [key, child] : nodes) {
            if (key.rfind(path + "/", 0) == 0) has_children = true;
        }
        if (node.dir && !dir) return fail(errors::kV2NotFile, path);
        if (node.dir && has_children && !recursive) return fail(errors::kV2DirNotEmpty, path);
        ++index;
        for (auto it = nodes.begin(); it != nodes.end();) {
            if (it->first == path || it->first.rfind(path + "/", 0) == 0) {
                it = nodes.erase(it);
            } else {
                ++it;
            }
        }
        ModelResult result = success("delete", path, node, index);
        result.value.reset();
        return result;
    }

    ModelResult read(const std::string& path) const {
        if (path == "/") return ModelResult{0, "", "get", "/", 0, 0, std::nullopt};
        ModelResult found = lookup(path);
        if (found.error_code != 0) return found;
        const ModelNode& node = nodes.at(path);
        return success("get", path, node, node.modified);
    }
};

std::vector<std::string> universe() {
    const std::vector<std::string> names = {"a", "b", "_h"};
    std::vector<std::string> paths = {"/"};
    std::vector<std::string> level = {""};
    for (int depth = 0; depth < 3; ++depth) {
        std::vector<std::string> next;
        for (const std::string& parent : level) {
            for (const std::string& name : names) next.push_back(parent + "/" + name);
        }
        paths.insert(paths.end(), next.begin(), next.end());
        level = next;
    }
    return paths;
}

void check_agree(const ApplyResult& got, const ModelResult& want, Revision model_index) {
    CHECK(got.etcd_index == model_index);
    if (want.error_code != 0) {
        REQUIRE(got.error.has_value());
        CHECK(got.error->error_code == want.error_code);
        CHECK(got.error->cause == want.cause);
        return;
    }
    REQUIRE_FALSE(got.error.has_value());
    REQUIRE(got.event.has_value());
    CHECK(got.event->action == want.action);
    CHECK(got.event->node.key == want.key);
    if (want.key == "/") return;
    CHECK(got.event->node.created_index == want.created);
    CHECK(got.event->node.modified_index == want.modified);
    CHECK(got.event->node.value == want.value);
}

TEST_CASE("store property: set, get and delete agree with a naive model when ops are random",
          "[kv][property]") {
    const std::uint64_t seed = GENERATE(1, 2, 3, 4, 5, 6);
    INFO("seed " << seed);
    std::mt19937_64 random(seed);
    const std::vector<std::string> paths = universe();
    const std::vector<std::string> values = {"", "0", "1", "2"};
    Store store;
    Model model;
    auto pick_path = [&] { return paths[random() % paths.size()]; };
    auto pick_value = [&] { return values[1 + random() % (values.size() - 1)]; };

    for (int step = 0; step < 600; ++step) {
        const std::string path = pick_path();
        const int op = static_cast<int>(random() % 8);
        INFO("step " << step << " op " << op << " path " << path);
        ApplyResult got;
        ModelResult want;
        switch (op) {
            case 0:
            case 1: {
                const std::string value = pick_value();
                got = apply(store, put(path, value));
                want = model.set(path, false, value);
                break;
            }
            case 2:
                got = apply(store, put(path).dir());
                want = model.set(path, true, "");
                break;
            case 3: {
                const std::string value = pick_value();
                got = apply(store, put(path, value).prev_exist(false));
                want = model.create_node(path, false, value, false, "create");
                break;
            }
            case 4: {
                const std::string value = random() % 3 == 0 ? "" : pick_value();
                got = apply(store, put(path, value).prev_exist(true));
                want = model.update(path, value);
                break;
            }
            case 5: {
                const std::string prev = pick_value();
                const std::string value = pick_value();
                got = apply(store, put(path, value).prev_value(prev));
                want = model.compare_and_swap(path, prev, value);
                break;
            }
            case 6: {
                const bool dir = random() % 2 == 0;
                const bool recursive = random() % 3 == 0;
                Req req = del(path);
                if (dir) req.dir();
                if (recursive) req.recursive();
                got = apply(store, req);
                want = model.remove(path, dir, recursive);
                break;
            }
            default:
                got = apply(store, get(path));
                want = model.read(path);
                break;
        }
        check_agree(got, want, model.index);
        REQUIRE(store.check_invariants().is_ok());
        for (const std::string& probe : paths) {
            INFO("probe " << probe);
            const service::V2Result read = local_get(store, get(probe));
            const ModelResult expected = model.read(probe);
            ApplyResult as_apply{read.error, read.event, read.headers.etcd_index, V3ApplyResult{}};
            check_agree(as_apply, expected, model.index);
        }
    }
    // The final state survives a snapshot round trip byte for byte.
    Store restored;
    REQUIRE(restored.restore_snapshot(store.save_snapshot()).is_ok());
    CHECK(restored.save_snapshot() == store.save_snapshot());
}

// Overwrites rewrite nodes in place, so the expiration index must follow every change of
// a key's TTL. Random sets (with and without a TTL), updates, deletes and expire syncs
// on a few flat keys, against a model that keeps each key's expiration in a plain map.
TEST_CASE("store property: keys expire when a naive model says so when ttls change at random",
          "[kv][property]") {
    const std::uint64_t seed = GENERATE(1, 2, 3, 4, 5, 6);
    INFO("seed " << seed);
    std::mt19937_64 random(seed);
    struct ModelKey {
        std::string value;
        std::optional<std::int64_t> expire_unix_nanos;
    };
    std::map<std::string, ModelKey> model;
    Revision model_index = 0;
    std::int64_t now = kNow;
    Store store;

    for (int step = 0; step < 2000; ++step) {
        const std::string key = "/k" + std::to_string(random() % 5);
        const std::uint64_t ttl = random() % 4;  // 0 is no TTL
        const std::optional<std::int64_t> expire =
            ttl == 0 ? std::nullopt
                     : std::optional<std::int64_t>(now + static_cast<std::int64_t>(ttl) * kSecond);
        const std::string value = std::to_string(step);
        const int op = static_cast<int>(random() % 6);
        INFO("step " << step << " op " << op << " key " << key << " ttl " << ttl);
        switch (op) {
            case 0:
            case 1: {
                Req req = put(key, value);
                if (ttl != 0) req.ttl(ttl);
                REQUIRE_FALSE(apply(store, req, now).error);
                model[key] = ModelKey{value, expire};
                ++model_index;
                break;
            }
            case 2: {
                Req req = put(key, value).prev_exist(true);
                if (ttl != 0) req.ttl(ttl);
                const ApplyResult result = apply(store, req, now);
                CHECK(result.error.has_value() == (model.count(key) == 0));
                if (model.count(key) != 0) {
                    model[key] = ModelKey{value, expire};
                    ++model_index;
                }
                break;
            }
            case 3: {
                const ApplyResult result = apply(store, del(key), now);
                CHECK(result.error.has_value() == (model.count(key) == 0));
                if (model.erase(key) != 0) ++model_index;
                break;
            }
            default: {
                now += static_cast<std::int64_t>(random() % (2 * kSecond));
                REQUIRE_FALSE(expire_sync(store, now).error);
                for (auto entry = model.begin(); entry != model.end();) {
                    const auto& expires = entry->second.expire_unix_nanos;
                    if (expires && *expires <= now) {
                        entry = model.erase(entry);
                        ++model_index;
                    } else {
                        ++entry;
                    }
                }
                break;
            }
        }
        REQUIRE(store.current_index() == model_index);
        REQUIRE(store.check_invariants().is_ok());
        std::optional<std::int64_t> next;
        for (const auto& [name, entry] : model) {
            if (entry.expire_unix_nanos && (!next || *entry.expire_unix_nanos < *next)) {
                next = entry.expire_unix_nanos;
            }
        }
        CHECK(store.next_expiration_unix_nanos() == next);
        for (int k = 0; k < 5; ++k) {
            const std::string probe = "/k" + std::to_string(k);
            INFO("probe " << probe);
            const service::V2Result read = local_get(store, get(probe), now);
            const auto expected = model.find(probe);
            REQUIRE(read.event.has_value() == (expected != model.end()));
            if (expected == model.end()) continue;
            CHECK(read.event->node.value == expected->second.value);
            CHECK(read.event->node.expiration_unix_nanos == expected->second.expire_unix_nanos);
        }
    }
}

}  // namespace
}  // namespace consensus::kv::test
