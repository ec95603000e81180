#pragma once
/// SHA-1 (FIPS 180-4 §6.1), for etcd-compatible member and cluster ids (flags.h), which
/// etcd derives from SHA-1 digests. Ids are names, not secrets: nothing here is used
/// for security. A few dozen lines here instead of a cryptography library keeps the
/// member's binary and resident size down.

#include <array>
#include <cstdint>
#include <string_view>

namespace consensus::node {

using Sha1Digest = std::array<std::uint8_t, 20>;

/// The SHA-1 digest of `bytes`.
Sha1Digest sha1(std::string_view bytes);

}  // namespace consensus::node
