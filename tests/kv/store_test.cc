// Store-level semantics of the etcd v2 keys API, ported from the recorded etcd 3.4
// conversations in the conformance corpus (cases/v2/*.json). Each scenario starts from
// an empty store, so indices are the corpus indices shifted to start at 1.

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "consensus/errors.h"
#include "kv/store.h"
#include "kv_test_support.h"

namespace consensus::kv::test {
namespace {

using errors::kV2DirNotEmpty;
using errors::kV2KeyNotFound;
using errors::kV2NodeExist;
using errors::kV2NotDir;
using errors::kV2NotFile;
using errors::kV2RootReadOnly;
using errors::kV2TestFailed;

/// What one step must produce: either an error (code, cause) or an event.
struct Expect {
    std::string action;  ///< empty when an error is expected
    int error_code = 0;
    std::string cause;
    std::string key;
    Revision created = 0;
    Revision modified = 0;
    std::optional<std::string> value;
    bool dir = false;
    std::optional<Revision> prev_modified;  ///< unset: no prevNode
    Revision etcd_index = 0;
};

struct Step {
    const char* name;
    Req req;
    Expect expect;
};

Expect error(int code, std::string cause, Revision index) {
    Expect expect;
    expect.error_code = code;
    expect.cause = std::move(cause);
    expect.etcd_index = index;
    return expect;
}

Expect event(std::string action, std::string key, Revision created, Revision modified,
             std::optional<std::string> value, std::optional<Revision> prev, Revision index) {
    Expect expect;
    expect.action = std::move(action);
    expect.key = std::move(key);
    expect.created = created;
    expect.modified = modified;
    expect.value = std::move(value);
    expect.prev_modified = prev;
    expect.etcd_index = index;
    return expect;
}

Expect dir_event(std::string action, std::string key, Revision created, Revision modified,
                 std::optional<Revision> prev, Revision index) {
    Expect expect =
        event(std::move(action), std::move(key), created, modified, std::nullopt, prev, index);
    expect.dir = true;
    return expect;
}

void check(const ApplyResult& result, const Expect& expect) {
    CHECK(result.etcd_index == expect.etcd_index);
    if (expect.action.empty()) {
        REQUIRE(result.error.has_value());
        CHECK_FALSE(result.event.has_value());
        CHECK(result.error->error_code == expect.error_code);
        CHECK(result.error->cause == expect.cause);
        CHECK(result.error->index == expect.etcd_index);
        return;
    }
    REQUIRE_FALSE(result.error.has_value());
    REQUIRE(result.event.has_value());
    const service::V2Event& got = *result.event;
    CHECK(got.action == expect.action);
    CHECK(got.node.key == expect.key);
    CHECK(got.node.created_index == expect.created);
    CHECK(got.node.modified_index == expect.modified);
    CHECK(got.node.value == expect.value);
    CHECK(got.node.dir == expect.dir);
    CHECK(got.prev_node.has_value() == expect.prev_modified.has_value());
    if (got.prev_node && expect.prev_modified) {
        CHECK(got.prev_node->modified_index == *expect.prev_modified);
    }
}

void run_steps(Store& store, const std::vector<Step>& steps) {
    for (const Step& step : steps) {
        INFO("step: " << step.name);
        check(apply(store, step.req), step.expect);
        REQUIRE(store.check_invariants().is_ok());
    }
}

TEST_CASE("store: compareAndDelete checks value and index when conditions are given", "[kv]") {
    Store store;
    run_steps(
        store,
        {
            {"set x", put("/p/x", "one"), event("set", "/p/x", 1, 1, "one", std::nullopt, 1)},
            {"wrong value", del("/p/x").prev_value("two"), error(kV2TestFailed, "[two != one]", 1)},
            {"right value", del("/p/x").prev_value("one"),
             event("compareAndDelete", "/p/x", 1, 2, std::nullopt, 1, 2)},
            {"set y", put("/p/y", "one"), event("set", "/p/y", 3, 3, "one", std::nullopt, 3)},
            {"stale index", del("/p/y").prev_index(1), error(kV2TestFailed, "[1 != 3]", 3)},
            {"right index", del("/p/y").prev_index(3),
             event("compareAndDelete", "/p/y", 3, 4, std::nullopt, 3, 4)},
            {"missing", del("/p/y").prev_value("one"), error(kV2KeyNotFound, "/p/y", 4)},
            {"dir", put("/p/d").dir(), dir_event("set", "/p/d", 5, 5, std::nullopt, 5)},
            {"cad on dir", del("/p/d").prev_value("one"), error(kV2NotFile, "/p/d", 5)},
        });
}

TEST_CASE("store: compareAndSwap on prevIndex reports both failed conditions when both fail",
          "[kv]") {
    Store store;
    run_steps(store,
              {
                  {"set", put("/p/c", "one"), event("set", "/p/c", 1, 1, "one", std::nullopt, 1)},
                  {"cas index", put("/p/c", "two").prev_index(1),
                   event("compareAndSwap", "/p/c", 1, 2, "two", 1, 2)},
                  {"stale index", put("/p/c", "three").prev_index(1),
                   error(kV2TestFailed, "[1 != 2]", 2)},
                  {"both fail", put("/p/c", "three").prev_index(1).prev_value("nope"),
                   error(kV2TestFailed, "[nope != two] [1 != 2]", 2)},
                  {"index fails", put("/p/c", "three").prev_index(1).prev_value("two"),
                   error(kV2TestFailed, "[1 != 2]", 2)},
                  {"both match", put("/p/c", "three").prev_index(2).prev_value("two"),
                   event("compareAndSwap", "/p/c", 1, 3, "three", 2, 3)},
                  {"prevIndex 0 is a set", put("/p/c", "four").prev_index(0),
                   event("set", "/p/c", 4, 4, "four", 3, 4)},
              });
}

TEST_CASE("store: compareAndSwap on prevValue fails with 100, 101 and 102 when it must", "[kv]") {
    Store store;
    run_steps(
        store,
        {
            {"set", put("/p/c", "one"), event("set", "/p/c", 1, 1, "one", std::nullopt, 1)},
            {"cas", put("/p/c", "two").prev_value("one"),
             event("compareAndSwap", "/p/c", 1, 2, "two", 1, 2)},
            {"mismatch", put("/p/c", "three").prev_value("one"),
             error(kV2TestFailed, "[one != two]", 2)},
            {"get", get("/p/c"), event("get", "/p/c", 1, 2, "two", std::nullopt, 2)},
            {"missing", put("/p/missing", "x").prev_value("one"),
             error(kV2KeyNotFound, "/p/missing", 2)},
            {"dir", put("/p/dir").dir(), dir_event("set", "/p/dir", 3, 3, std::nullopt, 3)},
            {"cas on dir", put("/p/dir", "x").prev_value("one"), error(kV2NotFile, "/p/dir", 3)},
        });
}

TEST_CASE("store: delete returns the node without value and a prevNode when a file is deleted",
          "[kv]") {
    Store store;
    run_steps(
        store,
        {
            {"set d1", put("/p/d1", "one"), event("set", "/p/d1", 1, 1, "one", std::nullopt, 1)},
            {"delete", del("/p/d1"), event("delete", "/p/d1", 1, 2, std::nullopt, 1, 2)},
            {"get gone", get("/p/d1"), error(kV2KeyNotFound, "/p/d1", 2)},
            {"delete again", del("/p/d1"), error(kV2KeyNotFound, "/p/d1", 2)},
            {"set d2", put("/p/d2", "two"), event("set", "/p/d2", 3, 3, "two", std::nullopt, 3)},
            {"dir=true deletes a file", del("/p/d2").dir(),
             event("delete", "/p/d2", 3, 4, std::nullopt, 3, 4)},
            {"never existed", del("/p/d3"), error(kV2KeyNotFound, "/p/d3", 4)},
        });
}

TEST_CASE("store: deleting the deepest key keeps its parent dirs when keys are nested", "[kv]") {
    Store store;
    run_steps(
        store,
        {
            {"set", put("/p/a/b/c", "x"), event("set", "/p/a/b/c", 1, 1, "x", std::nullopt, 1)},
            {"delete", del("/p/a/b/c"), event("delete", "/p/a/b/c", 1, 2, std::nullopt, 1, 2)},
            {"parent stays", get("/p/a/b"), dir_event("get", "/p/a/b", 1, 1, std::nullopt, 2)},
            {"rmdir", del("/p/a/b").dir(), dir_event("delete", "/p/a/b", 1, 3, 1, 3)},
            {"rmdir again", del("/p/a/b").dir(), error(kV2KeyNotFound, "/p/a/b", 3)},
            {"dir without flag", del("/p/a"), error(kV2NotFile, "/p/a", 3)},
        });
}

TEST_CASE("store: deleting a dir needs dir or recursive when it is a dir", "[kv]") {
    Store store;
    run_steps(store,
              {
                  {"set", put("/p/d/k", "v"), event("set", "/p/d/k", 1, 1, "v", std::nullopt, 1)},
                  {"no flag", del("/p/d"), error(kV2NotFile, "/p/d", 1)},
                  {"not empty", del("/p/d").dir(), error(kV2DirNotEmpty, "/p/d", 1)},
                  {"recursive", del("/p/d").recursive(), dir_event("delete", "/p/d", 1, 2, 1, 2)},
                  {"gone", get("/p/d"), error(kV2KeyNotFound, "/p/d", 2)},
                  {"mkdir", put("/p/e").dir(), dir_event("set", "/p/e", 3, 3, std::nullopt, 3)},
                  {"rmdir empty", del("/p/e").dir(), dir_event("delete", "/p/e", 3, 4, 3, 4)},
                  {"recursive missing", del("/p/f").recursive(), error(kV2KeyNotFound, "/p/f", 4)},
                  {"set f", put("/p/f", "v"), event("set", "/p/f", 5, 5, "v", std::nullopt, 5)},
                  {"recursive on file", del("/p/f").recursive(),
                   event("delete", "/p/f", 5, 6, std::nullopt, 5, 6)},
              });
}

TEST_CASE("store: writes on a dir fail with 102 and through a file with 104 when paths clash",
          "[kv]") {
    Store store;
    run_steps(
        store,
        {
            {"mkdir", put("/p/dir").dir(), dir_event("set", "/p/dir", 1, 1, std::nullopt, 1)},
            {"mkdir again", put("/p/dir").dir(), error(kV2NotFile, "/p/dir", 1)},
            {"value on dir", put("/p/dir", "x"), error(kV2NotFile, "/p/dir", 1)},
            {"child a", put("/p/dir/a", "1"), event("set", "/p/dir/a", 2, 2, "1", std::nullopt, 2)},
            {"below a file", put("/p/dir/a/x", "x"), error(kV2NotDir, "/p/dir/a", 2)},
            {"get below a file", get("/p/dir/a/x"), error(kV2NotDir, "/p/dir/a", 2)},
            {"create below a file", put("/p/dir/a/x", "x").prev_exist(false),
             error(kV2NotDir, "/p/dir/a", 2)},
            {"update dir with value", put("/p/dir", "x").prev_exist(true),
             error(kV2NotFile, "/p/dir", 2)},
        });
}

TEST_CASE("store: dir=true replaces a file and ignores a value when given", "[kv]") {
    Store store;
    run_steps(store,
              {
                  {"file", put("/p/f", "x"), event("set", "/p/f", 1, 1, "x", std::nullopt, 1)},
                  {"dir over file", put("/p/f").dir(), dir_event("set", "/p/f", 2, 2, 1, 2)},
                  {"dir with value", put("/p/g", "x").dir(),
                   dir_event("set", "/p/g", 3, 3, std::nullopt, 3)},
                  {"get dir", get("/p/g"), dir_event("get", "/p/g", 3, 3, std::nullopt, 3)},
                  {"child of new dir", put("/p/f/sub", "y"),
                   event("set", "/p/f/sub", 4, 4, "y", std::nullopt, 4)},
                  {"post below", post("/p/f/q").value("y"),
                   event("create", "/p/f/q/00000000000000000005", 5, 5, "y", std::nullopt, 5)},
              });
}

TEST_CASE("store: prevExist selects create or update when it is given", "[kv]") {
    Store store;
    run_steps(
        store,
        {
            {"update missing", put("/p/k", "v").prev_exist(true), error(kV2KeyNotFound, "/p", 0)},
            {"create", put("/p/k", "v1").prev_exist(false),
             event("create", "/p/k", 1, 1, "v1", std::nullopt, 1)},
            {"create again", put("/p/k", "v2").prev_exist(false), error(kV2NodeExist, "/p/k", 1)},
            {"update", put("/p/k", "v3").prev_exist(true),
             event("update", "/p/k", 1, 2, "v3", 1, 2)},
            {"get", get("/p/k"), event("get", "/p/k", 1, 2, "v3", std::nullopt, 2)},
            {"update with condition is a cas", put("/p/k", "v4").prev_exist(true).prev_value("v3"),
             event("compareAndSwap", "/p/k", 1, 3, "v4", 2, 3)},
            {"update without value stores empty", put("/p/k").prev_exist(true),
             event("update", "/p/k", 1, 4, "", 3, 4)},
        });
}

TEST_CASE("store: the root is read only when written, deleted or swapped", "[kv]") {
    Store store;
    run_steps(store,
              {
                  {"set", put("/p/x", "1"), event("set", "/p/x", 1, 1, "1", std::nullopt, 1)},
                  {"delete root", del("/"), error(kV2RootReadOnly, "/", 1)},
                  {"delete root recursive", del("/").recursive(), error(kV2RootReadOnly, "/", 1)},
                  {"put root", put("/", "x"), error(kV2RootReadOnly, "/", 1)},
                  {"put root dir", put("/").dir(), error(kV2RootReadOnly, "/", 1)},
                  {"create root", put("/", "x").prev_exist(false), error(kV2RootReadOnly, "/", 1)},
                  {"update root", put("/", "x").prev_exist(true), error(kV2RootReadOnly, "/", 1)},
                  {"cas root", put("/", "x").prev_value("y"), error(kV2RootReadOnly, "/", 1)},
                  {"cad root is not a file", del("/").prev_value("y"), error(kV2NotFile, "/", 1)},
                  {"post on root works", post("/").value("q"),
                   event("create", "/00000000000000000002", 2, 2, "q", std::nullopt, 2)},
              });
}

TEST_CASE("store: POST names keys by index zero-padded to 20 digits when creating in order",
          "[kv]") {
    Store store;
    run_steps(
        store,
        {
            {"job1", post("/p/queue").value("job1"),
             event("create", "/p/queue/00000000000000000001", 1, 1, "job1", std::nullopt, 1)},
            {"job2", post("/p/queue").value("job2"),
             event("create", "/p/queue/00000000000000000002", 2, 2, "job2", std::nullopt, 2)},
            {"job3", post("/p/queue").value("job3"),
             event("create", "/p/queue/00000000000000000003", 3, 3, "job3", std::nullopt, 3)},
            {"delete first", del("/p/queue/00000000000000000001"),
             event("delete", "/p/queue/00000000000000000001", 1, 4, std::nullopt, 1, 4)},
            {"file", put("/p/file", "f"), event("set", "/p/file", 5, 5, "f", std::nullopt, 5)},
            {"post onto file", post("/p/file").value("x"), error(kV2NotDir, "/p/file", 5)},
            {"post without value", post("/p/queue"),
             event("create", "/p/queue/00000000000000000006", 6, 6, "", std::nullopt, 6)},
            {"post a dir", post("/p/queue").dir(),
             dir_event("create", "/p/queue/00000000000000000007", 7, 7, std::nullopt, 7)},
        });
    const service::V2Result listing = local_get(store, get("/p/queue").sorted());
    REQUIRE(listing.event.has_value());
    CHECK(child_keys(listing.event->node) ==
          std::vector<std::string>{"/p/queue/00000000000000000002", "/p/queue/00000000000000000003",
                                   "/p/queue/00000000000000000006",
                                   "/p/queue/00000000000000000007"});
}

TEST_CASE("store: an overwrite resets createdIndex when it is a set, not an update or cas",
          "[kv]") {
    Store store;
    run_steps(
        store,
        {
            {"set", put("/p/foo", "bar"), event("set", "/p/foo", 1, 1, "bar", std::nullopt, 1)},
            {"overwrite", put("/p/foo", "baz"), event("set", "/p/foo", 2, 2, "baz", 1, 2)},
            {"update", put("/p/foo", "qux").prev_exist(true),
             event("update", "/p/foo", 2, 3, "qux", 2, 3)},
            {"cas", put("/p/foo", "quux").prev_value("qux"),
             event("compareAndSwap", "/p/foo", 2, 4, "quux", 3, 4)},
            {"trailing slash is cleaned", get("/p/foo/"),
             event("get", "/p/foo", 2, 4, "quux", std::nullopt, 4)},
            {"missing", get("/p/nope"), error(kV2KeyNotFound, "/p/nope", 4)},
            {"first missing component", get("/p/nodir/nope"), error(kV2KeyNotFound, "/p/nodir", 4)},
        });
}

TEST_CASE("store: failed writes and reads consume no index when applied", "[kv]") {
    Store store;
    REQUIRE(apply(store, put("/a", "1")).etcd_index == 1);
    const std::vector<Req> failing = {
        put("/a", "x").prev_value("nope"),
        put("/a", "x").prev_exist(false),
        put("/missing", "x").prev_exist(true),
        del("/missing"),
        del("/"),
        put("/a/b", "x"),
        get("/a"),
        get("/missing"),
        post("/a").value("x"),
    };
    for (const Req& req : failing) {
        INFO("key " << req.request.key);
        CHECK(apply(store, req).etcd_index == 1);
    }
    CHECK(store.current_index() == 1);
    CHECK(apply(store, put("/b", "2")).etcd_index == 2);
}

TEST_CASE("store: intermediate dirs take the new key's index when a nested key is set", "[kv]") {
    Store store;
    REQUIRE(apply(store, put("/p/alpha/beta", "v1")).etcd_index == 1);
    const service::V2Result dir = local_get(store, get("/p/alpha"));
    REQUIRE(dir.event.has_value());
    CHECK(dir.event->node.dir);
    CHECK(dir.event->node.created_index == 1);
    CHECK(dir.event->node.modified_index == 1);
    CHECK(child_keys(dir.event->node) == std::vector<std::string>{"/p/alpha/beta"});
    CHECK(dir.headers.etcd_index == 1);
}

TEST_CASE("store: listings show child dirs without nodes when not recursive", "[kv]") {
    Store store;
    for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
             {"/p/t/k1", "a"}, {"/p/t/s1/k2", "b"}, {"/p/t/s1/s2/k3", "c"}}) {
        REQUIRE_FALSE(apply(store, put(key, value)).error);
    }
    REQUIRE_FALSE(apply(store, put("/p/t/empty").dir()).error);

