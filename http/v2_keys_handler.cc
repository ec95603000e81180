#include "http/v2_keys_handler.h"

#include <algorithm>
#include <cctype>
#include <iterator>
#include <memory>
#include <utility>

#include "consensus/errors.h"
#include "consensus/path.h"
#include "http/form.h"
#include "http/go_json.h"
#include "http/v2_json.h"

namespace consensus::http {
namespace {

using service::V2Error;

V2KeysParse parse_error(int code, std::string cause) {
    V2KeysParse parse;
    parse.error = V2Error{code, std::move(cause), 0};
    return parse;
}

/// Go's r.FormValue: the first value of `name`, or "". The view lives as long as
/// `form`.
std::string_view first_value(const FormValues& form, std::string_view name) {
    auto it = form.find(name);
    if (it == form.end() || it->second.empty()) return {};
    return it->second.front();
}

bool has(const FormValues& form, std::string_view name) {
    return form.find(name) != form.end();
}

/// getBool of etcd: absent is false; a present value must parse.
std::optional<bool> get_bool(const FormValues& form, std::string_view name) {
    if (!has(form, name)) return false;
    return parse_go_bool(first_value(form, name));
}

/// getUint64 of etcd: absent is 0; a present value must parse.
std::optional<std::uint64_t> get_uint64(const FormValues& form, std::string_view name) {
    if (!has(form, name)) return 0;
    return parse_go_uint64(first_value(form, name));
}

/// Go's ParseForm: body values (PUT and POST with a form content type) first, then
/// the query's; the first error (body first) is reported.
std::optional<std::string> parse_form(std::string_view method, std::string_view raw_query,
                                      std::string_view content_type, std::string_view body,
                                      FormValues* form) {
    std::optional<std::string> error;
    if (method == "PUT" || method == "POST") {
        // The media type without parameters, trimmed and compared ignoring case, on a
        // view: no string is built per request.
        std::string_view media = content_type.substr(0, content_type.find(';'));
        while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) {
            media.remove_suffix(1);
        }
        while (!media.empty() && (media.front() == ' ' || media.front() == '\t')) {
            media.remove_prefix(1);
        }
        constexpr std::string_view kFormMedia = "application/x-www-form-urlencoded";
        bool is_form =
            media.size() == kFormMedia.size() &&
            std::equal(media.begin(), media.end(), kFormMedia.begin(), [](char a, char b) {
                return std::tolower(static_cast<unsigned char>(a)) == b;
            });
        if (is_form) error = parse_query(body, form);
    }
    if (form->empty()) {
        // No body values (every GET and DELETE): the query's values are the form.
        auto query_error = parse_query(raw_query, form);
        if (!error) error = query_error;
        return error;
    }
    FormValues query;
    auto query_error = parse_query(raw_query, &query);
    if (!error) error = query_error;
    for (auto& [name, values] : query) {
        auto& target = (*form)[name];
        target.insert(target.end(), std::make_move_iterator(values.begin()),
                      std::make_move_iterator(values.end()));
    }
    return error;
}

service::V2Method to_v2_method(std::string_view method) {
    if (method == "PUT") return service::V2Method::kPut;
    if (method == "POST") return service::V2Method::kPost;
    if (method == "DELETE") return service::V2Method::kDelete;
    return service::V2Method::kGet;  // GET and HEAD (etcd serves HEAD as a GET)
}

/// The store key etcd derives with path.Join("/1", key_path) minus the "/1" prefix.
std::string store_key(std::string_view key_path) {
    // A key path the router let through is clean already (it redirects any other),
    // and then joining and cleaning give it back unchanged.
    if (is_clean_path(key_path)) return std::string(key_path);
    std::string joined = "/";
    joined.append(key_path);
    return clean_path(joined);
}

}  // namespace

namespace {

/// The parameter values etcd's parseKeyRequest extracts, once they all validated.
struct KeysParameters {
    std::uint64_t prev_index = 0;
    std::uint64_t wait_index = 0;
    bool recursive = false, sorted = false, wait = false, dir = false, quorum = false,
         stream = false;
    std::string prev_value;
    bool no_value_on_success = false;
    std::optional<std::uint64_t> ttl;
    std::optional<bool> prev_exist;
    bool refresh = false;
};

/// Builds the Service's request; the value moves out of `form`, which is spent.
V2KeysParse build_request(std::string_view method, std::string_view key_path, FormValues& form,
                          const KeysParameters& p) {
    V2KeysParse parse;
    service::V2Request& request = parse.request;
    request.method = to_v2_method(method);
    request.key = store_key(key_path);
    auto value = form.find(std::string_view("value"));
    if (value != form.end()) {
        // Go's FormValue: the first value, "" for a name given without one.
        request.value = value->second.empty() ? std::string() : std::move(value->second.front());
    }
    request.dir = p.dir;
    if (!p.prev_value.empty()) request.prev_value = p.prev_value;
    request.prev_index = p.prev_index;
    request.prev_exist = p.prev_exist;
    request.ttl = p.ttl;
    request.refresh = p.refresh;
    request.no_value_on_success = p.no_value_on_success;
    request.recursive = p.recursive;
    request.sorted = p.sorted;
    // etcd turns only a GET into a quorum read ("QGET"); a HEAD stays a local read.
    request.quorum = p.quorum && method == "GET";
    request.wait = p.wait;
    request.wait_index = p.wait_index;
    request.stream = p.stream;
    parse.no_value_on_success = p.no_value_on_success;
    return parse;
}

}  // namespace

