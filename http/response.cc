#include "http/response.h"

#include <algorithm>
#include <cstdio>
#include <ctime>

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

std::string serialize_head(const Response& response, const HeadOptions& options) {
    // Go writes the handler's header map sorted by key, then the fields the server
    // adds itself in a fixed order. The fields are sorted as views and appended piece
    // by piece: copying them and concatenating temporaries was a dozen heap
    // allocations per answer.
    using FieldView = std::pair<std::string_view, std::string_view>;
    std::vector<FieldView> fields;
    fields.reserve(response.fields.size() + options.added_fields.size());
    std::size_t bytes = 160 + options.date.size();
    for (const auto& [name, value] : response.fields) {
        bool replaced =
            std::any_of(options.added_fields.begin(), options.added_fields.end(),
                        [&name](const FieldView& added) { return added.first == name; });
        if (replaced) continue;
        fields.emplace_back(name, value);
    }
    fields.insert(fields.end(), options.added_fields.begin(), options.added_fields.end());
    std::sort(fields.begin(), fields.end());
    for (const auto& [name, value] : fields) bytes += name.size() + value.size() + 4;

    std::string head;
    head.reserve(bytes);
    head += "HTTP/1.1 ";
    head += std::to_string(response.status);
    head += ' ';
    head += reason_phrase(response.status);
    head += "\r\n";
    for (const auto& [name, value] : fields) {
        head += name;
        head += ": ";
        head += value;
        head += "\r\n";
    }
    if (options.close) head += "Connection: close\r\n";
    if (options.chunked) head += "Transfer-Encoding: chunked\r\n";
    if (!options.date.empty()) {
        head += "Date: ";
        head += options.date;
        head += "\r\n";
    }
    if (!options.chunked && status_allows_body(response.status)) {
        head += "Content-Length: ";
        head += std::to_string(response.body.size());
        head += "\r\n";
    }
    head += "\r\n";
    return head;
}

std::string encode_chunk(std::string_view data) {
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    std::string chunk = size;
    chunk.append(data);
    chunk += "\r\n";
    return chunk;
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