    const service::V2Result flat = local_get(store, get("/p/t").sorted());
    REQUIRE(flat.event.has_value());
    CHECK(child_keys(flat.event->node) ==
          std::vector<std::string>{"/p/t/empty", "/p/t/k1", "/p/t/s1"});
    CHECK(flat.event->node.nodes[2].nodes.empty());
    CHECK(flat.event->node.nodes[2].dir);
    CHECK_FALSE(flat.event->node.nodes[2].value.has_value());

    const service::V2Result deep = local_get(store, get("/p/t").recursive().sorted());
    REQUIRE(deep.event.has_value());
    const service::V2Node& s1 = deep.event->node.nodes[2];
    CHECK(child_keys(s1) == std::vector<std::string>{"/p/t/s1/k2", "/p/t/s1/s2"});
    CHECK(child_keys(s1.nodes[1]) == std::vector<std::string>{"/p/t/s1/s2/k3"});
    CHECK(deep.event->node.nodes[0].nodes.empty());
}

TEST_CASE("store: children are sorted by key at every level when listed", "[kv]") {
    Store store;
    for (const char* key : {"/d/c", "/d/a", "/d/b", "/d/sub/z", "/d/sub/y"}) {
        REQUIRE_FALSE(apply(store, put(key, "v")).error);
    }
    for (bool sorted : {false, true}) {
        Req req = get("/d").recursive();
        if (sorted) req.sorted();
        const service::V2Result result = local_get(store, req);
        REQUIRE(result.event.has_value());
        CHECK(child_keys(result.event->node) ==
              std::vector<std::string>{"/d/a", "/d/b", "/d/c", "/d/sub"});
        CHECK(child_keys(result.event->node.nodes[3]) ==
              std::vector<std::string>{"/d/sub/y", "/d/sub/z"});
    }
}

