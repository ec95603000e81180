#pragma once
/// Byte-level building blocks shared by the command and snapshot formats of kv/.
///
/// Framing: every integer is fixed-width little-endian (u8, u32, u64, i64 as its two's
/// complement u64); a string is a u32 byte length followed by the raw bytes; a boolean
/// is one byte, 0 or 1, and any other byte is a decode error. The formats that use
/// these pieces (command.h, snapshot.h) document their own layout, version byte and
/// checksum.
///
/// ByteReader never reads past its input: every read checks the remaining length
/// first, and after the first failure the reader stays failed and every later read
/// returns a zero value. Callers check failed() once at the end, which keeps decoders
/// straight-line while still refusing truncated or garbage input.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace consensus::kv::detail {

/// Appends encoded values to an owned buffer. Never fails.
class ByteWriter {
public:
    ByteWriter() = default;
    /// Continues `start`: what is written is appended after its bytes.
    explicit ByteWriter(std::string start) : bytes_(std::move(start)) {}

    /// Appends one byte.
    void put_u8(std::uint8_t value);
    /// Appends 1 or 0.
    void put_bool(bool value);
    /// Appends 4 bytes, little-endian.
    void put_u32(std::uint32_t value);
    /// Appends 8 bytes, little-endian.
    void put_u64(std::uint64_t value);
    /// Appends the two's complement as a u64.
    void put_i64(std::int64_t value);
    /// Precondition: bytes.size() fits in a u32 (callers bound their strings).
    void put_string(std::string_view bytes);
    /// Appends raw bytes without a length prefix.
    void put_raw(std::string_view bytes);
    /// Overwrites the 8 bytes at `offset` (written by put_u64) with `value`.
    /// Precondition: offset + 8 <= bytes().size().
    void patch_u64(std::size_t offset, std::uint64_t value);

    /// The bytes written so far.
    const std::string& bytes() const { return bytes_; }
    /// Moves the bytes out; the writer is empty afterwards.
    std::string take() { return std::move(bytes_); }

private:
    std::string bytes_;
};

/// Reads values back from a borrowed buffer that must outlive the reader.
class ByteReader {
public:
    explicit ByteReader(std::string_view bytes) : bytes_(bytes) {}

    /// Each get_ reads the matching put_ encoding, or fails and returns zero / empty.
    std::uint8_t get_u8();
    /// Fails on any byte other than 0 or 1.
    bool get_bool();
    std::uint32_t get_u32();
    std::uint64_t get_u64();
    std::int64_t get_i64();
    /// Fails when the declared length exceeds the bytes left.
    std::string get_string();
    /// Reads exactly `count` raw bytes.
    std::string_view get_raw(std::size_t count);

    /// Marks the reader failed (used by decoders for semantic errors).
    void fail() { failed_ = true; }
    /// Whether any read (or fail()) failed so far.
    bool failed() const { return failed_; }
    /// Bytes not yet consumed.
    std::size_t remaining() const { return bytes_.size() - offset_; }
    /// True when every byte was consumed and no read failed.
    bool finished_cleanly() const { return !failed_ && remaining() == 0; }

private:
    bool take(std::size_t count, std::string_view* out);

    std::string_view bytes_;
    std::size_t offset_ = 0;
    bool failed_ = false;
};

/// CRC-32 (IEEE 802.3 polynomial, as zlib and Go's hash/crc32 compute it).
std::uint32_t crc32(std::string_view bytes);

}  // namespace consensus::kv::detail