V2KeysParse parse_v2_keys_request(std::string_view method, std::string_view key_path,
                                  std::string_view raw_query, std::string_view content_type,
                                  std::string_view body) {
    FormValues form;
    if (auto error = parse_form(method, raw_query, content_type, body, &form)) {
        return parse_error(errors::kV2InvalidForm, *error);
    }
    KeysParameters p;
    auto prev_index = get_uint64(form, "prevIndex");
    if (!prev_index) return parse_error(errors::kV2IndexNaN, "invalid value for \"prevIndex\"");
    auto wait_index = get_uint64(form, "waitIndex");
    if (!wait_index) return parse_error(errors::kV2IndexNaN, "invalid value for \"waitIndex\"");
    p.prev_index = *prev_index;
    p.wait_index = *wait_index;

    // The flags are checked in etcd's order; the first bad one is reported.
    const std::pair<const char*, bool*> flags[] = {
        {"recursive", &p.recursive}, {"sorted", &p.sorted}, {"wait", &p.wait}, {"dir", &p.dir},
        {"quorum", &p.quorum},       {"stream", &p.stream}};
    for (const auto& [name, target] : flags) {
        auto value = get_bool(form, name);
        if (!value) {
            return parse_error(errors::kV2InvalidField,
                               std::string("invalid value for \"") + name + "\"");
        }
        *target = *value;
    }
    if (p.wait && method != "GET") {
        return parse_error(errors::kV2InvalidField, "\"wait\" can only be used with GET requests");
    }
    p.prev_value = first_value(form, "prevValue");
    if (has(form, "prevValue") && p.prev_value.empty()) {
        return parse_error(errors::kV2PrevValueRequired, "\"prevValue\" cannot be empty");
    }
    auto no_value_on_success = get_bool(form, "noValueOnSuccess");
    if (!no_value_on_success) {
        return parse_error(errors::kV2InvalidField, "invalid value for \"noValueOnSuccess\"");
    }
    p.no_value_on_success = *no_value_on_success;
    // An empty ttl means "no TTL" (it removes one on update) [etcd v2 API: ttl].
    if (!first_value(form, "ttl").empty()) {
        p.ttl = parse_go_uint64(first_value(form, "ttl"));
        if (!p.ttl) return parse_error(errors::kV2TtlNaN, "invalid value for \"ttl\"");
    }
    if (has(form, "prevExist")) {
        p.prev_exist = parse_go_bool(first_value(form, "prevExist"));
        if (!p.prev_exist)
            return parse_error(errors::kV2InvalidField, "invalid value for prevExist");
    }
    if (has(form, "refresh")) {
        auto refresh = parse_go_bool(first_value(form, "refresh"));
        if (!refresh) return parse_error(errors::kV2InvalidField, "invalid value for refresh");
        p.refresh = *refresh;
        if (p.refresh && has(form, "value") && !first_value(form, "value").empty()) {
            return parse_error(errors::kV2RefreshValue, "A value was provided on a refresh");
        }
        if (p.refresh && !p.ttl) return parse_error(errors::kV2TtlOnRefresh, "No TTL value set");
    }
    return build_request(method, key_path, form, p);
}

service::V2Error v2_error_from_status(const Status& status) {
    static constexpr std::string_view kPrefix = "etcdserver: ";
    std::string cause;
    if (status.message().rfind(kPrefix, 0) == 0) {
        cause = status.message();
    } else if (status.code() == StatusCode::kTimeout || status.code() == StatusCode::kUnavailable) {
        // Without a leader etcd's proposal waits until the request context ends and
        // reports ErrTimeout [etcd: etcdserver/v2_server.go, errors.go].
        cause = "etcdserver: request timed out";
    } else if (!status.message().empty()) {
        cause = status.message();
    } else {
        cause = status_code_name(status.code());
    }
    return V2Error{errors::kV2RaftInternal, std::move(cause), 0};
}

Response v2_error_response(const service::V2Error& error, std::uint64_t cluster_id) {
    Response response;
    response.status = static_cast<unsigned>(errors::v2_http_status(error.error_code));
    response.set_field("Content-Type", "application/json");
    response.set_field("X-Etcd-Cluster-Id", hex_id(cluster_id));
    response.set_field("X-Etcd-Index", std::to_string(error.index));
    response.body = render_v2_error(error);
    return response;
}