TEST_CASE("store: the root listing has no key or indices when the root is read", "[kv]") {
    Store store;
    REQUIRE_FALSE(apply(store, put("/p/x", "1")).error);
    for (const char* key : {"/", ""}) {
        const service::V2Result root = local_get(store, get(key));
        REQUIRE(root.event.has_value());
        CHECK(root.event->node.is_root);
        CHECK(root.event->node.dir);
        CHECK(child_keys(root.event->node) == std::vector<std::string>{"/p"});
    }
}

TEST_CASE("store: hidden keys are left out of listings but readable when named", "[kv]") {
    Store store;
    REQUIRE_FALSE(apply(store, put("/p/h/_secret", "s")).error);
    REQUIRE_FALSE(apply(store, put("/p/h/open", "o")).error);
    REQUIRE_FALSE(apply(store, put("/p/h/_hdir/x", "x")).error);
    for (bool recursive : {false, true}) {
        Req req = get("/p/h").sorted();
        if (recursive) req.recursive();
        const service::V2Result listing = local_get(store, req);
        REQUIRE(listing.event.has_value());
        CHECK(child_keys(listing.event->node) == std::vector<std::string>{"/p/h/open"});
        CHECK(listing.event->node.created_index == 1);
    }
    const service::V2Result secret = local_get(store, get("/p/h/_secret"));
    REQUIRE(secret.event.has_value());
    CHECK(secret.event->node.value == "s");
    const service::V2Result hidden_dir = local_get(store, get("/p/h/_hdir"));
    REQUIRE(hidden_dir.event.has_value());
    CHECK(child_keys(hidden_dir.event->node) == std::vector<std::string>{"/p/h/_hdir/x"});
    const ApplyResult removed = apply(store, del("/p/h/_secret"));
    REQUIRE(removed.event.has_value());
    CHECK(removed.event->action == "delete");
    CHECK(removed.etcd_index == 4);
}

