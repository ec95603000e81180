#include "http/go_json.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace consensus::http {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

/// Decodes one UTF-8 sequence at text[i] with Go's utf8.DecodeRune rules (no
/// overlong forms, no surrogates, nothing above U+10FFFF). Returns the rune, or -1
/// for an invalid sequence, which then counts as one byte.
std::int32_t decode_rune(std::string_view text, std::size_t i, std::size_t* size) {
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    unsigned char lead = byte(i);
    *size = 1;
    std::size_t need = 0;
    std::int32_t rune = 0;
    std::int32_t minimum = 0;
    if (lead >= 0xC2 && lead <= 0xDF) {
        need = 1, rune = lead & 0x1F, minimum = 0x80;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        need = 2, rune = lead & 0x0F, minimum = 0x800;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        need = 3, rune = lead & 0x07, minimum = 0x10000;
    } else {
        return -1;
    }
    if (i + need >= text.size()) return -1;
    for (std::size_t k = 1; k <= need; ++k) {
        unsigned char next = byte(i + k);
        if ((next & 0xC0) != 0x80) return -1;
        rune = (rune << 6) | (next & 0x3F);
    }
    if (rune < minimum || rune > 0x10FFFF || (rune >= 0xD800 && rune <= 0xDFFF)) return -1;
    *size = need + 1;
    return rune;
}

void append_unicode_escape(std::string* out, unsigned code) {
    out->append("\\u");
    for (int shift = 12; shift >= 0; shift -= 4) out->push_back(kHexDigits[(code >> shift) & 0xF]);
}

/// Go's htmlSafeSet: printable ASCII except the quote, the backslash and the three
/// HTML-significant characters. These bytes are copied as they are.
constexpr bool is_copied_as_is(unsigned char c) {
    return c >= 0x20 && c < 0x80 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&';
}

struct CopiedTable {
    bool copied[256];
};

constexpr CopiedTable make_copied_table() {
    CopiedTable table{};
    for (int c = 0; c < 256; ++c) table.copied[c] = is_copied_as_is(static_cast<unsigned char>(c));
    return table;
}

constexpr CopiedTable kCopied = make_copied_table();

/// The end of the whole 16-byte blocks from `i` on that are copied as they are: SSE2
/// (part of every x86-64 processor) tests sixteen bytes per step where the table
/// tests one, which matters for 256-byte values. Other processors start the byte
/// loop at `i` itself.
std::size_t skip_copied_blocks(std::string_view text, std::size_t i) {
#if defined(__SSE2__)
    const __m128i space = _mm_set1_epi8(0x20);
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    const __m128i less = _mm_set1_epi8('<');
    const __m128i greater = _mm_set1_epi8('>');
    const __m128i ampersand = _mm_set1_epi8('&');
    while (i + sizeof(__m128i) <= text.size()) {
        __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + i));
        // A signed compare: bytes of 0x80 and more are negative, so this one finds
        // the non-ASCII bytes along with the control bytes.
        __m128i escaped = _mm_cmplt_epi8(block, space);
        escaped = _mm_or_si128(escaped, _mm_cmpeq_epi8(block, quote));
        escaped = _mm_or_si128(escaped, _mm_cmpeq_epi8(block, backslash));
        escaped = _mm_or_si128(escaped, _mm_cmpeq_epi8(block, less));
        escaped = _mm_or_si128(escaped, _mm_cmpeq_epi8(block, greater));
        escaped = _mm_or_si128(escaped, _mm_cmpeq_epi8(block, ampersand));
        if (_mm_movemask_epi8(escaped) != 0) break;
        i += sizeof(__m128i);
    }
#endif
    return i;
}

}  // namespace

std::string go_json_quote(std::string_view text) {
    std::string out;
    append_go_json_quoted(&out, text);
    return out;
}

