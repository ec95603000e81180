#include "kv/codec.h"

#include <array>

#include "consensus/little_endian.h"

namespace consensus::kv::detail {

void ByteWriter::put_u8(std::uint8_t value) {
    bytes_.push_back(static_cast<char>(value));
}

void ByteWriter::put_bool(bool value) {
    put_u8(value ? 1 : 0);
}

void ByteWriter::put_u32(std::uint32_t value) {
    put_fixed32(&bytes_, value);
}

void ByteWriter::put_u64(std::uint64_t value) {
    put_fixed64(&bytes_, value);
}

void ByteWriter::patch_u64(std::size_t offset, std::uint64_t value) {
    store_little_endian(&bytes_[offset], value, 8);
}

void ByteWriter::put_i64(std::int64_t value) {
    put_u64(static_cast<std::uint64_t>(value));
}

void ByteWriter::put_string(std::string_view bytes) {
    put_u32(static_cast<std::uint32_t>(bytes.size()));
    put_raw(bytes);
}

void ByteWriter::put_raw(std::string_view bytes) {
    bytes_.append(bytes.data(), bytes.size());
}

bool ByteReader::take(std::size_t count, std::string_view* out) {
    if (failed_ || count > remaining()) {
        failed_ = true;
        return false;
    }
    *out = bytes_.substr(offset_, count);
    offset_ += count;
    return true;
}

std::uint8_t ByteReader::get_u8() {
    std::string_view piece;
    if (!take(1, &piece)) return 0;
    return static_cast<std::uint8_t>(piece[0]);
}

bool ByteReader::get_bool() {
    const std::uint8_t byte = get_u8();
    if (byte > 1) {
        failed_ = true;
        return false;
    }
    return byte == 1;
}

std::uint32_t ByteReader::get_u32() {
    std::string_view piece;
    if (!take(4, &piece)) return 0;
    return get_fixed32(piece);
}

std::uint64_t ByteReader::get_u64() {
    std::string_view piece;
    if (!take(8, &piece)) return 0;
    return get_fixed64(piece);
}

std::int64_t ByteReader::get_i64() {
    return static_cast<std::int64_t>(get_u64());
}

std::string ByteReader::get_string() {
    const std::uint32_t length = get_u32();
    std::string_view piece;
    if (!take(length, &piece)) return {};
    return std::string(piece);
}

std::string_view ByteReader::get_raw(std::size_t count) {
    std::string_view piece;
    if (!take(count, &piece)) return {};
    return piece;
}

namespace {

/// Slicing-by-8 tables for the reflected IEEE polynomial: tables[0] is the classic
/// byte-at-a-time table, tables[k][b] the CRC of byte b followed by k zero bytes, so
/// eight bytes are folded per step instead of one (a snapshot is checksummed whole,
/// and can be tens of megabytes).
using Crc32Tables = std::array<std::array<std::uint32_t, 256>, 8>;

Crc32Tables make_crc32_tables() {
    Crc32Tables tables{};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t value = i;
        for (int bit = 0; bit < 8; ++bit) {
            value = (value & 1U) != 0 ? 0xEDB88320U ^ (value >> 1) : value >> 1;
        }
        tables[0][i] = value;
    }
    for (std::size_t k = 1; k < tables.size(); ++k) {
        for (std::uint32_t i = 0; i < 256; ++i) {
            const std::uint32_t previous = tables[k - 1][i];
            tables[k][i] = tables[0][previous & 0xFFU] ^ (previous >> 8);
        }
    }
    return tables;
}

std::uint32_t load_le32(const unsigned char* bytes) {
    return static_cast<std::uint32_t>(bytes[0]) | static_cast<std::uint32_t>(bytes[1]) << 8 |
           static_cast<std::uint32_t>(bytes[2]) << 16 | static_cast<std::uint32_t>(bytes[3]) << 24;
}

}  // namespace

std::uint32_t crc32(std::string_view bytes) {
    static const Crc32Tables tables = make_crc32_tables();
    const auto* next = reinterpret_cast<const unsigned char*>(bytes.data());
    std::size_t left = bytes.size();
    std::uint32_t crc = 0xFFFFFFFFU;
    while (left >= 8) {
        const std::uint32_t low = load_le32(next) ^ crc;
        const std::uint32_t high = load_le32(next + 4);
        crc = tables[7][low & 0xFFU] ^ tables[6][(low >> 8) & 0xFFU] ^
              tables[5][(low >> 16) & 0xFFU] ^ tables[4][low >> 24] ^ tables[3][high & 0xFFU] ^
              tables[2][(high >> 8) & 0xFFU] ^ tables[1][(high >> 16) & 0xFFU] ^
              tables[0][high >> 24];
        next += 8;
        left -= 8;
    }
    for (; left > 0; --left, ++next) crc = tables[0][(crc ^ *next) & 0xFFU] ^ (crc >> 8);
    return crc ^ 0xFFFFFFFFU;
}

}  // namespace consensus::kv::detail
