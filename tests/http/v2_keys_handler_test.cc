// The keys handler without sockets: parameter validation as etcd's parseKeyRequest
// (every case the corpus recorded, plus Go's parsing rules), the response fields, and
// watch delivery through a FakeExchange.
#include "http/v2_keys_handler.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "consensus/errors.h"
#include "fake_exchange.h"
#include "fake_service.h"

namespace consensus::http {
namespace {

using testing::FakeExchange;
using testing::FakeService;
using testing::file_node;

constexpr const char* kForm = "application/x-www-form-urlencoded";

struct ErrorCase {
    const char* method;
    const char* query;
    const char* body;
    int code;
    const char* cause;
};

TEST_CASE("v2_keys: parameter errors match etcd when a parameter is invalid", "[http]") {
    std::vector<ErrorCase> cases = {
        {"PUT", "ttl=abc", "value=v", 202, "invalid value for \"ttl\""},
        {"PUT", "ttl=-1", "value=v", 202, "invalid value for \"ttl\""},
        {"PUT", "ttl=1.5", "value=v", 202, "invalid value for \"ttl\""},
        {"PUT", "ttl=%205", "value=v", 202, "invalid value for \"ttl\""},
        {"PUT", "ttl=99999999999999999999", "value=v", 202, "invalid value for \"ttl\""},
        {"PUT", "ttl=5&refresh=maybe", "", 209, "invalid value for refresh"},
        {"PUT", "dir=maybe", "", 209, "invalid value for \"dir\""},
        {"PUT", "prevExist=maybe", "value=v4", 209, "invalid value for prevExist"},
        {"PUT", "noValueOnSuccess=maybe", "value=v", 209, "invalid value for \"noValueOnSuccess\""},
        {"PUT", "prevValue=", "value=v", 201, "\"prevValue\" cannot be empty"},
        {"PUT", "prevIndex=abc", "value=v", 203, "invalid value for \"prevIndex\""},
        {"PUT", "prevIndex=-1", "value=v", 203, "invalid value for \"prevIndex\""},
        {"PUT", "prevIndex=", "value=v", 203, "invalid value for \"prevIndex\""},
        {"PUT", "ttl=200&refresh=true&prevExist=true", "value=new", 211,
         "A value was provided on a refresh"},
        {"PUT", "refresh=true&prevExist=true", "", 212, "No TTL value set"},
        {"PUT", "wait=true", "value=v", 209, "\"wait\" can only be used with GET requests"},
        {"GET", "wait=true&waitIndex=abc", "", 203, "invalid value for \"waitIndex\""},
        {"GET", "wait=maybe", "", 209, "invalid value for \"wait\""},
        {"GET", "wait=true&stream=maybe", "", 209, "invalid value for \"stream\""},
        {"GET", "quorum=maybe", "", 209, "invalid value for \"quorum\""},
        {"GET", "sorted=yes", "", 209, "invalid value for \"sorted\""},
        {"DELETE", "recursive=maybe", "", 209, "invalid value for \"recursive\""},
        {"DELETE", "dir=maybe", "", 209, "invalid value for \"dir\""},
        {"GET", "a=%zz", "", 210, "invalid URL escape \"%zz\""},
        {"PUT", "", "value=%zz", 210, "invalid URL escape \"%zz\""},
        // The first failing check in etcd's order wins: prevIndex before the flags.
        {"PUT", "dir=maybe&prevIndex=x", "", 203, "invalid value for \"prevIndex\""},
    };
    for (const auto& c : cases) {
        INFO(c.method << " ?" << c.query << " body " << c.body);
        V2KeysParse parse = parse_v2_keys_request(c.method, "/p/t", c.query, kForm, c.body);
        REQUIRE(parse.error.has_value());
        CHECK(parse.error->error_code == c.code);
        CHECK(parse.error->cause == c.cause);
        CHECK(parse.error->index == 0);
    }
}

TEST_CASE("v2_keys: values come from the form body first when both carry one", "[http]") {
    auto both = parse_v2_keys_request("PUT", "/p/q", "value=fromquery2", kForm, "value=frombody");
    REQUIRE_FALSE(both.error.has_value());
    CHECK(both.request.value == "frombody");
    auto query_only = parse_v2_keys_request("PUT", "/p/q", "value=fromquery", "", "");
    CHECK(query_only.request.value == "fromquery");
    auto none = parse_v2_keys_request("PUT", "/p/empty", "", "", "");
    CHECK_FALSE(none.request.value.has_value());
    auto repeated = parse_v2_keys_request("PUT", "/p/r", "", kForm, "value=a&value=b");
    CHECK(repeated.request.value == "a");
    auto special =
        parse_v2_keys_request("PUT", "/p/s", "", kForm, "value=a%3Db%26c+d%2Be%25f%0Aline2%09tab");
    CHECK(special.request.value == "a=b&c d+e%f\nline2\ttab");
    // A body without the form content type is not a form (Go's ParseForm).
    auto not_form = parse_v2_keys_request("PUT", "/p/q", "", "text/plain", "value=x");
    CHECK_FALSE(not_form.request.value.has_value());
    auto charset = parse_v2_keys_request(
        "POST", "/p/q", "", "Application/X-WWW-Form-Urlencoded; charset=utf-8", "value=x");
    CHECK(charset.request.value == "x");
}

TEST_CASE("v2_keys: DELETE reads only the query when a body carries fields", "[http]") {
    auto parse = parse_v2_keys_request("DELETE", "/p/d", "dir=true", kForm, "recursive=maybe");
    REQUIRE_FALSE(parse.error.has_value());
    CHECK(parse.request.method == service::V2Method::kDelete);
    CHECK(parse.request.dir);
    CHECK_FALSE(parse.request.recursive);
}

TEST_CASE("v2_keys: valid parameters fill the request when all are given", "[http]") {
    auto parse = parse_v2_keys_request(
        "PUT", "/p/k/", "prevExist=TRUE&prevValue=one&prevIndex=12&ttl=100&noValueOnSuccess=1",
        kForm, "value=two");
    REQUIRE_FALSE(parse.error.has_value());
    const auto& r = parse.request;
    CHECK(r.method == service::V2Method::kPut);
    CHECK(r.key == "/p/k");
    CHECK(r.prev_exist == true);
    CHECK(r.prev_value == "one");
    CHECK(r.prev_index == 12u);
    CHECK(r.ttl == 100u);
    CHECK(r.no_value_on_success);
    CHECK(parse.no_value_on_success);

    auto empty_ttl = parse_v2_keys_request("PUT", "/p/t", "ttl=&prevExist=true", kForm, "value=v2");
    REQUIRE_FALSE(empty_ttl.error.has_value());
    CHECK_FALSE(empty_ttl.request.ttl.has_value());

    auto refresh = parse_v2_keys_request("PUT", "/p/t", "ttl=200&refresh=true&prevExist=true",
                                         kForm, "value=");
    REQUIRE_FALSE(refresh.error.has_value());
    CHECK(refresh.request.refresh);

    auto watch =
        parse_v2_keys_request("GET", "/p/w", "wait=1&waitIndex=5&stream=t&recursive=true", "", "");
    REQUIRE_FALSE(watch.error.has_value());
    CHECK(watch.request.wait);
    CHECK(watch.request.wait_index == 5u);
    CHECK(watch.request.stream);
    CHECK(watch.request.recursive);

    auto root = parse_v2_keys_request("GET", "", "sorted=true&quorum=true", "", "");
    CHECK(root.request.key == "/");
    CHECK(root.request.sorted);
    CHECK(root.request.quorum);
    auto head = parse_v2_keys_request("HEAD", "/p", "quorum=true", "", "");
    CHECK(head.request.method == service::V2Method::kGet);
    CHECK_FALSE(head.request.quorum);
}

/// The Request views `method` and `target`, which callers pass as literals.
Request keys_request(std::string_view method, std::string_view target, std::string body = "") {
    Request request;
    request.method = method;
    request.target = target;
    request.content_type = body.empty() ? "" : kForm;
    request.body = std::move(body);
    return request;
}

/// Runs serve_v2_keys for `request` whose key path is everything after /v2/keys.
std::shared_ptr<FakeExchange> serve(FakeService& service, const Request& request,
                                    const std::string& key_path, const std::string& query) {
    auto exchange = std::make_shared<FakeExchange>();
    serve_v2_keys(service, request, key_path, query, exchange);
    return exchange;
}

TEST_CASE("v2_keys: a created key answers 201 with raft fields when the store set it", "[http]") {
    FakeService service;
    service.info = testing::corpus_cluster();
    auto exchange =
        serve(service, keys_request("PUT", "/v2/keys/p/foo", "value=bar"), "/p/foo", "");
    REQUIRE(service.keys_calls.size() == 1);
    CHECK(service.keys_calls[0].value == "bar");
    CHECK_FALSE(exchange->response.has_value());

    service::V2Result result;
    result.event = service::V2Event{"set", file_node("/p/foo", "bar", 92, 92), std::nullopt};
    result.headers = {92, 128, 2};
    service.deliver_keys(result);
    REQUIRE(exchange->response.has_value());
    CHECK(exchange->response->status == 201);
    CHECK(exchange->field("Content-Type") == "application/json");
    CHECK(exchange->field("X-Etcd-Index") == "92");
    CHECK(exchange->field("X-Raft-Index") == "128");
    CHECK(exchange->field("X-Raft-Term") == "2");
    CHECK(exchange->field("X-Etcd-Cluster-Id") == "48276a8f75b6a87");
    CHECK(exchange->response->body ==
          "{\"action\":\"set\",\"node\":{\"key\":\"/p/foo\",\"value\":\"bar\","
          "\"modifiedIndex\":92,\"createdIndex\":92}}\n");
}

TEST_CASE("v2_keys: the status follows the action when the store answers", "[http]") {
    struct Case {
        const char* action;
        bool has_prev;
        unsigned status;
    };
    std::vector<Case> cases = {{"set", false, 201},
                               {"set", true, 200},
                               {"create", false, 201},
                               {"update", true, 200},
                               {"compareAndSwap", true, 200},
                               {"delete", true, 200},
                               {"get", false, 200}};
    for (const auto& c : cases) {
        INFO(c.action << " prev " << c.has_prev);
        FakeService service;
        auto exchange = serve(service, keys_request("GET", "/v2/keys/p/k"), "/p/k", "");
        service::V2Result result;
        result.event = service::V2Event{c.action, file_node("/p/k", "v", 5, 5), std::nullopt};
        if (c.has_prev) result.event->prev_node = file_node("/p/k", "u", 4, 4);
        service.deliver_keys(result);
        CHECK(exchange->response->status == c.status);
    }
}

TEST_CASE("v2_keys: store errors carry the store index without raft fields when refused",
          "[http]") {
    FakeService service;
    service.info = testing::corpus_cluster();
    auto exchange = serve(service, keys_request("GET", "/v2/keys/p/nope"), "/p/nope", "");
    service::V2Result result;
    result.error = service::V2Error{100, "/p/nope", 93};
    service.deliver_keys(result);
    CHECK(exchange->response->status == 404);
    CHECK(exchange->field("X-Etcd-Index") == "93");
    CHECK(exchange->field("X-Raft-Index") == "<absent>");
    CHECK(exchange->field("X-Raft-Term") == "<absent>");
    CHECK(exchange->field("X-Etcd-Cluster-Id") == "48276a8f75b6a87");
    CHECK(exchange->response->body ==
          "{\"errorCode\":100,\"message\":\"Key not found\",\"cause\":\"/p/nope\",\"index\":93}\n");
}

TEST_CASE("v2_keys: parameter errors answer index 0 without calling the store when invalid",
          "[http]") {
    FakeService service;
    auto exchange =
        serve(service, keys_request("GET", "/v2/keys/p/q?quorum=maybe"), "/p/q", "quorum=maybe");
    CHECK(service.keys_calls.empty());
    CHECK(exchange->response->status == 400);
    CHECK(exchange->field("X-Etcd-Index") == "0");
    CHECK(exchange->field("X-Etcd-Cluster-Id") != "<absent>");
}

TEST_CASE("v2_keys: member failures map to error 300 when the store is unreachable", "[http]") {
    struct Case {
        StatusCode code;
        const char* message;
        const char* cause;
    };
    std::vector<Case> cases = {
        {StatusCode::kTimeout, "deadline passed", "etcdserver: request timed out"},
        {StatusCode::kUnavailable, "no leader", "etcdserver: request timed out"},
        {StatusCode::kUnavailable, "etcdserver: server stopped", "etcdserver: server stopped"},
        {StatusCode::kInternal, "boom", "boom"},
    };
    for (const auto& c : cases) {
        INFO(c.message);
        FakeService service;
        auto exchange = serve(service, keys_request("PUT", "/v2/keys/a", "value=1"), "/a", "");
        service::V2Result result;
        result.status = Status(c.code, c.message);
        service.deliver_keys(result);
        CHECK(exchange->response->status == 500);
        CHECK(exchange->field("X-Etcd-Index") == "0");
        CHECK(exchange->response->body ==
              std::string("{\"errorCode\":300,\"message\":\"Raft Internal Error\",\"cause\":\"") +
                  c.cause + "\",\"index\":0}\n");
    }
}

TEST_CASE("v2_keys: unsupported methods answer 405 with etcd's Allow list when used", "[http]") {
    for (const char* method : {"PATCH", "TRACE", "get", "BREW"}) {
        INFO(method);
        FakeService service;
        auto exchange = serve(service, keys_request(method, "/v2/keys/p/m"), "/p/m", "");
        CHECK(exchange->response->status == 405);
        CHECK(exchange->field("Allow") == "HEAD,GET,PUT,POST,DELETE");
        CHECK(exchange->field("Content-Type") == "text/plain; charset=utf-8");
        CHECK(exchange->field("X-Etcd-Index") == "<absent>");
        CHECK(exchange->response->body == "Method Not Allowed\n");
    }
}

TEST_CASE("v2_keys: noValueOnSuccess trims a successful write when asked", "[http]") {
    FakeService service;
    auto exchange =
        serve(service, keys_request("PUT", "/v2/keys/p/n?noValueOnSuccess=true", "value=v"), "/p/n",
              "noValueOnSuccess=true");
    service::V2Result result;
    result.event = service::V2Event{"set", file_node("/p/n", "v", 77, 77), std::nullopt};
    service.deliver_keys(result);
    CHECK(exchange->response->body == "{\"action\":\"set\"}\n");
}

TEST_CASE("v2_keys: a waiting watch sends its fields at once and one event when fired", "[http]") {
    FakeService service;
    service.info = testing::corpus_cluster();
    service.next_watch_headers = {1140, 1190, 2};
    auto exchange =
        serve(service, keys_request("GET", "/v2/keys/p/w?wait=true"), "/p/w", "wait=true");
    REQUIRE(service.watch_calls.size() == 1);
    CHECK(service.keys_calls.empty());
    CHECK(exchange->streaming);
    CHECK(exchange->response->status == 200);
    CHECK(exchange->field("X-Etcd-Index") == "1140");
    CHECK(exchange->field("X-Raft-Index") == "1190");
    CHECK_FALSE(exchange->ended);

    service::V2Event event{"set", file_node("/p/w", "b", 1141, 1141),
                           file_node("/p/w", "a", 1140, 1140)};
    service.fire(7, event, true);
    REQUIRE(exchange->chunks.size() == 1);
    CHECK(exchange->chunks[0] ==
          "{\"action\":\"set\",\"node\":{\"key\":\"/p/w\",\"value\":\"b\",\"modifiedIndex\":1141,"
          "\"createdIndex\":1141},\"prevNode\":{\"key\":\"/p/w\",\"value\":\"a\","
          "\"modifiedIndex\":1140,\"createdIndex\":1140}}\n");
    CHECK(exchange->ended);
}

TEST_CASE("v2_keys: a stream watch sends every event and stays open when events arrive", "[http]") {
    FakeService service;
    auto exchange = serve(service, keys_request("GET", "/v2/keys/p/s?wait=true&stream=true"),
                          "/p/s", "wait=true&stream=true");
    for (Revision i = 1; i <= 3; ++i) {
        service.fire(7, service::V2Event{"set", file_node("/p/s", std::to_string(i), i, i), {}});
    }
    CHECK(exchange->chunks.size() == 3);
    CHECK_FALSE(exchange->ended);
    service.watches.at(7).on_closed();
    CHECK(exchange->ended);
}

TEST_CASE("v2_keys: an abort cancels the watch when the client leaves", "[http]") {
    FakeService service;
    auto exchange =
        serve(service, keys_request("GET", "/v2/keys/p/w?wait=true"), "/p/w", "wait=true");
    REQUIRE(exchange->abort);
    exchange->abort();
    CHECK(service.cancelled == std::vector<std::uint64_t>{7});
}

TEST_CASE("v2_keys: a refused watch answers the error when the index is cleared", "[http]") {
    FakeService service;
    service.next_watch_error =
        service::V2Error{401, "the requested history has been cleared [139/133]", 1138};
    auto exchange = serve(service, keys_request("GET", "/v2/keys/p/h?wait=true&waitIndex=133"),
                          "/p/h", "wait=true&waitIndex=133");
    CHECK_FALSE(exchange->streaming);
    CHECK(exchange->response->status == 400);
    CHECK(exchange->field("X-Etcd-Index") == "1138");
    CHECK(service.watch_calls[0].wait_index == 133u);
}

}  // namespace
}  // namespace consensus::http
