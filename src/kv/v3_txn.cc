#include "kv/v3_txn.h"

#include <string>
#include <utility>

#include "consensus/assert.h"
#include "kv/v3_errors.h"
#include "kv/v3_key_range.h"
#include "kv/v3_range.h"

namespace consensus::kv {
namespace {

using service::v3::Compare;
using service::v3::RequestOp;
using service::v3::ResponseOp;
using service::v3::TxnRequest;
using service::v3::TxnResponse;

/// A nested transaction's request; a kTxn op without one counts as the empty
/// transaction (which succeeds and does nothing) rather than a crash.
const TxnRequest& nested_request(const RequestOp& op) {
    static const TxnRequest kEmpty;
    return op.txn.empty() ? kEmpty : op.txn.front();
}

/// The taken branch of every transaction, nested ones included, in pre-order (etcd's
/// txnPath): true = success.
using TxnPath = std::vector<bool>;

int compare_numbers(std::int64_t actual, std::int64_t wanted) {
    return actual < wanted ? -1 : (actual > wanted ? 1 : 0);
}

/// [etcd: apply.go compareKV] a missing key compares as the zero KeyValue.
bool compare_record(const Compare& compare, const V3Record* record) {
    static const V3Record kMissing;
    const V3Record& kv = record == nullptr ? kMissing : *record;
    int result = 0;
    switch (compare.target) {
        case Compare::Target::kValue: {
            const int order = kv.value.compare(compare.target_value);
            result = order < 0 ? -1 : (order > 0 ? 1 : 0);
            break;
        }
        case Compare::Target::kCreate:
            result = compare_numbers(kv.create_revision, compare.target_number);
            break;
        case Compare::Target::kMod:
            result = compare_numbers(kv.mod_revision, compare.target_number);
            break;
        case Compare::Target::kVersion:
            result = compare_numbers(kv.version, compare.target_number);
            break;
        case Compare::Target::kLease:
            result = compare_numbers(kv.lease, compare.target_number);
            break;
    }
    switch (compare.result) {
        case Compare::Result::kEqual:
            return result == 0;
        case Compare::Result::kNotEqual:
            return result != 0;
        case Compare::Result::kGreater:
            return result > 0;
        case Compare::Result::kLess:
            return result < 0;
    }
    return true;
}

void compare_to_path(const V3Keyspace& keyspace, const TxnRequest& request, TxnPath* path) {
    bool succeeded = true;
    for (const Compare& compare : request.compare) {
        if (!v3_compare_holds(keyspace, compare, keyspace.revision())) {
            succeeded = false;
            break;
        }
    }
    path->push_back(succeeded);
    for (const RequestOp& op : succeeded ? request.success : request.failure) {
        if (op.kind == RequestOp::Kind::kTxn) compare_to_path(keyspace, nested_request(op), path);
    }
}

/// [etcd: apply.go isTxnReadonly] only ranges, in both branches.
bool is_read_only(const TxnRequest& request) {
    for (const auto* ops : {&request.success, &request.failure}) {
        for (const RequestOp& op : *ops) {
            if (op.kind != RequestOp::Kind::kRange) return false;
        }
    }
    return true;
}

/// The checks made before anything is applied, against the state before the txn.
class Checker {
public:
    Checker(const V3Keyspace& keyspace, const V3Leases& leases, bool lease_first)
        : keyspace_(keyspace), leases_(leases), lease_first_(lease_first) {}

    /// [etcd: apply.go checkRequests] walks the taken path; `cursor` is the position in
    /// `path` of `request`'s own entry.
    Status check(const TxnRequest& request, const TxnPath& path, std::size_t* cursor,
                 bool puts) const {
        const bool succeeded = path[(*cursor)++];
        for (const RequestOp& op : succeeded ? request.success : request.failure) {
            Status status = op.kind == RequestOp::Kind::kTxn
                                ? check(nested_request(op), path, cursor, puts)
                                : (puts ? check_put(op) : check_range(op));
            if (!status.is_ok()) return status;
        }
        return Status::ok();
    }

private:
    Status check_put(const RequestOp& op) const {
        if (op.kind != RequestOp::Kind::kPut) return Status::ok();
        const service::v3::PutRequest& put = op.put;
        const bool lease_missing = put.lease != 0 && !leases_.exists(put.lease);
        if (lease_first_ && lease_missing) return v3_lease_not_found_error();
        if ((put.ignore_value || put.ignore_lease) &&
            keyspace_.find(put.key, keyspace_.revision()) == nullptr) {
            return v3_key_not_found_error();
        }
        if (lease_missing) return v3_lease_not_found_error();
        return Status::ok();
    }

    /// [etcd: apply.go checkRequestRange] only revision 0 means "current" here, so a
    /// negative revision inside a txn is below the compacted revision (as in etcd).
    Status check_range(const RequestOp& op) const {
        if (op.kind != RequestOp::Kind::kRange || op.range.revision == 0) return Status::ok();
        if (op.range.revision > keyspace_.revision()) return v3_future_revision_error();
        if (op.range.revision < keyspace_.compact_revision()) return v3_compacted_error();
        return Status::ok();
    }

