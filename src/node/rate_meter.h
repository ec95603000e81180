#pragma once
/// RateMeter: a moving rate of recent events and their bytes, as etcd's v2 stats
/// compute recvPkgRate/recvBandwidthRate and sendPkgRate/sendBandwidthRate from the
/// last 200 AppendEntries requests [etcd: server/etcdserver/api/v2stats/queue.go].
///
/// The rate is taken over the window from the oldest to the newest kept sample: with
/// n samples and B bytes between times t_first and t_last it is n / (t_last - t_first)
/// events and B / (t_last - t_first) bytes per second. As in etcd, the meter reads 0
/// once the newest sample is more than kRateMeterIdleAfter old (the traffic stopped),
/// and then forgets its samples. With one sample, or all samples at one instant, there
/// is no window to divide by, and the meter reads 0 where etcd would divide by zero.
///
/// Time is passed in by the caller (the transport uses the steady clock), so tests
/// are deterministic. Single-threaded; owned by whoever counts the events.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace consensus::node {

/// Samples kept: etcd's queueCapacity.
inline constexpr std::size_t kRateMeterSamplesMax = 200;
/// After this long without a sample the rate reads 0 (etcd: one second).
inline constexpr std::chrono::milliseconds kRateMeterIdleAfter{1000};

/// Events and bytes per second.
struct Rate {
    double events_per_second = 0;
    double bytes_per_second = 0;
};

class RateMeter {
public:
    using TimePoint = std::chrono::steady_clock::time_point;

    /// Records one event of `bytes` at `at`. Precondition: `at` is not before the
    /// previous sample's time (callers pass a monotonic clock).
    void record(TimePoint at, std::uint64_t bytes);

    /// The rate over the kept samples as seen at `now` (see the file comment).
    /// Forgets every sample when the newest is older than kRateMeterIdleAfter.
    Rate rate(TimePoint now);

    /// Samples kept. Invariant: size() <= kRateMeterSamplesMax.
    std::size_t size() const { return size_; }

private:
    struct Sample {
        TimePoint at{};
        std::uint64_t bytes = 0;
    };

    /// A ring: the oldest sample is at front_, the newest at (front_ + size_ - 1).
    std::array<Sample, kRateMeterSamplesMax> samples_{};
    std::size_t front_ = 0;  ///< Invariant: front_ < kRateMeterSamplesMax.
    std::size_t size_ = 0;
    std::uint64_t total_bytes_ = 0;  ///< Invariant: the sum of the kept samples' bytes.
};

}  // namespace consensus::node
