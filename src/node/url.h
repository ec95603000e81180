#pragma once
/// Url: the member's client and peer addresses as etcd's flags spell them
/// ("http://127.0.0.1:2380"). Only plain http with an explicit host and port is
/// accepted for now; https is refused with a clear "not supported yet" error rather
/// than silently served in the clear.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "consensus/status.h"

namespace consensus::node {

/// One parsed URL. Invariant: scheme is "http"; host is non-empty and holds no
/// brackets (an IPv6 literal is stored bare and bracketed again by to_string()).
struct Url {
    std::string scheme = "http";
    std::string host;
    std::uint16_t port = 0;

    /// "http://host:port", the form etcd prints and hashes into member ids
    /// [etcd: server/etcdserver/api/membership/member.go computeMemberID].
    std::string to_string() const;

    bool operator==(const Url&) const = default;
};

/// Parses "http://host:port" (an optional trailing "/" is allowed). Errors
/// (kInvalidArgument) name what is wrong: a missing or unknown scheme, https (not
/// supported yet), an empty host, a missing, non-numeric or out-of-range port, or a
/// path, query or user part.
Result<Url> parse_url(std::string_view text);

/// Parses a comma-separated list of URLs as etcd's URL-list flags take them. An empty
/// list or an empty element is an error. The first bad element is named in the error.
Result<std::vector<Url>> parse_url_list(std::string_view text);

/// Joins URLs with commas, the inverse of parse_url_list.
std::string join_urls(const std::vector<Url>& urls);

}  // namespace consensus::node
