#include "http/form.h"

#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

namespace consensus::http {
namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/// The index of the first `c` in `text`, or text.size() when there is none.
std::size_t first_of(std::string_view text, char c) {
    const void* found = text.empty() ? nullptr : std::memchr(text.data(), c, text.size());
    if (found == nullptr) return text.size();
    return static_cast<std::size_t>(static_cast<const char*>(found) - text.data());
}

/// Go's url.unescape. On a malformed escape, `error` gets Go's EscapeError text,
/// which quotes at most three characters starting at the '%'.
std::optional<std::string> unescape(std::string_view text, bool plus_is_space, std::string* error) {
    // Most names and many values need no decoding: one copy after one scan. The scan
    // is memchr per special character: find_first_of with a set of characters searches
    // the set for every byte, which made a 256-byte value cost thousands of
    // instructions.
    std::size_t first_special = first_of(text, '%');
    if (plus_is_space) first_special = std::min(first_special, first_of(text, '+'));
    if (first_special == text.size()) return std::string(text);
    std::string out;
    out.reserve(text.size());
    out.append(text.data(), first_special);
    for (std::size_t i = first_special; i < text.size(); ++i) {
        char c = text[i];
        if (c == '%') {
            if (i + 2 >= text.size()) {
                if (error) *error = "invalid URL escape \"" + std::string(text.substr(i, 3)) + "\"";
                return std::nullopt;
            }
            int high = hex_value(text[i + 1]);
            int low = hex_value(text[i + 2]);
            if (high < 0 || low < 0) {
                if (error) *error = "invalid URL escape \"" + std::string(text.substr(i, 3)) + "\"";
                return std::nullopt;
            }
            out.push_back(static_cast<char>(high * 16 + low));
            i += 2;
        } else if (c == '+' && plus_is_space) {
            out.push_back(' ');
        } else {
            out.push_back(c);
        }
    }
    return out;
}

}  // namespace

std::optional<std::string> parse_query(std::string_view query, FormValues* out) {
    std::optional<std::string> first_error;
    while (!query.empty()) {
        std::size_t amp = query.find('&');
        std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
        if (pair.find(';') != std::string_view::npos) {
            // Go 1.17 and later refuse ';' as a separator [etcd: Go net/url parseQuery].
            if (!first_error) first_error = "invalid semicolon separator in query";
            continue;
        }
        if (pair.empty()) continue;
        std::size_t equals = pair.find('=');
        std::string_view raw_name = pair.substr(0, equals);
        std::string_view raw_value =
            equals == std::string_view::npos ? std::string_view() : pair.substr(equals + 1);
        std::string error;
        auto name = unescape(raw_name, true, &error);
        if (!name) {
            if (!first_error) first_error = error;
            continue;
        }
        auto value = unescape(raw_value, true, &error);
        if (!value) {
            if (!first_error) first_error = error;
            continue;
        }
        (*out)[std::move(*name)].push_back(std::move(*value));
    }
    return first_error;
}

std::optional<std::string> unescape_path(std::string_view path) {
    return unescape(path, false, nullptr);
}

std::string escape_path(std::string_view path) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (char c : path) {
        unsigned char u = static_cast<unsigned char>(c);
        bool keep = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') ||
                    std::string_view("-_.~$&+,/:;=@").find(c) != std::string_view::npos;
        if (keep) {
            out.push_back(c);
        } else {
            out.push_back('%');
            out.push_back(kHex[u >> 4]);
            out.push_back(kHex[u & 0xF]);
        }
    }
    return out;
}

std::string clean_path(std::string_view path) {
    if (path.empty()) return ".";
    bool rooted = path.front() == '/';
    std::vector<std::string_view> parts;
    std::size_t i = 0;
    while (i < path.size()) {
        std::size_t slash = path.find('/', i);
        if (slash == std::string_view::npos) slash = path.size();
        std::string_view part = path.substr(i, slash - i);
        i = slash + 1;
        if (part.empty() || part == ".") continue;
        if (part == "..") {
            if (!parts.empty() && parts.back() != "..") {
                parts.pop_back();
            } else if (!rooted) {
                parts.push_back(part);
            }
            continue;
        }
        parts.push_back(part);
    }
    std::string out = rooted ? "/" : "";
    for (std::size_t k = 0; k < parts.size(); ++k) {
        if (k != 0) out.push_back('/');
        out.append(parts[k]);
    }
    if (out.empty()) return ".";
    return out;
}

std::optional<bool> parse_go_bool(std::string_view text) {
    if (text == "1" || text == "t" || text == "T" || text == "TRUE" || text == "true" ||
        text == "True") {
        return true;
    }
    if (text == "0" || text == "f" || text == "F" || text == "FALSE" || text == "false" ||
        text == "False") {
        return false;
    }
    return std::nullopt;
}

std::optional<std::uint64_t> parse_go_uint64(std::string_view text) {
    if (text.empty()) return std::nullopt;
    std::uint64_t value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        std::uint64_t digit = static_cast<std::uint64_t>(c - '0');
        if (value > (UINT64_MAX - digit) / 10) return std::nullopt;
        value = value * 10 + digit;
    }
    return value;
}

}  // namespace consensus::http
