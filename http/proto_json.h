#pragma once
/// Decoding protobuf messages from JSON the way etcd 3.4's gateway does it
/// [etcd: grpc-gateway v1 runtime.JSONPb over golang/protobuf jsonpb, with unknown
/// fields allowed]. The rules a client can see:
///   - A body is a stream of JSON values (Go's json.Decoder): a request is the first
///     value, anything after it is not read; a body with no value is io.EOF, which the
///     gateway treats as an empty message.
///   - Field names match exactly, either the proto name ("range_end") or its
///     lowerCamelCase JSON name ("rangeEnd"); unknown fields are ignored; a field
///     whose value is null is left unset.
///   - int64 fields take a JSON number or a string holding one; enums take the value's
///     name or its number; bytes are base64 strings; bool is true or false only.
///   - Any other type is an error whose text imitates Go's decoder ("json: cannot
///     unmarshal string into Go value of type bool"); clients only rely on it being
///     non-empty, and it always reaches them as gRPC code 3 (InvalidArgument).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "consensus/status.h"

namespace consensus::http {

/// Reads the JSON values of a request body one after another, as Go's json.Decoder.
class JsonValueStream {
public:
    explicit JsonValueStream(std::string_view text) : text_(text) {}

    /// The next value; std::nullopt when only whitespace remains (Go's io.EOF).
    /// Errors (kInvalidArgument): a malformed or truncated value ("unexpected EOF"),
    /// after which the stream stays at the broken value.
    Result<std::optional<nlohmann::json>> next();

private:
    std::string_view text_;
    std::size_t offset_ = 0;
};

/// Parses the first JSON value of `body` as the gateway does for a unary call:
/// an empty body gives an empty object.
Result<nlohmann::json> first_json_value(std::string_view body);

/// One enum's names by number, e.g. {"NONE", "ASCEND", "DESCEND"}, and its Go type
/// name for error texts ("etcdserverpb.RangeRequest_SortOrder").
struct EnumType {
    std::string_view go_name;
    std::vector<std::string_view> names;
};

/// Reads the fields of one JSON object as a protobuf message. Readers leave the
/// output untouched when the field is absent or null; the first error is kept and
/// later reads are ignored, so a parser reads every field and checks status() once.
class MessageReader {
public:
    /// `value` must be an object or null (null reads as an empty message); anything
    /// else makes status() an error.
    explicit MessageReader(const nlohmann::json& value);

    void read_int64(std::string_view name, std::int64_t* out);
    void read_uint64(std::string_view name, std::uint64_t* out);
    void read_bool(std::string_view name, bool* out);
    void read_bytes(std::string_view name, std::string* out);
    /// Stores the number; an unknown name is an error, an unknown number is kept.
    void read_enum(std::string_view name, const EnumType& type, int* out);
    /// A repeated enum field (watch filters): names or numbers.
    void read_repeated_enum(std::string_view name, const EnumType& type, std::vector<int>* out);
    /// The elements of a repeated message field; an error when it is not an array.
    std::vector<const nlohmann::json*> repeated(std::string_view name);
    /// A message field: its value, or nullptr when absent or null. An error (and
    /// nullptr) when it is not an object.
    const nlohmann::json* message(std::string_view name);
    /// True when the field is present and not null (for oneof members).
    bool has(std::string_view name) const;

    /// Records an error found by the caller (a nested message's status).
    void fail(Status status);
    const Status& status() const { return status_; }
    bool is_ok() const { return status_.is_ok(); }

private:
    const nlohmann::json* find(std::string_view name) const;

    const nlohmann::json* object_ = nullptr;
    Status status_;
};

/// The lowerCamelCase JSON name protoc derives from a proto field name.
std::string proto_camel_name(std::string_view name);

/// Go's name for a JSON value's type in unmarshal errors: "object", "array",
/// "string", "number", "bool" or "null".
std::string go_json_type_name(const nlohmann::json& value);

}  // namespace consensus::http
