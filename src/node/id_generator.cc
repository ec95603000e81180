#include "node/id_generator.h"

namespace consensus::node {

namespace {
constexpr int kSuffixBits = 48;
constexpr std::uint64_t kSuffixMask = (std::uint64_t{1} << kSuffixBits) - 1;
constexpr int kCounterBits = 8;
constexpr std::uint64_t kSignBit = std::uint64_t{1} << 63;
}  // namespace

IdGenerator::IdGenerator(NodeId member_id, std::int64_t now_unix_ms)
    : prefix_((member_id & 0xffff) << kSuffixBits),
      suffix_((static_cast<std::uint64_t>(now_unix_ms) << kCounterBits) & kSuffixMask) {}

std::uint64_t IdGenerator::next() {
    suffix_ = (suffix_ + 1) & kSuffixMask;
    // Zero means "nobody waits" in a Command; skip it (only possible for member id 0).
    if ((prefix_ | suffix_) == 0) return next();
    return prefix_ | suffix_;
}

std::int64_t LeaseIdGenerator::next() {
    // Zero means "no lease" in etcd's API; clearing the sign bit can make one.
    std::uint64_t id = ids_.next() & ~kSignBit;
    if (id == 0) return next();
    return static_cast<std::int64_t>(id);
}

}  // namespace consensus::node
