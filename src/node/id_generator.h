#pragma once
/// Ids a member picks for what it proposes, after etcd's generator [etcd:
/// pkg/idutil/id.go]: the low 16 bits of the member id, then the wall-clock
/// milliseconds at start (40 bits), then a counter (8 bits) that carries into the time
/// field. Distinct members never collide (different prefixes), and a restarted member
/// starts past every id it handed out before, as long as it handed out fewer than 256
/// per millisecond on average and the clock was not stepped back across the restart.
///
/// That second property is what makes the ids safe to match across a restart: a
/// restarted member re-applies log entries proposed by its previous incarnation, and
/// their ids must not complete a request of the new one (PendingRequests).

#include <cstdint>

#include "consensus/types.h"

namespace consensus::node {

class IdGenerator {
public:
    IdGenerator(NodeId member_id, std::int64_t now_unix_ms);
    /// The next id: never 0 and never returned before by this generator.
    std::uint64_t next();

private:
    std::uint64_t prefix_;
    std::uint64_t suffix_;
};

/// Lease ids for grants that name none. The proposer picks the id before proposing, so
/// every member applies the same grant [etcd: server/etcdserver/v3_server.go
/// LeaseGrant]. The sign bit is cleared: lease ids are positive int64s.
class LeaseIdGenerator {
public:
    LeaseIdGenerator(NodeId member_id, std::int64_t now_unix_ms) : ids_(member_id, now_unix_ms) {}
    /// The next id: positive and never returned before by this generator.
    std::int64_t next();

private:
    IdGenerator ids_;
};

}  // namespace consensus::node