void append_go_json_quoted(std::string* out_pointer, std::string_view text) {
    std::string& out = *out_pointer;
    out.reserve(out.size() + text.size() + 2);
    out.push_back('"');
    for (std::size_t i = 0; i < text.size();) {
        // Most text (keys, values) is plain ASCII: copy each run of it in one append.
        std::size_t run_end = skip_copied_blocks(text, i);
        while (run_end < text.size() && kCopied.copied[static_cast<unsigned char>(text[run_end])]) {
            ++run_end;
        }
        if (run_end != i) {
            out.append(text.data() + i, run_end - i);
            i = run_end;
            if (i == text.size()) break;
        }
        unsigned char c = static_cast<unsigned char>(text[i]);
        if (c < 0x80) {
            // The copied bytes were taken by the run above; the rest is escaped.
            if (c == '"' || c == '\\') {
                out.push_back('\\');
                out.push_back(static_cast<char>(c));
            } else if (c == '\n') {
                out.append("\\n");
            } else if (c == '\r') {
                out.append("\\r");
            } else if (c == '\t') {
                out.append("\\t");
            } else {
                append_unicode_escape(out_pointer, c);
            }
            ++i;
            continue;
        }
        std::size_t size = 1;
        std::int32_t rune = decode_rune(text, i, &size);
        if (rune < 0) {
            out.append("\\ufffd");
        } else if (rune == 0x2028 || rune == 0x2029) {
            append_unicode_escape(out_pointer, static_cast<unsigned>(rune));
        } else {
            out.append(text.substr(i, size));
        }
        i += size;
    }
    out.push_back('"');
}

std::string go_json_float(double value) {
    char buffer[64];
    double magnitude = std::fabs(value);
    bool exponent = magnitude != 0 && (magnitude < 1e-6 || magnitude >= 1e21);
    auto result =
        std::to_chars(buffer, buffer + sizeof buffer, value,
                      exponent ? std::chars_format::scientific : std::chars_format::fixed);
    std::string text(buffer, result.ptr);
    // Go trims a leading zero from a negative two-digit exponent: "e-07" -> "e-7".
    std::size_t n = text.size();
    if (exponent && n >= 4 && text[n - 4] == 'e' && text[n - 3] == '-' && text[n - 2] == '0') {
        text.erase(n - 2, 1);
    }
    return text;
}

std::string rfc3339_nano(std::int64_t unix_nanos) {
    std::int64_t seconds = unix_nanos / 1'000'000'000;
    std::int64_t nanos = unix_nanos % 1'000'000'000;
    if (nanos < 0) {
        nanos += 1'000'000'000;
        seconds -= 1;
    }
    std::time_t time = static_cast<std::time_t>(seconds);
    std::tm utc{};
    gmtime_r(&time, &utc);
    char text[64];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
    std::string out = text;
    if (nanos != 0) {
        char fraction[16];
        std::snprintf(fraction, sizeof fraction, ".%09lld", static_cast<long long>(nanos));
        std::string digits = fraction;
        while (digits.back() == '0') digits.pop_back();
        out += digits;
    }
    out += "Z";
    return out;
}

namespace {

/// "<whole>.<fraction>" of `value` / 10^digits with the fraction's trailing zeros
/// (and a then empty point) removed, as Go's fmtFrac does.
std::string fraction_text(std::uint64_t value, int digits) {
    std::uint64_t scale = 1;
    for (int k = 0; k < digits; ++k) scale *= 10;
    std::string out = std::to_string(value / scale);
    std::uint64_t rest = value % scale;
    if (rest != 0) {
        std::string fraction = std::to_string(rest);
        fraction.insert(0, static_cast<std::size_t>(digits) - fraction.size(), '0');
        while (fraction.back() == '0') fraction.pop_back();
        out += "." + fraction;
    }
    return out;
}

}  // namespace

std::string go_duration(std::int64_t nanos) {
    if (nanos == 0) return "0s";
    std::string sign = nanos < 0 ? "-" : "";
    std::uint64_t u = nanos < 0 ? static_cast<std::uint64_t>(-(nanos + 1)) + 1
                                : static_cast<std::uint64_t>(nanos);
    if (u < 1'000) return sign + std::to_string(u) + "ns";
    if (u < 1'000'000) return sign + fraction_text(u, 3) + "\xC2\xB5s";
    if (u < 1'000'000'000) return sign + fraction_text(u, 6) + "ms";
    std::uint64_t whole_seconds = u / 1'000'000'000;
    std::string seconds_text = fraction_text(u % 60'000'000'000ULL, 9) + "s";
    if (whole_seconds < 60) return sign + seconds_text;
    std::uint64_t minutes = whole_seconds / 60;
    if (minutes < 60) return sign + std::to_string(minutes) + "m" + seconds_text;
    return sign + std::to_string(minutes / 60) + "h" + std::to_string(minutes % 60) + "m" +
           seconds_text;
}

std::string hex_id(std::uint64_t value) {
    // Every v2 answer carries the cluster id in hex; to_chars skips snprintf's format
    // parsing.
    char text[16];
    auto [end, error] = std::to_chars(text, text + sizeof text, value, 16);
    (void)error;  // 16 hex digits hold any 64-bit value
    return std::string(text, end);
}

}  // namespace consensus::http
