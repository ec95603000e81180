#pragma once
/// CRC-32C (Castagnoli, polynomial 0x1EDC6F41, reflected 0x82F63B78), the checksum of
/// every WAL record and snapshot file (the same polynomial LevelDB, ext4 and iSCSI
/// use [RFC 3720 §B.4]). Computed in software with slicing-by-8 tables, so it needs no
/// CPU feature and gives the same value on every machine.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace consensus::wal {

/// CRC-32C of data[0, size). crc32c_extend(crc32c(a), b) == crc32c(a + b).
std::uint32_t crc32c_extend(std::uint32_t crc, const void* data, std::size_t size);

/// CRC-32C of `bytes`: crc32c("123456789") == 0xE3069283.
inline std::uint32_t crc32c(std::string_view bytes) {
    return crc32c_extend(0, bytes.data(), bytes.size());
}

}  // namespace consensus::wal
