#include "node/lease_ids.h"

namespace consensus::node {

namespace {
constexpr int kSuffixBits = 48;
constexpr std::uint64_t kSuffixMask = (std::uint64_t{1} << kSuffixBits) - 1;
constexpr int kCounterBits = 8;
}  // namespace

LeaseIdGenerator::LeaseIdGenerator(NodeId member_id, std::int64_t now_unix_ms)
    : prefix_((member_id & 0xffff) << kSuffixBits),
      suffix_((static_cast<std::uint64_t>(now_unix_ms) << kCounterBits) & kSuffixMask) {}

std::int64_t LeaseIdGenerator::next() {
    suffix_ = (suffix_ + 1) & kSuffixMask;
    std::uint64_t id = (prefix_ | suffix_) & ~(std::uint64_t{1} << 63);
    // Zero means "no lease" in etcd's API; skip it (only possible for member id 0).
    if (id == 0) return next();
    return static_cast<std::int64_t>(id);
}

}  // namespace consensus::node
