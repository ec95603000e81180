#include "wal/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <cpuid.h>
#include <nmmintrin.h>
#endif

#include "consensus/assert.h"

namespace consensus::wal {
namespace {

constexpr std::uint32_t kReflectedPolynomial = 0x82F63B78u;
constexpr std::size_t kSlices = 8;

using Tables = std::array<std::array<std::uint32_t, 256>, kSlices>;

// Slicing-by-8: table[k][b] is the CRC of byte b followed by k zero bytes, so eight
// input bytes fold into the register with eight lookups instead of eight shifts of
// eight bits each.
constexpr Tables make_tables() {
    Tables tables{};
    for (std::uint32_t byte = 0; byte < 256; ++byte) {
        std::uint32_t crc = byte;
        for (int bit = 0; bit < 8; ++bit) {
            crc = (crc & 1u) != 0 ? (crc >> 1) ^ kReflectedPolynomial : crc >> 1;
        }
        tables[0][byte] = crc;
    }
    for (std::size_t slice = 1; slice < kSlices; ++slice) {
        for (std::size_t byte = 0; byte < 256; ++byte) {
            const std::uint32_t previous = tables[slice - 1][byte];
            tables[slice][byte] = (previous >> 8) ^ tables[0][previous & 0xFFu];
        }
    }
    return tables;
}

constexpr Tables kTables = make_tables();

}  // namespace

std::uint32_t crc32c_extend_portable(std::uint32_t crc, const void* data, std::size_t size) {
    const auto* bytes = static_cast<const unsigned char*>(data);
    std::uint32_t state = ~crc;
    while (size >= kSlices) {
        // Assembled byte by byte, so the result does not depend on host endianness
        // or alignment.
        const std::uint32_t low = state ^ (static_cast<std::uint32_t>(bytes[0]) |
                                           static_cast<std::uint32_t>(bytes[1]) << 8 |
                                           static_cast<std::uint32_t>(bytes[2]) << 16 |
                                           static_cast<std::uint32_t>(bytes[3]) << 24);
        state = kTables[7][low & 0xFFu] ^ kTables[6][(low >> 8) & 0xFFu] ^
                kTables[5][(low >> 16) & 0xFFu] ^ kTables[4][low >> 24] ^ kTables[3][bytes[4]] ^
                kTables[2][bytes[5]] ^ kTables[1][bytes[6]] ^ kTables[0][bytes[7]];
        bytes += kSlices;
        size -= kSlices;
    }
    while (size > 0) {
        state = (state >> 8) ^ kTables[0][(state ^ *bytes) & 0xFFu];
        ++bytes;
        --size;
    }
    return ~state;
}

#if defined(__x86_64__)

bool crc32c_has_hardware() {
    unsigned int eax = 0;
    unsigned int ebx = 0;
    unsigned int ecx = 0;
    unsigned int edx = 0;
    if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) == 0) return false;
    return (ecx & bit_SSE4_2) != 0;
}

// Compiled for SSE4.2 alone, so the rest of the build keeps the baseline ISA and this
// function runs only after the cpuid check above.
__attribute__((target("sse4.2"))) std::uint32_t crc32c_extend_hardware(std::uint32_t crc,
                                                                       const void* data,
                                                                       std::size_t size) {
    const auto* bytes = static_cast<const unsigned char*>(data);
    std::uint64_t state = ~crc;
    while (size >= 8) {
        // memcpy: the input may be unaligned. x86 is little-endian, which is the byte
        // order the reflected CRC consumes, so this matches the portable version.
        std::uint64_t word = 0;
        std::memcpy(&word, bytes, sizeof word);
        state = _mm_crc32_u64(state, word);
        bytes += 8;
        size -= 8;
    }
    auto narrow = static_cast<std::uint32_t>(state);
    while (size > 0) {
        narrow = _mm_crc32_u8(narrow, *bytes);
        ++bytes;
        --size;
    }
    return ~narrow;
}

#else

bool crc32c_has_hardware() {
    return false;
}

std::uint32_t crc32c_extend_hardware(std::uint32_t, const void*, std::size_t) {
    CONSENSUS_UNREACHABLE();
}

#endif

std::uint32_t crc32c_extend(std::uint32_t crc, const void* data, std::size_t size) {
    static const bool has_hardware = crc32c_has_hardware();
    if (has_hardware) return crc32c_extend_hardware(crc, data, size);
    return crc32c_extend_portable(crc, data, size);
}

}  // namespace consensus::wal
