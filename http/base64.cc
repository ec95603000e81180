#include "http/base64.h"

#include <array>
#include <cstdint>

namespace consensus::http {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::uint8_t kInvalid = 0xff;

constexpr std::array<std::uint8_t, 256> make_decode_map() {
    std::array<std::uint8_t, 256> map{};
    for (auto& entry : map) entry = kInvalid;
    for (std::size_t i = 0; i < kAlphabet.size(); ++i) {
        map[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::uint8_t>(i);
    }
    return map;
}

constexpr std::array<std::uint8_t, 256> kDecodeMap = make_decode_map();

bool is_newline(char c) {
    return c == '\r' || c == '\n';
}

Status corrupt_input(std::size_t offset) {
    return Status(StatusCode::kInvalidArgument,
                  "illegal base64 data at input byte " + std::to_string(offset));
}

/// One step of Go's decodeQuantum: decodes up to four symbols starting at *si into
/// `out`. Sets *done when the input (or its padding) ended.
Status decode_quantum(std::string_view src, std::size_t* si, std::string* out, bool* done) {
    std::array<std::uint8_t, 4> symbols{};
    std::size_t length = 4;
    for (std::size_t j = 0; j < 4; ++j) {
        if (*si == src.size()) {
            if (j == 0) {
                *done = true;
                return Status::ok();
            }
            // Go's StdEncoding wants padding: a partial quantum at the end is corrupt.
            return corrupt_input(*si - j);
        }
        char in = src[*si];
        ++*si;
        std::uint8_t value = kDecodeMap[static_cast<unsigned char>(in)];
        if (value != kInvalid) {
            symbols[j] = value;
            continue;
        }
        if (is_newline(in)) {
            --j;
            continue;
        }
        if (in != '=' || j < 2) return corrupt_input(*si - 1);
        if (j == 2) {
            // "==" is expected; the first '=' was just consumed.
            while (*si < src.size() && is_newline(src[*si])) ++*si;
            if (*si == src.size()) return corrupt_input(src.size());
            if (src[*si] != '=') return corrupt_input(*si - 1);
            ++*si;
        }
        while (*si < src.size() && is_newline(src[*si])) ++*si;
        if (*si < src.size()) return corrupt_input(*si);  // trailing garbage
        length = j;
        *done = true;
        break;
    }
    std::uint32_t value = (std::uint32_t{symbols[0]} << 18) | (std::uint32_t{symbols[1]} << 12) |
                          (std::uint32_t{symbols[2]} << 6) | std::uint32_t{symbols[3]};
    if (length >= 2) out->push_back(static_cast<char>((value >> 16) & 0xff));
    if (length >= 3) out->push_back(static_cast<char>((value >> 8) & 0xff));
    if (length >= 4) out->push_back(static_cast<char>(value & 0xff));
    return Status::ok();
}

}  // namespace

std::string base64_encode(std::string_view data) {
    std::string out;
    out.reserve((data.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= data.size(); i += 3) {
        std::uint32_t value = (std::uint32_t{static_cast<unsigned char>(data[i])} << 16) |
                              (std::uint32_t{static_cast<unsigned char>(data[i + 1])} << 8) |
                              std::uint32_t{static_cast<unsigned char>(data[i + 2])};
        out.push_back(kAlphabet[(value >> 18) & 63]);
        out.push_back(kAlphabet[(value >> 12) & 63]);
        out.push_back(kAlphabet[(value >> 6) & 63]);
        out.push_back(kAlphabet[value & 63]);
    }
    std::size_t rest = data.size() - i;
    if (rest == 0) return out;
    std::uint32_t value = std::uint32_t{static_cast<unsigned char>(data[i])} << 16;
    if (rest == 2) value |= std::uint32_t{static_cast<unsigned char>(data[i + 1])} << 8;
    out.push_back(kAlphabet[(value >> 18) & 63]);
    out.push_back(kAlphabet[(value >> 12) & 63]);
    out.push_back(rest == 2 ? kAlphabet[(value >> 6) & 63] : '=');
    out.push_back('=');
    return out;
}

Result<std::string> base64_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size() / 4 * 3);
    std::size_t si = 0;
    bool done = false;
    while (!done) {
        Status status = decode_quantum(text, &si, &out, &done);
        if (!status.is_ok()) return status;
    }
    return out;
}

}  // namespace consensus::http
