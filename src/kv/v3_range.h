#pragma once
/// A v3 range read over the keyspace, with etcd's applierV3 rules for limit, count,
/// sorting, revision filters, keys_only and count_only
/// [etcd: server/etcdserver/apply.go Range; server/mvcc/kvstore_txn.go rangeKeys]:
///   - count is every key of the range live at the read revision, before the
///     min/max revision filters and before limit;
///   - count_only answers only count;
///   - sort_target other than KEY without sort_order sorts ascending; sort_order alone
///     sorts by key;
///   - limit > 0 keeps the first `limit` after filtering and sorting and sets more when
///     some were left out.

#include <cstdint>

#include "consensus/status.h"
#include "consensus/v3.h"
#include "kv/v3_keyspace.h"

namespace consensus::kv {

/// Serves `request` from a view whose current revision is `view_revision` (the
/// keyspace's revision, or a write transaction's read revision): request.revision <= 0
/// reads at the view revision. Errors: kOutOfRange future revision (above the view) or
/// compacted (below the compacted revision), with etcd's texts.
Result<service::v3::RangeResponse> v3_range(const V3Keyspace& keyspace,
                                            const service::v3::RangeRequest& request,
                                            std::int64_t view_revision);

}  // namespace consensus::kv
