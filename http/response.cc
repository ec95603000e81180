#include "http/response.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "consensus/assert.h"
#include "http/go_json.h"

namespace consensus::http {

void Response::set_field(std::string name, std::string value) {
    for (auto& [existing_name, existing_value] : fields) {
        if (existing_name == name) {
            existing_value = std::move(value);
            return;
        }
    }
    fields.emplace_back(std::move(name), std::move(value));
}

const std::string* Response::field(std::string_view name) const {
    for (const auto& [existing_name, existing_value] : fields) {
        if (existing_name == name) return &existing_value;
    }
    return nullptr;
}

Response text_error(unsigned status, std::string_view text) {
    // [etcd: Go net/http http.Error] sets these two fields and appends a newline.
    Response response;
    response.status = status;
    response.set_field("Content-Type", "text/plain; charset=utf-8");
    response.set_field("X-Content-Type-Options", "nosniff");
    response.body = std::string(text) + "\n";
    return response;
}

Response json_message(unsigned status, std::string_view message) {
    Response response;
    response.status = status;
    response.set_field("Content-Type", "application/json");
    response.body = "{\"message\":" + go_json_quote(message) + "}";
    return response;
}

std::string_view reason_phrase(unsigned status) {
    switch (status) {
        case 100:
            return "Continue";
        case 200:
            return "OK";
        case 201:
            return "Created";
        case 204:
            return "No Content";
        case 301:
            return "Moved Permanently";
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 408:
            return "Request Timeout";
        case 409:
            return "Conflict";
        case 410:
            return "Gone";
        case 412:
            return "Precondition Failed";
        case 413:
            return "Request Entity Too Large";
        case 415:
            return "Unsupported Media Type";
        case 431:
            return "Request Header Fields Too Large";
        case 500:
            return "Internal Server Error";
        case 501:
            return "Not Implemented";
        case 503:
            return "Service Unavailable";
        default:
            return "Unknown";
    }
}

bool status_allows_body(unsigned status) {
    return !(status < 200 || status == 204 || status == 304);
}

namespace {

/// The most fields a head sorts on the stack; more (no handler sets that many) are
/// sorted in a vector.
constexpr std::size_t kStackFieldsMax = 16;

using FieldView = std::pair<std::string_view, std::string_view>;

/// Decimal digits of a value, formatted on the stack.
struct Decimal {
    explicit Decimal(std::uint64_t value) {
        auto [end, error] = std::to_chars(digits, digits + sizeof digits, value);
        (void)error;  // 24 bytes hold any 64-bit value
        text = std::string_view(digits, static_cast<std::size_t>(end - digits));
    }
    Decimal(const Decimal&) = delete;
    Decimal& operator=(const Decimal&) = delete;

    char digits[24];
    std::string_view text;
};

/// Appends the head given its fields already sorted. The exact size is counted
/// first and the pieces are copied into it, so the head grows `out` once and no
/// piece pays for a capacity check of its own.
void append_sorted_head(std::string* out, const Response& response, const HeadOptions& options,
                        std::span<const FieldView> fields) {
    constexpr std::string_view kCrlf = "\r\n";
    constexpr std::string_view kClose = "Connection: close\r\n";
    constexpr std::string_view kChunked = "Transfer-Encoding: chunked\r\n";
    constexpr std::string_view kDate = "Date: ";
    constexpr std::string_view kContentLength = "Content-Length: ";
    Decimal status(response.status);
    std::string_view reason = reason_phrase(response.status);
    bool has_length = !options.chunked && status_allows_body(response.status);
    Decimal length(response.body.size());

    std::size_t bytes = std::string_view("HTTP/1.1 ").size() + status.text.size() + 1 +
                        reason.size() + kCrlf.size();
    for (const auto& [name, value] : fields) bytes += name.size() + 2 + value.size() + 2;
    if (options.close) bytes += kClose.size();
    if (options.chunked) bytes += kChunked.size();
    if (!options.date.empty()) bytes += kDate.size() + options.date.size() + kCrlf.size();
    if (has_length) bytes += kContentLength.size() + length.text.size() + kCrlf.size();
    bytes += kCrlf.size();

    std::size_t start = out->size();
    out->resize(start + bytes);
    char* cursor = out->data() + start;
    auto put = [&cursor](std::string_view piece) {
        std::memcpy(cursor, piece.data(), piece.size());
        cursor += piece.size();
    };
    put("HTTP/1.1 ");
    put(status.text);
    put(" ");
    put(reason);
    put(kCrlf);
    for (const auto& [name, value] : fields) {
        put(name);
        put(": ");
        put(value);
        put(kCrlf);
    }
    if (options.close) put(kClose);
    if (options.chunked) put(kChunked);
    if (!options.date.empty()) {
        put(kDate);
        put(options.date);
        put(kCrlf);
    }
    if (has_length) {
        put(kContentLength);
        put(length.text);
        put(kCrlf);
    }
    put(kCrlf);
    CONSENSUS_ASSERT(cursor == out->data() + out->size());
}

}  // namespace

void append_head(std::string* out, const Response& response, const HeadOptions& options) {
    // Go writes the handler's header map sorted by key, then the fields the server
    // adds itself in a fixed order. The fields are sorted as views, on the stack for
    // any usual answer, and appended piece by piece: copying them and concatenating
    // temporaries was a dozen heap allocations per answer.
    std::array<FieldView, 2 * kStackFieldsMax> stack_fields;
    std::vector<FieldView> heap_fields;
    std::size_t count_max = response.fields.size() + options.added_fields.size();
    FieldView* fields = stack_fields.data();
    if (count_max > kStackFieldsMax) {
        heap_fields.resize(2 * count_max);
        fields = heap_fields.data();
    }
    // fields[0, count_max) collects them; fields[count_max, 2 * count_max) is the merge's
    // output.
    FieldView* merged = fields + count_max;
    std::size_t count = 0;
    for (const auto& [name, value] : response.fields) {
        bool replaced =
            std::any_of(options.added_fields.begin(), options.added_fields.end(),
                        [&name](const FieldView& added) { return added.first == name; });
        if (replaced) continue;
        fields[count++] = FieldView(name, value);
    }
    // The handler's fields and the added ones usually come sorted each (handlers set
    // them in order), so the sort is two checks and one merge.
    std::size_t handler_count = count;
    for (const FieldView& added : options.added_fields) fields[count++] = added;
    FieldView* middle = fields + handler_count;
    FieldView* last = fields + count;
    if (!std::is_sorted(fields, middle)) std::sort(fields, middle);
    if (!std::is_sorted(middle, last)) std::sort(middle, last);
    // std::merge into the second half; std::inplace_merge would ask the heap for room.
    std::merge(fields, middle, middle, last, merged);
    append_sorted_head(out, response, options, std::span<const FieldView>(merged, count));
}

void append_chunk(std::string* out, std::string_view data) {
    char size[32];
    int length = std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    out->reserve(out->size() + static_cast<std::size_t>(length) + data.size() + 2);
    out->append(size, static_cast<std::size_t>(length));
    out->append(data);
    out->append("\r\n");
}

std::string http_date(std::int64_t unix_seconds) {
    std::time_t seconds = static_cast<std::time_t>(unix_seconds);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[64];
    std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &utc);
    return text;
}

}  // namespace consensus::http
