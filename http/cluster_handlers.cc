#include "http/cluster_handlers.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <memory>
#include <utility>

#include <nlohmann/json.hpp>

#include "http/go_json.h"

namespace consensus::http {
namespace {

/// etcd's allowMethod: 405 text with the Allow list when `method` is not in it.
bool allow_method(const Request& request, std::initializer_list<std::string_view> allowed,
                  const ExchangePtr& exchange) {
    std::string list;
    for (std::string_view method : allowed) {
        if (request.method == method) return true;
        if (!list.empty()) list += ",";
        list += method;
    }
    Response response = text_error(405, "Method Not Allowed");
    response.set_field("Allow", list);
    exchange->reply(std::move(response));
    return false;
}

Response json_response(unsigned status, std::string body) {
    Response response;
    response.status = status;
    response.set_field("Content-Type", "application/json");
    response.body = std::move(body);
    return response;
}

std::int64_t now_unix_nanos() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string string_array(const std::vector<std::string>& values) {
    std::string out = "[";
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i != 0) out += ",";
        out += go_json_quote(values[i]);
    }
    return out + "]";
}

/// etcd's trimPrefix: drops the leading "/" of the part after "/v2/members".
std::string_view member_suffix(std::string_view sub_path) {
    if (!sub_path.empty() && sub_path.front() == '/') sub_path.remove_prefix(1);
    return sub_path;
}

/// Go's json.Unmarshal into struct{PeerURLs []string}: field names match without
/// regard to case, unknown fields are ignored, null leaves the list empty. Returns
/// an error text (Go-like wording; clients only see that it is non-empty).
std::string decode_peer_urls(const std::string& body, std::vector<std::string>* urls) {
    nlohmann::json document;
    try {
        document = nlohmann::json::parse(body);
    } catch (const nlohmann::json::exception&) {
        bool blank = std::all_of(body.begin(), body.end(), [](char c) {
            return std::isspace(static_cast<unsigned char>(c));
        });
        return blank ? "unexpected end of JSON input" : "invalid character in JSON input";
    }
    if (!document.is_object()) {
        return "json: cannot unmarshal " + std::string(document.type_name()) +
               " into Go value of type struct { PeerURLs []string }";
    }
    for (const auto& [name, value] : document.items()) {
        std::string lower = name;
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (lower != "peerurls") continue;
        urls->clear();
        if (value.is_null()) continue;
        if (!value.is_array()) {
            return "json: cannot unmarshal " + std::string(value.type_name()) +
                   " into Go struct field .peerURLs of type []string";
        }
        for (const auto& element : value) {
            if (!element.is_string()) {
                return "json: cannot unmarshal " + std::string(element.type_name()) +
                       " into Go struct field .peerURLs of type string";
            }
            urls->push_back(element.get<std::string>());
        }
    }
    return "";
}

