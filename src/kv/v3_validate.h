#pragma once
/// The checks etcd's gRPC layer makes on a v3 KV request before proposing it
/// [etcd: server/etcdserver/api/v3rpc/key.go checkRangeRequest, checkPutRequest,
/// checkDeleteRequest, checkTxnRequest, checkRequestOp, checkIntervals]. A request that
/// fails them never reaches the log.
///
/// Every error is kInvalidArgument (gRPC code 3, HTTP 400) with etcd's exact text as
/// the message:
///   "etcdserver: key is not provided"      an empty key (an empty JSON body has one)
///   "etcdserver: value is provided"        ignore_value with a non-empty value
///   "etcdserver: lease is provided"        ignore_lease with a non-zero lease
///   "etcdserver: invalid sort option"      sort_order or sort_target out of range
///   "etcdserver: too many operations in txn request"
///   "etcdserver: duplicate key given in txn request"
///   "etcdserver: key not found"            a txn op of no known kind (etcd's empty op)
///   "etcdserver: invalid compare option"   a compare result or target out of range
///                                          (etcd 3.4 has no such check; see .cc)
///
/// A request that passes validate_txn also fits the command format: its nesting depth is
/// at most kV3TxnNestingMax and every enum is in range, so it encodes into bytes that
/// decode_command accepts.
///
/// Pure functions: no state, no allocation beyond the duplicate-key sets of a txn.

#include <cstddef>

#include "consensus/status.h"
#include "consensus/v3.h"

namespace consensus::kv {

/// etcd's default --max-txn-ops: the most compares, success ops or failure ops one txn
/// (each nested txn separately, from what its parents leave) may hold.
inline constexpr std::size_t kV3MaxTxnOpsDefault = 128;

/// Ok, or the first error etcd's checkRangeRequest finds (empty key, sort option).
[[nodiscard]] Status validate_range(const service::v3::RangeRequest& request);

/// Ok, or the first error of checkPutRequest: empty key, then a value with
/// ignore_value, then a lease with ignore_lease.
[[nodiscard]] Status validate_put(const service::v3::PutRequest& request);

/// Ok, or "key is not provided" for an empty key.
[[nodiscard]] Status validate_delete_range(const service::v3::DeleteRangeRequest& request);

/// Ok, or the first error in etcd's order: the op counts and every op's own checks over
/// the whole tree (checkTxnRequest, depth first, compares before success before
/// failure), then duplicate keys in the success branch, then in the failure branch
/// (checkIntervals). `max_txn_ops` is etcd's --max-txn-ops.
[[nodiscard]] Status validate_txn(const service::v3::TxnRequest& request,
                                  std::size_t max_txn_ops = kV3MaxTxnOpsDefault);

}  // namespace consensus::kv
