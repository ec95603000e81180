// The fixed-width little-endian coding every record, frame and snapshot uses.

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <string_view>

#include "consensus/little_endian.h"

namespace consensus {
namespace {

TEST_CASE("little endian: fixed-width integers are written least significant byte first",
          "[unit]") {
    std::string out;
    put_fixed32(&out, 0x01020304u);
    put_fixed64(&out, 0x1122334455667788ull);
    CHECK(out == std::string("\x04\x03\x02\x01\x88\x77\x66\x55\x44\x33\x22\x11", 12));
    CHECK(get_fixed32(out) == 0x01020304u);
    CHECK(get_fixed64(std::string_view(out).substr(4)) == 0x1122334455667788ull);
}

TEST_CASE("little endian: bytes with the high bit set read back unsigned", "[unit]") {
    std::string out;
    put_fixed64(&out, 0xffeeddccbbaa9988ull);
    put_fixed32(&out, 0x80000001u);
    CHECK(get_fixed64(out) == 0xffeeddccbbaa9988ull);
    CHECK(get_fixed32(std::string_view(out).substr(8)) == 0x80000001u);
}

TEST_CASE("little endian: a value is overwritten in place when stored", "[unit]") {
    std::string bytes(8, '\0');
    store_little_endian(bytes.data() + 2, 0xa1b2c3u, 3);
    CHECK(bytes == std::string("\0\0\xc3\xb2\xa1\0\0\0", 8));
    CHECK(load_little_endian(std::string_view(bytes).substr(2), 3) == 0xa1b2c3u);
}

}  // namespace
}  // namespace consensus
