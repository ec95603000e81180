#pragma once
/// The v3 lease table: each lease's granted TTL, its expiry and the keys attached to
/// it [etcd: server/lease/lessor.go].
///
/// Time. Expiry is absolute (unix nanoseconds) and comes only from applied commands:
/// a grant or a renew at the proposer's `now` sets expiry = now + TTL. Every member
/// therefore holds the same expiries, and a lease goes only when the leader proposes
/// an expire-sync whose `now` has passed it, so keys vanish at the same revision
/// everywhere. (etcd keeps leases "forever" on followers and lets only the primary
/// expire them; replicating the expiry is the deterministic equivalent.)
///
/// Keys. attach/detach are called by the write transaction, which keeps this table in
/// step with the keyspace: a key is attached to lease L exactly when its live record
/// carries lease L.
///
/// Single-threaded; owned by V3Store. Movable for snapshot restore.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "consensus/status.h"
#include "consensus/v3.h"

namespace consensus::kv {

/// One lease.
struct V3Lease {
    std::int64_t ttl_seconds = 0;        ///< as granted (after the proposer's clamping)
    std::int64_t expiry_unix_nanos = 0;  ///< now + TTL at the last grant or renew
    std::set<std::string, std::less<>> keys;
};

/// The lease table.
class V3Leases {
public:
    V3Leases() = default;
    V3Leases(V3Leases&&) = default;
    V3Leases& operator=(V3Leases&&) = default;
    V3Leases(const V3Leases&) = delete;
    V3Leases& operator=(const V3Leases&) = delete;

    /// Grants lease `id` (non-zero) with `ttl_seconds`, expiring at now + TTL.
    /// kNotFound for id 0 (etcd's Grant of NoLease), kFailedPrecondition when the id
    /// is in use; nothing changes then.
    [[nodiscard]] Status grant(std::int64_t id, std::int64_t ttl_seconds,
                               std::int64_t now_unix_nanos);

    bool exists(std::int64_t id) const { return leases_.count(id) != 0; }

    /// The lease, or null.
    const V3Lease* find(std::int64_t id) const;

    /// Sets the lease's expiry to now + its granted TTL and returns that TTL; unset for
    /// an unknown lease or one already expired at `now` (etcd answers the keep-alive
    /// with TTL 0, and the expired lease stays due for revocation).
    std::optional<std::int64_t> renew(std::int64_t id, std::int64_t now_unix_nanos);

    /// Attaches `key` to lease `id` / detaches it. Lease 0 and unknown leases are
    /// ignored (a key's lease may have been revoked in the same transaction).
    void attach(std::int64_t id, std::string_view key);
    void detach(std::int64_t id, std::string_view key);

    /// Removes lease `id`, returning its keys in byte order (the order etcd's Revoke
    /// deletes them in). Precondition: exists(id).
    std::vector<std::string> remove(std::int64_t id);

    /// The leases expiring at or before `now`, earliest expiry first (ties by id).
    std::vector<std::int64_t> expired(std::int64_t now_unix_nanos) const;

    /// The earliest expiry, unset without leases.
    std::optional<std::int64_t> next_expiry_unix_nanos() const;

    /// etcd's LeaseTimeToLive: remaining whole seconds (truncated, as etcd's
    /// int64(remaining.Seconds())), -1 for an unknown or expired lease; keys (in byte
    /// order) only when asked.
    service::v3::LeaseTimeToLiveResponse time_to_live(
        const service::v3::LeaseTimeToLiveRequest& request, std::int64_t now_unix_nanos) const;

    /// Every lease id, ascending.
    std::vector<std::int64_t> ids() const;

    /// Every lease (for snapshots and invariant checks).
    const std::map<std::int64_t, V3Lease>& leases() const { return leases_; }

    /// Adds a decoded lease without keys (snapshot restore); false if `id` is 0 or
    /// already present.
    bool restore(std::int64_t id, std::int64_t ttl_seconds, std::int64_t expiry_unix_nanos);

    /// The expiry index matches the table; kInternal otherwise.
    [[nodiscard]] Status check_invariants() const;

private:
    void set_expiry(std::int64_t id, V3Lease& lease, std::int64_t expiry_unix_nanos);

    std::map<std::int64_t, V3Lease> leases_;
    /// (expiry, id) of every lease. Invariant: one entry per lease, matching its expiry.
    std::set<std::pair<std::int64_t, std::int64_t>> by_expiry_;
};

/// now + ttl seconds, saturating at the int64 maximum (a TTL near kMaxLeaseTtlSeconds
/// would otherwise overflow into the past).
std::int64_t lease_expiry_unix_nanos(std::int64_t now_unix_nanos, std::int64_t ttl_seconds);

}  // namespace consensus::kv
