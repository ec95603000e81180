// The checks etcd's gRPC layer makes before proposing a v3 request: each rule, the
// order the rules are applied in, and checkIntervals' corner cases (nested txns,
// deletes covering puts, then/else branches).

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "kv/command.h"
#include "kv/v3_validate.h"

namespace consensus::kv::test {
namespace {

namespace v3 = service::v3;

constexpr const char* kEmptyKey = "etcdserver: key is not provided";
constexpr const char* kKeyNotFound = "etcdserver: key not found";
constexpr const char* kValueProvided = "etcdserver: value is provided";
constexpr const char* kLeaseProvided = "etcdserver: lease is provided";
constexpr const char* kTooManyOps = "etcdserver: too many operations in txn request";
constexpr const char* kDuplicateKey = "etcdserver: duplicate key given in txn request";
constexpr const char* kInvalidSortOption = "etcdserver: invalid sort option";
constexpr const char* kInvalidCompareOption = "etcdserver: invalid compare option";

/// Checks `status` is etcd's InvalidArgument with exactly `message`.
void check_invalid(const Status& status, const char* message) {
    REQUIRE_FALSE(status.is_ok());
    CHECK(status.code() == StatusCode::kInvalidArgument);
    CHECK(status.message() == message);
}

v3::RequestOp range(std::string key) {
    v3::RequestOp op;
    op.kind = v3::RequestOp::Kind::kRange;
    op.range.key = std::move(key);
    return op;
}

v3::RequestOp put(std::string key) {
    v3::RequestOp op;
    op.kind = v3::RequestOp::Kind::kPut;
    op.put.key = std::move(key);
    op.put.value = "v";
    return op;
}

v3::RequestOp del(std::string key, std::string range_end = "") {
    v3::RequestOp op;
    op.kind = v3::RequestOp::Kind::kDeleteRange;
    op.delete_range.key = std::move(key);
    op.delete_range.range_end = std::move(range_end);
    return op;
}

v3::RequestOp txn(std::vector<v3::RequestOp> success, std::vector<v3::RequestOp> failure = {}) {
    v3::RequestOp op;
    op.kind = v3::RequestOp::Kind::kTxn;
    v3::TxnRequest nested;
    nested.success = std::move(success);
    nested.failure = std::move(failure);
    op.txn.push_back(std::move(nested));
    return op;
}

v3::TxnRequest txn_request(std::vector<v3::RequestOp> success,
                           std::vector<v3::RequestOp> failure = {}) {
    v3::TxnRequest request;
    request.success = std::move(success);
    request.failure = std::move(failure);
    return request;
}

v3::Compare compare(std::string key) {
    v3::Compare result;
    result.key = std::move(key);
    return result;
}

// -- range, put, delete_range ------------------------------------------------------

TEST_CASE("v3 validate: a range is refused when its key is empty", "[kv]") {
    v3::RangeRequest request;
    check_invalid(validate_range(request), kEmptyKey);
    request.range_end = "z";  // a range_end does not stand in for the key
    check_invalid(validate_range(request), kEmptyKey);
    request.key = std::string(1, '\0');
    CHECK(validate_range(request).is_ok());
}

TEST_CASE("v3 validate: a range is refused when a sort option is out of range", "[kv]") {
    v3::RangeRequest request;
    request.key = "k";
    request.sort_order = v3::SortOrder::kDescend;
    request.sort_target = v3::SortTarget::kValue;
    CHECK(validate_range(request).is_ok());
    request.sort_order = static_cast<v3::SortOrder>(3);
    check_invalid(validate_range(request), kInvalidSortOption);
    request.sort_order = static_cast<v3::SortOrder>(-1);
    check_invalid(validate_range(request), kInvalidSortOption);
    request.sort_order = v3::SortOrder::kNone;
    request.sort_target = static_cast<v3::SortTarget>(5);
    check_invalid(validate_range(request), kInvalidSortOption);
    // The key is checked first.
    request.key.clear();
    check_invalid(validate_range(request), kEmptyKey);
}

TEST_CASE("v3 validate: a put is refused when its key is empty", "[kv]") {
    v3::PutRequest request;
    request.value = "x";
    check_invalid(validate_put(request), kEmptyKey);
    // The key is checked before the ignore_ flags.
    request.ignore_value = true;
    request.ignore_lease = true;
    request.lease = 7;
    check_invalid(validate_put(request), kEmptyKey);
}

TEST_CASE("v3 validate: a put is refused when ignore_value comes with a value", "[kv]") {
    v3::PutRequest request;
    request.key = "k";
    request.ignore_value = true;
    CHECK(validate_put(request).is_ok());
    request.value = "x";
    check_invalid(validate_put(request), kValueProvided);
    // A value without ignore_value is an ordinary put.
    request.ignore_value = false;
    CHECK(validate_put(request).is_ok());
}

TEST_CASE("v3 validate: a put is refused when ignore_lease comes with a lease", "[kv]") {
    v3::PutRequest request;
    request.key = "k";
    request.value = "v";
    request.ignore_lease = true;
    CHECK(validate_put(request).is_ok());
    request.lease = 1;
    check_invalid(validate_put(request), kLeaseProvided);
    request.lease = -1;
    check_invalid(validate_put(request), kLeaseProvided);
    // Both wrong: the value is checked first, as etcd does.
    request.ignore_value = true;
    check_invalid(validate_put(request), kValueProvided);
    // A lease without ignore_lease is an ordinary put.
    request.ignore_value = false;
    request.ignore_lease = false;
    CHECK(validate_put(request).is_ok());
}

TEST_CASE("v3 validate: a delete_range is refused when its key is empty", "[kv]") {
    v3::DeleteRangeRequest request;
    check_invalid(validate_delete_range(request), kEmptyKey);
    request.range_end = std::string(1, '\0');
    check_invalid(validate_delete_range(request), kEmptyKey);
    request.key = "a";
    CHECK(validate_delete_range(request).is_ok());
}

// -- txn: counts and each op's own checks -------------------------------------------

TEST_CASE("v3 validate: a txn passes when it is empty", "[kv]") {
    CHECK(validate_txn(v3::TxnRequest{}).is_ok());
}

TEST_CASE("v3 validate: a txn is refused when a list holds more than max_txn_ops entries", "[kv]") {
    for (const char* list : {"compare", "success", "failure"}) {
        INFO(list);
        v3::TxnRequest request;
        const auto fill = [&](std::size_t count) {
            request = v3::TxnRequest{};
            for (std::size_t i = 0; i < count; ++i) {
                const std::string key = "k" + std::to_string(i);
                if (std::string(list) == "compare") request.compare.push_back(compare(key));
                if (std::string(list) == "success") request.success.push_back(put(key));
                if (std::string(list) == "failure") request.failure.push_back(put(key));
            }
        };
        fill(kV3MaxTxnOpsDefault);
        CHECK(validate_txn(request).is_ok());
        fill(kV3MaxTxnOpsDefault + 1);
        check_invalid(validate_txn(request), kTooManyOps);
    }
}

TEST_CASE("v3 validate: the lists count separately when each is within the limit", "[kv]") {
    // etcd counts the longest list, not the sum: 128 compares, 128 success and 128
    // failure ops pass together.
    v3::TxnRequest request;
    for (std::size_t i = 0; i < kV3MaxTxnOpsDefault; ++i) {
        request.compare.push_back(compare("c"));
        request.success.push_back(range("s"));
        request.failure.push_back(range("f"));
    }
    CHECK(validate_txn(request).is_ok());
}

TEST_CASE("v3 validate: max_txn_ops sets the limit when given", "[kv]") {
    const v3::TxnRequest request = txn_request({put("a"), put("b"), put("c")});
    CHECK(validate_txn(request, 3).is_ok());
    check_invalid(validate_txn(request, 2), kTooManyOps);
}

TEST_CASE("v3 validate: a nested txn gets what its parent leaves of the op budget", "[kv]") {
    // The parent holds one op (the nested txn), which leaves 127 for the nested one.
    std::vector<v3::RequestOp> ops;
    for (std::size_t i = 0; i + 1 < kV3MaxTxnOpsDefault; ++i) {
        ops.push_back(put("k" + std::to_string(i)));
    }
    CHECK(validate_txn(txn_request({txn(ops)})).is_ok());
    ops.push_back(put("one-more"));
    check_invalid(validate_txn(txn_request({txn(ops)})), kTooManyOps);

    // Ten parent ops leave 118.
    std::vector<v3::RequestOp> parent;
    for (int i = 0; i < 9; ++i) parent.push_back(range("r"));
    std::vector<v3::RequestOp> nested(kV3MaxTxnOpsDefault - 10, range("n"));
    parent.push_back(txn(nested));
    CHECK(validate_txn(txn_request(parent)).is_ok());
    parent.back().txn[0].failure.assign(kV3MaxTxnOpsDefault - 9, range("n"));
    check_invalid(validate_txn(txn_request(parent)), kTooManyOps);
}

v3::TxnRequest nested_to_depth(int depth) {
    v3::TxnRequest request;
    for (int level = 0; level < depth; ++level) {
        v3::TxnRequest outer;
        v3::RequestOp op;
        op.kind = v3::RequestOp::Kind::kTxn;
        op.txn.push_back(std::move(request));
        outer.success.push_back(std::move(op));
        request = std::move(outer);
    }
    return request;
}

TEST_CASE("v3 validate: nesting stops at the log format's limit when the budget allows more",
          "[kv]") {
    // With etcd's default budget every level costs one op, so 128 levels are the most
    // etcd accepts, and exactly what the command format holds.
    CHECK(validate_txn(nested_to_depth(kV3TxnNestingMax)).is_ok());
    check_invalid(validate_txn(nested_to_depth(kV3TxnNestingMax + 1)), kTooManyOps);
    // A larger --max-txn-ops must not let a txn nest deeper than the log can carry.
    CHECK(validate_txn(nested_to_depth(kV3TxnNestingMax), 100000).is_ok());
    check_invalid(validate_txn(nested_to_depth(kV3TxnNestingMax + 1), 100000), kTooManyOps);
}

TEST_CASE("v3 validate: a txn is refused when any compare or op anywhere has an empty key",
          "[kv]") {
    v3::TxnRequest with_compare;
    with_compare.compare.push_back(compare(""));
    check_invalid(validate_txn(with_compare), kEmptyKey);
    check_invalid(validate_txn(txn_request({range("")})), kEmptyKey);
    check_invalid(validate_txn(txn_request({put("")})), kEmptyKey);
    check_invalid(validate_txn(txn_request({del("")})), kEmptyKey);
    check_invalid(validate_txn(txn_request({}, {put("")})), kEmptyKey);
    check_invalid(validate_txn(txn_request({txn({}, {txn({range("")})})})), kEmptyKey);
}

TEST_CASE("v3 validate: a txn applies each op's own rules when it holds ops", "[kv]") {
    v3::RequestOp with_value = put("k");
    with_value.put.ignore_value = true;
    check_invalid(validate_txn(txn_request({with_value})), kValueProvided);
    v3::RequestOp with_lease = put("k");
    with_lease.put.ignore_lease = true;
    with_lease.put.lease = 5;
    check_invalid(validate_txn(txn_request({}, {txn({with_lease})})), kLeaseProvided);
    v3::RequestOp badly_sorted = range("k");
    badly_sorted.range.sort_target = static_cast<v3::SortTarget>(9);
    check_invalid(validate_txn(txn_request({badly_sorted})), kInvalidSortOption);
}

TEST_CASE("v3 validate: a txn is refused when an op is of no known kind", "[kv]") {
    // etcd's answer to an op that carries no request ({} in the gateway's JSON).
    v3::RequestOp empty;
    empty.kind = static_cast<v3::RequestOp::Kind>(-1);
    check_invalid(validate_txn(txn_request({empty})), kKeyNotFound);
    empty.kind = static_cast<v3::RequestOp::Kind>(4);
    check_invalid(validate_txn(txn_request({}, {txn({empty})})), kKeyNotFound);
}

TEST_CASE("v3 validate: a txn is refused when a compare's result or target is out of range",
          "[kv]") {
    v3::TxnRequest request;
    request.compare.push_back(compare("k"));
    request.compare[0].result = v3::Compare::Result::kNotEqual;
    request.compare[0].target = v3::Compare::Target::kLease;
    CHECK(validate_txn(request).is_ok());
    request.compare[0].result = static_cast<v3::Compare::Result>(4);
    check_invalid(validate_txn(request), kInvalidCompareOption);
    request.compare[0].result = v3::Compare::Result::kEqual;
    request.compare[0].target = static_cast<v3::Compare::Target>(5);
    check_invalid(validate_txn(request), kInvalidCompareOption);
}

TEST_CASE("v3 validate: a txn op with no nested txn counts as an empty txn", "[kv]") {
    v3::RequestOp hollow;
    hollow.kind = v3::RequestOp::Kind::kTxn;
    CHECK(validate_txn(txn_request({hollow, put("a")})).is_ok());
}

TEST_CASE("v3 validate: the op checks come before the duplicate check when both fail", "[kv]") {
    // etcd runs checkTxnRequest over the whole tree before checkIntervals.
    check_invalid(validate_txn(txn_request({put("d"), put("d")}, {put("")})), kEmptyKey);
    std::vector<v3::RequestOp> many(kV3MaxTxnOpsDefault + 1, put("d"));
    check_invalid(validate_txn(txn_request(many)), kTooManyOps);
}

// -- txn: duplicate keys (checkIntervals) ---------------------------------------------

struct DuplicateCase {
    const char* name;
    v3::TxnRequest request;
    bool duplicate;
};

std::vector<DuplicateCase> duplicate_cases() {
    const std::string all_from_a(1, '\0');
    return {
        {"two puts of one key", txn_request({put("d"), put("d")}), true},
        {"puts of two keys", txn_request({put("a"), put("b")}), false},
        {"the same key in success and in failure", txn_request({put("d")}, {put("d")}), false},
        {"a duplicate in the failure branch", txn_request({put("a")}, {put("d"), put("d")}), true},
        {"a put and a delete of one key", txn_request({put("d"), del("d")}), true},
        {"a delete before a put of one key", txn_request({del("d"), put("d")}), true},
        {"a delete range covering a put", txn_request({del("a", "c"), put("b")}), true},
        {"a delete range starting at a put", txn_request({put("a"), del("a", "c")}), true},
        {"a put at a delete range's end", txn_request({del("a", "c"), put("c")}), false},
        {"a put just past a delete's key", txn_request({del("a"), put(std::string("a\0", 2))}),
         false},
        {"two overlapping deletes", txn_request({del("a", "z"), del("b"), range("b")}), false},
        {"a range and a put of one key", txn_request({range("d"), put("d")}), false},
        {"a delete range ending before it starts", txn_request({del("c", "a"), put("b")}), false},
        // etcd 3.4 compares range_end "\0" as a one-byte string, so the interval is
        // empty and never meets a put, though the store deletes every key from "a" on.
        {"a delete of every key from a on", txn_request({del("a", all_from_a), put("b")}), false},
        {"a put nested below a put of the same key", txn_request({put("d"), txn({put("d")})}),
         true},
        {"a put nested below a delete covering it", txn_request({del("a", "e"), txn({put("d")})}),
         true},
        {"a nested delete covering a later top-level put",
         txn_request({txn({del("a", "e")}), put("d")}), true},
        {"one key in a nested txn's then and else branches",
         txn_request({txn({put("d")}, {put("d")})}), false},
        {"one key in the else branches of two nested txns",
         txn_request({txn({}, {put("d")}), txn({}, {put("d")})}), true},
        {"one key in the then branches of two nested txns",
         txn_request({txn({put("d")}), txn({put("d")})}), true},
        {"a key an earlier nested txn put, in a later else branch",
         txn_request({txn({put("d")}), txn({put("x")}, {put("d")})}), true},
        {"an earlier nested delete before a later nested put",
         txn_request({txn({del("d")}), txn({put("d")})}), true},
        // Not checked by etcd: an earlier nested txn's puts against a later one's deletes.
        {"an earlier nested put before a later nested delete",
         txn_request({txn({put("d")}), txn({del("d")})}), false},
        {"a nested txn putting a key its own delete covers",
         txn_request({txn({del("d"), put("d")})}), true},
        {"a nested delete covering a put in the other branch",
         txn_request({txn({del("a", "e")}, {put("d")})}), false},
        {"a duplicate three levels down", txn_request({txn({txn({txn({put("d"), put("d")})})})}),
         true},
        {"a put three levels down under a top-level delete",
         txn_request({del("d"), txn({txn({txn({put("d")})})})}), true},
        {"a deep delete reaching up to a later put",
         txn_request({txn({txn({}, {del("a", "z")})}), put("q")}), true},
        {"the corpus: duplicate put", txn_request({put("d"), put("d")}), true},
    };
}

TEST_CASE("v3 validate: duplicate keys are found as etcd finds them when a txn writes twice",
          "[kv]") {
    for (const DuplicateCase& row : duplicate_cases()) {
        INFO(row.name);
        const Status status = validate_txn(row.request);
        if (row.duplicate) {
            check_invalid(status, kDuplicateKey);
        } else {
            CHECK(status.is_ok());
        }
    }
}

TEST_CASE("v3 validate: many disjoint deletes and puts are told apart when they interleave",
          "[kv]") {
    // Deletes [k000, k000\0), [k002, ...): the odd keys lie between them and are free.
    std::vector<v3::RequestOp> ops;
    for (int i = 0; i < 60; i += 2) ops.push_back(del("k" + std::to_string(100 + i)));
    for (int i = 1; i < 60; i += 2) ops.push_back(put("k" + std::to_string(100 + i)));
    CHECK(validate_txn(txn_request(ops)).is_ok());
    // Merging: two adjacent ranges cover their joint span and nothing past it.
    CHECK(validate_txn(txn_request({del("a", "c"), del("c", "e"), put("e")})).is_ok());
    check_invalid(validate_txn(txn_request({del("a", "c"), del("c", "e"), put("d")})),
                  kDuplicateKey);
    check_invalid(validate_txn(txn_request({del("c", "e"), del("a", "c"), put("c")})),
                  kDuplicateKey);
    check_invalid(validate_txn(txn_request({del("b", "d"), del("a", "z"), put("y")})),
                  kDuplicateKey);
    ops.push_back(put("k130"));
    check_invalid(validate_txn(txn_request(ops)), kDuplicateKey);
}

}  // namespace
}  // namespace consensus::kv::test