TEST_CASE("store: keys are cleaned like Go's path.Clean when they are applied", "[kv]") {
    const std::vector<std::pair<std::string, std::string>> table = {
        {"/a/b", "/a/b"},  {"/a//b", "/a/b"},   {"/a/./b", "/a/b"}, {"/a/c/../b", "/a/b"},
        {"/a/b/", "/a/b"}, {"/../a/b", "/a/b"}, {"a/b", "/a/b"},
    };
    for (const auto& [spelled, clean] : table) {
        INFO("key " << spelled);
        CHECK(clean_path(spelled) == clean);
        Store store;
        REQUIRE_FALSE(apply(store, put("/a/b", "v")).error);
        const service::V2Result result = local_get(store, get(spelled));
        REQUIRE(result.event.has_value());
        CHECK(result.event->node.key == clean);
    }
    CHECK(clean_path("") == "/");
    CHECK(clean_path("/..") == "/");
}

TEST_CASE("store: clean paths stay as they are and dotted names are kept when cleaned", "[kv]") {
    const std::vector<std::pair<std::string, std::string>> table = {
        {"/", "/"},           {"/a", "/a"},       {"/...", "/..."}, {"/a/.b", "/a/.b"},
        {"/a/..b", "/a/..b"}, {"/a/b.", "/a/b."}, {"/a/.", "/a"},   {"/a/..", "/"},
        {"//", "/"},          {"/a/b/.", "/a/b"}, {".", "/"},       {"/./a", "/a"},
    };
    for (const auto& [spelled, clean] : table) {
        INFO("path " << spelled);
        CHECK(clean_path(spelled) == clean);
    }
}

