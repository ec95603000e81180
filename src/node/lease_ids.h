#pragma once
/// Lease ids for grants that name none. The proposer picks the id before proposing, so
/// every member applies the same grant [etcd: server/etcdserver/v3_server.go LeaseGrant,
/// pkg/idutil]: the low 16 bits of the member id, then the wall-clock milliseconds at
/// start (40 bits), then a counter (8 bits) that carries into the time field. Distinct
/// members never collide (different prefixes), and a restarted member starts past every
/// id it handed out before, as long as it hands out fewer than 256 per millisecond on
/// average. The sign bit is cleared: lease ids are positive int64s.

#include <cstdint>

#include "consensus/types.h"

namespace consensus::node {

class LeaseIdGenerator {
public:
    LeaseIdGenerator(NodeId member_id, std::int64_t now_unix_ms);
    /// The next id: positive and never returned before by this generator.
    std::int64_t next();

private:
    std::uint64_t prefix_;
    std::uint64_t suffix_;
};

}  // namespace consensus::node
