#pragma once
/// Fixed-width little-endian integers: the byte order of every integer in the records,
/// frames, commands and snapshots this project writes. (The WAL's entry keys are the
/// exception: big-endian, so that LevelDB's bytewise order is index order; wal/keys.h.)
/// The names follow LevelDB's coding.h. Readers take exactly the bytes they decode;
/// checking that enough bytes are there is the caller's job.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace consensus {

/// Writes the low `count` bytes of `value` to out[0, count), least significant first.
inline void store_little_endian(char* out, std::uint64_t value, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) out[i] = static_cast<char>(value >> (8 * i));
}

/// Reads bytes[0, count) as an integer stored least significant first.
inline std::uint64_t load_little_endian(std::string_view bytes, std::size_t count) {
    std::uint64_t value = 0;
    for (std::size_t i = count; i > 0; --i) {
        value = (value << 8) | static_cast<std::uint8_t>(bytes[i - 1]);
    }
    return value;
}

inline void put_fixed32(std::string* out, std::uint32_t value) {
    char bytes[4];
    store_little_endian(bytes, value, sizeof(bytes));
    out->append(bytes, sizeof(bytes));
}

inline void put_fixed64(std::string* out, std::uint64_t value) {
    char bytes[8];
    store_little_endian(bytes, value, sizeof(bytes));
    out->append(bytes, sizeof(bytes));
}

/// Reads bytes[0, 4).
inline std::uint32_t get_fixed32(std::string_view bytes) {
    return static_cast<std::uint32_t>(load_little_endian(bytes, 4));
}

/// Reads bytes[0, 8).
inline std::uint64_t get_fixed64(std::string_view bytes) {
    return load_little_endian(bytes, 8);
}

}  // namespace consensus
