#pragma once
/// Applying a v3 transaction, as etcd's applierV3backend.Txn
/// [etcd: server/etcdserver/apply.go Txn, applyTxn, compareToPath, applyCompare,
/// compareKV, checkRequestPut, checkRequestRange; server/etcdserver/apply.go Put,
/// DeleteRange, Range]. Puts and delete_ranges arrive here too, as a txn of one
/// unconditional op.
///
/// Order of work, all against the state before the transaction:
///   1. every compare of the taken path is evaluated, nested transactions' too
///      (version, create, mod and lease compare 0 on a missing key; a value compare
///      on a missing key is false; a compare with range_end must hold for every key);
///   2. the puts of the taken path are checked (ignore_value/ignore_lease need the
///      key, a lease must exist), then the ranges' revisions; the first failure
///      refuses the whole transaction and nothing changes;
///   3. the ops run in order in one write transaction: one new revision if anything
///      changed, none otherwise.
///
/// Revisions in the responses follow etcd: a put reports the new revision, a delete
/// the new revision once anything changed (else the old), a range the revision its
/// read saw; a nested transaction's response has no revision of its own.

#include <vector>

#include "consensus/status.h"
#include "consensus/v3.h"
#include "kv/v3_keyspace.h"
#include "kv/v3_leases.h"
#include "kv/v3_write_txn.h"

namespace consensus::kv {

/// What applying one transaction did.
struct V3TxnOutcome {
    /// Not ok: refused by a check in step 2 (etcd's text and code); nothing changed.
    Status status;
    service::v3::TxnResponse response;
    /// The changes, all at the keyspace's (new) revision; empty when nothing changed.
    std::vector<V3Change> changes;
};

/// Applies `request` to the keyspace and lease table. `op` is the request the client
/// made (kPut, kDeleteRange or kTxn): for a lone put, the lease is checked before the
/// key, as etcd's Put does; for a txn, the key first, as its checkRequestPut does.
V3TxnOutcome apply_v3_txn(V3Keyspace& keyspace, V3Leases& leases,
                          const service::v3::TxnRequest& request, service::v3::RequestOp::Kind op);

/// Whether `compare` holds in the keyspace at `revision` (etcd's applyCompare).
bool v3_compare_holds(const V3Keyspace& keyspace, const service::v3::Compare& compare,
                      std::int64_t revision);

}  // namespace consensus::kv
