// The v3 JSON gateway through the router without sockets: routing (404 texts, 405,
// /v3beta, aliases), what each handler passes to the Service, how answers and errors
// are printed, the request size limit, and the watch and keep-alive streams.
#include "http/v3_gateway.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fake_exchange.h"
#include "fake_service.h"
#include "http/base64.h"
#include "http/router.h"

namespace consensus::http {
namespace {

namespace v3 = service::v3;
using testing::FakeExchange;
using testing::FakeService;

constexpr const char* kHeader =
    "{\"cluster_id\":\"324952591200643719\",\"member_id\":\"3319814642761637952\","
    "\"revision\":\"%\",\"raft_term\":\"2\"}";

v3::ResponseHeader corpus_header(std::int64_t revision) {
    v3::ResponseHeader header;
    header.cluster_id = 324952591200643719ULL;
    header.member_id = 3319814642761637952ULL;
    header.revision = revision;
    header.raft_term = 2;
    return header;
}

/// kHeader with its revision filled in.
std::string header_text(std::int64_t revision) {
    std::string text = kHeader;
    return text.replace(text.find('%'), 1, std::to_string(revision));
}

struct Fixture {
    FakeService service;
    Router router{service, {"http://127.0.0.1:23790"}, V3Limits{1536 * 1024}};
    std::vector<std::shared_ptr<FakeExchange>> exchanges;

    Fixture() {
        service.info = testing::corpus_cluster();
        service.v3_current_header = corpus_header(10);
    }
    ~Fixture() {
        // Stream handlers keep their state in the abort callback, which holds the
        // exchange: drop it as a session does when its connection ends.
        for (auto& exchange : exchanges) exchange->abort = nullptr;
    }

