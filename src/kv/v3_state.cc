#include "kv/v3_state.h"

#include <string>

namespace consensus::kv {

Status V3State::check_invariants() const {
    Status status = keyspace.check_invariants();
    if (!status.is_ok()) return status;
    status = leases.check_invariants();
    if (!status.is_ok()) return status;
    std::size_t attached = 0;
    for (const auto& [key, history] : keyspace.keys()) {
        const V3Record& last = history.latest;
        if (last.is_tombstone || last.lease == 0) continue;
        ++attached;
        const V3Lease* lease = leases.find(last.lease);
        if (lease == nullptr || lease->keys.count(key) == 0) {
            return Status(StatusCode::kInternal,
                          "v3 state: key \"" + key + "\" not attached to its lease");
        }
    }
    std::size_t listed = 0;
    for (const auto& entry : leases.leases()) listed += entry.second.keys.size();
    // Every live leased key is listed by its own lease (checked above), so equal totals
    // mean no lease lists a key that is gone or carries another lease.
    if (listed != attached) {
        return Status(StatusCode::kInternal, "v3 state: a lease lists a key it does not hold");
    }
    return Status::ok();
}

}  // namespace consensus::kv
