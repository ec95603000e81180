#include "kv/v3_store.h"

#include <string>
#include <utility>

#include "consensus/assert.h"
#include "kv/store.h"
#include "kv/v3_errors.h"
#include "kv/v3_range.h"
#include "kv/v3_txn.h"
#include "kv/v3_write_txn.h"

namespace consensus::kv {
namespace {

/// Ends one operation of the store: the copies of older records it read from the
/// history log are dropped (the pointer rule in v3_keyspace.h).
class OperationScope {
public:
    explicit OperationScope(const V3Keyspace& keyspace) : keyspace_(keyspace) {}
    OperationScope(const OperationScope&) = delete;
    OperationScope& operator=(const OperationScope&) = delete;
    ~OperationScope() { keyspace_.forget_read_records(); }

private:
    const V3Keyspace& keyspace_;
};

}  // namespace

void V3Store::use_history_log(V3HistoryLog log) {
    CONSENSUS_ASSERT(state_.keyspace.revision() == 1 && state_.keyspace.keys().empty());
    state_.keyspace = V3Keyspace(std::move(log));
}

V3ApplyResult V3Store::apply_txn(const service::v3::TxnRequest& request,
                                 service::v3::RequestOp::Kind op) {
    const OperationScope scope(state_.keyspace);
    V3TxnOutcome outcome = apply_v3_txn(state_.keyspace, state_.leases, request, op);
    V3ApplyResult result;
    result.status = std::move(outcome.status);
    result.txn = std::move(outcome.response);
    result.revision = state_.keyspace.revision();
    watchers_.notify(state_.keyspace, outcome.changes, result.revision);
    return result;
}

V3ApplyResult V3Store::compact(std::int64_t revision) {
    V3ApplyResult result;
    result.status = state_.keyspace.compact(revision);
    result.revision = state_.keyspace.revision();
    return result;
}

V3ApplyResult V3Store::grant_lease(std::int64_t id, std::int64_t ttl_seconds,
                                   std::int64_t now_unix_nanos) {
    V3ApplyResult result;
    result.status = state_.leases.grant(id, ttl_seconds, now_unix_nanos);
    if (result.status.is_ok()) result.lease_grant = {id, ttl_seconds};
    result.revision = state_.keyspace.revision();
    return result;
}

V3ApplyResult V3Store::revoke_lease(std::int64_t id) {
    const OperationScope scope(state_.keyspace);
    V3ApplyResult result;
    if (!state_.leases.exists(id)) {
        result.status = v3_lease_not_found_error();
    } else {
        revoke(id);
    }
    result.revision = state_.keyspace.revision();
    return result;
}

V3ApplyResult V3Store::renew_lease(std::int64_t id, std::int64_t now_unix_nanos) {
    V3ApplyResult result;
    result.keep_alive.id = id;
    result.keep_alive.ttl = state_.leases.renew(id, now_unix_nanos).value_or(0);
    result.revision = state_.keyspace.revision();
    return result;
}

V3ApplyResult V3Store::expire_leases(std::int64_t now_unix_nanos) {
    const OperationScope scope(state_.keyspace);
    for (const std::int64_t id : state_.leases.expired(now_unix_nanos)) revoke(id);
    V3ApplyResult result;
    result.revision = state_.keyspace.revision();
    return result;
}

void V3Store::revoke(std::int64_t id) {
    // [etcd: server/lease/lessor.go Revoke] the keys go in byte order, so every member
    // numbers the deletes alike, all in one transaction.
    const std::vector<std::string> keys = state_.leases.remove(id);
    V3WriteTxn write(state_.keyspace, state_.leases);
    for (const std::string& key : keys) {
        std::int64_t revision = 0;
        write.delete_range(V3KeyRange{key, {}}, &revision);
    }
    const std::vector<V3Change> changes = write.end();
    watchers_.notify(state_.keyspace, changes, state_.keyspace.revision());
}

void V3Store::replace_state(V3State state) {
    state_ = std::move(state);
    const OperationScope scope(state_.keyspace);
    watchers_.resync(state_.keyspace);
}

Result<service::v3::RangeResponse> V3Store::range(const service::v3::RangeRequest& request) const {
    const OperationScope scope(state_.keyspace);
    return v3_range(state_.keyspace, request, state_.keyspace.revision());
}

service::v3::LeaseTimeToLiveResponse V3Store::lease_time_to_live(
    const service::v3::LeaseTimeToLiveRequest& request, std::int64_t now_unix_nanos) const {
    return state_.leases.time_to_live(request, now_unix_nanos);
}

service::v3::LeaseLeasesResponse V3Store::leases() const {
    service::v3::LeaseLeasesResponse response;
    response.ids = state_.leases.ids();
    return response;
}

V3WatchRegistration V3Store::watch(const service::v3::WatchCreateRequest& request,
                                   V3EventsCallback on_events) {
    const OperationScope scope(state_.keyspace);
    return watchers_.watch(state_.keyspace, request, std::move(on_events));
}

}  // namespace consensus::kv
