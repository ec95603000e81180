// SHA-1 against the FIPS 180 / RFC 3174 test vectors, and at every length around the
// one- and two-block padding boundaries against a digest chain whose final value was
// computed independently (sha1sum over the same inputs).

#include <cstdio>
#include <string>

#include <catch2/catch.hpp>

#include "node/sha1.h"

namespace consensus::node {
namespace {

std::string hex(const Sha1Digest& digest) {
    std::string out;
    char byte[3];
    for (const std::uint8_t value : digest) {
        std::snprintf(byte, sizeof byte, "%02x", value);
        out += byte;
    }
    return out;
}

TEST_CASE("sha1: the FIPS 180 and RFC 3174 test vectors", "[node]") {
    CHECK(hex(sha1("")) == "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    CHECK(hex(sha1("abc")) == "a9993e364706816aba3e25717850c26c9cd0d89d");
    CHECK(hex(sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")) ==
          "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    CHECK(hex(sha1(std::string(1000000, 'a'))) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
    std::string repeated;
    for (int i = 0; i < 10; ++i) {
        repeated += "0123456701234567012345670123456701234567012345670123456701234567";
    }
    CHECK(hex(sha1(repeated)) == "dea356a2cddd90c7a7ecedc5ebb563934f460452");
}

TEST_CASE("sha1: every length from 0 to 130 bytes, across the padding boundaries", "[node]") {
    // Input i is i bytes of 'x'; each digest is folded into the next input, so one
    // wrong length changes the final digest. The expected value is sha1sum's, from
    //   h=""; for i in $(seq 0 130); do
    //     h=$( (printf "%s" "$h"; head -c $i /dev/zero | tr '\0' x) | sha1sum | cut -c1-40)
    //   done; echo $h
    std::string chain;
    for (int i = 0; i <= 130; ++i) chain = hex(sha1(chain + std::string(i, 'x')));
    CHECK(chain == "3c02ea268cf25f889b842a5d50c1b2c3fa454d93");
}

}  // namespace
}  // namespace consensus::node
