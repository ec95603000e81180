#pragma once
/// Metrics: the member's counters and histograms and their Prometheus text exposition
/// (format 0.0.4). Names follow etcd's with the "consensus_" prefix instead of
/// "etcd_" [etcd: server/etcdserver/metrics.go, server/storage/wal/metrics.go].
///
/// Single-threaded: owned by the Member and updated on its event-loop thread.

#include <array>
#include <cstdint>
#include <map>
#include <string>

#include "consensus/types.h"

namespace consensus::node {

/// A cumulative histogram over fixed upper bounds (seconds).
class Histogram {
public:
    /// etcd's WAL fsync buckets: 1 ms doubling to about 8 s.
    static constexpr std::size_t kBucketCount = 14;

    void observe(double seconds);
    /// Appends the `_bucket`, `_sum` and `_count` lines for `name`.
    void render(const std::string& name, const std::string& help, std::string* out) const;
    std::uint64_t count() const { return count_; }

private:
    std::array<std::uint64_t, kBucketCount> buckets_{};
    std::uint64_t count_ = 0;
    double sum_ = 0;
};

/// Values read from the member at rendering time (gauges).
struct MetricsGauges {
    bool has_leader = false;
    bool is_leader = false;
    Term term = 0;
    Index committed_index = 0;
    Index applied_index = 0;
    std::uint64_t pending_requests = 0;
};

struct Metrics {
    std::uint64_t leader_changes_seen = 0;
    std::uint64_t proposals_committed = 0;
    std::uint64_t proposals_applied = 0;
    std::uint64_t proposals_failed = 0;
    std::uint64_t snapshots_saved = 0;
    Histogram wal_fsync_seconds;
    Histogram apply_seconds;
    /// Client requests answered, by HTTP status class as etcd's error table maps it
    /// ("200", "201", "400", "404", "412", "500", ...).
    std::map<std::string, std::uint64_t> http_requests_by_code;

    void count_http(int http_status) { ++http_requests_by_code[std::to_string(http_status)]; }
    /// The Prometheus text of every metric.
    std::string render(const MetricsGauges& gauges) const;
};

}  // namespace consensus::node
