#include "wal/crc32c.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace consensus::wal {
namespace {

struct Vector {
    const char* name;
    std::string input;
    std::uint32_t crc;
};

std::string bytes_from(int first, int step, int count) {
    std::string out;
    for (int i = 0; i < count; ++i) out.push_back(static_cast<char>(first + step * i));
    return out;
}

TEST_CASE("crc32c: matches the published test vectors when given their inputs", "[wal]") {
    // RFC 3720 §B.4 and the "check" value of the CRC catalogue.
    const std::vector<Vector> vectors = {
        {"empty", "", 0x00000000u},
        {"check string", "123456789", 0xE3069283u},
        {"32 zero bytes", std::string(32, '\0'), 0x8A9136AAu},
        {"32 0xFF bytes", std::string(32, '\xFF'), 0x62A8AB43u},
        {"ascending 0..31", bytes_from(0, 1, 32), 0x46DD794Eu},
        {"descending 31..0", bytes_from(31, -1, 32), 0x113FDB5Cu},
    };
    for (const Vector& vector : vectors) {
        INFO(vector.name);
        CHECK(crc32c(vector.input) == vector.crc);
    }
}

TEST_CASE("crc32c: extending equals checksumming the concatenation when split anywhere", "[wal]") {
    std::string data;
    for (int i = 0; i < 100; ++i) data.push_back(static_cast<char>(i * 37 + 11));
    const std::uint32_t whole = crc32c(data);
    for (std::size_t split = 0; split <= data.size(); ++split) {
        INFO("split at " << split);
        const std::uint32_t head = crc32c(std::string_view(data).substr(0, split));
        CHECK(crc32c_extend(head, data.data() + split, data.size() - split) == whole);
    }
}

TEST_CASE("crc32c: a single flipped bit changes the checksum when anywhere in the input", "[wal]") {
    const std::string data = bytes_from(3, 7, 64);
    const std::uint32_t original = crc32c(data);
    for (std::size_t bit = 0; bit < data.size() * 8; ++bit) {
        std::string flipped = data;
        flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (1 << (bit % 8)));
        INFO("bit " << bit);
        CHECK(crc32c(flipped) != original);
    }
}

TEST_CASE("crc32c: the hardware and portable versions agree when given any length and alignment",
          "[wal]") {
    if (!crc32c_has_hardware()) {
        WARN("no SSE4.2 on this CPU: only the portable version is in use");
        CHECK(crc32c("123456789") == crc32c_extend_portable(0, "123456789", 9));
        return;
    }
    // Pseudo-random bytes from a fixed linear congruential sequence, so the run is
    // the same every time; offsets 0-7 cover every alignment of the 8-byte loads.
    std::string data(300, '\0');
    std::uint32_t state = 12345;
    for (char& byte : data) {
        state = state * 1103515245u + 12345u;
        byte = static_cast<char>(state >> 16);
    }
    for (std::size_t offset = 0; offset < 8; ++offset) {
        for (std::size_t size = 0; size + offset <= data.size(); size += 7) {
            INFO("offset " << offset << " size " << size);
            const char* start = data.data() + offset;
            CHECK(crc32c_extend_hardware(0, start, size) == crc32c_extend_portable(0, start, size));
            CHECK(crc32c_extend_hardware(0xDEADBEEFu, start, size) ==
                  crc32c_extend_portable(0xDEADBEEFu, start, size));
        }
    }
    CHECK(crc32c_extend_hardware(0, "123456789", 9) == 0xE3069283u);
}

TEST_CASE("crc32c: the published vectors hold for the portable version too", "[wal]") {
    CHECK(crc32c_extend_portable(0, "123456789", 9) == 0xE3069283u);
    const std::string zeros(32, '\0');
    CHECK(crc32c_extend_portable(0, zeros.data(), zeros.size()) == 0x8A9136AAu);
}

}  // namespace
}  // namespace consensus::wal
