#pragma once
/// URL and form decoding with Go's rules, which decide what etcd's v2 API sees
/// [etcd: Go net/url (ParseQuery, QueryUnescape, PathUnescape), net/http
/// Request.ParseForm, strconv (ParseBool, ParseUint)].

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace consensus::http {

/// A parsed form: each name with its values in the order they appeared. The
/// comparator is transparent so a name is looked up without building a string.
using FormValues = std::map<std::string, std::vector<std::string>, std::less<>>;

/// Parses `query` ("a=1&b=%20&c") into `out`, appending to existing names, as Go's
/// url.ParseQuery does: '+' is a space, a pair without '=' has an empty value, empty
/// pairs are skipped, and a pair holding ';' is refused. Returns the first error
/// text (Go's wording, e.g. `invalid URL escape "%zz"`); pairs without errors are
/// still added.
std::optional<std::string> parse_query(std::string_view query, FormValues* out);

/// Percent-decodes a URL path as Go's url.PathUnescape: "%2F" becomes '/', '+' stays
/// '+'. Unset when an escape is malformed.
std::optional<std::string> unescape_path(std::string_view path);

/// Escapes a path as Go's url.URL.EscapedPath does for a path with no raw form:
/// unreserved characters and $&+,/:;=@ stay, everything else becomes %XX.
std::string escape_path(std::string_view path);

/// Go's path.Clean: one slash between elements, no "." elements, ".." resolved,
/// no trailing slash except for "/" itself, and "." for an empty relative path.
std::string clean_path(std::string_view path);

/// strconv.ParseBool: 1 t T TRUE true True / 0 f F FALSE false False.
std::optional<bool> parse_go_bool(std::string_view text);

/// strconv.ParseUint(text, 10, 64): decimal digits only, no sign or space, no
/// overflow.
std::optional<std::uint64_t> parse_go_uint64(std::string_view text);

}  // namespace consensus::http
