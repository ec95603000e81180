// The v3 keyspace through kv::Store: revisions, versions, ranges (range_end forms,
// limit, count, sort, filters, keys_only, count_only), reads at past revisions and
// compaction, checked against what etcd 3.4 answered in the conformance corpus
// (cases/v3/v3_put_range_*, v3_range_*, v3_deleterange, v3_compaction).

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "kv/store.h"
#include "support/temp_dir.h"
#include "v3_test_support.h"

namespace consensus::kv::test {
namespace {

using consensus::testing::TempDir;

using Strings = std::vector<std::string>;

void require_invariants(const Store& store) {
    const Status status = store.check_invariants();
    INFO(status.to_string());
    REQUIRE(status.is_ok());
}

TEST_CASE("v3 keyspace: an empty store is at revision 1 and the first write makes 2", "[kv]") {
    Store store;
    CHECK(store.v3_revision() == 1);
    CHECK(store.v3_compact_revision() == 0);
    const V3ApplyResult put = v3_put(store, "a", "1");
    REQUIRE(put.status.is_ok());
    CHECK(put.revision == 2);
    REQUIRE(put.txn.responses.size() == 1);
    CHECK(put.txn.responses[0].revision == 2);
    CHECK(store.v3_revision() == 2);
    require_invariants(store);
}

TEST_CASE("v3 keyspace: versions count up and create_revision stays within a generation", "[kv]") {
    Store store;
    REQUIRE(v3_put(store, "k", "v1").revision == 2);
    REQUIRE(v3_put(store, "k", "v2").revision == 3);
    v3::RangeResponse now = v3_get(store, "k");
    REQUIRE(now.kvs.size() == 1);
    CHECK(now.count == 1);
    CHECK(now.kvs[0].create_revision == 2);
    CHECK(now.kvs[0].mod_revision == 3);
    CHECK(now.kvs[0].version == 2);
    CHECK(now.kvs[0].value == "v2");

    // A delete ends the generation; the next put starts a new one at version 1.
    REQUIRE(v3_delete(store, "k").revision == 4);
    CHECK(v3_get(store, "k").kvs.empty());
    REQUIRE(v3_put(store, "k", "v3").revision == 5);
    now = v3_get(store, "k");
    REQUIRE(now.kvs.size() == 1);
    CHECK(now.kvs[0].create_revision == 5);
    CHECK(now.kvs[0].version == 1);
    require_invariants(store);
}

TEST_CASE("v3 keyspace: reads at past revisions see the state of that revision", "[kv]") {
    // cases/v3/v3_range_revision.json
    Store store;
    REQUIRE(v3_put(store, "h", "v1").revision == 2);
    REQUIRE(v3_put(store, "h", "v2").revision == 3);
    REQUIRE(v3_delete(store, "h").revision == 4);

    v3::RangeRequest request = range_request("h");
    request.revision = 2;
    v3::RangeResponse at = v3_get(store, request);
    REQUIRE(at.kvs.size() == 1);
    CHECK(at.kvs[0].value == "v1");
    CHECK(at.kvs[0].version == 1);

    request.revision = 3;
    at = v3_get(store, request);
    REQUIRE(at.kvs.size() == 1);
    CHECK(at.kvs[0].value == "v2");
    CHECK(at.kvs[0].mod_revision == 3);

    CHECK(v3_get(store, "h").kvs.empty());

    request.revision = 1;  // before the key existed: empty, no error
    at = v3_get(store, request);
    CHECK(at.kvs.empty());
    CHECK(at.count == 0);

    request.revision = 1000;
    const Result<v3::RangeResponse> future = store.v3_range(request);
    REQUIRE_FALSE(future.is_ok());
    CHECK(future.status().code() == StatusCode::kOutOfRange);
    CHECK(future.status().message() == "etcdserver: mvcc: required revision is a future revision");
}

TEST_CASE("v3 keyspace: range_end selects one key, a half-open interval or every key from key",
          "[kv]") {
    Store store;
    for (const char* key : {"a", "b", "b/1", "b/2", "c", "d"}) {
        REQUIRE(v3_put(store, key, "x").status.is_ok());
    }
    struct Row {
        std::string key;
        std::string range_end;
        Strings expected;
    };
    const std::vector<Row> rows = {
        {"b", "", {"b"}},
        {"zz", "", {}},
        {"b/", "b0", {"b/1", "b/2"}},  // a prefix: range_end is the prefix plus one
        {"b", "d", {"b", "b/1", "b/2", "c"}},
        {"c", all_from(), {"c", "d"}},
        {std::string(1, '\0'), all_from(), {"a", "b", "b/1", "b/2", "c", "d"}},
        {"c", "c", {}},  // range_end at key: empty
        {"d", "a", {}},  // range_end before key: empty
    };
    for (const Row& row : rows) {
        INFO("key " << row.key << " range_end " << row.range_end);
        const v3::RangeResponse response = v3_get(store, row.key, row.range_end);
        CHECK(keys_of(response.kvs) == row.expected);
        CHECK(response.count == static_cast<std::int64_t>(row.expected.size()));
        CHECK_FALSE(response.more);
    }
}

TEST_CASE("v3 keyspace: keys compare as unsigned bytes", "[kv]") {
    Store store;
    const std::string high = "\xff";
    REQUIRE(v3_put(store, high, "x").status.is_ok());
    REQUIRE(v3_put(store, "a", "x").status.is_ok());
    CHECK(keys_of(v3_get(store, "a", all_from()).kvs) == Strings{"a", high});
    CHECK(keys_of(v3_get(store, "b", high).kvs).empty());
}

TEST_CASE("v3 keyspace: limit keeps the first keys, sets more and counts them all", "[kv]") {
    // cases/v3/v3_range_prefix_limit.json
    Store store;
    for (const char* key : {"p/a", "p/b", "p/c"}) REQUIRE(v3_put(store, key, "x").status.is_ok());
    for (const std::int64_t limit : {1, 2}) {
        v3::RangeRequest request = range_request("p/", "p0");
        request.limit = limit;
        const v3::RangeResponse response = v3_get(store, request);
        CHECK(response.kvs.size() == static_cast<std::size_t>(limit));
        CHECK(response.more);
        CHECK(response.count == 3);
    }
    for (const std::int64_t limit : {0, -1, 3, 4}) {
        v3::RangeRequest request = range_request("p/", "p0");
        request.limit = limit;
        const v3::RangeResponse response = v3_get(store, request);
        CHECK(response.kvs.size() == 3);
        CHECK_FALSE(response.more);
    }
}

TEST_CASE("v3 keyspace: count_only answers only the count; keys_only drops values", "[kv]") {
    Store store;
    for (const char* key : {"p/a", "p/b"}) REQUIRE(v3_put(store, key, "value").status.is_ok());
    v3::RangeRequest request = range_request("p/", "p0");
    request.count_only = true;
    request.limit = 1;
    v3::RangeResponse response = v3_get(store, request);
    CHECK(response.kvs.empty());
    CHECK(response.count == 2);
    CHECK_FALSE(response.more);

    request = range_request("p/", "p0");
    request.keys_only = true;
    response = v3_get(store, request);
    REQUIRE(response.kvs.size() == 2);
    CHECK(response.kvs[0].value.empty());
    CHECK(response.kvs[0].version == 1);
    CHECK(response.kvs[1].key == "p/b");
}

TEST_CASE("v3 keyspace: sort order and target follow etcd", "[kv]") {
    // cases/v3/v3_range_sort.json: z=1 (rev 2), m=3 (3), a=2 (4), m=30 (5).
    Store store;
    REQUIRE(v3_put(store, "s/z", "1").status.is_ok());
    REQUIRE(v3_put(store, "s/m", "3").status.is_ok());
    REQUIRE(v3_put(store, "s/a", "2").status.is_ok());
    REQUIRE(v3_put(store, "s/m", "30").status.is_ok());
    using v3::SortOrder;
    using v3::SortTarget;
    struct Row {
        SortOrder order;
        SortTarget target;
        std::int64_t limit;
        Strings expected;
        bool more;
    };
    const std::vector<Row> rows = {
        {SortOrder::kNone, SortTarget::kKey, 0, {"s/a", "s/m", "s/z"}, false},
        {SortOrder::kDescend, SortTarget::kKey, 0, {"s/z", "s/m", "s/a"}, false},
        {SortOrder::kAscend, SortTarget::kValue, 0, {"s/z", "s/a", "s/m"}, false},
        {SortOrder::kDescend, SortTarget::kVersion, 0, {"s/m", "s/a", "s/z"}, false},
        {SortOrder::kAscend, SortTarget::kCreate, 0, {"s/z", "s/m", "s/a"}, false},
        {SortOrder::kDescend, SortTarget::kMod, 2, {"s/m", "s/a"}, true},
        // A target without an order sorts ascending.
        {SortOrder::kNone, SortTarget::kCreate, 0, {"s/z", "s/m", "s/a"}, false},
        // ... but, as in etcd, only the limit + 1 keys fetched in key order.
        {SortOrder::kNone, SortTarget::kCreate, 1, {"s/m"}, true},
        // Equal versions keep key order, in both directions.
        {SortOrder::kAscend, SortTarget::kVersion, 0, {"s/a", "s/z", "s/m"}, false},
    };
    for (const Row& row : rows) {
        INFO("order " << static_cast<int>(row.order) << " target " << static_cast<int>(row.target)
                      << " limit " << row.limit);
        v3::RangeRequest request = range_request("s/", "s0");
        request.sort_order = row.order;
        request.sort_target = row.target;
        request.limit = row.limit;
        const v3::RangeResponse response = v3_get(store, request);
        CHECK(keys_of(response.kvs) == row.expected);
        CHECK(response.more == row.more);
        CHECK(response.count == 3);
    }
}

TEST_CASE("v3 keyspace: revision filters drop keys but count counts them", "[kv]") {
    // cases/v3/v3_range_rev_filters.json: a (2), b (3), c (4), a again (5).
    Store store;
    for (const char* key : {"f/a", "f/b", "f/c"}) REQUIRE(v3_put(store, key, "1").status.is_ok());
    REQUIRE(v3_put(store, "f/a", "2").status.is_ok());
    struct Row {
        const char* name;
        std::int64_t min_mod, max_mod, min_create, max_create;
        Strings expected;
    };
    const std::vector<Row> rows = {
        {"min_mod_revision", 4, 0, 0, 0, {"f/a", "f/c"}},
        {"max_mod_revision", 0, 3, 0, 0, {"f/b"}},
        {"min_create_revision", 0, 0, 3, 0, {"f/b", "f/c"}},
        {"max_create_revision", 0, 0, 0, 2, {"f/a"}},
    };
    for (const Row& row : rows) {
        INFO(row.name);
        v3::RangeRequest request = range_request("f/", "f0");
        request.min_mod_revision = row.min_mod;
        request.max_mod_revision = row.max_mod;
        request.min_create_revision = row.min_create;
        request.max_create_revision = row.max_create;
        const v3::RangeResponse response = v3_get(store, request);
        CHECK(keys_of(response.kvs) == row.expected);
        CHECK(response.count == 3);
    }
}

TEST_CASE("v3 keyspace: delete_range counts, returns prev_kvs, and a miss uses no revision",
          "[kv]") {
    // cases/v3/v3_deleterange.json
    Store store;
    REQUIRE(v3_put(store, "x/a", "1").revision == 2);
    REQUIRE(v3_put(store, "x/b", "2").revision == 3);
    REQUIRE(v3_put(store, "x/c", "3").revision == 4);
    V3ApplyResult result = v3_delete(store, "x/a");
    CHECK(result.revision == 5);
    CHECK(result.txn.responses.at(0).delete_range.deleted == 1);
    CHECK(result.txn.responses.at(0).revision == 5);

    result = v3_delete(store, "x/a");
    CHECK(result.status.is_ok());
    CHECK(result.revision == 5);
    CHECK(result.txn.responses.at(0).delete_range.deleted == 0);
    CHECK(result.txn.responses.at(0).revision == 5);

    result = v3_delete(store, "x/", "x0", true);
    CHECK(result.revision == 6);
    const v3::DeleteRangeResponse& deleted = result.txn.responses.at(0).delete_range;
    CHECK(deleted.deleted == 2);
    REQUIRE(deleted.prev_kvs.size() == 2);
    CHECK(deleted.prev_kvs[0].key == "x/b");
    CHECK(deleted.prev_kvs[0].value == "2");
    CHECK(deleted.prev_kvs[0].mod_revision == 3);
    CHECK(deleted.prev_kvs[1].key == "x/c");
    CHECK(v3_get(store, "x/", "x0").kvs.empty());
    require_invariants(store);
}

TEST_CASE("v3 keyspace: compaction keeps the compact revision readable and refuses below it",
          "[kv]") {
    // cases/v3/v3_compaction.json
    Store store;
    REQUIRE(v3_put(store, "c", "1").revision == 2);
    REQUIRE(v3_put(store, "c", "2").revision == 3);
    REQUIRE(v3_put(store, "c", "3").revision == 4);

    V3ApplyResult compact = v3_compact(store, 3);
    REQUIRE(compact.status.is_ok());
    CHECK(compact.revision == 4);
    CHECK(store.v3_compact_revision() == 3);
    CHECK(store.v3_revision() == 4);

    v3::RangeRequest request = range_request("c");
    request.revision = 2;
    const Result<v3::RangeResponse> compacted = store.v3_range(request);
    REQUIRE_FALSE(compacted.is_ok());
    CHECK(compacted.status().code() == StatusCode::kOutOfRange);
    CHECK(compacted.status().message() == "etcdserver: mvcc: required revision has been compacted");

    request.revision = 3;
    const v3::RangeResponse at = v3_get(store, request);
    REQUIRE(at.kvs.size() == 1);
    CHECK(at.kvs[0].value == "2");
    CHECK(at.kvs[0].version == 2);
    CHECK(at.kvs[0].create_revision == 2);

    for (const std::int64_t again : {2, 3}) {
        compact = v3_compact(store, again);
        CHECK(compact.status.code() == StatusCode::kOutOfRange);
        CHECK(compact.status.message() == "etcdserver: mvcc: required revision has been compacted");
    }
    compact = v3_compact(store, 1003);
    CHECK(compact.status.code() == StatusCode::kOutOfRange);
    CHECK(compact.status.message() == "etcdserver: mvcc: required revision is a future revision");
    CHECK(store.v3_compact_revision() == 3);
    require_invariants(store);
}

TEST_CASE("v3 keyspace: compaction drops old history but keeps each key's latest state", "[kv]") {
    Store store;
    REQUIRE(v3_put(store, "keep", std::string(100, 'a')).revision == 2);
    REQUIRE(v3_put(store, "gone", "x").revision == 3);
    REQUIRE(v3_delete(store, "gone").revision == 4);
    REQUIRE(v3_put(store, "keep", std::string(100, 'b')).revision == 5);
    REQUIRE(v3_put(store, "late", "y").revision == 6);
    const std::int64_t before = store.v3_size_bytes();

    REQUIRE(v3_compact(store, 5).status.is_ok());
    // Dropped: keep@2 (104 bytes) and both records of "gone" (5 + 4 bytes).
    CHECK(store.v3_size_bytes() == before - 104 - 5 - 4);
    CHECK(keys_of(v3_get(store, "", all_from()).kvs) == Strings{"keep", "late"});
    const v3::RangeResponse keep = v3_get(store, "keep");
    REQUIRE(keep.kvs.size() == 1);
    CHECK(keep.kvs[0].version == 2);
    CHECK(keep.kvs[0].create_revision == 2);

    // The kept state goes on as before: the next put is version 3 of the same generation.
    REQUIRE(v3_put(store, "keep", "c").revision == 7);
    CHECK(v3_get(store, "keep").kvs.at(0).version == 3);
    require_invariants(store);
}

TEST_CASE("v3 keyspace: compaction rewrites a history log that is mostly dropped records", "[kv]") {
    TempDir dir;
    REQUIRE_FALSE(dir.path().empty());
    Store store;
    REQUIRE(store.keep_v3_history_in(dir.path()).is_ok());
    // 40 one-MiB versions of one key (revisions 2..41), each filled with its own byte,
    // and a small key written once, whose only record is its latest.
    constexpr std::size_t kValueBytes = 1024 * 1024;
    auto value_at = [](std::int64_t revision) {
        return std::string(kValueBytes, static_cast<char>('A' + revision % 50));
    };
    for (std::int64_t revision = 2; revision <= 41; ++revision) {
        REQUIRE(v3_put(store, "big", value_at(revision)).revision == revision);
    }
    REQUIRE(v3_put(store, "small", "s").revision == 42);
    const std::uint64_t before = store.v3_history_log_bytes();
    CHECK(before >= 39 * kValueBytes);  // every version but the latest

    // Keeping revisions 35..41 drops 33 MiB, well past both the kept 6 MiB and the
    // rewrite's threshold, so the log is rewritten with only what is kept.
    REQUIRE(v3_compact(store, 35).status.is_ok());
    const std::uint64_t after = store.v3_history_log_bytes();
    CHECK(after >= 6 * kValueBytes);
    CHECK(after < 7 * kValueBytes);
    require_invariants(store);
    for (std::int64_t revision = 35; revision <= 42; ++revision) {
        INFO("revision " << revision);
        v3::RangeRequest request = range_request("big");
        request.revision = revision;
        const v3::RangeResponse at = v3_get(store, request);
        REQUIRE(at.kvs.size() == 1);
        CHECK(at.kvs[0].value == value_at(std::min<std::int64_t>(revision, 41)));
        CHECK(at.kvs[0].version == std::min<std::int64_t>(revision, 41) - 1);
    }
    // Writing goes on into the new log.
    REQUIRE(v3_put(store, "big", "next").revision == 43);
    v3::RangeRequest request = range_request("big");
    request.revision = 41;
    CHECK(v3_get(store, request).kvs.at(0).value == value_at(41));
    require_invariants(store);
}

TEST_CASE("v3 keyspace: a small compaction leaves the history log as it is", "[kv]") {
    TempDir dir;
    REQUIRE_FALSE(dir.path().empty());
    Store store;
    REQUIRE(store.keep_v3_history_in(dir.path()).is_ok());
    for (int i = 0; i < 100; ++i)
        REQUIRE(v3_put(store, "k", std::string(1000, 'x')).status.is_ok());
    const std::uint64_t before = store.v3_history_log_bytes();
    REQUIRE(v3_compact(store, 90).status.is_ok());
    // 88 KB dropped is below the threshold: a rewrite would cost more than it gives.
    CHECK(store.v3_history_log_bytes() == before);
    require_invariants(store);
}

TEST_CASE("v3 keyspace: compacting at the current revision keeps every live key", "[kv]") {
    Store store;
    REQUIRE(v3_put(store, "a", "1").status.is_ok());
    REQUIRE(v3_put(store, "b", "1").status.is_ok());
    REQUIRE(v3_delete(store, "b").status.is_ok());
    REQUIRE(v3_compact(store, store.v3_revision()).status.is_ok());
    CHECK(keys_of(v3_get(store, "", all_from()).kvs) == Strings{"a"});
    v3::RangeRequest request = range_request("", all_from());
    request.revision = store.v3_revision();
    CHECK(v3_get(store, request).count == 1);
    require_invariants(store);
}

TEST_CASE("v3 keyspace: size counts the key and value of every kept revision", "[kv]") {
    Store store;
    CHECK(store.v3_size_bytes() == 0);
    REQUIRE(v3_put(store, "key", "value").status.is_ok());
    CHECK(store.v3_size_bytes() == 8);
    REQUIRE(v3_put(store, "key", "v").status.is_ok());
    CHECK(store.v3_size_bytes() == 12);
    REQUIRE(v3_delete(store, "key").status.is_ok());
    CHECK(store.v3_size_bytes() == 15);
}

TEST_CASE("v3 keyspace: v3 writes leave the v2 index alone", "[kv]") {
    Store store;
    REQUIRE(v3_put(store, "a", "1").status.is_ok());
    CHECK(store.current_index() == 0);
    REQUIRE_FALSE(apply(store, put("/v2", "x")).error);
    CHECK(store.current_index() == 1);
    CHECK(store.v3_revision() == 2);
}

}  // namespace
}  // namespace consensus::kv::test
