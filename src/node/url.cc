#include "node/url.h"

#include <cctype>

namespace consensus::node {
namespace {

/// "\"<text>\": <why>", built by appending: g++ 12 reports a false -Wrestrict overlap
/// for `"literal" + std::string&&` at -O2 and above in C++20.
std::string quoted(std::string_view text, std::string_view why) {
    std::string message = "\"";
    message.append(text);
    message.append("\": ");
    message.append(why);
    return message;
}

Status invalid(std::string_view text, std::string_view why) {
    return Status(StatusCode::kInvalidArgument, quoted(text, why));
}

bool is_host_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-' || c == '_';
}

bool is_ipv6_char(char c) {
    return std::isxdigit(static_cast<unsigned char>(c)) != 0 || c == ':' || c == '.';
}

/// Parses a decimal port of at most five digits into [0, 65535]. Port 0 is allowed so
/// that a listener can ask the kernel for a free port.
bool parse_port(std::string_view digits, std::uint16_t* out) {
    if (digits.empty() || digits.size() > 5) return false;
    std::uint32_t value = 0;
    for (char c : digits) {
        if (c < '0' || c > '9') return false;
        value = value * 10 + static_cast<std::uint32_t>(c - '0');
    }
    if (value > 65535) return false;
    *out = static_cast<std::uint16_t>(value);
    return true;
}

}  // namespace

std::string Url::to_string() const {
    bool is_ipv6 = host.find(':') != std::string::npos;
    std::string text = scheme;
    text.append("://");
    if (is_ipv6) text.append("[");
    text.append(host);
    if (is_ipv6) text.append("]");
    text.append(":");
    text.append(std::to_string(port));
    return text;
}

Result<Url> parse_url(std::string_view text) {
    std::size_t scheme_end = text.find("://");
    if (scheme_end == std::string_view::npos) {
        return invalid(text, "URL must look like http://host:port");
    }
    std::string scheme(text.substr(0, scheme_end));
    for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (scheme == "https") {
        return invalid(text, "https is not supported yet (use http://)");
    }
    if (scheme != "http") {
        return invalid(text, "URL scheme must be http");
    }
    std::string_view rest = text.substr(scheme_end + 3);
    if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
    if (rest.find_first_of("/?#") != std::string_view::npos) {
        return invalid(text, "URL must not contain a path, query or fragment");
    }
    if (rest.find('@') != std::string_view::npos) {
        return invalid(text, "URL must not contain a user name");
    }

    Url url;
    url.scheme = scheme;
    std::string_view port_text;
    if (!rest.empty() && rest.front() == '[') {
        std::size_t close = rest.find(']');
        if (close == std::string_view::npos) return invalid(text, "unterminated [IPv6] host");
        std::string_view host = rest.substr(1, close - 1);
        for (char c : host) {
            if (!is_ipv6_char(c)) return invalid(text, "bad character in [IPv6] host");
        }
        url.host = std::string(host);
        std::string_view after = rest.substr(close + 1);
        if (after.empty() || after.front() != ':') {
            return invalid(text, "URL address does not have the form \"host:port\"");
        }
        port_text = after.substr(1);
    } else {
        std::size_t colon = rest.rfind(':');
        if (colon == std::string_view::npos) {
            return invalid(text, "URL address does not have the form \"host:port\"");
        }
        std::string_view host = rest.substr(0, colon);
        for (char c : host) {
            if (!is_host_char(c)) return invalid(text, "bad character in host");
        }
        url.host = std::string(host);
        port_text = rest.substr(colon + 1);
    }
    if (url.host.empty()) return invalid(text, "URL has an empty host");
    if (!parse_port(port_text, &url.port)) {
        return invalid(text, "port must be a number from 0 to 65535");
    }
    return url;
}

Result<std::vector<Url>> parse_url_list(std::string_view text) {
    std::vector<Url> urls;
    std::size_t start = 0;
    while (true) {
        std::size_t comma = text.find(',', start);
        std::string_view element =
            text.substr(start, comma == std::string_view::npos ? text.npos : comma - start);
        if (element.empty()) {
            return invalid(text, "empty URL in list");
        }
        Result<Url> url = parse_url(element);
        if (!url.is_ok()) return url.status();
        urls.push_back(url.value());
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    return urls;
}

std::string join_urls(const std::vector<Url>& urls) {
    std::string text;
    for (const Url& url : urls) {
        if (!text.empty()) text += ",";
        text += url.to_string();
    }
    return text;
}

}  // namespace consensus::node
