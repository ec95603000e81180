#include "kv/v3_validate.h"

#include <iterator>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "kv/command.h"
#include "kv/v3_errors.h"

namespace consensus::kv {
namespace {

namespace v3 = service::v3;

// etcd's texts [etcd: api/v3rpc/rpctypes/error.go].
constexpr const char* kEmptyKey = "etcdserver: key is not provided";
constexpr const char* kValueProvided = "etcdserver: value is provided";
constexpr const char* kLeaseProvided = "etcdserver: lease is provided";
constexpr const char* kTooManyOps = "etcdserver: too many operations in txn request";
constexpr const char* kDuplicateKey = "etcdserver: duplicate key given in txn request";
constexpr const char* kInvalidSortOption = "etcdserver: invalid sort option";
constexpr const char* kInvalidCompareOption = "etcdserver: invalid compare option";

Status invalid(const char* message) {
    return Status(StatusCode::kInvalidArgument, message);
}

bool in_range(int value, int last) {
    return value >= 0 && value <= last;
}

// An out-of-range compare would apply as whatever the store makes of it in etcd 3.4,
// which has no check; here it would also fail to decode from the log, so it is refused
// up front with a message in the style of the sort check.
Status validate_compare(const v3::Compare& compare) {
    if (compare.key.empty()) return invalid(kEmptyKey);
    if (!in_range(static_cast<int>(compare.result),
                  static_cast<int>(v3::Compare::Result::kNotEqual)) ||
        !in_range(static_cast<int>(compare.target),
                  static_cast<int>(v3::Compare::Target::kLease))) {
        return invalid(kInvalidCompareOption);
    }
    return Status::ok();
}

Status validate_txn_ops(const v3::TxnRequest& request, std::size_t max_txn_ops, int nesting);

// checkRequestOp: each op's own request check; a nested txn gets what its parent
// leaves of the op budget.
Status validate_op(const v3::RequestOp& op, std::size_t max_txn_ops, int nesting) {
    switch (op.kind) {
        case v3::RequestOp::Kind::kRange:
            return validate_range(op.range);
        case v3::RequestOp::Kind::kPut:
            return validate_put(op.put);
        case v3::RequestOp::Kind::kDeleteRange:
            return validate_delete_range(op.delete_range);
        case v3::RequestOp::Kind::kTxn: {
            // Each level of nesting costs its parent at least one op, so with etcd's
            // default budget the depth stays within kV3TxnNestingMax anyway; a larger
            // --max-txn-ops must not let a txn nest deeper than the log format holds.
            if (nesting + 1 > kV3TxnNestingMax) return invalid(kTooManyOps);
            static const v3::TxnRequest kEmptyTxn;
            const v3::TxnRequest& nested = op.txn.empty() ? kEmptyTxn : op.txn.front();
            return validate_txn_ops(nested, max_txn_ops, nesting + 1);
        }
    }
    // etcd answers an op that carries no request at all this way (the gateway's `{}`).
    return v3_key_not_found_error();
}

// checkTxnRequest: the largest of the three lists counts against the budget, which
// nested txns share (maxTxnOps - opc) [etcd: api/v3rpc/key.go].
Status validate_txn_ops(const v3::TxnRequest& request, std::size_t max_txn_ops, int nesting) {
    std::size_t op_count = request.compare.size();
    if (op_count < request.success.size()) op_count = request.success.size();
    if (op_count < request.failure.size()) op_count = request.failure.size();
    if (op_count > max_txn_ops) return invalid(kTooManyOps);
    for (const v3::Compare& compare : request.compare) {
        if (Status valid = validate_compare(compare); !valid.is_ok()) return valid;
    }
    const std::size_t nested_budget = max_txn_ops - op_count;
    for (const v3::RequestOp& op : request.success) {
        if (Status valid = validate_op(op, nested_budget, nesting); !valid.is_ok()) return valid;
    }
    for (const v3::RequestOp& op : request.failure) {
        if (Status valid = validate_op(op, nested_budget, nesting); !valid.is_ok()) return valid;
    }
    return Status::ok();
}

/// The keys a set of delete ranges covers: a union of half-open byte-string intervals
/// [begin, end), kept merged and disjoint so a point lookup is one map search. etcd
/// keeps an interval tree; for the only question asked (is this put key inside any
/// delete?) the union answers the same.
class DeletedKeys {
public:
    /// Adds what `request` deletes. Mirrors adt.NewStringAffineInterval/Point: no
    /// range_end is the single key; otherwise [key, range_end) compared bytewise, and an
    /// interval whose end is not above its begin covers nothing. That includes
    /// range_end "\0" ("every key from key on" for the store): etcd 3.4's interval
    /// compares it as the one-byte string, so it never overlaps a put key.
    void add(const v3::DeleteRangeRequest& request) {
        if (request.range_end.empty()) {
            add(request.key, request.key + '\0');
        } else if (request.key < request.range_end) {
            add(request.key, request.range_end);
        }
    }

