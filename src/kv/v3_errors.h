#pragma once
/// The errors the v3 state machine itself returns, with etcd's exact text and the
/// Status code that v3.h maps to etcd's gRPC code [etcd: api/v3rpc/rpctypes/error.go,
/// server/mvcc/kvstore.go, server/lease/lessor.go, server/etcdserver/errors.go].
/// Request checks made before proposing (empty key, duplicate keys, ...) live in
/// v3_validate.h; these are the ones that depend on the applied state.

#include "consensus/status.h"

namespace consensus::kv {

/// mvcc.ErrCompacted: a read or compaction at a revision below the compacted one.
inline Status v3_compacted_error() {
    return Status(StatusCode::kOutOfRange,
                  "etcdserver: mvcc: required revision has been compacted");
}

/// mvcc.ErrFutureRev: a read or compaction above the current revision.
inline Status v3_future_revision_error() {
    return Status(StatusCode::kOutOfRange,
                  "etcdserver: mvcc: required revision is a future revision");
}

/// etcdserver.ErrKeyNotFound: ignore_value or ignore_lease on a key that does not exist.
inline Status v3_key_not_found_error() {
    return Status(StatusCode::kInvalidArgument, "etcdserver: key not found");
}

/// lease.ErrLeaseNotFound: a put naming, or a revoke of, a lease that does not exist.
inline Status v3_lease_not_found_error() {
    return Status(StatusCode::kNotFound, "etcdserver: requested lease not found");
}

/// lease.ErrLeaseExists: a grant with an id already in use.
inline Status v3_lease_exists_error() {
    return Status(StatusCode::kFailedPrecondition, "etcdserver: lease already exists");
}

/// mvcc.ErrEmptyWatcherRange: a watch whose range_end is at or before its key.
inline Status v3_empty_watcher_range_error() {
    return Status(StatusCode::kInvalidArgument, "mvcc: watcher range is empty");
}

}  // namespace consensus::kv
