#pragma once
/// Request: the parts of one HTTP request that the router and handlers read. The
/// session fills it from Beast's parser; tests build it directly.

#include <string>

namespace consensus::http {

struct Request {
    std::string method;        ///< exactly as sent; methods are case-sensitive ("get" != "GET")
    std::string target;        ///< request-target as sent: path and optional "?query"
    std::string content_type;  ///< value of Content-Type, "" when absent
    std::string body;
};

}  // namespace consensus::http
