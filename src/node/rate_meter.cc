#include "node/rate_meter.h"

#include "consensus/assert.h"

namespace consensus::node {

void RateMeter::record(TimePoint at, std::uint64_t bytes) {
    if (size_ > 0) {
        const Sample& newest = samples_[(front_ + size_ - 1) % kRateMeterSamplesMax];
        CONSENSUS_ASSERT_MSG(at >= newest.at, "rate meter samples must come in time order");
    }
    if (size_ == kRateMeterSamplesMax) {
        // Full: the new sample takes the oldest one's slot, so the window slides.
        total_bytes_ -= samples_[front_].bytes;
        samples_[front_] = Sample{at, bytes};
        front_ = (front_ + 1) % kRateMeterSamplesMax;
    } else {
        samples_[(front_ + size_) % kRateMeterSamplesMax] = Sample{at, bytes};
        ++size_;
    }
    total_bytes_ += bytes;
}

Rate RateMeter::rate(TimePoint now) {
    if (size_ == 0) return Rate{};
    const Sample& oldest = samples_[front_];
    const Sample& newest = samples_[(front_ + size_ - 1) % kRateMeterSamplesMax];
    if (now - newest.at > kRateMeterIdleAfter) {
        // The traffic stopped: an old burst must not keep reading as a live rate.
        size_ = 0;
        front_ = 0;
        total_bytes_ = 0;
        return Rate{};
    }
    std::chrono::duration<double> window = newest.at - oldest.at;
    if (window.count() <= 0) return Rate{};
    Rate rate;
    rate.events_per_second = static_cast<double>(size_) / window.count();
    rate.bytes_per_second = static_cast<double>(total_bytes_) / window.count();
    return rate;
}

}  // namespace consensus::node
