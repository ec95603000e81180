// Sessions and the server over real loopback sockets, with the io_context driven by
// the test: framing and fields on the wire, HEAD, pipelining order and its bound,
// watches (waiting, streaming, disconnect, the slow-reader bound), body and header
// limits, malformed requests, timeouts, shutdown and listen errors.
#include "http/server.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "http_client.h"

namespace consensus::http {
namespace {

using testing::Client;
using testing::file_node;
using testing::Harness;
using testing::http_request;
using testing::parse_responses;

service::V2Result set_result(const std::string& key, const std::string& value, Revision index) {
    service::V2Result result;
    result.event = service::V2Event{"set", file_node(key, value, index, index), std::nullopt};
    result.headers = {index, index + 36, 2};
    return result;
}

bool has_complete_responses(const Client& client, std::size_t count,
                            const std::vector<bool>& bodiless = {}) {
    auto responses = parse_responses(client.received(), bodiless);
    return responses.size() >= count && responses[count - 1].complete;
}

TEST_CASE("session: a keys answer carries etcd's fields on the wire when delivered", "[http]") {
    Harness h;
    Client client(h);
    client.send(http_request("PUT", "/v2/keys/p/foo", "value=bar"));
    REQUIRE(h.run_until([&] { return h.service.pending_keys.size() == 1; }));
    CHECK(h.service.keys_calls[0].value == "bar");
    h.service.deliver_keys(set_result("/p/foo", "bar", 92));
    REQUIRE(h.run_until([&] { return has_complete_responses(client, 1); }));
    auto response = parse_responses(client.received())[0];
    CHECK(response.status == 201);
    CHECK(client.received().rfind("HTTP/1.1 201 Created\r\n", 0) == 0);
    CHECK(response.field("Content-Type") == "application/json");
    CHECK(response.field("X-Etcd-Index") == "92");
    CHECK(response.field("X-Raft-Index") == "128");
    CHECK(response.field("X-Raft-Term") == "2");
    CHECK(response.field("X-Etcd-Cluster-Id") == "48276a8f75b6a87");
    CHECK(response.field("Access-Control-Allow-Origin") == "*");
    CHECK(response.field("Access-Control-Allow-Methods") == "POST, GET, OPTIONS, PUT, DELETE");
    CHECK(response.field("Access-Control-Allow-Headers") == "accept, content-type, authorization");
    CHECK(response.field("Date") != "<absent>");
    CHECK(response.field("Content-Length") == std::to_string(response.body.size()));
    CHECK(response.body ==
          "{\"action\":\"set\",\"node\":{\"key\":\"/p/foo\",\"value\":\"bar\","
          "\"modifiedIndex\":92,\"createdIndex\":92}}\n");
    CHECK_FALSE(client.eof());
}

TEST_CASE("session: HEAD answers GET's fields without a body when asked", "[http]") {
    Harness h;
    Client client(h);
    client.send(http_request("HEAD", "/v2/keys/p/foo") + http_request("GET", "/v2/keys/p/foo"));
    REQUIRE(h.run_until([&] { return h.service.pending_keys.size() == 2; }));
    service::V2Result result = set_result("/p/foo", "baz", 93);
    result.event->action = "get";
    h.service.deliver_keys(result);
    h.service.deliver_keys(result);
    REQUIRE(h.run_until([&] { return has_complete_responses(client, 2, {true}); }));
    auto responses = parse_responses(client.received(), {true});
    CHECK(responses[0].status == 200);
    CHECK(responses[0].body.empty());
    CHECK(responses[0].field("Content-Length") == std::to_string(responses[1].body.size()));
    CHECK(responses[0].field("X-Etcd-Index") == "93");
    CHECK(responses[1].body.find("\"action\":\"get\"") != std::string::npos);
}

TEST_CASE("session: pipelined answers keep request order when delivered out of order", "[http]") {
    Harness h;
    Client client(h);
    client.send(http_request("GET", "/v2/keys/a") + http_request("GET", "/nope") +
                http_request("GET", "/v2/keys/b"));
    REQUIRE(h.run_until([&] { return h.service.pending_keys.size() == 2; }));
    // Answer b before a: the 404 and b must still wait for a.
    auto first = std::move(h.service.pending_keys.front());
    h.service.pending_keys.pop_front();
    h.service.deliver_keys(set_result("/b", "2", 11));
    h.settle();
    CHECK(client.received().empty());
    first(set_result("/a", "1", 10));
    REQUIRE(h.run_until([&] { return has_complete_responses(client, 3); }));
    auto responses = parse_responses(client.received());
    CHECK(responses[0].body.find("\"/a\"") != std::string::npos);
    CHECK(responses[1].status == 404);
    CHECK(responses[1].body == "404 page not found\n");
    CHECK(responses[2].body.find("\"/b\"") != std::string::npos);
}

TEST_CASE("session: reading pauses at pipelined_responses_max when answers are pending", "[http]") {
    ServerOptions options;
    options.pipelined_responses_max = 2;
    Harness h(options);
    Client client(h);
    std::string requests;
    for (int i = 0; i < 5; ++i) requests += http_request("GET", "/v2/keys/k" + std::to_string(i));
    client.send(requests);
    REQUIRE(h.run_until([&] { return h.service.keys_calls.size() == 2; }));
    h.settle();
    CHECK(h.service.keys_calls.size() == 2);
    h.service.deliver_keys(set_result("/k0", "v", 1));
    REQUIRE(h.run_until([&] { return h.service.keys_calls.size() == 3; }));
    h.settle();
    CHECK(h.service.keys_calls.size() == 3);
    while (!h.service.pending_keys.empty()) h.service.deliver_keys(set_result("/k", "v", 2));
    REQUIRE(h.run_until([&] { return h.service.keys_calls.size() == 5; }));
    while (!h.service.pending_keys.empty()) h.service.deliver_keys(set_result("/k", "v", 3));
    REQUIRE(h.run_until([&] { return has_complete_responses(client, 5); }));
}

TEST_CASE("session: answers made at once keep request order when pipelined together", "[http]") {
    // The first answer goes straight into the write buffer; the others are made while
    // that write is in flight and must queue behind it.
    Harness h;
    Client client(h);
    client.send(http_request("GET", "/version") + http_request("GET", "/nope") +
                http_request("GET", "/version") + http_request("HEAD", "/nope"));
    const std::vector<bool> bodiless = {false, false, false, true};
    REQUIRE(h.run_until([&] { return has_complete_responses(client, 4, bodiless); }));
    auto responses = parse_responses(client.received(), bodiless);
    REQUIRE(responses.size() == 4);
    CHECK(responses[0].status == 200);
    CHECK(responses[0].body.find("etcdserver") != std::string::npos);
    CHECK(responses[1].status == 404);
    CHECK(responses[1].body == "404 page not found\n");
    CHECK(responses[2].status == 200);
    CHECK(responses[2].body == responses[0].body);
    CHECK(responses[3].status == 404);
    CHECK(responses[3].body.empty());
    CHECK(responses[3].field("Content-Length") == "19");
    CHECK_FALSE(client.eof());
}

TEST_CASE("session: a header larger than the fields arena is served when sent", "[http]") {
    // About 30 KiB of fields, far beyond kFieldsArenaBytes: the fields that do not fit
    // come from the heap, and the next request on the connection reuses the arena.
    std::string fields;
    for (int i = 0; i < 120; ++i) {
        fields += "X-Pad-" + std::to_string(i) + ": " + std::string(240, 'p') + "\r\n";
    }
    Harness h;
    Client client(h);
    client.send(http_request("PUT", "/v2/keys/p/big", "value=v1", fields) +
                http_request("PUT", "/v2/keys/p/small", "value=v2"));
    REQUIRE(h.run_until([&] { return h.service.keys_calls.size() == 1; }));
    CHECK(h.service.keys_calls[0].key == "/p/big");
    CHECK(h.service.keys_calls[0].value == "v1");
    h.service.deliver_keys(set_result("/p/big", "v1", 5));
    REQUIRE(h.run_until([&] { return h.service.keys_calls.size() == 2; }));
    CHECK(h.service.keys_calls[1].key == "/p/small");
    CHECK(h.service.keys_calls[1].value == "v2");
    h.service.deliver_keys(set_result("/p/small", "v2", 6));
    REQUIRE(h.run_until([&] { return has_complete_responses(client, 2); }));
    auto responses = parse_responses(client.received());
    CHECK(responses[0].status == 201);
    CHECK(responses[1].status == 201);
    CHECK(responses[1].body.find("\"/p/small\"") != std::string::npos);
}

TEST_CASE("session: many small fields are served when their count passes the arena", "[http]") {
    std::string fields;
    for (int i = 0; i < 400; ++i) fields += "X-F" + std::to_string(i) + ": v\r\n";
    Harness h;
    Client client(h);
    client.send(http_request("GET", "/version", "", fields));
    REQUIRE(h.run_until([&] { return has_complete_responses(client, 1); }));
    auto responses = parse_responses(client.received());
    CHECK(responses[0].status == 200);
    CHECK_FALSE(client.eof());
}

TEST_CASE("session: a waiting watch sends fields at once and its event chunked when fired",
          "[http]") {
    Harness h;
    h.service.next_watch_headers = {1140, 1190, 2};
    Client client(h);
    client.send(http_request("GET", "/v2/keys/p/w?wait=true"));
    REQUIRE(h.run_until([&] { return client.received().find("\r\n\r\n") != std::string::npos; }));
    auto waiting = parse_responses(client.received());
    REQUIRE(waiting.size() == 1);
    CHECK(waiting[0].status == 200);
    CHECK(waiting[0].chunked);
    CHECK_FALSE(waiting[0].complete);
    CHECK(waiting[0].field("X-Etcd-Index") == "1140");
    CHECK(waiting[0].field("Content-Length") == "<absent>");

    h.service.fire(7, service::V2Event{"set", file_node("/p/w", "b", 1141, 1141), std::nullopt},
                   true);
    REQUIRE(h.run_until([&] { return has_complete_responses(client, 1); }));
    auto done = parse_responses(client.received());
    CHECK(done[0].chunks.size() == 1);
    CHECK(done[0].body ==
          "{\"action\":\"set\",\"node\":{\"key\":\"/p/w\",\"value\":\"b\",\"modifiedIndex\":1141,"
          "\"createdIndex\":1141}}\n");
    // The connection stays usable for the next request.
    client.send(http_request("GET", "/version"));
    REQUIRE(h.run_until([&] { return has_complete_responses(client, 2); }));
    CHECK(parse_responses(client.received())[1].status == 200);
    CHECK(h.service.cancelled.empty());
}

TEST_CASE("session: a stream watch sends each event as a chunk and stays open when fired",
          "[http]") {
    Harness h;
    Client client(h);
    client.send(http_request("GET", "/v2/keys/p/s?wait=true&stream=true"));
    REQUIRE(h.run_until([&] { return h.service.watches.size() == 1; }));
    for (Revision i = 1155; i <= 1156; ++i) {
        h.service.fire(7, service::V2Event{"set", file_node("/p/s", "x", i, i), std::nullopt});
    }
    REQUIRE(h.run_until([&] {
        auto r = parse_responses(client.received());
        return !r.empty() && r[0].chunks.size() == 2;
    }));
    auto responses = parse_responses(client.received());
    CHECK_FALSE(responses[0].complete);
    CHECK(responses[0].chunks[1].find("\"modifiedIndex\":1156") != std::string::npos);
    CHECK(h.service.watches.size() == 1);
}

TEST_CASE("session: a client that leaves cancels its watch when it disconnects", "[http]") {
    Harness h;
    Client client(h);
    client.send(http_request("GET", "/v2/keys/p/w?wait=true"));
    REQUIRE(h.run_until([&] { return client.received().find("\r\n\r\n") != std::string::npos; }));
    client.close();
    REQUIRE(h.run_until([&] { return h.service.cancelled.size() == 1; }));
    CHECK(h.service.cancelled[0] == 7);
}

TEST_CASE("session: a stream is dropped at kWatchPendingEventsMax when the client lags", "[http]") {
    Harness h;
    Client client(h);
    client.send(http_request("GET", "/v2/keys/p/s?wait=true&stream=true"));
    REQUIRE(h.run_until([&] { return client.received().find("\r\n\r\n") != std::string::npos; }));
    // Without running the loop nothing reaches the socket: the first event is in the
    // write in flight and the rest wait in the session's queue.
    service::V2Event event{"set", file_node("/p/s", "x", 1, 1), std::nullopt};
    for (std::size_t i = 0; i < 1 + kWatchPendingEventsMax; ++i) h.service.fire(7, event);
    CHECK(h.service.cancelled.empty());
    h.service.fire(7, event);
    CHECK(h.service.cancelled == std::vector<std::uint64_t>{7});
    REQUIRE(h.run_until([&] { return client.eof(); }));
}

TEST_CASE("session: a late answer is dropped when its client has gone", "[http]") {
    Harness h;
    {
        Client client(h);
        client.send(http_request("GET", "/v2/keys/p/slow"));
        REQUIRE(h.run_until([&] { return h.service.pending_keys.size() == 1; }));
    }
    h.settle();
    h.service.deliver_keys(set_result("/p/slow", "v", 5));
    h.settle();
    CHECK(h.service.pending_keys.empty());
}

TEST_CASE("session: bodies up to body_bytes_max are served when sent", "[http]") {
    SECTION("the corpus's 2 MB value fits the default limit") {
        Harness h;
        Client client(h);
        client.send(http_request("PUT", "/v2/keys/p/huge", "value=" + std::string(2000000, 'h')));
        REQUIRE(h.run_until([&] { return h.service.keys_calls.size() == 1; }));
        CHECK(h.service.keys_calls[0].value->size() == 2000000);
    }
    SECTION("exactly the limit is accepted") {
        ServerOptions options;
        options.body_bytes_max = 1000;
        Harness h(options);
        Client client(h);
        client.send(http_request("PUT", "/v2/keys/p/x", "value=" + std::string(994, 'v')));
        REQUIRE(h.run_until([&] { return h.service.keys_calls.size() == 1; }));
    }
}

TEST_CASE("session: a body over body_bytes_max answers 413 and closes when sent", "[http]") {
    ServerOptions options;
    options.body_bytes_max = 1000;
    Harness h(options);
    Client client(h);
    client.send(http_request("PUT", "/v2/keys/p/x", "value=" + std::string(995, 'v')));
    REQUIRE(h.run_until([&] { return client.eof(); }));
    auto responses = parse_responses(client.received());
    REQUIRE(responses.size() == 1);
    CHECK(responses[0].status == 413);
    CHECK(responses[0].field("Connection") == "close");
    CHECK(h.service.keys_calls.empty());
}

TEST_CASE("session: a header over kHeaderBytesMax answers 431 and closes when sent", "[http]") {
    Harness h;
    Client client(h);
    client.send("GET /version HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(kHeaderBytesMax, 'a') +
                "\r\n\r\n");
    REQUIRE(h.run_until([&] { return client.eof(); }));
    auto responses = parse_responses(client.received());
    REQUIRE(responses.size() == 1);
    CHECK(responses[0].status == 431);
    CHECK(responses[0].field("Access-Control-Allow-Origin") == "<absent>");
}

TEST_CASE("session: malformed requests answer 400 and close when received", "[http]") {
    for (const char* bytes : {"GARBAGE\r\n\r\n", "GET /version HTTP/1.1\r\nHost x\r\n\r\n",
                              "GET /version HTTP/9.9\r\n\r\n",
                              "PUT /v2/keys/a HTTP/1.1\r\nContent-Length: zz\r\n\r\n"}) {
        INFO(bytes);
        Harness h;
        Client client(h);
        client.send(bytes);
        REQUIRE(h.run_until([&] { return client.eof(); }));
        auto responses = parse_responses(client.received());
        REQUIRE(responses.size() == 1);
        CHECK(responses[0].status == 400);
        CHECK(responses[0].body == "400 Bad Request");
        CHECK(responses[0].field("Connection") == "close");
    }
}

TEST_CASE("session: Connection close ends the connection when the answer is written", "[http]") {
    Harness h;
    Client client(h);
    client.send(http_request("GET", "/version", "", "Connection: close\r\n"));
    REQUIRE(h.run_until([&] { return client.eof(); }));
    auto responses = parse_responses(client.received());
    REQUIRE(responses.size() == 1);
    CHECK(responses[0].status == 200);
    CHECK(responses[0].field("Connection") == "close");
    CHECK(responses[0].body == "{\"etcdserver\":\"3.4.23\",\"etcdcluster\":\"3.4.0\"}");
}

TEST_CASE("session: Expect 100-continue gets an interim answer when a body is due", "[http]") {
    Harness h;
    Client client(h);
    client.send(
        "PUT /v2/keys/p/c HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 7\r\n\r\n");
    REQUIRE(
        h.run_until([&] { return client.received().find("HTTP/1.1 100 Continue\r\n\r\n") == 0; }));
    client.send("value=v");
    REQUIRE(h.run_until([&] { return h.service.keys_calls.size() == 1; }));
    CHECK(h.service.keys_calls[0].value == "v");
}

TEST_CASE("session: an idle connection closes when idle_timeout_ms passes", "[http]") {
    ServerOptions options;
    options.idle_timeout_ms = 1;
    Harness h(options);
    Client client(h);
    REQUIRE(h.run_until([&] { return client.eof(); }));
    CHECK(client.received().empty());
}

TEST_CASE("session: a stalled body closes the connection when read_timeout_ms passes", "[http]") {
    ServerOptions options;
    options.read_timeout_ms = 1;
    Harness h(options);
    Client client(h);
    client.send("PUT /v2/keys/p/c HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
    REQUIRE(h.run_until([&] { return client.eof(); }));
    CHECK(h.service.keys_calls.empty());
}

TEST_CASE("server: stop ends watches and closes idle sessions when called", "[http]") {
    Harness h;
    Client idle(h);
    Client watcher(h);
    watcher.send(http_request("GET", "/v2/keys/p/w?wait=true"));
    REQUIRE(h.run_until([&] { return h.service.watches.size() == 1; }));
    h.settle();
    h.server->stop();
    CHECK(h.service.cancelled == std::vector<std::uint64_t>{7});
    REQUIRE(h.run_until([&] { return idle.eof() && watcher.eof(); }));
}

TEST_CASE("server: stop lets an answer in flight finish when one is pending", "[http]") {
    Harness h;
    Client client(h);
    client.send(http_request("GET", "/v2/keys/p/slow"));
    REQUIRE(h.run_until([&] { return h.service.pending_keys.size() == 1; }));
    h.server->stop();
    h.service.deliver_keys(set_result("/p/slow", "v", 5));
    REQUIRE(h.run_until([&] { return client.eof(); }));
    auto responses = parse_responses(client.received());
    REQUIRE(responses.size() == 1);
    CHECK(responses[0].status == 201);
}

TEST_CASE("server: listen refuses bad URLs and busy ports when given them", "[http]") {
    Harness h;
    struct Case {
        std::string url;
        StatusCode code;
        const char* text;
    };
    std::vector<Case> cases = {
        {"https://127.0.0.1:0", StatusCode::kInvalidArgument, "https"},
        {"unix://socket", StatusCode::kInvalidArgument, "scheme"},
        {"http://localhost:2379", StatusCode::kInvalidArgument, "expected IP"},
        {"http://127.0.0.1", StatusCode::kInvalidArgument, "http://127.0.0.1"},
        {"http://127.0.0.1:70000", StatusCode::kInvalidArgument, "port"},
        {"http://127.0.0.1:2379/path", StatusCode::kInvalidArgument, "form"},
        {"http://127.0.0.1:" + std::to_string(h.endpoint.port()), StatusCode::kIOError,
         "127.0.0.1:"},
    };
    for (const auto& c : cases) {
        INFO(c.url);
        Server server(h.io, h.service, {});
        Status status = server.listen(c.url);
        CHECK(status.code() == c.code);
        CHECK(status.message().find(c.text) != std::string::npos);
    }
}

}  // namespace
}  // namespace consensus::http
