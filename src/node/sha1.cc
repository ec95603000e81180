#include "node/sha1.h"

#include <cstddef>
#include <string>

namespace consensus::node {
namespace {

constexpr std::size_t kBlockBytes = 64;

std::uint32_t rotate_left(std::uint32_t value, int bits) {
    return (value << bits) | (value >> (32 - bits));
}

/// FIPS 180-4 §6.1.2: one 512-bit block into the state.
void compress(const std::uint8_t* block, std::array<std::uint32_t, 5>* state) {
    std::array<std::uint32_t, 80> w{};
    for (std::size_t t = 0; t < 16; ++t) {
        w[t] = (std::uint32_t{block[4 * t]} << 24) | (std::uint32_t{block[4 * t + 1]} << 16) |
               (std::uint32_t{block[4 * t + 2]} << 8) | std::uint32_t{block[4 * t + 3]};
    }
    for (std::size_t t = 16; t < 80; ++t) {
        w[t] = rotate_left(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
    }
    auto [a, b, c, d, e] = *state;
    for (std::size_t t = 0; t < 80; ++t) {
        std::uint32_t f = 0;
        std::uint32_t k = 0;
        if (t < 20) {
            f = (b & c) | (~b & d);
            k = 0x5a827999;
        } else if (t < 40) {
            f = b ^ c ^ d;
            k = 0x6ed9eba1;
        } else if (t < 60) {
            f = (b & c) | (b & d) | (c & d);
            k = 0x8f1bbcdc;
        } else {
            f = b ^ c ^ d;
            k = 0xca62c1d6;
        }
        const std::uint32_t next = rotate_left(a, 5) + f + e + k + w[t];
        e = d;
        d = c;
        c = rotate_left(b, 30);
        b = a;
        a = next;
    }
    (*state)[0] += a;
    (*state)[1] += b;
    (*state)[2] += c;
    (*state)[3] += d;
    (*state)[4] += e;
}

}  // namespace

Sha1Digest sha1(std::string_view bytes) {
    std::array<std::uint32_t, 5> state = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476,
                                          0xc3d2e1f0};
    std::size_t offset = 0;
    for (; offset + kBlockBytes <= bytes.size(); offset += kBlockBytes) {
        compress(reinterpret_cast<const std::uint8_t*>(bytes.data() + offset), &state);
    }
    // §5.1.1 padding: a 1 bit, zeros, then the message length in bits as 64 bits
    // big-endian, filling one or two last blocks.
    std::string tail(bytes.substr(offset));
    tail.push_back(static_cast<char>(0x80));
    while (tail.size() % kBlockBytes != kBlockBytes - 8) tail.push_back('\0');
    const std::uint64_t length_bits = static_cast<std::uint64_t>(bytes.size()) * 8;
    for (int shift = 56; shift >= 0; shift -= 8) {
        tail.push_back(static_cast<char>((length_bits >> shift) & 0xff));
    }
    for (std::size_t block = 0; block < tail.size(); block += kBlockBytes) {
        compress(reinterpret_cast<const std::uint8_t*>(tail.data() + block), &state);
    }
    Sha1Digest digest{};
    for (std::size_t i = 0; i < 5; ++i) {
        for (std::size_t j = 0; j < 4; ++j) {
            digest[4 * i + j] = static_cast<std::uint8_t>(state[i] >> (24 - 8 * j));
        }
    }
    return digest;
}

}  // namespace consensus::node
