#pragma once
/// CRC-32C (Castagnoli, polynomial 0x1EDC6F41, reflected 0x82F63B78), the checksum of
/// every WAL record and snapshot file (the same polynomial LevelDB, ext4 and iSCSI
/// use [RFC 3720 §B.4]). On x86-64 CPUs with SSE4.2 (checked once at run time with
/// cpuid) it uses the crc32 instruction, which computes exactly this polynomial, eight
/// bytes per instruction; elsewhere it falls back to software slicing-by-8 tables. Both
/// give the same value for every input (tests/wal/crc32c_test.cc compares them).

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace consensus::wal {

/// CRC-32C of data[0, size). crc32c_extend(crc32c(a), b) == crc32c(a + b).
std::uint32_t crc32c_extend(std::uint32_t crc, const void* data, std::size_t size);

/// The software implementation, always available (and the reference in tests).
std::uint32_t crc32c_extend_portable(std::uint32_t crc, const void* data, std::size_t size);

/// The SSE4.2 implementation. Precondition: crc32c_has_hardware().
std::uint32_t crc32c_extend_hardware(std::uint32_t crc, const void* data, std::size_t size);

/// True when this CPU has the SSE4.2 crc32 instruction (and this is an x86-64 build).
bool crc32c_has_hardware();

/// CRC-32C of `bytes`: crc32c("123456789") == 0xE3069283.
inline std::uint32_t crc32c(std::string_view bytes) {
    return crc32c_extend(0, bytes.data(), bytes.size());
}

}  // namespace consensus::wal