/// etcd's unmarshalRequest: Content-Type must be application/json (415), then the
/// body must decode and the URLs validate (400). Replies and returns false on error.
bool read_peer_urls(const Request& request, std::vector<std::string>* urls,
                    const ExchangePtr& exchange) {
    std::string media(request.content_type);
    std::size_t semicolon = media.find(';');
    if (semicolon != std::string::npos) {
        // etcd trims and lower-cases the media type only when parameters follow it.
        media = media.substr(0, semicolon);
        media.erase(0, media.find_first_not_of(" \t"));
        media.erase(media.find_last_not_of(" \t") + 1);
        for (char& c : media) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (media != "application/json") {
        exchange->reply(
            json_message(415, "Bad Content-Type " + media + ", accept application/json"));
        return false;
    }
    std::string error = decode_peer_urls(request.body, urls);
    if (error.empty()) error = validate_peer_urls(*urls);
    if (!error.empty()) {
        exchange->reply(json_message(400, error));
        return false;
    }
    // [etcd: client/pkg/types/urls.go NewURLs] the URLs are kept sorted.
    for (auto& url : *urls) {
        url.erase(0, url.find_first_not_of(" \t\r\n"));
        url.erase(url.find_last_not_of(" \t\r\n") + 1);
    }
    std::sort(urls->begin(), urls->end());
    return true;
}

/// etcd's types.IDFromString: a hex uint64.
std::optional<NodeId> parse_member_id(std::string_view text) {
    if (text.empty() || text.size() > 16) return std::nullopt;
    NodeId id = 0;
    for (char c : text) {
        int digit = -1;
        if (c >= '0' && c <= '9') digit = c - '0';
        if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
        if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
        if (digit < 0) return std::nullopt;
        id = id * 16 + static_cast<NodeId>(digit);
    }
    return id;
}

/// The answer to a failed member change, as etcd's membersHandler maps its errors.
Response member_change_error(const Status& status, std::string_view id_text) {
    switch (status.code()) {
        case StatusCode::kAlreadyExists:
            return json_message(409, status.message().rfind("membership: ", 0) == 0
                                         ? status.message()
                                         : std::string("membership: peerURL exists"));
        case StatusCode::kNotFound:
            return json_message(404, "No such member: " + std::string(id_text));
        default:
            // [etcd: api/etcdhttp/base.go WriteError] anything else is a bare 500.
            return json_message(500, "Internal Server Error");
    }
}

void members_get(service::Service& service, std::string_view suffix, const ExchangePtr& exchange,
                 Response base) {
    service::ClusterInfo info = service.cluster_info();
    if (suffix.empty()) {
        std::string body = "{\"members\":[";
        for (std::size_t i = 0; i < info.members.size(); ++i) {
            if (i != 0) body += ",";
            body += render_member(info.members[i]);
        }
        body += "]}\n";
        base.set_field("Content-Type", "application/json");
        base.body = std::move(body);
        exchange->reply(std::move(base));
        return;
    }
    if (suffix == "leader") {
        auto it = std::find_if(info.members.begin(), info.members.end(),
                               [&](const service::Member& m) { return m.id == info.leader_id; });
        if (info.leader_id == kNoNode || it == info.members.end()) {
            Response response = json_message(503, "During election");
            response.set_field("X-Etcd-Cluster-Id", hex_id(info.cluster_id));
            exchange->reply(std::move(response));
            return;
        }
        base.set_field("Content-Type", "application/json");
        base.body = render_member(*it) + "\n";
        exchange->reply(std::move(base));
        return;
    }
    Response response = json_message(404, "Not found");
    response.set_field("X-Etcd-Cluster-Id", hex_id(info.cluster_id));
    exchange->reply(std::move(response));
}

/// Adds the cluster id field to a response built elsewhere.
Response with_cluster_id(Response response, std::uint64_t cluster_id) {
    response.set_field("X-Etcd-Cluster-Id", hex_id(cluster_id));
    return response;
}

}  // namespace

std::string render_member(const service::Member& member) {
    return "{\"id\":" + go_json_quote(hex_id(member.id)) +
           ",\"name\":" + go_json_quote(member.name) +
           ",\"peerURLs\":" + string_array(member.peer_urls) +
           ",\"clientURLs\":" + string_array(member.client_urls) + "}";
}

std::string validate_peer_urls(const std::vector<std::string>& urls) {
    if (urls.empty()) return "no valid URLs given";
    for (const auto& raw : urls) {
        std::string url = raw;
        url.erase(0, url.find_first_not_of(" \t\r\n"));
        url.erase(url.find_last_not_of(" \t\r\n") + 1);
        std::size_t scheme_end = url.find("://");
        std::string scheme = scheme_end == std::string::npos ? "" : url.substr(0, scheme_end);
        if (scheme != "http" && scheme != "https" && scheme != "unix" && scheme != "unixs") {
            return "URL scheme must be http, https, unix, or unixs: " + url;
        }
        std::string rest = url.substr(scheme_end + 3);
        std::size_t host_end = rest.find_first_of("/?#");
        std::string host = rest.substr(0, host_end);
        std::string path = host_end == std::string::npos ? "" : rest.substr(host_end);
        std::size_t bracket = host.rfind(']');
        std::size_t colon = host.rfind(':');
        bool has_port = colon != std::string::npos &&
                        (bracket == std::string::npos || colon > bracket) &&
                        (host.front() == '[' || host.find(':') == colon);
        if (!has_port) return "URL address does not have the form \"host:port\": " + url;
        if (!path.empty() && path.front() == '/') {
            return "URL must not contain a path: " + url;
        }
    }
    return "";
}