TEST_CASE("store: the parent of a clean path is its prefix up to the last slash", "[kv]") {
    CHECK(parent_path("/a") == "/");
    CHECK(parent_path("/a/b") == "/a");
    CHECK(parent_path("/a/b/c") == "/a/b");
    const std::string path = "/x/y";
    const std::string_view parent = parent_path(path);
    CHECK(parent.data() == path.data());
}

TEST_CASE("store: quorum gets are counted and local gets are counted by the caller", "[kv]") {
    Store store;
    REQUIRE_FALSE(apply(store, put("/q", "v")).error);
    REQUIRE_FALSE(apply(store, get("/q")).error);
    REQUIRE(apply(store, get("/missing")).error);
    (void)local_get(store, get("/q"));
    CHECK(store.stats().gets_success == 1);
    CHECK(store.stats().gets_fail == 1);
    store.count_get(true);
    store.count_get(false);
    CHECK(store.stats().gets_success == 2);
    CHECK(store.stats().gets_fail == 2);
}

TEST_CASE("store: counters follow etcd's names and quirks when writes succeed or fail", "[kv]") {
    Store store;
    REQUIRE_FALSE(apply(store, put("/f", "v")).error);                    // set ok
    REQUIRE(apply(store, put("/f/x", "v")).error);                        // set fail
    REQUIRE_FALSE(apply(store, put("/c", "v").prev_exist(false)).error);  // create ok
    REQUIRE(apply(store, put("/f/y", "v").prev_exist(false)).error);      // create fail
    REQUIRE_FALSE(apply(store, put("/c", "w").prev_exist(true)).error);   // update ok
    REQUIRE(apply(store, put("/nope", "w").prev_exist(true)).error);      // update fail
    REQUIRE_FALSE(apply(store, put("/c", "z").prev_value("w")).error);    // cas ok
    REQUIRE(apply(store, put("/c", "z").prev_value("w")).error);          // cas fail
    REQUIRE_FALSE(apply(store, del("/c").prev_value("z")).error);         // cad ok
    REQUIRE(apply(store, del("/f").prev_value("q")).error);               // cad fail
    REQUIRE_FALSE(apply(store, del("/f")).error);                         // delete ok
    REQUIRE(apply(store, del("/f")).error);                               // delete fail
    const service::StoreStats stats = store.stats();
    CHECK(stats.sets_success == 1);
    // [etcd: v2store/store.go internalCreate] a failed walk also counts as a failed
    // set, so the create that failed on the file in its path counts in both.
    CHECK(stats.sets_fail == 2);
    CHECK(stats.create_success == 1);
    CHECK(stats.create_fail == 1);
    CHECK(stats.update_success == 1);
    CHECK(stats.update_fail == 1);
    CHECK(stats.compare_and_swap_success == 1);
    CHECK(stats.compare_and_swap_fail == 1);
    CHECK(stats.compare_and_delete_success == 1);
    CHECK(stats.compare_and_delete_fail == 1);
    CHECK(stats.delete_success == 1);
    CHECK(stats.delete_fail == 1);
    CHECK(stats.expire_count == 0);
}