    /// Adds every interval of `other` (etcd's dels.Union).
    void add_all(const DeletedKeys& other) {
        for (const auto& [begin, end] : other.intervals_) add(begin, end);
    }

    /// Whether `key` lies in some added interval (etcd's dels.Intersects of a point).
    bool covers(const std::string& key) const {
        auto after = intervals_.upper_bound(key);
        if (after == intervals_.begin()) return false;
        return key < std::prev(after)->second;
    }

private:
    void add(std::string begin, std::string end) {
        auto next = intervals_.upper_bound(begin);
        if (next != intervals_.begin()) {
            auto previous = std::prev(next);
            if (previous->second >= begin) {
                begin = previous->first;
                if (previous->second > end) end = previous->second;
                next = intervals_.erase(previous);
            }
        }
        while (next != intervals_.end() && next->first <= end) {
            if (next->second > end) end = next->second;
            next = intervals_.erase(next);
        }
        intervals_.emplace(std::move(begin), std::move(end));
    }

    /// begin -> end. Invariant: disjoint and non-adjacent, each begin < its end.
    std::map<std::string, std::string> intervals_;
};

struct WrittenKeys {
    std::set<std::string> puts;
    DeletedKeys deletes;
};

// checkIntervals, step for step [etcd: api/v3rpc/key.go]. Order matters and is etcd's:
// this level's deletes first; then each nested txn in turn, whose puts (then-branch,
// else-branch) must miss the puts and deletes gathered so far, after which its deletes
// join; then this level's puts. A nested txn's then and else branches may put the same
// key, since only one of them runs. A put in an earlier nested txn is not checked
// against the deletes of a later one, as in etcd.
bool collect_written_keys(const std::vector<v3::RequestOp>& ops, WrittenKeys* written) {
    for (const v3::RequestOp& op : ops) {
        if (op.kind == v3::RequestOp::Kind::kDeleteRange) written->deletes.add(op.delete_range);
    }
    for (const v3::RequestOp& op : ops) {
        if (op.kind != v3::RequestOp::Kind::kTxn || op.txn.empty()) continue;
        WrittenKeys then_keys;
        WrittenKeys else_keys;
        if (!collect_written_keys(op.txn.front().success, &then_keys)) return false;
        if (!collect_written_keys(op.txn.front().failure, &else_keys)) return false;
        for (const std::string& key : then_keys.puts) {
            if (written->puts.count(key) != 0 || written->deletes.covers(key)) return false;
            written->puts.insert(key);
        }
        for (const std::string& key : else_keys.puts) {
            const bool also_in_then = then_keys.puts.count(key) != 0;
            if (written->puts.count(key) != 0 && !also_in_then) return false;
            if (written->deletes.covers(key)) return false;
            written->puts.insert(key);
        }
        written->deletes.add_all(then_keys.deletes);
        written->deletes.add_all(else_keys.deletes);
    }
    for (const v3::RequestOp& op : ops) {
        if (op.kind != v3::RequestOp::Kind::kPut) continue;
        const std::string& key = op.put.key;
        if (written->puts.count(key) != 0 || written->deletes.covers(key)) return false;
        written->puts.insert(key);
    }
    return true;
}

bool writes_each_key_once(const std::vector<v3::RequestOp>& ops) {
    WrittenKeys written;
    return collect_written_keys(ops, &written);
}

}  // namespace

Status validate_range(const v3::RangeRequest& request) {
    if (request.key.empty()) return invalid(kEmptyKey);
    // etcd 3.5 added this check after an unknown sort target crashed the server
    // [etcd: issue 13554]; a crash is never the answer here.
    if (!in_range(static_cast<int>(request.sort_order),
                  static_cast<int>(v3::SortOrder::kDescend)) ||
        !in_range(static_cast<int>(request.sort_target),
                  static_cast<int>(v3::SortTarget::kValue))) {
        return invalid(kInvalidSortOption);
    }
    return Status::ok();
}

Status validate_put(const v3::PutRequest& request) {
    if (request.key.empty()) return invalid(kEmptyKey);
    if (request.ignore_value && !request.value.empty()) return invalid(kValueProvided);
    if (request.ignore_lease && request.lease != 0) return invalid(kLeaseProvided);
    return Status::ok();
}

Status validate_delete_range(const v3::DeleteRangeRequest& request) {
    if (request.key.empty()) return invalid(kEmptyKey);
    return Status::ok();
}

Status validate_txn(const v3::TxnRequest& request, std::size_t max_txn_ops) {
    if (Status valid = validate_txn_ops(request, max_txn_ops, 0); !valid.is_ok()) return valid;
    // The overlap check runs only on a request that passed the count checks, which
    // bound its size [etcd: kvServer.Txn, "to avoid quadratic blowup"].
    if (!writes_each_key_once(request.success)) return invalid(kDuplicateKey);
    if (!writes_each_key_once(request.failure)) return invalid(kDuplicateKey);
    return Status::ok();
}

}  // namespace consensus::kv