void serve_members(service::Service& service, const Request& request, std::string_view sub_path,
                   const ExchangePtr& exchange) {
    if (!allow_method(request, {"GET", "POST", "DELETE", "PUT"}, exchange)) return;
    std::uint64_t cluster_id = service.cluster_id();
    Response base;
    base.set_field("X-Etcd-Cluster-Id", hex_id(cluster_id));
    std::string_view suffix = member_suffix(sub_path);
    if (request.method == "GET") {
        members_get(service, suffix, exchange, std::move(base));
        return;
    }
    if (request.method == "POST") {
        std::vector<std::string> urls;
        if (!read_peer_urls(request, &urls, exchange)) return;
        ExchangePtr target = exchange;
        service.add_member(urls, false, [target, cluster_id](Result<service::Member> result) {
            if (!result.is_ok()) {
                target->reply(
                    with_cluster_id(member_change_error(result.status(), ""), cluster_id));
                return;
            }
            Response response = json_response(201, render_member(result.value()) + "\n");
            target->reply(with_cluster_id(std::move(response), cluster_id));
        });
        return;
    }
    // DELETE and PUT name a member: etcd's getID answers 405 without one and 404 for
    // text that is not a hex id.
    if (suffix.empty()) {
        exchange->reply(with_cluster_id(text_error(405, "Method Not Allowed"), cluster_id));
        return;
    }
    auto id = parse_member_id(suffix);
    if (!id) {
        exchange->reply(with_cluster_id(json_message(404, "No such member: " + std::string(suffix)),
                                        cluster_id));
        return;
    }
    std::string id_text = hex_id(*id);
    ExchangePtr target = exchange;
    auto done = [target, cluster_id, id_text](Status status) {
        if (!status.is_ok()) {
            target->reply(with_cluster_id(member_change_error(status, id_text), cluster_id));
            return;
        }
        Response response;
        response.status = 204;
        target->reply(with_cluster_id(std::move(response), cluster_id));
    };
    if (request.method == "DELETE") {
        service.remove_member(*id, done);
        return;
    }
    std::vector<std::string> urls;
    if (!read_peer_urls(request, &urls, exchange)) return;
    service.update_member(*id, urls, done);
}

void serve_stats_self(service::Service& service, const Request& request,
                      const ExchangePtr& exchange) {
    if (!allow_method(request, {"GET"}, exchange)) return;
    service::SelfStats stats = service.self_stats();
    // Field order and omitempty rules of etcd's serverStats
    // [etcd: server/etcdserver/api/v2stats/server.go].
    std::string body = "{\"name\":" + go_json_quote(stats.name);
    body += ",\"id\":" + go_json_quote(hex_id(stats.id));
    body += ",\"state\":" + go_json_quote(stats.is_leader ? "StateLeader" : "StateFollower");
    body += ",\"startTime\":" + go_json_quote(rfc3339_nano(stats.start_time_unix_nanos));
    body += ",\"leaderInfo\":{\"leader\":" + go_json_quote(hex_id(stats.leader_id));
    body += ",\"uptime\":" +
            go_json_quote(go_duration(now_unix_nanos() - stats.leader_start_time_unix_nanos));
    body += ",\"startTime\":" + go_json_quote(rfc3339_nano(stats.leader_start_time_unix_nanos));
    body += "},\"recvAppendRequestCnt\":" + std::to_string(stats.recv_append_request_count);
    if (stats.recv_package_rate != 0) {
        body += ",\"recvPkgRate\":" + go_json_float(stats.recv_package_rate);
    }
    if (stats.recv_bandwidth_rate != 0) {
        body += ",\"recvBandwidthRate\":" + go_json_float(stats.recv_bandwidth_rate);
    }
    body += ",\"sendAppendRequestCnt\":" + std::to_string(stats.send_append_request_count);
    if (stats.send_package_rate != 0) {
        body += ",\"sendPkgRate\":" + go_json_float(stats.send_package_rate);
    }
    if (stats.send_bandwidth_rate != 0) {
        body += ",\"sendBandwidthRate\":" + go_json_float(stats.send_bandwidth_rate);
    }
    body += "}";
    exchange->reply(json_response(200, std::move(body)));
}

