#pragma once
/// Response: the plain description of one HTTP answer that handlers build and the
/// session writes. Handlers never touch sockets; they fill a Response and hand it to
/// their Exchange (http/exchange.h).
///
/// Wire format (what append_head produces), matching Go's net/http server as etcd
/// 3.4 runs it [etcd: net/http server.go chunkWriter.writeHeader]:
///   - the status line "HTTP/1.1 <code> <reason>";
///   - the handler's fields, sorted by name as Go's Header.Write sorts them;
///   - then "Connection: close" when the connection ends after this answer,
///     "Transfer-Encoding: chunked" for a streamed answer, the "Date" field, and
///     "Content-Length" for a complete answer that may carry a body;
///   - an empty line. A complete answer's body follows; a streamed answer's body is
///     a sequence of chunks (append_chunk) closed by kLastChunk.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace consensus::http {

/// One HTTP response. Field names are written exactly as given (use Go's canonical
/// spelling, e.g. "X-Etcd-Cluster-Id"); set_field replaces, so each name appears once.
struct Response {
    unsigned status = 200;
    std::vector<std::pair<std::string, std::string>> fields;
    std::string body;
    /// False for the answers Go's server itself sends on a broken request (400, 431),
    /// which carry no Access-Control-Allow-* fields because no handler ran.
    bool cors = true;
    /// True when the connection must close after this answer (a broken request, a
    /// body over the limit), as Go's server does for those.
    bool close_connection = false;

    /// Sets `name` to `value`, replacing an earlier value of the same name.
    void set_field(std::string name, std::string value);
    /// The value of `name`, or nullptr when absent. Exact-case comparison.
    const std::string* field(std::string_view name) const;
};

/// Go's http.Error: `text` plus "\n" as text/plain with X-Content-Type-Options: nosniff.
Response text_error(unsigned status, std::string_view text);

/// etcd's httptypes.HTTPError: {"message": text} as application/json, no newline
/// [etcd: server/etcdserver/api/v2http/httptypes/errors.go].
Response json_message(unsigned status, std::string_view message);

/// The reason phrase Go writes for `status` ("Moved Permanently"). Every status this
/// server sends is listed; any other reads "Unknown".
std::string_view reason_phrase(unsigned status);

/// True when a response with this status may carry a body (not 1xx, 204, 304).
bool status_allows_body(unsigned status);

/// Options that depend on the connection rather than the handler.
struct HeadOptions {
    bool chunked = false;   ///< stream: Transfer-Encoding instead of Content-Length
    bool close = false;     ///< add "Connection: close"
    std::string_view date;  ///< value of the Date field; empty = no Date field
    /// Fields the server adds to the handler's (CORS); each replaces a handler field of
    /// the same name, as Response::set_field would. Viewed, not copied: the caller
    /// keeps them alive during append_head.
    std::span<const std::pair<std::string_view, std::string_view>> added_fields;
};

/// Appends the status line and fields of `response` with the CRLF CRLF terminator to
/// `out`. For a complete response, Content-Length is response.body.size() (also for
/// HEAD, whose body the session drops afterwards, as Go does).
void append_head(std::string* out, const Response& response, const HeadOptions& options);

/// Appends one chunk of a chunked body to `out`: hex size, CRLF, data, CRLF. `data`
/// must not be empty (an empty chunk would end the body).
void append_chunk(std::string* out, std::string_view data);

/// The zero-size chunk that ends a chunked body (no trailers).
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";

/// The HTTP date of `unix_seconds` as Go's http.TimeFormat writes it
/// ("Sun, 22 Nov 2026 05:59:36 GMT").
std::string http_date(std::int64_t unix_seconds);

}  // namespace consensus::http
