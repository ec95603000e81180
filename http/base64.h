#pragma once
/// Standard base64 with padding, as the v3 JSON gateway carries keys and values
/// (protobuf JSON maps `bytes` fields to base64 [etcd: grpc-gateway runtime.JSONPb,
/// Go encoding/json for []byte]). Decoding follows Go's base64.StdEncoding exactly:
/// padding is required, '\r' and '\n' are skipped anywhere, and the first bad byte is
/// reported by its offset as "illegal base64 data at input byte N".

#include <string>
#include <string_view>

#include "consensus/status.h"

namespace consensus::http {

/// `data` as standard base64 with '=' padding.
std::string base64_encode(std::string_view data);

/// The bytes `text` encodes. Error (kInvalidArgument): Go's CorruptInputError text.
Result<std::string> base64_decode(std::string_view text);

}  // namespace consensus::http
