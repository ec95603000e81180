#pragma once
/// Request: the parts of one HTTP request that the router and handlers read. The
/// session fills it from Beast's parser; tests build it directly.
///
/// Lifetime: method, target and content_type view bytes owned by whoever built the
/// Request (the session's parsed message), which stay valid only while
/// Router::route runs. A handler that answers later copies what it keeps, as every
/// handler already does for the Service's request structs.

#include <string>
#include <string_view>

namespace consensus::http {

struct Request {
    /// Exactly as sent; methods are case-sensitive ("get" != "GET").
    std::string_view method;
    std::string_view target;        ///< request-target as sent: path and optional "?query"
    std::string_view content_type;  ///< value of Content-Type, "" when absent
    std::string body;
};

}  // namespace consensus::http
