// The v3 gateway over real loopback sockets: a body over the session's limit gets
// etcd's "request is too large" envelope, and a watch stream sends its head only with
// the first message and cancels its watches when the client leaves.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "http_client.h"

namespace consensus::http {
namespace {

using testing::Client;
using testing::Harness;
using testing::http_request;
using testing::parse_responses;

TEST_CASE("v3 session: a gateway body over body_bytes_max answers too large and closes", "[http]") {
    ServerOptions options;
    options.body_bytes_max = 1000;
    Harness h(options);
    Client client(h);
    client.send(http_request("POST", "/v3/kv/put",
                             "{\"key\":\"YQ==\",\"value\":\"" + std::string(1200, 'A') + "\"}"));
    REQUIRE(h.run_until([&] { return client.eof(); }));
    auto responses = parse_responses(client.received());
    REQUIRE(responses.size() == 1);
    CHECK(responses[0].status == 400);
    CHECK(responses[0].field("Content-Type") == "application/json");
    CHECK(responses[0].body ==
          "{\"error\":\"etcdserver: request is too large\",\"code\":3,"
          "\"message\":\"etcdserver: request is too large\"}");
    CHECK(h.service.put.requests.empty());
}

TEST_CASE("v3 session: the request limit is the body limit less etcd's gRPC overhead", "[http]") {
    ServerOptions options;
    options.body_bytes_max = 512 * 1024 + 300;
    Harness h(options);
    Client client(h);
    client.send(http_request("POST", "/v3/kv/put",
                             "{\"key\":\"YQ==\",\"value\":\"" + std::string(400, 'A') + "\"}"));
    REQUIRE(h.run_until([&] { return !parse_responses(client.received()).empty(); }));
    auto responses = parse_responses(client.received());
    CHECK(responses[0].status == 400);
    CHECK(responses[0].body.find("etcdserver: request is too large") != std::string::npos);
    CHECK(h.service.put.requests.empty());
    client.send(http_request("POST", "/v3/kv/put",
                             "{\"key\":\"YQ==\",\"value\":\"" + std::string(200, 'A') + "\"}"));
    REQUIRE(h.run_until([&] { return h.service.put.requests.size() == 1; }));
}

TEST_CASE("v3 session: a watch stream sends its head with the first message", "[http]") {
    Harness h;
    h.service.next_v3_watch.header.revision = 94;
    Client idle_watch(h);
    idle_watch.send(http_request("POST", "/v3/watch", ""));
    Client client(h);
    client.send(http_request("POST", "/v3/watch", "{\"create_request\":{\"key\":\"dw==\"}}"));
    REQUIRE(h.run_until([&] { return h.service.v3_watches.size() == 1; }));
    REQUIRE(h.run_until([&] { return !parse_responses(client.received()).empty(); }));
    auto responses = parse_responses(client.received());
    CHECK(responses[0].status == 200);
    CHECK(responses[0].chunked);
    CHECK(responses[0].field("Grpc-Metadata-Content-Type") == "application/grpc");
    REQUIRE(responses[0].chunks.size() == 1);
    CHECK(responses[0].chunks[0] ==
          "{\"result\":{\"header\":{\"revision\":\"94\"},\"created\":true}}\n");
    h.settle();
    CHECK(idle_watch.received().empty());  // nothing to say: not even a head

    client.close();
    REQUIRE(h.run_until([&] { return h.service.v3_cancelled.size() == 1; }));
    CHECK(h.service.v3_cancelled[0] == 100);
    CHECK(h.service.v3_watches.empty());
}

}  // namespace
}  // namespace consensus::http
