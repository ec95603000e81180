// The router and the cluster endpoints without sockets: Go ServeMux path handling
// (301, 404), OPTIONS, and the shapes of members, stats, version, health, machines and
// metrics.
#include "http/router.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "consensus/path.h"
#include "fake_exchange.h"
#include "fake_service.h"
#include "http/cluster_handlers.h"
#include "http/form.h"
#include "http/go_json.h"

namespace consensus::http {
namespace {

using testing::FakeExchange;
using testing::FakeService;

struct Fixture {
    FakeService service;
    Router router{service, {"http://127.0.0.1:23790"}};

    Fixture() { service.info = testing::corpus_cluster(); }

    std::shared_ptr<FakeExchange> send(std::string method, std::string target,
                                       std::string body = "", std::string content_type = "") {
        Request request;
        request.method = std::move(method);
        request.target = std::move(target);
        request.body = std::move(body);
        request.content_type = std::move(content_type);
        auto exchange = std::make_shared<FakeExchange>();
        router.route(request, exchange);
        return exchange;
    }
};

TEST_CASE("router: unclean paths redirect with Go's body when they hold // . or ..", "[http]") {
    struct Case {
        const char* target;
        const char* location;
    };
    std::vector<Case> cases = {
        {"/v2/keys/P//x", "/v2/keys/P/x"},
        {"/v2/keys/P/a/../x", "/v2/keys/P/x"},
        {"/v2/keys/./x/", "/v2/keys/x/"},
        {"/v2/keys/P//x?wait=true", "/v2/keys/P/x?wait=true"},
        {"/v2/keys/a%2F%2Fb", "/v2/keys/a/b"},
        {"/v2/keys//with space", "/v2/keys/with%20space"},
    };
    for (const auto& c : cases) {
        INFO(c.target);
        Fixture f;
        auto exchange = f.send("GET", c.target);
        CHECK(exchange->response->status == 301);
        CHECK(exchange->field("Location") == c.location);
        CHECK(exchange->field("Content-Type") == "text/html; charset=utf-8");
        CHECK(exchange->field("X-Etcd-Index") == "<absent>");
        CHECK(exchange->response->body ==
              std::string("<a href=\"") + c.location + "\">Moved Permanently</a>.\n\n");
        CHECK(f.service.keys_calls.empty());
    }
    Fixture f;
    auto put = f.send("PUT", "/v2/keys/P//x");
    CHECK(put->response->status == 301);
    CHECK(put->response->body.empty());
    CHECK(put->field("Content-Type") == "<absent>");
}

TEST_CASE("router: unknown paths answer Go's 404 text when nothing matches", "[http]") {
    for (const char* target : {"/v2/foo", "/v2/", "/nope", "/", "/v2/stats/self/", "/v2/keysfoo",
                               "/v2/machines/", "/versions"}) {
        INFO(target);
        Fixture f;
        auto exchange = f.send("GET", target);
        CHECK(exchange->response->status == 404);
        CHECK(exchange->field("Content-Type") == "text/plain; charset=utf-8");
        CHECK(exchange->response->body == "404 page not found\n");
    }
}

TEST_CASE("router: keys paths decode escapes into the key when routed", "[http]") {
    struct Case {
        const char* target;
        const char* key;
    };
    std::vector<Case> cases = {
        {"/v2/keys/P/what%3F", "/P/what?"},
        {"/v2/keys/P/%C3%BCber/%E2%9C%93",
         "/P/\xC3\xBC"
         "ber/\xE2\x9C\x93"},
        {"/v2/keys/P/with%20space", "/P/with space"},
        {"/v2/keys/P/a+b", "/P/a+b"},
        {"/v2/keys/P/a%2Fb", "/P/a/b"},
        {"/v2/keys/P/t/", "/P/t"},
        {"/v2/keys", "/"},
        {"/v2/keys/", "/"},
        {"http://127.0.0.1:2379/v2/keys/abs", "/abs"},
    };
    for (const auto& c : cases) {
        INFO(c.target);
        Fixture f;
        f.send("GET", c.target);
        REQUIRE(f.service.keys_calls.size() == 1);
        CHECK(f.service.keys_calls[0].key == c.key);
    }
}

TEST_CASE("router: a malformed escape is Go's 400 when the path cannot decode", "[http]") {
    Fixture f;
    auto exchange = f.send("GET", "/v2/keys/%zz");
    CHECK(exchange->response->status == 400);
    CHECK(exchange->response->body == "400 Bad Request");
    CHECK(exchange->response->close_connection);
    CHECK_FALSE(exchange->response->cors);
}

TEST_CASE("router: OPTIONS answers 200 empty when sent to any path", "[http]") {
    for (const char* target : {"/v2/keys/P/m", "/nope", "/v2//x"}) {
        Fixture f;
        auto exchange = f.send("OPTIONS", target);
        CHECK(exchange->response->status == 200);
        CHECK(exchange->response->body.empty());
        CHECK(exchange->field("Content-Type") == "<absent>");
        CHECK(exchange->response->cors);
    }
}

TEST_CASE("router: each endpoint refuses other methods with its Allow list when misused",
          "[http]") {
    struct Case {
        const char* method;
        const char* target;
        const char* allow;
    };
    std::vector<Case> cases = {
        {"POST", "/version", "GET"},
        {"HEAD", "/version", "GET"},
        {"PUT", "/health", "GET"},
        {"POST", "/v2/stats/self", "GET"},
        {"DELETE", "/v2/stats/leader", "GET"},
        {"PUT", "/v2/stats/store", "GET"},
        {"PATCH", "/v2/members", "GET,POST,DELETE,PUT"},
        {"POST", "/v2/machines", "GET,HEAD"},
    };
    for (const auto& c : cases) {
        INFO(c.method << " " << c.target);
        Fixture f;
        auto exchange = f.send(c.method, c.target);
        CHECK(exchange->response->status == 405);
        CHECK(exchange->field("Allow") == c.allow);
        CHECK(exchange->response->body == "Method Not Allowed\n");
    }
}

TEST_CASE("cluster: /version and /health answer etcd's bodies when healthy", "[http]") {
    Fixture f;
    auto version = f.send("GET", "/version");
    CHECK(version->response->status == 200);
    CHECK(version->field("Content-Type") == "application/json");
    CHECK(version->response->body == "{\"etcdserver\":\"3.4.23\",\"etcdcluster\":\"3.4.0\"}");
    CHECK(version->field("X-Etcd-Cluster-Id") == "<absent>");

    auto health = f.send("GET", "/health");
    CHECK(health->response->status == 200);
    CHECK(health->field("Content-Type") == "text/plain; charset=utf-8");
    CHECK(health->response->body == "{\"health\":\"true\"}");

    f.service.healthy = false;
    auto sick = f.send("GET", "/health");
    CHECK(sick->response->status == 503);
    CHECK(sick->response->body == "{\"health\":\"false\"}\n");
}

TEST_CASE("cluster: machines and metrics answer text when asked", "[http]") {
    FakeService service;
    Router router(service, {"http://127.0.0.1:2379", "http://10.0.0.1:2379"});
    Request request{"GET", "/v2/machines", "", ""};
    auto machines = std::make_shared<FakeExchange>();
    router.route(request, machines);
    CHECK(machines->response->body == "http://127.0.0.1:2379, http://10.0.0.1:2379");
    CHECK(machines->field("Content-Type") == "text/plain; charset=utf-8");

    request.target = "/metrics";
    auto metrics = std::make_shared<FakeExchange>();
    router.route(request, metrics);
    CHECK(metrics->response->body == service.metrics);
    CHECK(metrics->field("Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
}

TEST_CASE("cluster: member listing matches the corpus when one member runs", "[http]") {
    for (const char* target : {"/v2/members", "/v2/members/"}) {
        Fixture f;
        auto exchange = f.send("GET", target);
        CHECK(exchange->response->status == 200);
        CHECK(exchange->field("Content-Type") == "application/json");
        CHECK(exchange->field("X-Etcd-Cluster-Id") == "48276a8f75b6a87");
        CHECK(exchange->field("X-Etcd-Index") == "<absent>");
        CHECK(exchange->response->body ==
              "{\"members\":[{\"id\":\"2e1259d415f2a040\",\"name\":\"n1\",\"peerURLs\":"
              "[\"http://127.0.0.1:23800\"],\"clientURLs\":[\"http://127.0.0.1:23790\"]}]}\n");
    }
    Fixture f;
    auto leader = f.send("GET", "/v2/members/leader");
    CHECK(leader->response->body ==
          "{\"id\":\"2e1259d415f2a040\",\"name\":\"n1\",\"peerURLs\":"
          "[\"http://127.0.0.1:23800\"],\"clientURLs\":[\"http://127.0.0.1:23790\"]}\n");
    f.service.info.leader_id = kNoNode;
    auto election = f.send("GET", "/v2/members/leader");
    CHECK(election->response->status == 503);
    CHECK(election->response->body == "{\"message\":\"During election\"}");
    auto unknown = f.send("GET", "/v2/members/foo");
    CHECK(unknown->response->status == 404);
    CHECK(unknown->response->body == "{\"message\":\"Not found\"}");
}

TEST_CASE("cluster: adding a member answers 201 with the member when it succeeds", "[http]") {
    Fixture f;
    auto exchange = f.send("POST", "/v2/members",
                           "{\"peerURLs\":[\"http://127.0.0.1:2480\",\"http://127.0.0.1:2380\"]}",
                           "application/json");
    REQUIRE(f.service.add_calls.size() == 1);
    CHECK(f.service.add_calls[0] ==
          std::vector<std::string>{"http://127.0.0.1:2380", "http://127.0.0.1:2480"});
    service::Member member;
    member.id = 0xabc;
    member.peer_urls = f.service.add_calls[0];
    f.service.pending_add.front()(member);
    CHECK(exchange->response->status == 201);
    CHECK(exchange->response->body ==
          "{\"id\":\"abc\",\"name\":\"\",\"peerURLs\":[\"http://127.0.0.1:2380\","
          "\"http://127.0.0.1:2480\"],\"clientURLs\":[]}\n");
    CHECK(exchange->field("X-Etcd-Cluster-Id") == "48276a8f75b6a87");
}

TEST_CASE("cluster: member changes answer etcd's errors when they fail", "[http]") {
    struct Case {
        const char* method;
        const char* target;
        const char* body;
        const char* content_type;
        unsigned status;
        const char* message;  ///< "" = any non-empty message
    };
    std::vector<Case> cases = {
        {"POST", "/v2/members", "{\"peerURLs\":[\"http://a:1\"]}", "text/plain", 415,
         "Bad Content-Type text/plain, accept application/json"},
        {"POST", "/v2/members", "{bad", "application/json", 400, ""},
        {"POST", "/v2/members", "{}", "application/json", 400, "no valid URLs given"},
        {"POST", "/v2/members", "{\"peerURLs\":[\"ftp://a:1\"]}", "application/json", 400,
         "URL scheme must be http, https, unix, or unixs: ftp://a:1"},
        {"POST", "/v2/members", "{\"peerURLs\":[\"http://a\"]}", "application/json; charset=utf-8",
         400, "URL address does not have the form \"host:port\": http://a"},
        {"POST", "/v2/members", "{\"peerURLs\":[\"http://a:1/x\"]}", "application/json", 400,
         "URL must not contain a path: http://a:1/x"},
        {"POST", "/v2/members", "{\"peerURLs\":\"http://a:1\"}", "application/json", 400, ""},
        {"DELETE", "/v2/members", "", "", 405, ""},
        {"DELETE", "/v2/members/xyz", "", "", 404, "No such member: xyz"},
        {"PUT", "/v2/members/leader", "", "", 404, "No such member: leader"},
    };
    for (const auto& c : cases) {
        INFO(c.method << " " << c.target << " " << c.body);
        Fixture f;
        auto exchange = f.send(c.method, c.target, c.body, c.content_type);
        REQUIRE(exchange->response.has_value());
        CHECK(exchange->response->status == c.status);
        if (std::string(c.message).empty()) {
            CHECK_FALSE(exchange->response->body.empty());
        } else {
            CHECK(exchange->response->body == "{\"message\":" + go_json_quote(c.message) + "}");
        }
        CHECK(f.service.add_calls.empty());
    }
}

TEST_CASE("cluster: service failures map to etcd's statuses when a change fails", "[http]") {
    struct Case {
        const char* method;
        StatusCode code;
        unsigned status;
        const char* body;
    };
    std::vector<Case> cases = {
        {"DELETE", StatusCode::kNotFound, 404, "{\"message\":\"No such member: 1f\"}"},
        {"DELETE", StatusCode::kUnavailable, 500, "{\"message\":\"Internal Server Error\"}"},
        {"PUT", StatusCode::kAlreadyExists, 409, "{\"message\":\"membership: peerURL exists\"}"},
        {"PUT", StatusCode::kFailedPrecondition, 500, "{\"message\":\"Internal Server Error\"}"},
        {"DELETE", StatusCode::kOk, 204, ""},
        {"PUT", StatusCode::kOk, 204, ""},
    };
    for (const auto& c : cases) {
        INFO(c.method << " " << status_code_name(c.code));
        Fixture f;
        auto exchange = f.send(c.method, "/v2/members/1F", "{\"peerURLs\":[\"http://b:2\"]}",
                               "application/json");
        REQUIRE(f.service.pending_status.size() == 1);
        f.service.pending_status.front()(c.code == StatusCode::kOk ? Status::ok()
                                                                   : Status(c.code, "x"));
        CHECK(exchange->response->status == c.status);
        CHECK(exchange->response->body == c.body);
    }
    Fixture f;
    f.send("DELETE", "/v2/members/1F");
    CHECK(f.service.remove_calls == std::vector<NodeId>{0x1f});
    Fixture g;
    g.send("PUT", "/v2/members/2a", "{\"peerURLs\":[\"http://b:2\"]}", "application/json");
    REQUIRE(g.service.update_calls.size() == 1);
    CHECK(g.service.update_calls[0].first == 0x2a);
}

TEST_CASE("cluster: stats render etcd's shapes when asked", "[http]") {
    Fixture f;
    f.service.self.name = "n1";
    f.service.self.id = 0x2e1259d415f2a040ULL;
    f.service.self.is_leader = true;
    f.service.self.leader_id = 0x2e1259d415f2a040ULL;
    f.service.self.start_time_unix_nanos = 1795320324418211100LL;
    f.service.self.leader_start_time_unix_nanos = 1795320325021914406LL;
    auto self = f.send("GET", "/v2/stats/self");
    const std::string& body = self->response->body;
    CHECK(body.rfind("{\"name\":\"n1\",\"id\":\"2e1259d415f2a040\",\"state\":\"StateLeader\","
                     "\"startTime\":\"2026-11-22T04:05:24.4182111Z\",\"leaderInfo\":{\"leader\":"
                     "\"2e1259d415f2a040\",\"uptime\":\"",
                     0) == 0);
    CHECK(body.find("\"startTime\":\"2026-11-22T04:05:25.021914406Z\"},\"recvAppendRequestCnt\":0,"
                    "\"sendAppendRequestCnt\":0}") != std::string::npos);
    CHECK(self->field("X-Etcd-Cluster-Id") == "<absent>");

    f.service.self.is_leader = false;
    f.service.self.recv_package_rate = 2.5;
    auto follower = f.send("GET", "/v2/stats/self");
    CHECK(follower->response->body.find("\"state\":\"StateFollower\"") != std::string::npos);
    CHECK(follower->response->body.find("\"recvAppendRequestCnt\":0,\"recvPkgRate\":2.5,"
                                        "\"sendAppendRequestCnt\":0}") != std::string::npos);

    auto not_leader = f.send("GET", "/v2/stats/leader");
    CHECK(not_leader->response->status == 403);
    CHECK(not_leader->response->body == "{\"message\":\"not current leader\"}");

    f.service.leader = service::LeaderStats{0x2e1259d415f2a040ULL, {}};
    auto alone = f.send("GET", "/v2/stats/leader");
    CHECK(alone->response->body == "{\"leader\":\"2e1259d415f2a040\",\"followers\":{}}");
    service::FollowerStats follower_stats;
    follower_stats.latency_current_ms = 1.5;
    follower_stats.success = 3;
    f.service.leader->followers[0x20] = follower_stats;
    f.service.leader->followers[0x3] = follower_stats;
    auto two = f.send("GET", "/v2/stats/leader");
    CHECK(two->response->body ==
          "{\"leader\":\"2e1259d415f2a040\",\"followers\":{\"20\":{\"latency\":{\"current\":1.5,"
          "\"average\":0,\"standardDeviation\":0,\"minimum\":0,\"maximum\":0},\"counts\":"
          "{\"fail\":0,\"success\":3}},\"3\":{\"latency\":{\"current\":1.5,\"average\":0,"
          "\"standardDeviation\":0,\"minimum\":0,\"maximum\":0},\"counts\":{\"fail\":0,"
          "\"success\":3}}}}");

    f.service.store.gets_success = 41;
    f.service.store.watchers = 2;
    auto store = f.send("GET", "/v2/stats/store");
    CHECK(store->response->body ==
          "{\"getsSuccess\":41,\"getsFail\":0,\"setsSuccess\":0,\"setsFail\":0,\"deleteSuccess\":0,"
          "\"deleteFail\":0,\"updateSuccess\":0,\"updateFail\":0,\"createSuccess\":0,"
          "\"createFail\":0,\"compareAndSwapSuccess\":0,\"compareAndSwapFail\":0,"
          "\"compareAndDeleteSuccess\":0,\"compareAndDeleteFail\":0,\"expireCount\":0,"
          "\"watchers\":2}");
}

}  // namespace
}  // namespace consensus::http

namespace consensus::http {
namespace {

TEST_CASE("router: the clean-path checks agree with cleaning when given every short path",
          "[http][property]") {
    // Every string of up to seven characters over '/', '.' and 'a' covers empty, "."
    // and ".." elements, doubled and trailing slashes, and unrooted paths.
    std::vector<std::string> paths = {""};
    for (std::size_t begin = 0, length = 0; length < 7; ++length) {
        std::size_t end = paths.size();
        for (std::size_t i = begin; i < end; ++i) {
            for (char c : {'/', '.', 'a'}) paths.push_back(paths[i] + c);
        }
        begin = end;
    }
    for (const std::string& path : paths) {
        INFO(path);
        bool rooted = !path.empty() && path.front() == '/';
        CHECK(is_clean_path(path) == (rooted && clean_path(path) == path));
        CHECK(is_mux_clean_path(path) == (mux_clean_path(path) == path));
    }
}

}  // namespace
}  // namespace consensus::http