namespace {

void set_key_headers(Response* response, const service::V2Headers& headers, Revision etcd_index,
                     std::uint64_t cluster_id) {
    response->fields.reserve(response->fields.size() + 5);
    response->set_field("Content-Type", "application/json");
    response->set_field("X-Etcd-Cluster-Id", hex_id(cluster_id));
    response->set_field("X-Etcd-Index", std::to_string(etcd_index));
    response->set_field("X-Raft-Index", std::to_string(headers.raft_index));
    response->set_field("X-Raft-Term", std::to_string(headers.raft_term));
}

/// [etcd: v2store/event.go IsCreated] a create, or a set that replaced nothing.
bool is_created(const service::V2Event& event) {
    return event.action == "create" || (event.action == "set" && !event.prev_node.has_value());
}

void answer_result(const ExchangePtr& exchange, const service::V2Result& result,
                   bool no_value_on_success, std::uint64_t cluster_id) {
    if (!result.status.is_ok()) {
        exchange->reply(v2_error_response(v2_error_from_status(result.status), cluster_id));
        return;
    }
    if (result.error.has_value()) {
        exchange->reply(v2_error_response(*result.error, cluster_id));
        return;
    }
    if (!result.event.has_value()) {
        // [etcd: v2http/client.go ServeHTTP] "received response with no Event/Watcher".
        exchange->reply(v2_error_response(
            v2_error_from_status(
                Status(StatusCode::kInternal, "received response with no Event/Watcher")),
            cluster_id));
        return;
    }
    Response response;
    response.status = is_created(*result.event) ? 201 : 200;
    set_key_headers(&response, result.headers, result.headers.etcd_index, cluster_id);
    response.body = render_v2_event(*result.event, no_value_on_success);
    exchange->reply(std::move(response));
}

/// The state one watch shares between its sink callbacks: whether its response has
/// ended (a non-stream watch ends after one event; the service may also close it).
struct WatchState {
    ExchangePtr exchange;
    bool stream = false;
    bool ended = false;
};

void serve_watch(service::Service& service, const service::V2Request& request,
                 const ExchangePtr& exchange, std::uint64_t cluster_id) {
    auto state = std::make_shared<WatchState>();
    state->exchange = exchange;
    state->stream = request.stream;
    service::V2WatchSink sink;
    sink.on_event = [state](const service::V2Event& event, const service::V2Headers&) {
        if (state->ended) return;
        state->exchange->stream_chunk(render_v2_event(event));
        if (!state->stream) {
            state->ended = true;
            state->exchange->end_stream();
        }
    };
    sink.on_closed = [state]() {
        if (state->ended) return;
        state->ended = true;
        state->exchange->end_stream();
    };
    service::V2WatchStart start = service.v2_watch(request, std::move(sink));
    if (start.error.has_value()) {
        state->ended = true;
        exchange->reply(v2_error_response(*start.error, cluster_id));
        return;
    }
    // [etcd: v2http/client.go handleKeyWatch] the fields go out at once, with the
    // store index of when the watch began, before any event.
    Response head;
    head.status = 200;
    set_key_headers(&head, start.headers, start.headers.etcd_index, cluster_id);
    exchange->start_stream(std::move(head));
    std::uint64_t watch_id = start.watch_id;
    service::Service* target = &service;
    exchange->on_abort([target, watch_id]() { target->v2_cancel_watch(watch_id); });
}

}  // namespace

void serve_v2_keys(service::Service& service, const Request& request, std::string_view key_path,
                   std::string_view raw_query, const ExchangePtr& exchange) {
    std::string_view method = request.method;
    if (method != "HEAD" && method != "GET" && method != "PUT" && method != "POST" &&
        method != "DELETE") {
        Response response = text_error(405, "Method Not Allowed");
        response.set_field("Allow", "HEAD,GET,PUT,POST,DELETE");
        exchange->reply(std::move(response));
        return;
    }
    std::uint64_t cluster_id = service.cluster_id();
    V2KeysParse parse =
        parse_v2_keys_request(method, key_path, raw_query, request.content_type, request.body);
    if (parse.error.has_value()) {
        exchange->reply(v2_error_response(*parse.error, cluster_id));
        return;
    }
    if (parse.request.wait) {
        serve_watch(service, parse.request, exchange, cluster_id);
        return;
    }
    bool no_value_on_success = parse.no_value_on_success;
    ExchangePtr target = exchange;
    service.v2_keys(parse.request,
                    [target, no_value_on_success, cluster_id](service::V2Result result) {
                        answer_result(target, result, no_value_on_success, cluster_id);
                    });
}

}  // namespace consensus::http
