#include "kv/v3_leases.h"

#include <utility>

#include "consensus/assert.h"
#include "kv/v3_errors.h"

namespace consensus::kv {
namespace {

constexpr std::int64_t kNanosPerSecond = 1'000'000'000;

}  // namespace

std::int64_t lease_expiry_unix_nanos(std::int64_t now_unix_nanos, std::int64_t ttl_seconds) {
    if (ttl_seconds <= 0) return now_unix_nanos;
    if (ttl_seconds > INT64_MAX / kNanosPerSecond) return INT64_MAX;
    std::int64_t expiry = 0;
    if (__builtin_add_overflow(now_unix_nanos, ttl_seconds * kNanosPerSecond, &expiry)) {
        return INT64_MAX;
    }
    return expiry;
}

Status V3Leases::grant(std::int64_t id, std::int64_t ttl_seconds, std::int64_t now_unix_nanos) {
    if (id == 0) return v3_lease_not_found_error();
    if (exists(id)) return v3_lease_exists_error();
    V3Lease& lease = leases_[id];
    lease.ttl_seconds = ttl_seconds;
    lease.expiry_unix_nanos = lease_expiry_unix_nanos(now_unix_nanos, ttl_seconds);
    by_expiry_.emplace(lease.expiry_unix_nanos, id);
    return Status::ok();
}

const V3Lease* V3Leases::find(std::int64_t id) const {
    const auto it = leases_.find(id);
    return it == leases_.end() ? nullptr : &it->second;
}

void V3Leases::set_expiry(std::int64_t id, V3Lease& lease, std::int64_t expiry_unix_nanos) {
    by_expiry_.erase({lease.expiry_unix_nanos, id});
    lease.expiry_unix_nanos = expiry_unix_nanos;
    by_expiry_.emplace(expiry_unix_nanos, id);
}

std::optional<std::int64_t> V3Leases::renew(std::int64_t id, std::int64_t now_unix_nanos) {
    const auto it = leases_.find(id);
    if (it == leases_.end()) return std::nullopt;
    // [etcd: server/lease/lessor.go Renew] an expired lease cannot come back: etcd
    // waits for its revocation and then answers "not found". Here the revocation is an
    // expire-sync still on its way through the log, so answer as if it had happened.
    if (it->second.expiry_unix_nanos <= now_unix_nanos) return std::nullopt;
    // Otherwise the lease restarts its full granted TTL.
    set_expiry(id, it->second, lease_expiry_unix_nanos(now_unix_nanos, it->second.ttl_seconds));
    return it->second.ttl_seconds;
}

void V3Leases::attach(std::int64_t id, std::string_view key) {
    const auto it = leases_.find(id);
    if (it != leases_.end()) it->second.keys.emplace(key);
}

void V3Leases::detach(std::int64_t id, std::string_view key) {
    const auto it = leases_.find(id);
    if (it == leases_.end()) return;
    const auto found = it->second.keys.find(key);
    if (found != it->second.keys.end()) it->second.keys.erase(found);
}

std::vector<std::string> V3Leases::remove(std::int64_t id) {
    const auto it = leases_.find(id);
    CONSENSUS_ASSERT(it != leases_.end());
    std::vector<std::string> keys(it->second.keys.begin(), it->second.keys.end());
    by_expiry_.erase({it->second.expiry_unix_nanos, id});
    leases_.erase(it);
    return keys;
}

std::vector<std::int64_t> V3Leases::expired(std::int64_t now_unix_nanos) const {
    std::vector<std::int64_t> ids;
    for (const auto& [expiry, id] : by_expiry_) {
        if (expiry > now_unix_nanos) break;
        ids.push_back(id);
    }
    return ids;
}

std::optional<std::int64_t> V3Leases::next_expiry_unix_nanos() const {
    if (by_expiry_.empty()) return std::nullopt;
    return by_expiry_.begin()->first;
}

service::v3::LeaseTimeToLiveResponse V3Leases::time_to_live(
    const service::v3::LeaseTimeToLiveRequest& request, std::int64_t now_unix_nanos) const {
    service::v3::LeaseTimeToLiveResponse response;
    response.id = request.id;
    const V3Lease* lease = find(request.id);
    // [etcd: server/etcdserver/api/v3rpc/lease.go LeaseTimeToLive] a lease that is
    // gone answers TTL -1 and no error. One that has expired but whose expire-sync has
    // not been applied yet is as good as gone.
    if (lease == nullptr || lease->expiry_unix_nanos <= now_unix_nanos) {
        response.ttl = -1;
        return response;
    }
    response.ttl = (lease->expiry_unix_nanos - now_unix_nanos) / kNanosPerSecond;
    response.granted_ttl = lease->ttl_seconds;
    if (request.keys) response.keys.assign(lease->keys.begin(), lease->keys.end());
    return response;
}

std::vector<std::int64_t> V3Leases::ids() const {
    std::vector<std::int64_t> ids;
    ids.reserve(leases_.size());
    for (const auto& entry : leases_) ids.push_back(entry.first);
    return ids;
}

bool V3Leases::restore(std::int64_t id, std::int64_t ttl_seconds, std::int64_t expiry_unix_nanos) {
    if (id == 0 || exists(id)) return false;
    V3Lease& lease = leases_[id];
    lease.ttl_seconds = ttl_seconds;
    lease.expiry_unix_nanos = expiry_unix_nanos;
    by_expiry_.emplace(expiry_unix_nanos, id);
    return true;
}

Status V3Leases::check_invariants() const {
    if (by_expiry_.size() != leases_.size()) {
        return Status(StatusCode::kInternal, "v3 leases: expiry index size mismatch");
    }
    for (const auto& [id, lease] : leases_) {
        if (id == 0) return Status(StatusCode::kInternal, "v3 leases: lease id 0");
        if (by_expiry_.count({lease.expiry_unix_nanos, id}) == 0) {
            return Status(StatusCode::kInternal,
                          "v3 leases: lease " + std::to_string(id) + " missing from expiry index");
        }
    }
    return Status::ok();
}

}  // namespace consensus::kv
