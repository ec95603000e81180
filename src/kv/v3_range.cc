#include "kv/v3_range.h"

#include <algorithm>
#include <string>
#include <vector>

#include "kv/v3_errors.h"
#include "kv/v3_key_range.h"

namespace consensus::kv {
namespace {

using service::v3::RangeRequest;
using service::v3::SortOrder;
using service::v3::SortTarget;

struct Match {
    const std::string* key;
    const V3Record* record;
};

bool has_revision_filter(const RangeRequest& request) {
    return request.min_mod_revision != 0 || request.max_mod_revision != 0 ||
           request.min_create_revision != 0 || request.max_create_revision != 0;
}

/// [etcd: apply.go Range pruneKVs] a zero bound is no bound.
bool passes_filters(const RangeRequest& request, const V3Record& record) {
    if (request.max_mod_revision != 0 && record.mod_revision > request.max_mod_revision) {
        return false;
    }
    if (request.min_mod_revision != 0 && record.mod_revision < request.min_mod_revision) {
        return false;
    }
    if (request.max_create_revision != 0 && record.create_revision > request.max_create_revision) {
        return false;
    }
    if (request.min_create_revision != 0 && record.create_revision < request.min_create_revision) {
        return false;
    }
    return true;
}

/// Whether `a` sorts before `b` on `target` (ascending).
bool sorts_before(SortTarget target, const Match& a, const Match& b) {
    switch (target) {
        case SortTarget::kKey:
            return *a.key < *b.key;
        case SortTarget::kVersion:
            return a.record->version < b.record->version;
        case SortTarget::kCreate:
            return a.record->create_revision < b.record->create_revision;
        case SortTarget::kMod:
            return a.record->mod_revision < b.record->mod_revision;
        case SortTarget::kValue:
            return a.record->value < b.record->value;
    }
    return false;
}

void sort_matches(const RangeRequest& request, std::vector<Match>* matches) {
    SortOrder order = request.sort_order;
    // [etcd: apply.go Range] mvcc returns keys ascending, so only a non-key target
    // without an order needs sorting (ascending).
    if (request.sort_target != SortTarget::kKey && order == SortOrder::kNone) {
        order = SortOrder::kAscend;
    }
    if (order == SortOrder::kNone) return;
    const SortTarget target = request.sort_target;
    // Stable, starting from key order: equal elements keep ascending key order in both
    // directions, as Go's sort.Sort does for the small slices it insertion-sorts.
    if (order == SortOrder::kAscend) {
        std::stable_sort(
            matches->begin(), matches->end(),
            [target](const Match& a, const Match& b) { return sorts_before(target, a, b); });
    } else {
        std::stable_sort(
            matches->begin(), matches->end(),
            [target](const Match& a, const Match& b) { return sorts_before(target, b, a); });
    }
}

}  // namespace

Result<service::v3::RangeResponse> v3_range(const V3Keyspace& keyspace, const RangeRequest& request,
                                            std::int64_t view_revision) {
    const std::int64_t revision = request.revision > 0 ? request.revision : view_revision;
    // [etcd: kvstore_txn.go rangeKeys] future first, then compacted.
    if (revision > view_revision) return v3_future_revision_error();
    if (revision < keyspace.compact_revision()) return v3_compacted_error();

    // Without sort_order or filters only the first limit + 1 keys (in key order) are
    // fetched, one more to know whether there are more, but every key is counted. As in
    // etcd, a sort_target without sort_order then sorts just those fetched keys.
    const bool needs_all = request.sort_order != SortOrder::kNone || has_revision_filter(request);
    std::size_t keep = SIZE_MAX;
    if (request.count_only) {
        keep = 0;
    } else if (!needs_all && request.limit > 0) {
        keep = static_cast<std::size_t>(request.limit) + 1;
    }
    std::vector<Match> matches;
    std::int64_t count = 0;
    keyspace.visit_range(V3KeyRange{request.key, request.range_end}, revision,
                         [&](const std::string& key, const V3Record& record) {
                             ++count;
                             if (matches.size() < keep) matches.push_back(Match{&key, &record});
                             return true;
                         });

    service::v3::RangeResponse response;
    response.count = count;
    if (request.count_only) return response;
    if (has_revision_filter(request)) {
        matches.erase(std::remove_if(matches.begin(), matches.end(),
                                     [&request](const Match& match) {
                                         return !passes_filters(request, *match.record);
                                     }),
                      matches.end());
    }
    sort_matches(request, &matches);
    if (request.limit > 0 && matches.size() > static_cast<std::size_t>(request.limit)) {
        matches.resize(static_cast<std::size_t>(request.limit));
        response.more = true;
    }
    response.kvs.reserve(matches.size());
    for (const Match& match : matches) {
        response.kvs.push_back(to_key_value(*match.key, *match.record, !request.keys_only));
    }
    return response;
}

}  // namespace consensus::kv