    std::shared_ptr<FakeExchange> send(std::string target, std::string body,
                                       std::string method = "POST") {
        Request request;
        request.method = std::move(method);
        request.target = std::move(target);
        request.body = std::move(body);
        auto exchange = std::make_shared<FakeExchange>();
        exchanges.push_back(exchange);
        router.route(request, exchange);
        return exchange;
    }
};

TEST_CASE("v3_gateway: unknown paths and methods answer grpc-gateway's texts", "[http]") {
    struct Case {
        const char* method;
        const char* target;
        unsigned status;
        const char* body;
    };
    std::vector<Case> cases = {
        {"POST", "/v3/kv/nothing", 404, "Not Found\n"},
        {"POST", "/v3/foo/bar", 404, "Not Found\n"},
        {"POST", "/v3/kv/range/", 404, "Not Found\n"},
        {"POST", "/v3/", 404, "Not Found\n"},
        {"GET", "/v3/kv/range", 405, "Method Not Allowed\n"},
        {"PUT", "/v3/watch", 405, "Method Not Allowed\n"},
        {"POST", "/v3alpha/kv/range", 404, "404 page not found\n"},
    };
    for (const auto& c : cases) {
        INFO(c.method << " " << c.target);
        Fixture f;
        auto exchange = f.send(c.target, "{}", c.method);
        REQUIRE(exchange->response);
        CHECK(exchange->response->status == c.status);
        CHECK(exchange->field("Content-Type") == "text/plain; charset=utf-8");
        CHECK(exchange->response->body == c.body);
        CHECK(f.service.range.requests.empty());
    }
    Fixture f;
    auto redirect = f.send("/v3", "", "GET");
    CHECK(redirect->response->status == 301);
    CHECK(redirect->field("Location") == "/v3/");
}

TEST_CASE("v3_gateway: a range passes every field and prints the answer", "[http]") {
    Fixture f;
    auto exchange = f.send("/v3/kv/range",
                           "{\"key\":\"Zm9v\",\"range_end\":\"Zm9w\",\"limit\":\"2\","
                           "\"sort_order\":\"DESCEND\",\"serializable\":true}");
    REQUIRE(f.service.range.requests.size() == 1);
    const v3::RangeRequest& request = f.service.range.requests[0];
    CHECK(request.key == "foo");
    CHECK(request.range_end == "fop");
    CHECK(request.limit == 2);
    CHECK(request.sort_order == v3::SortOrder::kDescend);
    CHECK(request.serializable);
    CHECK_FALSE(exchange->response);  // answered only when the Service answers

    v3::RangeResponse response;
    v3::KeyValue kv;
    kv.key = "foo";
    kv.value = "bar";
    kv.create_revision = 45;
    kv.mod_revision = 45;
    kv.version = 1;
    response.kvs.push_back(kv);
    response.count = 1;
    f.service.range.deliver(response, corpus_header(45));
    REQUIRE(exchange->response);
    CHECK(exchange->response->status == 200);
    CHECK(exchange->field("Content-Type") == "application/json");
    CHECK(exchange->field("Grpc-Metadata-Content-Type") == "application/grpc");
    CHECK(exchange->response->body ==
          "{\"header\":" + header_text(45) +
              ",\"kvs\":[{\"key\":\"Zm9v\",\"create_revision\":\"45\",\"mod_revision\":\"45\","
              "\"version\":\"1\",\"value\":\"YmFy\"}],\"count\":\"1\"}");
}

TEST_CASE("v3_gateway: Service errors map to gRPC codes and HTTP statuses", "[http]") {
    struct Case {
        StatusCode code;
        unsigned http_status;
        int grpc_code;
    };
    std::vector<Case> cases = {
        {StatusCode::kInvalidArgument, 400, 3}, {StatusCode::kOutOfRange, 400, 11},
        {StatusCode::kNotFound, 404, 5},        {StatusCode::kFailedPrecondition, 412, 9},
        {StatusCode::kUnavailable, 503, 14},    {StatusCode::kTimeout, 503, 14},
        {StatusCode::kInternal, 500, 13},
    };
    for (const auto& c : cases) {
        Fixture f;
        auto exchange = f.send("/v3/kv/put", "{\"key\":\"YQ==\",\"value\":\"Yg==\"}");
        REQUIRE(f.service.put.requests.size() == 1);
        f.service.put.fail(Status(c.code, "etcdserver: some text"));
        REQUIRE(exchange->response);
        CHECK(exchange->response->status == c.http_status);
        CHECK(exchange->field("Content-Type") == "application/json");
        CHECK(exchange->response->body ==
              "{\"error\":\"etcdserver: some text\",\"code\":" + std::to_string(c.grpc_code) +
                  ",\"message\":\"etcdserver: some text\"}");
    }
}

TEST_CASE("v3_gateway: undecodable bodies answer 400 code 3 without calling the Service",
          "[http]") {
    for (const char* body : {"{\"key\": \"Zm9v\"", "key=foo&value=bar", "{\"key\":\"!!!\"}",
                             "{\"key\":123}", "{\"limit\":\"ten\"}", "[]"}) {
        INFO(body);
        Fixture f;
        auto exchange = f.send("/v3/kv/range", body);
        REQUIRE(exchange->response);
        CHECK(exchange->response->status == 400);
        auto json = nlohmann::json::parse(exchange->response->body);
        CHECK(json["code"] == 3);
        CHECK_FALSE(json["error"].get<std::string>().empty());
        CHECK(json["error"] == json["message"]);
        CHECK(f.service.range.requests.empty());
    }
    // An empty body is the empty request; the member then refuses the missing key.
    Fixture f;
    f.send("/v3/kv/range", "");
    REQUIRE(f.service.range.requests.size() == 1);
    CHECK(f.service.range.requests[0].key.empty());
}

TEST_CASE("v3_gateway: writes over the request limit are refused as too large", "[http]") {
    Fixture f;
    std::string value(1600 * 1024, 'v');
    auto exchange =
        f.send("/v3/kv/put", "{\"key\":\"YQ==\",\"value\":\"" + base64_encode(value) + "\"}");
    REQUIRE(exchange->response);
    CHECK(exchange->response->status == 400);
    CHECK(exchange->response->body ==
          "{\"error\":\"etcdserver: request is too large\",\"code\":3,"
          "\"message\":\"etcdserver: request is too large\"}");
    CHECK(f.service.put.requests.empty());
    // Just under the limit passes, as it does in etcd.
    f.send("/v3/kv/put",
           "{\"key\":\"YQ==\",\"value\":\"" + base64_encode(std::string(1500 * 1024, 'v')) + "\"}");
    CHECK(f.service.put.requests.size() == 1);
    // The session's own body limit answers the same for gateway paths only.
    auto answer = f.router.answer_body_too_large("/v3/kv/put");
    REQUIRE(answer);
    CHECK(answer->status == 400);
    CHECK(answer->close_connection);
    CHECK_FALSE(f.router.answer_body_too_large("/v2/keys/a"));
}

TEST_CASE("v3_gateway: a txn with an op naming nothing is refused as etcd does", "[http]") {
    Fixture f;
    auto exchange = f.send("/v3/kv/txn", "{\"success\":[{}]}");
    REQUIRE(exchange->response);
    CHECK(exchange->response->status == 400);
    CHECK(exchange->response->body.find("etcdserver: key not found") != std::string::npos);
    CHECK(f.service.txn.requests.empty());
    auto valid = f.send("/v3/kv/txn", "{}");
    REQUIRE(f.service.txn.requests.size() == 1);
    v3::TxnResponse response;
    response.succeeded = true;
    f.service.txn.deliver(response, corpus_header(12));
    CHECK(valid->response->body == "{\"header\":" + header_text(12) + ",\"succeeded\":true}");
}

TEST_CASE("v3_gateway: v3beta and the kv/lease aliases reach the same calls", "[http]") {
    Fixture f;
    f.send("/v3beta/kv/deleterange", "{\"key\":\"YQ==\",\"prev_kv\":true}");
    REQUIRE(f.service.delete_range.requests.size() == 1);
    CHECK(f.service.delete_range.requests[0].prev_kv);
    f.send("/v3/kv/lease/revoke", "{\"ID\":\"5\"}");
    REQUIRE(f.service.lease_revoke.requests.size() == 1);
    CHECK(f.service.lease_revoke.requests[0].id == 5);
    f.send("/v3/kv/lease/timetolive", "{\"ID\":6,\"keys\":true}");
    REQUIRE(f.service.lease_ttl.requests.size() == 1);
    CHECK(f.service.lease_ttl.requests[0].keys);
    auto leases = f.send("/v3/kv/lease/leases", "{}");
    REQUIRE(f.service.lease_leases.requests.size() == 1);
    f.service.lease_leases.deliver(v3::LeaseLeasesResponse{}, corpus_header(3));
    CHECK(leases->response->body == "{\"header\":" + header_text(3) + "}");
    auto compaction = f.send("/v3/kv/compaction", "{\"revision\":7}");
    REQUIRE(f.service.compact.requests.size() == 1);
    CHECK(f.service.compact.requests[0].revision == 7);
    f.service.compact.deliver(v3::CompactionResponse{}, corpus_header(9));
    CHECK(compaction->response->body == "{\"header\":" + header_text(9) + "}");
}

TEST_CASE("v3_gateway: lease grant passes TTL and ID and prints them as strings", "[http]") {
    Fixture f;
    auto exchange = f.send("/v3/lease/grant", "{\"TTL\":45,\"ID\":\"7011901234567\"}");
    REQUIRE(f.service.lease_grant.requests.size() == 1);
    CHECK(f.service.lease_grant.requests[0].ttl == 45);
    CHECK(f.service.lease_grant.requests[0].id == 7011901234567LL);
    v3::LeaseGrantResponse response;
    response.id = 7011901234567LL;
    response.ttl = 45;
    f.service.lease_grant.deliver(response, corpus_header(13));
    CHECK(exchange->response->body ==
          "{\"header\":" + header_text(13) + ",\"ID\":\"7011901234567\",\"TTL\":\"45\"}");
}

TEST_CASE("v3_gateway: keep-alive answers each request of the body in order", "[http]") {
    Fixture f;
    auto exchange = f.send("/v3/lease/keepalive", "{\"ID\":\"5\"}\n{\"ID\":77}");
    CHECK_FALSE(exchange->response);  // nothing until the first answer
    REQUIRE(f.service.keep_alive.requests.size() == 1);
    CHECK(f.service.keep_alive.requests[0].id == 5);
    v3::LeaseKeepAliveResponse alive;
    alive.id = 5;
    alive.ttl = 60;
    f.service.keep_alive.deliver(alive, corpus_header(29));
    REQUIRE(exchange->streaming);
    CHECK(exchange->response->status == 200);
    CHECK(exchange->field("Content-Type") == "application/json");
    REQUIRE(f.service.keep_alive.requests.size() == 2);
    CHECK(f.service.keep_alive.requests[1].id == 77);
    f.service.keep_alive.fail(
        Status(StatusCode::kNotFound, "etcdserver: requested lease not found"));
    REQUIRE(exchange->chunks.size() == 2);
    CHECK(exchange->chunks[0] ==
          "{\"result\":{\"header\":" + header_text(29) + ",\"ID\":\"5\",\"TTL\":\"60\"}}\n");
    CHECK(exchange->chunks[1] == "{\"result\":{\"header\":{},\"ID\":\"77\"}}\n");
    CHECK_FALSE(exchange->ended);  // the stream stays open
}

TEST_CASE("v3_gateway: a keep-alive failure ends the stream with an error object", "[http]") {
    Fixture f;
    auto exchange = f.send("/v3/lease/keepalive", "{\"ID\":\"5\"}");
    f.service.keep_alive.fail(Status(StatusCode::kUnavailable, "etcdserver: no leader"));
    REQUIRE(exchange->response);
    CHECK(exchange->response->status == 503);
    REQUIRE(exchange->chunks.size() == 1);
    CHECK(exchange->chunks[0] ==
          "{\"error\":{\"grpc_code\":14,\"http_code\":503,\"message\":\"etcdserver: no leader\","
          "\"http_status\":\"Service Unavailable\"}}");
    CHECK(exchange->ended);
}

TEST_CASE("v3_gateway: a broken first stream request answers 500 code 2", "[http]") {
    for (const char* target : {"/v3/watch", "/v3/lease/keepalive"}) {
        for (const char* body : {"{nope", "[1]", "{\"create_request\":5,\"ID\":true}"}) {
            INFO(target << " " << body);
            Fixture f;
            auto exchange = f.send(target, body);
            REQUIRE(exchange->response);
            CHECK_FALSE(exchange->streaming);
            CHECK(exchange->response->status == 500);
            auto json = nlohmann::json::parse(exchange->response->body);
            CHECK(json["code"] == 2);
            CHECK_FALSE(json["error"].get<std::string>().empty());
            CHECK(f.service.v3_watch_calls.empty());
            CHECK(f.service.keep_alive.requests.empty());
        }
    }
}

TEST_CASE("v3_gateway: watches are numbered per stream and deliver events", "[http]") {
    Fixture f;
    f.service.next_v3_watch.header = corpus_header(102);
    auto exchange =
        f.send("/v3/watch",
               "{\"create_request\":{\"key\":\"YQ==\"}}\n{\"createRequest\":{\"key\":\"Yg==\","
               "\"filters\":[\"NOPUT\"],\"prev_kv\":true}}");
    REQUIRE(f.service.v3_watch_calls.size() == 2);
    CHECK(f.service.v3_watch_calls[0].key == "a");
    CHECK(f.service.v3_watch_calls[1].key == "b");
    CHECK(f.service.v3_watch_calls[1].no_put);
    REQUIRE(exchange->streaming);
    REQUIRE(exchange->chunks.size() == 2);
    CHECK(exchange->chunks[0] ==
          "{\"result\":{\"header\":" + header_text(102) + ",\"created\":true}}\n");
    CHECK(exchange->chunks[1] == "{\"result\":{\"header\":" + header_text(102) +
                                     ",\"watch_id\":\"1\",\"created\":true}}\n");

    v3::Event put;
    put.kv.key = "b";
    put.kv.mod_revision = 103;
    v3::Event del;
    del.type = v3::Event::Type::kDelete;
    del.kv.key = "b";
    del.kv.mod_revision = 104;
    f.service.fire_v3(101, {put}, corpus_header(103));
    CHECK(exchange->chunks.size() == 2);  // NOPUT drops it, and nothing is sent
    f.service.fire_v3(101, {del}, corpus_header(104));
    REQUIRE(exchange->chunks.size() == 3);
    CHECK(exchange->chunks[2] == "{\"result\":{\"header\":" + header_text(104) +
                                     ",\"watch_id\":\"1\",\"events\":[{\"type\":\"DELETE\","
                                     "\"kv\":{\"key\":\"Yg==\",\"mod_revision\":\"104\"}}]}}\n");
    f.service.fire_v3(100, {put}, corpus_header(105));
    REQUIRE(exchange->chunks.size() == 4);
    CHECK(exchange->chunks[3].find("\"watch_id\"") == std::string::npos);

    // The client leaving cancels every watch of the stream.
    REQUIRE(exchange->abort);
    exchange->abort();
    CHECK(f.service.v3_cancelled == std::vector<std::uint64_t>{100, 101});
    CHECK_FALSE(exchange->ended);
}

TEST_CASE("v3_gateway: cancel and progress requests answer as etcd does", "[http]") {
    Fixture f;
    f.service.next_v3_watch.header = corpus_header(103);
    f.service.v3_current_header = corpus_header(104);
    auto exchange = f.send("/v3/watch",
                           "{\"create_request\":{\"key\":\"YQ==\"}}"
                           "{\"cancel_request\":{\"watch_id\":5}}"
                           "{\"progress_request\":{}}"
                           "{\"cancel_request\":{\"watch_id\":0}}");
    REQUIRE(exchange->chunks.size() == 3);
    CHECK(exchange->chunks[1] ==
          "{\"result\":{\"header\":" + header_text(104) + ",\"watch_id\":\"-1\"}}\n");
    CHECK(exchange->chunks[2] ==
          "{\"result\":{\"header\":" + header_text(104) + ",\"canceled\":true}}\n");
    CHECK(f.service.v3_cancelled == std::vector<std::uint64_t>{100});
}

TEST_CASE("v3_gateway: a watch from the past gets its backlog in one message", "[http]") {
    Fixture f;
    f.service.next_v3_watch.header = corpus_header(112);
    v3::Event first;
    first.kv.key = "h";
    first.kv.mod_revision = 110;
    first.prev_kv = first.kv;
    v3::Event second = first;
    second.kv.mod_revision = 111;
    f.service.next_v3_watch.backlog = {first, second};
    auto exchange =
        f.send("/v3/watch", "{\"create_request\":{\"key\":\"aA==\",\"start_revision\":110}}");
    REQUIRE(f.service.v3_watch_calls.size() == 1);
    CHECK(f.service.v3_watch_calls[0].start_revision == 110);
    REQUIRE(exchange->chunks.size() == 2);
    // prev_kv was not asked for, so it is not shown.
    CHECK(exchange->chunks[1] ==
          "{\"result\":{\"header\":" + header_text(112) +
              ",\"events\":[{\"kv\":{\"key\":\"aA==\",\"mod_revision\":\"110\"}},"
              "{\"kv\":{\"key\":\"aA==\",\"mod_revision\":\"111\"}}]}}\n");
}

TEST_CASE("v3_gateway: a compacted start revision answers created then canceled", "[http]") {
    Fixture f;
    f.service.next_v3_watch.header = corpus_header(98);
    f.service.next_v3_watch.compact_revision = 98;
    auto exchange =
        f.send("/v3/watch", "{\"create_request\":{\"key\":\"Yw==\",\"start_revision\":97}}");
    REQUIRE(exchange->chunks.size() == 2);
    CHECK(exchange->chunks[0] ==
          "{\"result\":{\"header\":" + header_text(98) + ",\"created\":true}}\n");
    CHECK(exchange->chunks[1] ==
          "{\"result\":{\"header\":{\"cluster_id\":\"324952591200643719\",\"member_id\":"
          "\"3319814642761637952\",\"raft_term\":\"2\"},\"canceled\":true,"
          "\"compact_revision\":\"98\"}}\n");
    CHECK(f.service.v3_watches.empty());
}

TEST_CASE("v3_gateway: watches that cannot be created answer created and canceled", "[http]") {
    Fixture f;
    auto exchange = f.send("/v3/watch",
                           "{\"create_request\":{\"key\":\"Yg==\",\"range_end\":\"YQ==\"}}"
                           "{\"create_request\":{\"key\":\"YQ==\",\"watch_id\":4}}"
                           "{\"create_request\":{\"key\":\"YQ==\",\"watch_id\":4}}");
    REQUIRE(exchange->chunks.size() == 3);
    CHECK(exchange->chunks[0] == "{\"result\":{\"header\":" + header_text(10) +
                                     ",\"watch_id\":\"-1\",\"created\":true,\"canceled\":true,"
                                     "\"cancel_reason\":\"watcher range is empty\"}}\n");
    CHECK(exchange->chunks[1].find("\"watch_id\":\"4\",\"created\":true}") != std::string::npos);
    CHECK(exchange->chunks[2].find("duplicate watch ID provided on the WatchStream") !=
          std::string::npos);
    CHECK(f.service.v3_watch_calls.size() == 1);
}

TEST_CASE("v3_gateway: an empty watch body sends nothing and stays open", "[http]") {
    Fixture f;
    auto exchange = f.send("/v3/watch", "");
    CHECK_FALSE(exchange->response);
    CHECK(exchange->abort);
    CHECK(f.service.v3_watch_calls.empty());
}

TEST_CASE("v3_gateway: member list, status and alarm answer from the Service", "[http]") {
    Fixture f;
    auto members = f.send("/v3/cluster/member/list", "{}");
    CHECK(members->response->body ==
          "{\"header\":{\"cluster_id\":\"324952591200643719\",\"member_id\":"
          "\"3319814642761637952\"},\"members\":[{\"ID\":\"3319814642761637952\","
          "\"name\":\"n1\",\"peerURLs\":[\"http://127.0.0.1:23800\"],"
          "\"clientURLs\":[\"http://127.0.0.1:23790\"]}]}");
    f.service.v3_status_response.version = "3.4.23";
    auto status = f.send("/v3/maintenance/status", "");
    CHECK(status->response->body == "{\"header\":" + header_text(10) + ",\"version\":\"3.4.23\"}");
    auto alarm = f.send("/v3/maintenance/alarm", "{\"action\":\"GET\"}");
    CHECK(alarm->response->status == 200);
    CHECK(alarm->response->body == "{}");
    auto bad_alarm = f.send("/v3/maintenance/alarm", "{\"action\":\"SHOUT\"}");
    CHECK(bad_alarm->response->status == 400);
    auto unimplemented = f.send("/v3/auth/status", "{}");
    CHECK(unimplemented->response->status == 404);
    auto defragment = f.send("/v3/maintenance/defragment", "{}");
    CHECK(defragment->response->status == 200);
    CHECK(defragment->response->body == "{}");
    auto hash = f.send("/v3/maintenance/hash", "{}");
    CHECK(hash->response->status == 501);
}

}  // namespace
}  // namespace consensus::http