    const V3Keyspace& keyspace_;
    const V3Leases& leases_;
    const bool lease_first_;
};

/// Runs the ops of the taken path in one write transaction (or none, read-only).
class Runner {
public:
    Runner(V3Keyspace& keyspace, V3WriteTxn* write) : keyspace_(keyspace), write_(write) {}

    void run(const TxnRequest& request, const TxnPath& path, std::size_t* cursor,
             TxnResponse* response) {
        response->succeeded = path[(*cursor)++];
        const auto& ops = response->succeeded ? request.success : request.failure;
        response->responses.reserve(ops.size());
        for (const RequestOp& op : ops) {
            response->responses.emplace_back();
            ResponseOp& result = response->responses.back();
            result.kind = op.kind;
            switch (op.kind) {
                case RequestOp::Kind::kRange:
                    run_range(op.range, &result);
                    break;
                case RequestOp::Kind::kPut:
                    run_put(op.put, &result);
                    break;
                case RequestOp::Kind::kDeleteRange:
                    run_delete(op.delete_range, &result);
                    break;
                case RequestOp::Kind::kTxn:
                    result.txn.emplace_back();
                    run(nested_request(op), path, cursor, &result.txn.back());
                    break;
            }
        }
    }

private:
    std::int64_t read_revision() const {
        return write_ != nullptr ? write_->read_revision() : keyspace_.revision();
    }

    void run_range(const service::v3::RangeRequest& request, ResponseOp* result) {
        const std::int64_t revision = read_revision();
        Result<service::v3::RangeResponse> range = v3_range(keyspace_, request, revision);
        // The checker refused every revision this read could fail on.
        CONSENSUS_ASSERT(range.is_ok());
        result->range = std::move(range.value());
        result->revision = revision;
    }

    void run_put(const service::v3::PutRequest& request, ResponseOp* result) {
        CONSENSUS_ASSERT(write_ != nullptr);
        std::string value = request.value;
        std::int64_t lease = request.lease;
        // [etcd: apply.go Put] ignore_value and ignore_lease take the key's current
        // value and lease. The checker made sure the key existed before the txn; the
        // duplicate-key rule keeps an earlier op of the same txn from deleting it.
        if (const V3Record* current = keyspace_.find(request.key, read_revision())) {
            if (request.ignore_value) value = current->value;
            if (request.ignore_lease) lease = current->lease;
            if (request.prev_kv) result->put.prev_kv = to_key_value(request.key, *current);
        }
        result->revision = write_->put(request.key, std::move(value), lease);
    }

    void run_delete(const service::v3::DeleteRangeRequest& request, ResponseOp* result) {
        CONSENSUS_ASSERT(write_ != nullptr);
        const V3KeyRange range{request.key, request.range_end};
        if (request.prev_kv) {
            keyspace_.visit_range(
                range, read_revision(), [result](const std::string& key, const V3Record& record) {
                    result->delete_range.prev_kvs.push_back(to_key_value(key, record));
                    return true;
                });
        }
        result->delete_range.deleted = write_->delete_range(range, &result->revision);
    }

    V3Keyspace& keyspace_;
    V3WriteTxn* write_;
};

}  // namespace

bool v3_compare_holds(const V3Keyspace& keyspace, const Compare& compare, std::int64_t revision) {
    bool any = false;
    bool holds = true;
    keyspace.visit_range(V3KeyRange{compare.key, compare.range_end}, revision,
                         [&](const std::string&, const V3Record& record) {
                             any = true;
                             holds = compare_record(compare, &record);
                             return holds;
                         });
    if (any) return holds;
    // [etcd: apply.go applyCompare] nil and "" are the same value in gRPC, so a value
    // compare on a missing key always fails; the others compare against zero.
    if (compare.target == Compare::Target::kValue) return false;
    return compare_record(compare, nullptr);
}

V3TxnOutcome apply_v3_txn(V3Keyspace& keyspace, V3Leases& leases, const TxnRequest& request,
                          RequestOp::Kind op) {
    V3TxnOutcome outcome;
    TxnPath path;
    compare_to_path(keyspace, request, &path);
    const bool read_only = is_read_only(request);
    const Checker checker(keyspace, leases, op == RequestOp::Kind::kPut);
    for (const bool puts : {true, false}) {
        if (puts && read_only) continue;
        std::size_t cursor = 0;
        outcome.status = checker.check(request, path, &cursor, puts);
        if (!outcome.status.is_ok()) return outcome;
    }
    std::size_t cursor = 0;
    if (read_only) {
        Runner(keyspace, nullptr).run(request, path, &cursor, &outcome.response);
        return outcome;
    }
    V3WriteTxn write(keyspace, leases);
    Runner(keyspace, &write).run(request, path, &cursor, &outcome.response);
    outcome.changes = write.end();
    return outcome;
}

}  // namespace consensus::kv