void serve_stats_leader(service::Service& service, const Request& request,
                        const ExchangePtr& exchange) {
    if (!allow_method(request, {"GET"}, exchange)) return;
    std::optional<service::LeaderStats> stats = service.leader_stats();
    if (!stats.has_value()) {
        exchange->reply(json_message(403, "not current leader"));
        return;
    }
    // [etcd: v2stats/leader.go] followers is a map keyed by hex id, which Go writes
    // in sorted key order.
    std::vector<std::pair<std::string, const service::FollowerStats*>> followers;
    for (const auto& [id, follower] : stats->followers)
        followers.emplace_back(hex_id(id), &follower);
    std::sort(followers.begin(), followers.end());
    std::string body =
        "{\"leader\":" + go_json_quote(hex_id(stats->leader_id)) + ",\"followers\":{";
    for (std::size_t i = 0; i < followers.size(); ++i) {
        const service::FollowerStats& f = *followers[i].second;
        if (i != 0) body += ",";
        body += go_json_quote(followers[i].first) + ":{\"latency\":{";
        body += "\"current\":" + go_json_float(f.latency_current_ms);
        body += ",\"average\":" + go_json_float(f.latency_average_ms);
        body += ",\"standardDeviation\":" + go_json_float(f.latency_stddev_ms);
        body += ",\"minimum\":" + go_json_float(f.latency_min_ms);
        body += ",\"maximum\":" + go_json_float(f.latency_max_ms);
        body += "},\"counts\":{\"fail\":" + std::to_string(f.fail);
        body += ",\"success\":" + std::to_string(f.success) + "}}";
    }
    body += "}}";
    exchange->reply(json_response(200, std::move(body)));
}

void serve_stats_store(service::Service& service, const Request& request,
                       const ExchangePtr& exchange) {
    if (!allow_method(request, {"GET"}, exchange)) return;
    service::StoreStats s = service.store_stats();
    // [etcd: v2store/stats.go] field order of the Stats struct.
    const std::pair<const char*, std::uint64_t> fields[] = {
        {"getsSuccess", s.gets_success},
        {"getsFail", s.gets_fail},
        {"setsSuccess", s.sets_success},
        {"setsFail", s.sets_fail},
        {"deleteSuccess", s.delete_success},
        {"deleteFail", s.delete_fail},
        {"updateSuccess", s.update_success},
        {"updateFail", s.update_fail},
        {"createSuccess", s.create_success},
        {"createFail", s.create_fail},
        {"compareAndSwapSuccess", s.compare_and_swap_success},
        {"compareAndSwapFail", s.compare_and_swap_fail},
        {"compareAndDeleteSuccess", s.compare_and_delete_success},
        {"compareAndDeleteFail", s.compare_and_delete_fail},
        {"expireCount", s.expire_count},
        {"watchers", s.watchers},
    };
    std::string body = "{";
    for (const auto& [name, value] : fields) {
        if (body.size() > 1) body += ",";
        body += "\"" + std::string(name) + "\":" + std::to_string(value);
    }
    body += "}";
    exchange->reply(json_response(200, std::move(body)));
}

void serve_version(const Request& request, const ExchangePtr& exchange) {
    if (!allow_method(request, {"GET"}, exchange)) return;
    std::string body = "{\"etcdserver\":\"" + std::string(kEtcdServerVersion) +
                       "\",\"etcdcluster\":\"" + std::string(kEtcdClusterVersion) + "\"}";
    exchange->reply(json_response(200, std::move(body)));
}

void serve_health(service::Service& service, const Request& request, const ExchangePtr& exchange) {
    if (!allow_method(request, {"GET"}, exchange)) return;
    if (!service.is_healthy()) {
        // [etcd: api/etcdhttp/metrics.go] an unhealthy answer goes through http.Error.
        exchange->reply(text_error(503, "{\"health\":\"false\"}"));
        return;
    }
    // The handler sets no Content-Type; Go sniffs the JSON text as plain text.
    Response response;
    response.set_field("Content-Type", "text/plain; charset=utf-8");
    response.body = "{\"health\":\"true\"}";
    exchange->reply(std::move(response));
}

void serve_machines(const std::vector<std::string>& client_urls, const Request& request,
                    const ExchangePtr& exchange) {
    if (!allow_method(request, {"GET", "HEAD"}, exchange)) return;
    Response response;
    response.set_field("Content-Type", "text/plain; charset=utf-8");
    for (std::size_t i = 0; i < client_urls.size(); ++i) {
        if (i != 0) response.body += ", ";
        response.body += client_urls[i];
    }
    exchange->reply(std::move(response));
}

void serve_metrics(service::Service& service, const Request&, const ExchangePtr& exchange) {
    Response response;
    response.set_field("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    response.body = service.metrics_text();
    exchange->reply(std::move(response));
}

}  // namespace consensus::http
