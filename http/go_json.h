#pragma once
/// Go-compatible JSON text pieces. etcd writes its JSON with Go's encoding/json, whose
/// output differs from nlohmann's in ways a client can see byte for byte: `<`, `>`
/// and `&` become \u003c \u003e \u0026, U+2028 and U+2029 are escaped, control
/// characters other than \n \r \t become \u00XX with lower-case hex, invalid UTF-8
/// becomes \ufffd, and floats use the shortest form with Go's exponent rules
/// [etcd: Go encoding/json encode.go (encodeState.string, floatEncoder)].

#include <cstdint>
#include <string>
#include <string_view>

namespace consensus::http {

/// `text` as a quoted JSON string, escaped exactly as Go's json.Marshal does.
std::string go_json_quote(std::string_view text);

/// Appends go_json_quote(text) to `out` without a temporary string (the hot path of
/// every v2 response body).
void append_go_json_quoted(std::string* out, std::string_view text);

/// `value` as Go's json.Marshal writes a float64: shortest round-trip digits, fixed
/// notation for 1e-6 <= |value| < 1e21 (and 0), otherwise exponent notation with a
/// negative exponent's leading zero trimmed as Go does ("1e-7", "1e+21").
std::string go_json_float(double value);

/// `unix_nanos` as Go's time.RFC3339Nano in UTC: "2026-11-22T04:07:15.246118865Z",
/// trailing zeros of the fraction trimmed and no fraction when it is zero.
std::string rfc3339_nano(std::int64_t unix_nanos);

/// A Go time.Duration's String(): "1.592121615s", "2m3.5s", "1h0m0s", "0s",
/// "1.5ms", "300ns".
std::string go_duration(std::int64_t nanos);

/// `value` in lower-case hex without leading zeros, as etcd's types.ID.String().
std::string hex_id(std::uint64_t value);

}  // namespace consensus::http