TEST_CASE("store: a very deep key is created, restored and deleted when applied", "[kv]") {
    std::string key;
    for (int depth = 0; depth < 2000; ++depth) key += "/d";
    Store store;
    const ApplyResult set = apply(store, put(key, "deep"));
    REQUIRE(set.event.has_value());
    CHECK(set.event->node.key == key);
    REQUIRE(store.check_invariants().is_ok());
    Store restored;
    REQUIRE(restored.restore_snapshot(store.save_snapshot()).is_ok());
    CHECK(local_get(restored, get(key)).event->node.value == "deep");
    const ApplyResult removed = apply(store, del("/d").recursive());
    REQUIRE(removed.event.has_value());
    CHECK(removed.etcd_index == 2);
}

TEST_CASE("store: an overwritten file survives a snapshot when it is restored", "[kv]") {
    Store store;
    REQUIRE_FALSE(apply(store, put("/d/a", "1").ttl(60)).error);
    REQUIRE_FALSE(apply(store, put("/d/b", "2")).error);
    REQUIRE_FALSE(apply(store, put("/d/a", "3")).error);
    REQUIRE_FALSE(apply(store, put("/d/b", "4").ttl(30)).error);
    REQUIRE(store.check_invariants().is_ok());
    Store restored;
    REQUIRE(restored.restore_snapshot(store.save_snapshot()).is_ok());
    REQUIRE(restored.check_invariants().is_ok());
    CHECK(restored.save_snapshot() == store.save_snapshot());
    const service::V2Result listing = local_get(restored, get("/d").recursive());
    REQUIRE(listing.event.has_value());
    REQUIRE(listing.event->node.nodes.size() == 2);
    const service::V2Node& a = listing.event->node.nodes[0];
    CHECK(a.value == "3");
    CHECK(a.created_index == 3);
    CHECK(a.modified_index == 3);
    CHECK_FALSE(a.expiration_unix_nanos.has_value());
    const service::V2Node& b = listing.event->node.nodes[1];
    CHECK(b.value == "4");
    CHECK(b.created_index == 4);
    CHECK(b.expiration_unix_nanos == kNow + 30 * kSecond);
    CHECK(restored.next_expiration_unix_nanos() == kNow + 30 * kSecond);
}

