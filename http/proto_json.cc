#include "http/proto_json.h"

#include <cctype>
#include <cstdio>
#include <limits>

#include "http/base64.h"

namespace consensus::http {
namespace {

bool is_json_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

Status invalid(std::string message) {
    return Status(StatusCode::kInvalidArgument, std::move(message));
}

/// Go's quoteChar for decoder errors: 'x', or an escape for unprintable bytes.
std::string quote_char(char c) {
    if (c == '\'') return "'\\''";
    if (c == '"') return "'\"'";
    if (std::isprint(static_cast<unsigned char>(c))) return std::string("'") + c + "'";
    char buffer[16];
    std::snprintf(buffer, sizeof(buffer), "'\\x%02x'", static_cast<unsigned char>(c));
    return buffer;
}

Status invalid_character(char c) {
    return invalid("invalid character " + quote_char(c) + " looking for beginning of value");
}

/// The end of the JSON value starting at `start` (not whitespace), found by
/// bracket and string structure only; nlohmann validates the slice afterwards.
/// std::nullopt when the text ends inside the value.
std::optional<std::size_t> scan_value_end(std::string_view text, std::size_t start) {
    char first = text[start];
    if (first != '{' && first != '[' && first != '"') {
        std::size_t end = start;
        while (end < text.size() && (std::isalnum(static_cast<unsigned char>(text[end])) ||
                                     text[end] == '-' || text[end] == '+' || text[end] == '.')) {
            ++end;
        }
        return end == start ? start + 1 : end;
    }
    int depth = 0;
    bool in_string = false;
    for (std::size_t i = start; i < text.size(); ++i) {
        char c = text[i];
        if (in_string) {
            if (c == '\\') {
                ++i;
            } else if (c == '"') {
                in_string = false;
                if (depth == 0) return i + 1;
            }
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            ++depth;
        } else if (c == '}' || c == ']') {
            if (--depth == 0) return i + 1;
        }
    }
    return std::nullopt;
}

/// Parses `slice` with nlohmann, turning its error into Go's wording.
Result<nlohmann::json> parse_slice(std::string_view slice) {
    try {
        return nlohmann::json::parse(slice.begin(), slice.end());
    } catch (const nlohmann::json::parse_error& error) {
        std::size_t at = error.byte == 0 ? 0 : error.byte - 1;
        if (at >= slice.size()) return invalid("unexpected EOF");
        return invalid_character(slice[at]);
    } catch (const nlohmann::json::exception&) {
        return invalid("invalid JSON value");
    }
}

/// A JSON number's text as Go's encoding/json accepts it.
bool is_json_number(std::string_view text) {
    std::size_t i = 0;
    if (i < text.size() && text[i] == '-') ++i;
    if (i >= text.size() || !std::isdigit(static_cast<unsigned char>(text[i]))) return false;
    if (text[i] == '0') {
        ++i;
    } else {
        while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    }
    if (i < text.size() && text[i] == '.') {
        ++i;
        if (i >= text.size() || !std::isdigit(static_cast<unsigned char>(text[i]))) return false;
        while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    }
    if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
        ++i;
        if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
        if (i >= text.size() || !std::isdigit(static_cast<unsigned char>(text[i]))) return false;
        while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    }
    return i == text.size();
}

/// Go's json.Unmarshal of number text into the integer type named `go_type`: an
/// int64 into *signed_out, or (is_unsigned) a uint64 into *unsigned_out; fractions,
/// exponents and values out of range are refused with Go's wording.
Status integer_from_text(std::string_view raw, std::string_view go_type, bool is_unsigned,
                         std::int64_t* signed_out, std::uint64_t* unsigned_out) {
    std::string_view text = raw;
    while (!text.empty() && is_json_space(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_json_space(text.back())) text.remove_suffix(1);
    if (text.empty()) return invalid("unexpected end of JSON input");
    if (!is_json_number(text)) {
        if (text == "true" || text == "false") {
            return invalid("json: cannot unmarshal bool into Go value of type " +
                           std::string(go_type));
        }
        return invalid_character(text.front());
    }
    Status out_of_range = invalid("json: cannot unmarshal number " + std::string(text) +
                                  " into Go value of type " + std::string(go_type));
    if (text.find_first_of(".eE") != std::string_view::npos) return out_of_range;
    bool negative = text.front() == '-';
    if (negative) text.remove_prefix(1);
    if (negative && is_unsigned && text != "0") return out_of_range;
    std::uint64_t magnitude = 0;
    for (char c : text) {
        std::uint64_t digit = static_cast<std::uint64_t>(c - '0');
        if (magnitude > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) {
            return out_of_range;
        }
        magnitude = magnitude * 10 + digit;
    }
    if (is_unsigned) {
        *unsigned_out = magnitude;
        return Status::ok();
    }
    constexpr std::uint64_t kMaxPositive = std::numeric_limits<std::int64_t>::max();
    if (magnitude > kMaxPositive + (negative ? 1 : 0)) return out_of_range;
    *signed_out =
        negative ? static_cast<std::int64_t>(0 - magnitude) : static_cast<std::int64_t>(magnitude);
    return Status::ok();
}

/// jsonpb's integer rule: a number, or a string whose contents are one.
Status read_integer(const nlohmann::json& value, std::string_view go_type, bool is_unsigned,
                    std::int64_t* signed_out, std::uint64_t* unsigned_out) {
    if (value.is_string()) {
        return integer_from_text(value.get_ref<const std::string&>(), go_type, is_unsigned,
                                 signed_out, unsigned_out);
    }
    if (value.is_number()) {
        return integer_from_text(value.dump(), go_type, is_unsigned, signed_out, unsigned_out);
    }
    return invalid("json: cannot unmarshal " + go_json_type_name(value) +
                   " into Go value of type " + std::string(go_type));
}

/// One enum value: a known name, or a number within int32.
Status read_enum_value(const nlohmann::json& value, const EnumType& type, int* out) {
    if (value.is_string()) {
        const auto& name = value.get_ref<const std::string&>();
        for (std::size_t i = 0; i < type.names.size(); ++i) {
            if (type.names[i] == name) {
                *out = static_cast<int>(i);
                return Status::ok();
            }
        }
        return invalid("unknown value \"" + name + "\" for enum " + std::string(type.go_name));
    }
    std::int64_t number = 0;
    Status status = read_integer(value, "int32", false, &number, nullptr);
    if (!status.is_ok()) return status;
    if (number < std::numeric_limits<std::int32_t>::min() ||
        number > std::numeric_limits<std::int32_t>::max()) {
        return invalid("json: cannot unmarshal number " + value.dump() +
                       " into Go value of type int32");
    }
    *out = static_cast<int>(number);
    return Status::ok();
}

}  // namespace

std::string go_json_type_name(const nlohmann::json& value) {
    if (value.is_object()) return "object";
    if (value.is_array()) return "array";
    if (value.is_string()) return "string";
    if (value.is_number()) return "number";
    if (value.is_boolean()) return "bool";
    return "null";
}

std::string proto_camel_name(std::string_view name) {
    std::string out;
    bool upper_next = false;
    for (char c : name) {
        if (c == '_') {
            upper_next = true;
            continue;
        }
        out.push_back(upper_next ? static_cast<char>(std::toupper(static_cast<unsigned char>(c)))
                                 : c);
        upper_next = false;
    }
    return out;
}

Result<std::optional<nlohmann::json>> JsonValueStream::next() {
    while (offset_ < text_.size() && is_json_space(text_[offset_])) ++offset_;
    if (offset_ >= text_.size()) return std::optional<nlohmann::json>();
    std::optional<std::size_t> end = scan_value_end(text_, offset_);
    if (!end) {
        // Truncated: report the first bad byte if there is one before the end.
        Result<nlohmann::json> partial = parse_slice(text_.substr(offset_));
        if (partial.is_ok()) return invalid("unexpected EOF");
        return partial.status();
    }
    Result<nlohmann::json> value = parse_slice(text_.substr(offset_, *end - offset_));
    if (!value.is_ok()) return value.status();
    offset_ = *end;
    return std::optional<nlohmann::json>(std::move(value.value()));
}

Result<nlohmann::json> first_json_value(std::string_view body) {
    JsonValueStream stream(body);
    Result<std::optional<nlohmann::json>> value = stream.next();
    if (!value.is_ok()) return value.status();
    if (!value.value().has_value()) return nlohmann::json::object();
    return std::move(*value.value());
}

MessageReader::MessageReader(const nlohmann::json& value) {
    if (value.is_object()) {
        object_ = &value;
    } else if (!value.is_null()) {
        status_ = invalid("json: cannot unmarshal " + go_json_type_name(value) +
                          " into Go value of type map[string]json.RawMessage");
    }
}

const nlohmann::json* MessageReader::find(std::string_view name) const {
    if (object_ == nullptr) return nullptr;
    // jsonpb favours the camelCase name when a body has both spellings.
    auto camel = object_->find(proto_camel_name(name));
    if (camel != object_->end() && !camel->is_null()) return &*camel;
    auto orig = object_->find(std::string(name));
    if (orig != object_->end() && !orig->is_null()) return &*orig;
    return nullptr;
}

bool MessageReader::has(std::string_view name) const {
    return find(name) != nullptr;
}

void MessageReader::fail(Status status) {
    if (status_.is_ok() && !status.is_ok()) status_ = std::move(status);
}

void MessageReader::read_int64(std::string_view name, std::int64_t* out) {
    const nlohmann::json* value = find(name);
    if (!is_ok() || value == nullptr) return;
    std::int64_t number = 0;
    Status status = read_integer(*value, "int64", false, &number, nullptr);
    if (status.is_ok()) *out = number;
    fail(std::move(status));
}

void MessageReader::read_uint64(std::string_view name, std::uint64_t* out) {
    const nlohmann::json* value = find(name);
    if (!is_ok() || value == nullptr) return;
    std::uint64_t number = 0;
    Status status = read_integer(*value, "uint64", true, nullptr, &number);
    if (status.is_ok()) *out = number;
    fail(std::move(status));
}

void MessageReader::read_bool(std::string_view name, bool* out) {
    const nlohmann::json* value = find(name);
    if (!is_ok() || value == nullptr) return;
    if (!value->is_boolean()) {
        fail(invalid("json: cannot unmarshal " + go_json_type_name(*value) +
                     " into Go value of type bool"));
        return;
    }
    *out = value->get<bool>();
}

void MessageReader::read_bytes(std::string_view name, std::string* out) {
    const nlohmann::json* value = find(name);
    if (!is_ok() || value == nullptr) return;
    if (!value->is_string()) {
        fail(invalid("json: cannot unmarshal " + go_json_type_name(*value) +
                     " into Go value of type []uint8"));
        return;
    }
    Result<std::string> decoded = base64_decode(value->get_ref<const std::string&>());
    if (!decoded.is_ok()) {
        fail(decoded.status());
        return;
    }
    *out = std::move(decoded.value());
}

void MessageReader::read_enum(std::string_view name, const EnumType& type, int* out) {
    const nlohmann::json* value = find(name);
    if (!is_ok() || value == nullptr) return;
    fail(read_enum_value(*value, type, out));
}

void MessageReader::read_repeated_enum(std::string_view name, const EnumType& type,
                                       std::vector<int>* out) {
    for (const nlohmann::json* element : repeated(name)) {
        int number = 0;
        Status status = read_enum_value(*element, type, &number);
        if (!status.is_ok()) {
            fail(std::move(status));
            return;
        }
        out->push_back(number);
    }
}

std::vector<const nlohmann::json*> MessageReader::repeated(std::string_view name) {
    std::vector<const nlohmann::json*> elements;
    const nlohmann::json* value = find(name);
    if (!is_ok() || value == nullptr) return elements;
    if (!value->is_array()) {
        fail(invalid("json: cannot unmarshal " + go_json_type_name(*value) +
                     " into Go value of type []json.RawMessage"));
        return elements;
    }
    for (const auto& element : *value) elements.push_back(&element);
    return elements;
}

const nlohmann::json* MessageReader::message(std::string_view name) {
    const nlohmann::json* value = find(name);
    if (!is_ok() || value == nullptr) return nullptr;
    if (!value->is_object()) {
        fail(invalid("json: cannot unmarshal " + go_json_type_name(*value) +
                     " into Go value of type map[string]json.RawMessage"));
        return nullptr;
    }
    return value;
}

}  // namespace consensus::http
