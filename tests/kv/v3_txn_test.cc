// v3 transactions through kv::Store: compare semantics, branches, nested txns, the
// revisions each response shows, put's ignore_value / ignore_lease / prev_kv, and the
// state-dependent errors, checked against etcd 3.4's recorded answers
// (cases/v3/v3_txn_*.json, v3_put_ignore_*.json, v3_put_prev_kv.json).

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "kv/store.h"
#include "v3_test_support.h"

namespace consensus::kv::test {
namespace {

using CompareResult = v3::Compare::Result;
using Target = v3::Compare::Target;
using Kind = v3::RequestOp::Kind;

void require_invariants(const Store& store) {
    const Status status = store.check_invariants();
    INFO(status.to_string());
    REQUIRE(status.is_ok());
}

TEST_CASE("v3 txn: the create-if-absent idiom succeeds once", "[kv]") {
    // cases/v3/v3_txn_revisions.json
    Store store;
    v3::TxnRequest txn;
    txn.compare.push_back(compare_number("lock", Target::kVersion, CompareResult::kEqual, 0));
    txn.success.push_back(put_op("lock", "owner1"));
    txn.failure.push_back(range_op("lock"));
    V3ApplyResult first = v3_txn(store, txn);
    REQUIRE(first.status.is_ok());
    CHECK(first.txn.succeeded);
    CHECK(first.revision == 2);
    REQUIRE(first.txn.responses.size() == 1);
    CHECK(first.txn.responses[0].kind == Kind::kPut);
    CHECK(first.txn.responses[0].revision == 2);

    txn.success[0].put.value = "owner2";
    V3ApplyResult second = v3_txn(store, txn);
    REQUIRE(second.status.is_ok());
    CHECK_FALSE(second.txn.succeeded);
    CHECK(second.revision == 2);
    REQUIRE(second.txn.responses.size() == 1);
    const v3::ResponseOp& range = second.txn.responses[0];
    CHECK(range.kind == Kind::kRange);
    CHECK(range.revision == 2);
    REQUIRE(range.range.kvs.size() == 1);
    CHECK(range.range.kvs[0].value == "owner1");
    CHECK(range.range.count == 1);
    require_invariants(store);
}

TEST_CASE("v3 txn: version, create and mod compare 0 on a missing key", "[kv]") {
    Store store;
    struct Row {
        Target target;
        CompareResult result;
        std::int64_t number;
        bool holds;
    };
    const std::vector<Row> rows = {
        {Target::kVersion, CompareResult::kEqual, 0, true},
        {Target::kCreate, CompareResult::kEqual, 0, true},
        {Target::kMod, CompareResult::kGreater, 0, false},
        {Target::kMod, CompareResult::kLess, 1, true},
        {Target::kLease, CompareResult::kEqual, 0, true},
        {Target::kVersion, CompareResult::kNotEqual, 0, false},
    };
    for (const Row& row : rows) {
        INFO("target " << static_cast<int>(row.target) << " result " << static_cast<int>(row.result)
                       << " number " << row.number);
        v3::TxnRequest txn;
        txn.compare.push_back(compare_number("missing", row.target, row.result, row.number));
        const V3ApplyResult result = v3_txn(store, txn);
        REQUIRE(result.status.is_ok());
        CHECK(result.txn.succeeded == row.holds);
    }
}

TEST_CASE("v3 txn: a value compare on a missing key is false, even against the empty value",
          "[kv]") {
    Store store;
    for (const CompareResult result : {CompareResult::kEqual, CompareResult::kNotEqual,
                                       CompareResult::kLess, CompareResult::kGreater}) {
        v3::TxnRequest txn;
        txn.compare.push_back(compare_value("missing", result, ""));
        CHECK_FALSE(v3_txn(store, txn).txn.succeeded);
    }
    // An existing key with an empty value does equal "".
    REQUIRE(v3_put(store, "empty", "").status.is_ok());
    v3::TxnRequest txn;
    txn.compare.push_back(compare_value("empty", CompareResult::kEqual, ""));
    CHECK(v3_txn(store, txn).txn.succeeded);
}

TEST_CASE("v3 txn: value compares are bytewise", "[kv]") {
    // cases/v3/v3_txn_value.json: "2" > "10" as bytes.
    Store store;
    REQUIRE(v3_put(store, "t", "2").status.is_ok());
    v3::TxnRequest txn;
    txn.compare.push_back(compare_value("t", CompareResult::kGreater, "10"));
    CHECK(v3_txn(store, txn).txn.succeeded);
    txn.compare[0] = compare_value("t", CompareResult::kLess, "\xff");
    CHECK(v3_txn(store, txn).txn.succeeded);
}

TEST_CASE("v3 txn: a compare with range_end must hold for every key in the range", "[kv]") {
    Store store;
    REQUIRE(v3_put(store, "r/a", "1").status.is_ok());
    REQUIRE(v3_put(store, "r/b", "1").status.is_ok());
    REQUIRE(v3_put(store, "r/b", "2").status.is_ok());
    v3::Compare compare = compare_number("r/", Target::kVersion, CompareResult::kGreater, 0);
    compare.range_end = "r0";
    v3::TxnRequest txn;
    txn.compare.push_back(compare);
    CHECK(v3_txn(store, txn).txn.succeeded);
    txn.compare[0].result = CompareResult::kEqual;
    txn.compare[0].target_number = 1;
    CHECK_FALSE(v3_txn(store, txn).txn.succeeded);
    // An empty range compares like a missing key.
    txn.compare[0] = compare_number("s/", Target::kVersion, CompareResult::kEqual, 0);
    txn.compare[0].range_end = "s0";
    CHECK(v3_txn(store, txn).txn.succeeded);
}

TEST_CASE("v3 txn: mod_revision and version compares", "[kv]") {
    // cases/v3/v3_txn_revisions.json
    Store store;
    REQUIRE(v3_put(store, "m", "1").revision == 2);
    v3::TxnRequest txn;
    txn.compare.push_back(compare_number("m", Target::kMod, CompareResult::kLess, 3));
    txn.success.push_back(put_op("m", "2"));
    V3ApplyResult result = v3_txn(store, txn);
    CHECK(result.txn.succeeded);
    CHECK(result.revision == 3);

    txn = {};
    txn.compare.push_back(compare_number("m", Target::kVersion, CompareResult::kGreater, 1));
    txn.success.push_back(range_op("m"));
    result = v3_txn(store, txn);
    CHECK(result.txn.succeeded);
    CHECK(result.revision == 3);
    const v3::RangeResponse& range = result.txn.responses.at(0).range;
    REQUIRE(range.kvs.size() == 1);
    CHECK(range.kvs[0].create_revision == 2);
    CHECK(range.kvs[0].mod_revision == 3);
    CHECK(range.kvs[0].version == 2);
}

TEST_CASE("v3 txn: the empty txn succeeds and writes nothing", "[kv]") {
    Store store;
    const V3ApplyResult result = v3_txn(store, {});
    REQUIRE(result.status.is_ok());
    CHECK(result.txn.succeeded);
    CHECK(result.txn.responses.empty());
    CHECK(result.revision == 1);
}

TEST_CASE("v3 txn: a write txn takes one revision, each write a sub revision", "[kv]") {
    Store store;
    REQUIRE(v3_put(store, "old", "x").revision == 2);
    v3::TxnRequest txn;
    txn.success.push_back(range_op("a"));  // before any change: the old revision
    txn.success.push_back(put_op("a", "1"));
    txn.success.push_back(range_op("a"));  // after a change: the new one, and sees it
    txn.success.push_back(put_op("b", "2"));
    txn.success.push_back(delete_op("old"));
    txn.success.push_back(delete_op("none"));  // a miss after changes: the new revision
    const V3ApplyResult result = v3_txn(store, txn);
    REQUIRE(result.status.is_ok());
    CHECK(result.revision == 3);
    const auto& responses = result.txn.responses;
    REQUIRE(responses.size() == 6);
    CHECK(responses[0].revision == 2);
    CHECK(responses[0].range.kvs.empty());
    CHECK(responses[1].revision == 3);
    CHECK(responses[2].revision == 3);
    REQUIRE(responses[2].range.kvs.size() == 1);
    CHECK(responses[2].range.kvs[0].mod_revision == 3);
    CHECK(responses[3].revision == 3);
    CHECK(responses[4].revision == 3);
    CHECK(responses[4].delete_range.deleted == 1);
    CHECK(responses[5].revision == 3);
    CHECK(responses[5].delete_range.deleted == 0);
    CHECK(v3_get(store, "a").kvs.at(0).mod_revision == 3);
    CHECK(v3_get(store, "b").kvs.at(0).mod_revision == 3);
    require_invariants(store);
}

TEST_CASE("v3 txn: a txn whose writes change nothing uses no revision", "[kv]") {
    Store store;
    REQUIRE(v3_put(store, "a", "1").revision == 2);
    v3::TxnRequest txn;
    txn.success.push_back(delete_op("missing"));
    txn.success.push_back(range_op("a"));
    const V3ApplyResult result = v3_txn(store, txn);
    REQUIRE(result.status.is_ok());
    CHECK(result.revision == 2);
    CHECK(result.txn.responses.at(0).revision == 2);
    CHECK(result.txn.responses.at(1).revision == 2);
}

TEST_CASE("v3 txn: the failure branch runs when a compare fails", "[kv]") {
    // cases/v3/v3_txn_lease_nested.json "lease EQUAL 0 fails"
    Store store;
    REQUIRE(v3_grant(store, 77, 60).status.is_ok());
    REQUIRE(v3_put(store, "l", "x", 77).revision == 2);
    v3::TxnRequest txn;
    txn.compare.push_back(compare_number("l", Target::kLease, CompareResult::kEqual, 77));
    txn.success.push_back(range_op("l"));
    V3ApplyResult result = v3_txn(store, txn);
    CHECK(result.txn.succeeded);
    CHECK(result.txn.responses.at(0).range.kvs.at(0).lease == 77);

    txn = {};
    txn.compare.push_back(compare_number("l", Target::kLease, CompareResult::kEqual, 0));
    txn.failure.push_back(put_op("n", "1"));
    result = v3_txn(store, txn);
    CHECK_FALSE(result.txn.succeeded);
    CHECK(result.revision == 3);
    CHECK(result.txn.responses.at(0).kind == Kind::kPut);
    CHECK(result.txn.responses.at(0).revision == 3);
}

TEST_CASE("v3 txn: nested txns take their own branch and share the revision", "[kv]") {
    // cases/v3/v3_txn_nested_b.json
    Store store;
    REQUIRE(v3_put(store, "a", "1").revision == 2);
    v3::TxnRequest inner;
    inner.compare.push_back(compare_value("a", CompareResult::kEqual, "2"));
    inner.failure.push_back(range_op("b"));
    v3::TxnRequest outer;
    outer.compare.push_back(compare_value("a", CompareResult::kEqual, "1"));
    outer.success.push_back(put_op("b", "1"));
    outer.success.push_back(txn_op(inner));
    const V3ApplyResult result = v3_txn(store, outer);
    REQUIRE(result.status.is_ok());
    CHECK(result.txn.succeeded);
    CHECK(result.revision == 3);
    REQUIRE(result.txn.responses.size() == 2);
    CHECK(result.txn.responses[0].revision == 3);
    const v3::ResponseOp& nested = result.txn.responses[1];
    CHECK(nested.kind == Kind::kTxn);
    CHECK(nested.revision == 0);
    REQUIRE(nested.txn.size() == 1);
    CHECK_FALSE(nested.txn[0].succeeded);
    REQUIRE(nested.txn[0].responses.size() == 1);
    const v3::ResponseOp& range = nested.txn[0].responses[0];
    CHECK(range.revision == 3);
    REQUIRE(range.range.kvs.size() == 1);
    CHECK(range.range.kvs[0].key == "b");
    CHECK(range.range.kvs[0].create_revision == 3);
}

TEST_CASE("v3 txn: nested compares see the state before the txn", "[kv]") {
    // [etcd: apply.go compareToPath] every compare is evaluated before any op runs.
    Store store;
    v3::TxnRequest inner;
    inner.compare.push_back(compare_number("k", Target::kVersion, CompareResult::kEqual, 0));
    inner.success.push_back(put_op("seen-missing", "1"));
    inner.failure.push_back(put_op("seen-present", "1"));
    v3::TxnRequest outer;
    outer.success.push_back(put_op("k", "1"));
    outer.success.push_back(txn_op(inner));
    const V3ApplyResult result = v3_txn(store, outer);
    REQUIRE(result.status.is_ok());
    CHECK(result.txn.responses.at(1).txn.at(0).succeeded);
    CHECK(v3_get(store, "seen-missing").count == 1);
    CHECK(v3_get(store, "seen-present").count == 0);
}

TEST_CASE("v3 txn: nested delete with prev_kv", "[kv]") {
    // cases/v3/v3_txn_lease_nested.json "nested txn"
    Store store;
    REQUIRE(v3_put(store, "n", "1").revision == 2);
    v3::TxnRequest inner;
    inner.compare.push_back(compare_value("n", CompareResult::kEqual, "1"));
    inner.success.push_back(delete_op("n", "", true));
    v3::TxnRequest outer;
    outer.success.push_back(txn_op(inner));
    const V3ApplyResult result = v3_txn(store, outer);
    CHECK(result.revision == 3);
    const v3::ResponseOp& deleted = result.txn.responses.at(0).txn.at(0).responses.at(0);
    CHECK(deleted.revision == 3);
    CHECK(deleted.delete_range.deleted == 1);
    REQUIRE(deleted.delete_range.prev_kvs.size() == 1);
    CHECK(deleted.delete_range.prev_kvs[0].create_revision == 2);
    CHECK(deleted.delete_range.prev_kvs[0].value == "1");
}

TEST_CASE("v3 txn: put prev_kv returns the previous state, none for a new key", "[kv]") {
    Store store;
    v3::PutRequest put;
    put.key = "p";
    put.value = "1";
    put.prev_kv = true;
    V3ApplyResult result = v3_put(store, put);
    CHECK_FALSE(result.txn.responses.at(0).put.prev_kv.has_value());
    put.value = "2";
    result = v3_put(store, put);
    const auto& prev = result.txn.responses.at(0).put.prev_kv;
    REQUIRE(prev.has_value());
    CHECK(prev->value == "1");
    CHECK(prev->mod_revision == 2);
    CHECK(prev->version == 1);
}

TEST_CASE("v3 txn: ignore_value keeps the value and needs the key", "[kv]") {
    // cases/v3/v3_put_ignore_value.json
    Store store;
    v3::PutRequest put;
    put.key = "iv";
    put.ignore_value = true;
    V3ApplyResult result = v3_put(store, put);
    CHECK(result.status.code() == StatusCode::kInvalidArgument);
    CHECK(result.status.message() == "etcdserver: key not found");
    CHECK(result.revision == 1);

    REQUIRE(v3_put(store, "iv", "orig").revision == 2);
    put.prev_kv = true;
    result = v3_put(store, put);
    REQUIRE(result.status.is_ok());
    CHECK(result.revision == 3);
    REQUIRE(result.txn.responses.at(0).put.prev_kv.has_value());
    CHECK(result.txn.responses.at(0).put.prev_kv->value == "orig");
    const v3::KeyValue kv = v3_get(store, "iv").kvs.at(0);
    CHECK(kv.value == "orig");
    CHECK(kv.version == 2);
    CHECK(kv.mod_revision == 3);
}

TEST_CASE("v3 txn: ignore_lease keeps the lease; a plain put detaches it", "[kv]") {
    // cases/v3/v3_put_ignore_lease.json
    Store store;
    REQUIRE(v3_grant(store, 5, 60).status.is_ok());
    REQUIRE(v3_put(store, "il", "a", 5).status.is_ok());
    v3::PutRequest put;
    put.key = "il";
    put.value = "b";
    put.ignore_lease = true;
    REQUIRE(v3_put(store, put).status.is_ok());
    v3::KeyValue kv = v3_get(store, "il").kvs.at(0);
    CHECK(kv.lease == 5);
    CHECK(kv.value == "b");

    put.key = "nokey";
    const V3ApplyResult missing = v3_put(store, put);
    CHECK(missing.status.code() == StatusCode::kInvalidArgument);
    CHECK(missing.status.message() == "etcdserver: key not found");

    REQUIRE(v3_put(store, "il", "d").status.is_ok());
    kv = v3_get(store, "il").kvs.at(0);
    CHECK(kv.lease == 0);
    CHECK(kv.version == 3);
    v3::LeaseTimeToLiveRequest ttl;
    ttl.id = 5;
    ttl.keys = true;
    CHECK(store.v3_lease_time_to_live(ttl, kNow).keys.empty());
    require_invariants(store);
}

TEST_CASE("v3 txn: a put naming an unknown lease is refused", "[kv]") {
    Store store;
    const V3ApplyResult result = v3_put(store, "k", "v", 1234567);
    CHECK(result.status.code() == StatusCode::kNotFound);
    CHECK(result.status.message() == "etcdserver: requested lease not found");
    CHECK(result.revision == 1);
    CHECK(v3_get(store, "k").count == 0);
}

TEST_CASE("v3 txn: a lone put checks the lease first, a txn the key first", "[kv]") {
    // [etcd: apply.go Put vs checkRequestPut] the two paths check in opposite orders.
    Store store;
    v3::PutRequest put;
    put.key = "missing";
    put.ignore_value = true;
    put.lease = 42;
    CHECK(v3_put(store, put).status.message() == "etcdserver: requested lease not found");
    v3::TxnRequest txn;
    txn.success.push_back(put_op("missing", "", 42));
    txn.success[0].put.ignore_value = true;
    CHECK(v3_txn(store, txn).status.message() == "etcdserver: key not found");
}

TEST_CASE("v3 txn: a refused op refuses the whole txn and changes nothing", "[kv]") {
    Store store;
    v3::TxnRequest txn;
    txn.success.push_back(put_op("a", "1"));
    txn.success.push_back(put_op("b", "1", 99));
    const V3ApplyResult result = v3_txn(store, txn);
    CHECK(result.status.code() == StatusCode::kNotFound);
    CHECK(result.revision == 1);
    CHECK(v3_get(store, "a").count == 0);
    require_invariants(store);
}

TEST_CASE("v3 txn: only the taken branch is checked", "[kv]") {
    Store store;
    v3::TxnRequest txn;
    txn.compare.push_back(compare_number("x", Target::kVersion, CompareResult::kEqual, 0));
    txn.success.push_back(put_op("a", "1"));
    txn.failure.push_back(put_op("b", "1", 99));  // unknown lease, but not taken
    const V3ApplyResult result = v3_txn(store, txn);
    REQUIRE(result.status.is_ok());
    CHECK(result.revision == 2);
}

TEST_CASE("v3 txn: ranges inside a txn refuse future and compacted revisions", "[kv]") {
    Store store;
    for (int i = 0; i < 3; ++i) REQUIRE(v3_put(store, "k", std::to_string(i)).status.is_ok());
    REQUIRE(v3_compact(store, 3).status.is_ok());
    struct Row {
        std::int64_t revision;
        const char* message;
    };
    const std::vector<Row> rows = {
        {5, "etcdserver: mvcc: required revision is a future revision"},
        {2, "etcdserver: mvcc: required revision has been compacted"},
        // Only 0 means "current" inside a txn [etcd: apply.go checkRequestRange].
        {-1, "etcdserver: mvcc: required revision has been compacted"},
    };
    for (const Row& row : rows) {
        INFO("revision " << row.revision);
        v3::TxnRequest txn;
        txn.success.push_back(put_op("other", "x"));
        txn.success.push_back(range_op("k"));
        txn.success[1].range.revision = row.revision;
        const V3ApplyResult result = v3_txn(store, txn);
        CHECK(result.status.code() == StatusCode::kOutOfRange);
        CHECK(result.status.message() == row.message);
        CHECK(v3_get(store, "other").count == 0);
    }
    v3::TxnRequest txn;
    txn.success.push_back(range_op("k"));
    txn.success[0].range.revision = 3;
    const V3ApplyResult at_compact = v3_txn(store, txn);
    REQUIRE(at_compact.status.is_ok());
    CHECK(at_compact.txn.responses.at(0).range.kvs.at(0).value == "1");
}

TEST_CASE("v3 txn: a nested txn op without its request counts as the empty txn", "[kv]") {
    Store store;
    v3::RequestOp op;
    op.kind = Kind::kTxn;
    v3::TxnRequest txn;
    txn.success.push_back(op);
    // Straight to the store: the codec is not asked to carry this shape.
    Command command = v3_command(Command::Kind::kV3Txn);
    command.v3_txn = txn;
    const V3ApplyResult result = store.apply(command).v3;
    REQUIRE(result.status.is_ok());
    REQUIRE(result.txn.responses.size() == 1);
    REQUIRE(result.txn.responses[0].txn.size() == 1);
    CHECK(result.txn.responses[0].txn[0].succeeded);
}

}  // namespace
}  // namespace consensus::kv::test
