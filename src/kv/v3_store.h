#pragma once
/// The v3 state machine: the MVCC keyspace, the lease table and the watchers, and the
/// kV3 commands applied to them [etcd: server/etcdserver/apply.go applierV3backend].
/// kv::Store owns one beside the v2 store and forwards the kV3 kinds here; this class
/// ties the parts together (a txn's changes go to the watchers, a revoke deletes its
/// keys in one revision) while the rules live in the parts (v3_keyspace.h, v3_txn.h,
/// v3_leases.h, v3_watchers.h).
///
/// Time comes only from the commands (now_unix_nanos), never from a clock.
/// Single-threaded; lives as long as the Store.

#include <cstdint>
#include <optional>
#include <string>

#include "consensus/status.h"
#include "consensus/v3.h"
#include "kv/v3_history_log.h"
#include "kv/v3_keyspace.h"
#include "kv/v3_leases.h"
#include "kv/v3_state.h"
#include "kv/v3_watchers.h"

namespace consensus::kv {

struct V3ApplyResult;  // store.h

class V3Store {
public:
    V3Store() = default;
    V3Store(const V3Store&) = delete;
    V3Store& operator=(const V3Store&) = delete;

    /// Spills the keyspace's history to `log` instead of memory. Precondition: nothing
    /// written or restored yet.
    void use_history_log(V3HistoryLog log);
    /// A new, empty history log like the keyspace's, for a state to be restored.
    Result<V3HistoryLog> open_another_history_log() const {
        return state_.keyspace.open_another_history_log();
    }

    /// kV3Txn (see v3_txn.h). `op` is the client's request kind.
    V3ApplyResult apply_txn(const service::v3::TxnRequest& request,
                            service::v3::RequestOp::Kind op);
    /// kV3Compact: kOutOfRange when at or below the compacted revision or above the
    /// current one. Uses no revision.
    V3ApplyResult compact(std::int64_t revision);
    /// kV3LeaseGrant. Uses no revision.
    V3ApplyResult grant_lease(std::int64_t id, std::int64_t ttl_seconds,
                              std::int64_t now_unix_nanos);
    /// kV3LeaseRevoke: deletes the lease's keys in one revision (none without keys).
    /// kNotFound for an unknown lease.
    V3ApplyResult revoke_lease(std::int64_t id);
    /// kV3LeaseRenew: keep_alive {id, TTL}, TTL 0 for an unknown or already expired
    /// lease (no error).
    V3ApplyResult renew_lease(std::int64_t id, std::int64_t now_unix_nanos);
    /// kV3LeaseExpireSync: revokes every lease expiring at or before `now`, earliest
    /// first, each in its own revision if it had keys.
    V3ApplyResult expire_leases(std::int64_t now_unix_nanos);

    Result<service::v3::RangeResponse> range(const service::v3::RangeRequest& request) const;
    service::v3::LeaseTimeToLiveResponse lease_time_to_live(
        const service::v3::LeaseTimeToLiveRequest& request, std::int64_t now_unix_nanos) const;
    service::v3::LeaseLeasesResponse leases() const;

    V3WatchRegistration watch(const service::v3::WatchCreateRequest& request,
                              V3EventsCallback on_events);
    void cancel_watch(std::uint64_t watch_id) { watchers_.cancel(watch_id); }

    const V3State& state() const { return state_; }
    /// Replaces the keyspace and leases (snapshot restore). Watchers stay and catch up
    /// on the restored history (V3Watchers::resync).
    void replace_state(V3State state);

private:
    /// Deletes the keys of lease `id` in one write transaction and removes the lease.
    void revoke(std::int64_t id);

    V3State state_;
    V3Watchers watchers_;
};

}  // namespace consensus::kv
