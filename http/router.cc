#include "http/router.h"

#include <string_view>
#include <utility>

#include "consensus/path.h"
#include "http/cluster_handlers.h"
#include "http/form.h"
#include "http/v2_keys_handler.h"
#include "http/v3_gateway.h"

namespace consensus::http {
namespace {

constexpr std::string_view kKeysPrefix = "/v2/keys";
constexpr std::string_view kMembersPrefix = "/v2/members";

/// Go's htmlEscape for the redirect body.
std::string html_escape(std::string_view text) {
    std::string out;
    for (char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&#34;";
                break;
            case '\'':
                out += "&#39;";
                break;
            default:
                out.push_back(c);
        }
    }
    return out;
}

/// The path part of an absolute-form target ("http://host/p?q" -> "/p?q").
std::string_view origin_form(std::string_view target) {
    std::size_t scheme = target.find("://");
    if (scheme == std::string_view::npos || target.front() == '/') return target;
    std::size_t path = target.find('/', scheme + 3);
    return path == std::string_view::npos ? std::string_view("/") : target.substr(path);
}

bool in_subtree(std::string_view path, std::string_view prefix) {
    return path == prefix ||
           (path.size() > prefix.size() && path.substr(0, prefix.size()) == prefix &&
            path[prefix.size()] == '/');
}

}  // namespace

Router::Router(service::Service& service, std::vector<std::string> client_urls, V3Limits v3_limits)
    : service_(service), client_urls_(std::move(client_urls)), v3_limits_(v3_limits) {}

std::optional<Response> Router::answer_body_too_large(std::string_view target) const {
    std::string_view path = origin_form(target);
    path = path.substr(0, path.find('?'));
    std::optional<std::string> decoded = unescape_path(path);
    if (!decoded || !is_v3_gateway_path(*decoded)) return std::nullopt;
    return v3_body_too_large();
}

std::string mux_clean_path(std::string_view path) {
    if (path.empty()) return "/";
    std::string rooted = path.front() == '/' ? std::string(path) : "/" + std::string(path);
    std::string cleaned = clean_path(rooted);
    if (rooted.back() == '/' && cleaned != "/") cleaned += "/";
    return cleaned;
}

bool is_mux_clean_path(std::string_view path) {
    if (path.empty() || path.front() != '/') return false;
    // Go keeps one trailing slash (except after the root, where "//" becomes "/").
    if (path.size() > 2 && path.back() == '/') path.remove_suffix(1);
    return is_clean_path(path);
}

Response redirect_response(std::string_view method, const std::string& location) {
    Response response;
    response.status = 301;
    response.set_field("Location", location);
    if (method == "GET" || method == "HEAD") {
        response.set_field("Content-Type", "text/html; charset=utf-8");
    }
    if (method == "GET") {
        response.body = "<a href=\"" + html_escape(location) + "\">Moved Permanently</a>.\n\n";
    }
    return response;
}

void Router::route(const Request& request, const ExchangePtr& exchange) {
    if (request.method == "OPTIONS") {
        // [etcd: embed/serve.go accessController] answers preflights itself.
        exchange->reply(Response{});
        return;
    }
    std::string_view target = origin_form(request.target);
    std::size_t question = target.find('?');
    std::string_view raw_path = target.substr(0, question);
    std::string_view raw_query =
        question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
    // Most paths have no escapes: they are routed as a view of the target, and only a
    // path with a '%' is decoded into a string of its own.
    std::optional<std::string> decoded;
    std::string_view path = raw_path;
    if (raw_path.find('%') != std::string_view::npos) {
        decoded = unescape_path(raw_path);
        if (!decoded) {
            Response response = text_error(400, "400 Bad Request");
            response.body = "400 Bad Request";
            response.fields = {{"Content-Type", "text/plain; charset=utf-8"}};
            response.cors = false;
            response.close_connection = true;
            exchange->reply(std::move(response));
            return;
        }
        path = *decoded;
    }
    // Checked before cleaning: almost every path is clean already, and cleaning builds
    // the path anew.
    if (!is_mux_clean_path(path)) {
        std::string location = escape_path(mux_clean_path(path));
        if (!raw_query.empty()) location += "?" + std::string(raw_query);
        exchange->reply(redirect_response(request.method, location));
        return;
    }
    if (in_subtree(path, kKeysPrefix)) {
        serve_v2_keys(service_, request, std::string_view(path).substr(kKeysPrefix.size()),
                      raw_query, exchange);
    } else if (in_subtree(path, kMembersPrefix)) {
        serve_members(service_, request, std::string_view(path).substr(kMembersPrefix.size()),
                      exchange);
    } else if (path == "/v2/stats/self") {
        serve_stats_self(service_, request, exchange);
    } else if (path == "/v2/stats/leader") {
        serve_stats_leader(service_, request, exchange);
    } else if (path == "/v2/stats/store") {
        serve_stats_store(service_, request, exchange);
    } else if (path == "/v2/machines") {
        serve_machines(client_urls_, request, exchange);
    } else if (path == "/version") {
        serve_version(request, exchange);
    } else if (path == "/health") {
        serve_health(service_, request, exchange);
    } else if (path == "/metrics") {
        serve_metrics(service_, request, exchange);
    } else if (is_v3_gateway_path(path)) {
        serve_v3(service_, request, path, v3_limits_, exchange);
    } else if (path == "/v3" || path == "/v3beta") {
        // Go's ServeMux redirects a subtree's root without its slash.
        std::string location = std::string(path) + "/";
        if (!raw_query.empty()) location += "?" + std::string(raw_query);
        exchange->reply(redirect_response(request.method, location));
    } else {
        exchange->reply(text_error(404, "404 page not found"));
    }
}

}  // namespace consensus::http
