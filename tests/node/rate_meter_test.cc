#include "node/rate_meter.h"

#include <catch2/catch.hpp>
#include <chrono>

namespace consensus::node {
namespace {

using std::chrono::milliseconds;
using TimePoint = RateMeter::TimePoint;

/// A fixed origin: the meter only ever sees the times the test gives it.
const TimePoint kStart = TimePoint() + std::chrono::hours(1);

TEST_CASE("RateMeter: reads zero when it has fewer than two distinct sample times", "[node]") {
    RateMeter meter;
    Rate empty = meter.rate(kStart);
    CHECK(empty.events_per_second == 0);
    CHECK(empty.bytes_per_second == 0);
    meter.record(kStart, 100);
    CHECK(meter.rate(kStart).events_per_second == 0);
    meter.record(kStart, 100);  // Same instant: still no window to divide by.
    CHECK(meter.rate(kStart).bytes_per_second == 0);
}

TEST_CASE("RateMeter: divides the kept samples by their time span when traffic is steady",
          "[node]") {
    RateMeter meter;
    // 11 samples of 50 bytes, 10 ms apart: a 100 ms window.
    for (int i = 0; i <= 10; ++i) meter.record(kStart + milliseconds(10 * i), 50);
    Rate rate = meter.rate(kStart + milliseconds(100));
    // etcd counts every kept sample over the span: 11 / 0.1 s and 550 B / 0.1 s.
    CHECK(rate.events_per_second == Approx(110.0));
    CHECK(rate.bytes_per_second == Approx(5500.0));
}

TEST_CASE("RateMeter: keeps only the last kRateMeterSamplesMax samples when more arrive",
          "[node]") {
    RateMeter meter;
    // A slow, heavy start that must slide out of the window entirely.
    for (int i = 0; i < 10; ++i) meter.record(kStart + milliseconds(100 * i), 1'000'000);
    TimePoint fast_start = kStart + milliseconds(1000);
    for (std::size_t i = 0; i < kRateMeterSamplesMax; ++i) {
        meter.record(fast_start + milliseconds(i), 10);
    }
    CHECK(meter.size() == kRateMeterSamplesMax);
    Rate rate = meter.rate(fast_start + milliseconds(kRateMeterSamplesMax - 1));
    double window_s = static_cast<double>(kRateMeterSamplesMax - 1) / 1000.0;
    CHECK(rate.events_per_second == Approx(kRateMeterSamplesMax / window_s));
    CHECK(rate.bytes_per_second == Approx(10.0 * kRateMeterSamplesMax / window_s));
}

TEST_CASE("RateMeter: reads zero and forgets its samples when the traffic stopped", "[node]") {
    RateMeter meter;
    meter.record(kStart, 10);
    meter.record(kStart + milliseconds(10), 10);
    TimePoint last = kStart + milliseconds(10);
    CHECK(meter.rate(last + kRateMeterIdleAfter).events_per_second > 0);  // At the bound.
    CHECK(meter.rate(last + kRateMeterIdleAfter + milliseconds(1)).events_per_second == 0);
    CHECK(meter.size() == 0);
    // A new burst is measured on its own, not stretched over the idle gap.
    TimePoint later = last + std::chrono::seconds(5);
    meter.record(later, 10);
    meter.record(later + milliseconds(10), 10);
    CHECK(meter.rate(later + milliseconds(10)).events_per_second == Approx(200.0));
}

}  // namespace
}  // namespace consensus::node
