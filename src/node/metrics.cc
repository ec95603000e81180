#include "node/metrics.h"

#include <cstdio>

namespace consensus::node {

namespace {

// Upper bounds of the histogram buckets, in seconds: 0.001 * 2^i, as etcd's
// prometheus.ExponentialBuckets(0.001, 2, 14).
double bucket_bound(std::size_t i) {
    return 0.001 * static_cast<double>(std::uint64_t{1} << i);
}

std::string number(double value) {
    char text[64];
    std::snprintf(text, sizeof text, "%.9g", value);
    return text;
}

void header(const std::string& name, const char* type, const std::string& help, std::string* out) {
    *out += "# HELP " + name + " " + help + "\n";
    *out += "# TYPE " + name + " " + type + "\n";
}

void counter(const std::string& name, const std::string& help, std::uint64_t value,
             std::string* out) {
    header(name, "counter", help, out);
    *out += name + " " + std::to_string(value) + "\n";
}

void gauge(const std::string& name, const std::string& help, std::uint64_t value,
           std::string* out) {
    header(name, "gauge", help, out);
    *out += name + " " + std::to_string(value) + "\n";
}

}  // namespace

void Histogram::observe(double seconds) {
    ++count_;
    sum_ += seconds;
    for (std::size_t i = 0; i < kBucketCount; ++i) {
        if (seconds <= bucket_bound(i)) {
            ++buckets_[i];
            break;
        }
    }
}

void Histogram::render(const std::string& name, const std::string& help, std::string* out) const {
    header(name, "histogram", help, out);
    // Prometheus buckets are cumulative: each counts every observation <= its bound.
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < kBucketCount; ++i) {
        cumulative += buckets_[i];
        *out += name + "_bucket{le=\"" + number(bucket_bound(i)) + "\"} " +
                std::to_string(cumulative) + "\n";
    }
    *out += name + "_bucket{le=\"+Inf\"} " + std::to_string(count_) + "\n";
    *out += name + "_sum " + number(sum_) + "\n";
    *out += name + "_count " + std::to_string(count_) + "\n";
}

std::string Metrics::render(const MetricsGauges& gauges) const {
    std::string out;
    gauge("consensus_server_has_leader",
          "Whether or not a leader exists. 1 is existence, 0 is not.", gauges.has_leader ? 1 : 0,
          &out);
    gauge("consensus_server_is_leader", "Whether or not this member is a leader.",
          gauges.is_leader ? 1 : 0, &out);
    counter("consensus_server_leader_changes_seen_total", "The number of leader changes seen.",
            leader_changes_seen, &out);
    counter("consensus_server_proposals_committed_total",
            "The total number of consensus proposals committed.", proposals_committed, &out);
    counter("consensus_server_proposals_applied_total",
            "The total number of consensus proposals applied.", proposals_applied, &out);
    counter("consensus_server_proposals_failed_total", "The total number of failed proposals seen.",
            proposals_failed, &out);
    gauge("consensus_server_proposals_pending", "The current number of pending proposals.",
          gauges.pending_requests, &out);
    gauge("consensus_server_term", "The current term of this member.", gauges.term, &out);
    gauge("consensus_server_committed_index", "The committed index of this member.",
          gauges.committed_index, &out);
    gauge("consensus_server_applied_index", "The applied index of this member.",
          gauges.applied_index, &out);
    counter("consensus_server_snapshots_saved_total", "The number of snapshots saved.",
            snapshots_saved, &out);
    wal_fsync_seconds.render("consensus_disk_wal_fsync_duration_seconds",
                             "The latency distributions of fsync called by WAL.", &out);
    apply_seconds.render("consensus_apply_duration_seconds",
                         "The latency distributions of applying committed entries.", &out);
    header("consensus_http_requests_total", "counter",
           "The number of client requests answered, by HTTP status code.", &out);
    for (const auto& [code, value] : http_requests_by_code) {
        out +=
            "consensus_http_requests_total{code=\"" + code + "\"} " + std::to_string(value) + "\n";
    }
    return out;
}

}  // namespace consensus::node