TEST_CASE("store: applying a moved command matches applying a copy when writes are replayed",
          "[kv]") {
    const std::vector<Req> writes = {
        put("/a", "1"),
        put("/a", "2").ttl(10),
        put("/a/b", "x"),
        put("/d").dir(),
        put("/d", "file"),
        put("/a").dir(),
        put("/a", "3").refresh().ttl(5),
        post("/q").value("in order"),
        put("/a", "4").prev_value("2"),
        del("/a").prev_index(2),
    };
    Store copied;
    Store moved;
    for (const Req& write : writes) {
        Command command;
        command.kind = Command::Kind::kV2Write;
        command.request_id = 9;
        command.now_unix_nanos = kNow;
        command.request = write.request;
        const ApplyResult from_copy = copied.apply(command);
        Command taken = command;
        const ApplyResult from_move = moved.apply(std::move(taken));
        INFO("key " << write.request.key);
        CHECK(from_copy.error.has_value() == from_move.error.has_value());
        CHECK(from_copy.event.has_value() == from_move.event.has_value());
        if (from_copy.event && from_move.event) {
            CHECK(from_copy.event->node.value == from_move.event->node.value);
            CHECK(from_copy.event->node.modified_index == from_move.event->node.modified_index);
        }
        CHECK(from_copy.etcd_index == from_move.etcd_index);
        // Only the value is taken; the rest of the command is left as it was.
        CHECK(taken.request_id == 9);
        CHECK(taken.request.key == write.request.key);
    }
    CHECK(copied.save_snapshot() == moved.save_snapshot());
    REQUIRE(moved.check_invariants().is_ok());
}

TEST_CASE("store: a noop changes nothing when applied", "[kv]") {
    Store store;
    REQUIRE_FALSE(apply(store, put("/a", "1")).error);
    Command noop;
    const ApplyResult result = store.apply(noop);
    CHECK_FALSE(result.error.has_value());
    CHECK_FALSE(result.event.has_value());
    CHECK(result.etcd_index == 1);
}

}  // namespace
}  // namespace consensus::kv::test
