// The v3 gateway's JSON rules without sockets: base64 as Go decodes it, protobuf-JSON
// request decoding (int64 as numbers or strings, enums by name or number, camelCase
// names, null, unknown fields, wrong types), and response printing with jsonpb's
// zero-value rules and etcd's header shapes.
#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

#include "http/base64.h"
#include "http/proto_json.h"
#include "http/v3_requests.h"
#include "http/v3_responses.h"

namespace consensus::http {
namespace {

namespace v3 = service::v3;

nlohmann::json parse(const std::string& text) {
    return nlohmann::json::parse(text);
}

v3::ResponseHeader corpus_header(std::int64_t revision) {
    v3::ResponseHeader header;
    header.cluster_id = 324952591200643719ULL;
    header.member_id = 3319814642761637952ULL;
    header.revision = revision;
    header.raft_term = 2;
    return header;
}

TEST_CASE("base64: round trips every byte value and pads like Go", "[http]") {
    std::string all;
    for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
    for (std::size_t length : {0u, 1u, 2u, 3u, 4u, 255u, 256u}) {
        std::string data = all.substr(0, length);
        Result<std::string> decoded = base64_decode(base64_encode(data));
        REQUIRE(decoded.is_ok());
        CHECK(decoded.value() == data);
    }
    CHECK(base64_encode("bar") == "YmFy");
    CHECK(base64_encode("ba") == "YmE=");
    CHECK(base64_encode("b") == "Yg==");
}

TEST_CASE("base64: bad input names the offset Go names when decoding fails", "[http]") {
    struct Case {
        const char* text;
        const char* error;
    };
    std::vector<Case> cases = {
        {"!!!", "illegal base64 data at input byte 0"},
        {"Zm9v!", "illegal base64 data at input byte 4"},
        {"Zm9", "illegal base64 data at input byte 0"},
        {"Zm9vY", "illegal base64 data at input byte 4"},
        {"Yg=", "illegal base64 data at input byte 3"},
        {"Yg==x", "illegal base64 data at input byte 4"},
        {"=Yg=", "illegal base64 data at input byte 0"},
    };
    for (const auto& c : cases) {
        INFO(c.text);
        Result<std::string> decoded = base64_decode(c.text);
        REQUIRE_FALSE(decoded.is_ok());
        CHECK(decoded.status().code() == StatusCode::kInvalidArgument);
        CHECK(decoded.status().message() == c.error);
    }
    Result<std::string> with_newlines = base64_decode("Ym\nFy\r\n");
    REQUIRE(with_newlines.is_ok());
    CHECK(with_newlines.value() == "bar");
}

TEST_CASE("proto_json: a body is a stream of values and an empty one is {}", "[http]") {
    JsonValueStream stream(" {\"a\":1}{\"b\":\"}\"}\n [1] ");
    auto first = stream.next();
    REQUIRE(first.is_ok());
    CHECK(*first.value() == parse("{\"a\":1}"));
    auto second = stream.next();
    REQUIRE(second.is_ok());
    CHECK(*second.value() == parse("{\"b\":\"}\"}"));
    auto third = stream.next();
    REQUIRE(third.is_ok());
    CHECK(*third.value() == parse("[1]"));
    auto end = stream.next();
    REQUIRE(end.is_ok());
    CHECK_FALSE(end.value().has_value());

    auto empty = first_json_value("  ");
    REQUIRE(empty.is_ok());
    CHECK(empty.value() == nlohmann::json::object());
    // Go's decoder reads only the first value; what follows it is never looked at.
    auto trailing = first_json_value("{\"key\":\"Zm9v\"} garbage");
    REQUIRE(trailing.is_ok());
    CHECK(trailing.value()["key"] == "Zm9v");
}

TEST_CASE("proto_json: malformed bodies give a non-empty decoder error", "[http]") {
    for (const char* body : {"{\"key\": \"Zm9v\"", "key=foo&value=bar", "{nope", "{\"a\":}", "]"}) {
        INFO(body);
        auto value = first_json_value(body);
        REQUIRE_FALSE(value.is_ok());
        CHECK(value.status().code() == StatusCode::kInvalidArgument);
        CHECK_FALSE(value.status().message().empty());
    }
    CHECK(first_json_value("{\"key\": \"Zm9v\"").status().message() == "unexpected EOF");
    CHECK(first_json_value("key=foo").status().message() ==
          "invalid character 'k' looking for beginning of value");
}

TEST_CASE("proto_json: int64 fields take numbers or numeric strings when decoding", "[http]") {
    struct Case {
        const char* body;
        std::int64_t limit;
    };
    std::vector<Case> accepted = {
        {"{\"limit\": 5}", 5},
        {"{\"limit\": \"5\"}", 5},
        {"{\"limit\": \"-7\"}", -7},
        {"{\"limit\": null}", 0},
        {"{\"limit\": \"9223372036854775807\"}", 9223372036854775807LL},
        {"{\"limit\": -9223372036854775808}", std::numeric_limits<std::int64_t>::min()},
    };
    for (const auto& c : accepted) {
        INFO(c.body);
        auto request = parse_range_request(parse(c.body));
        REQUIRE(request.is_ok());
        CHECK(request.value().limit == c.limit);
    }
    for (const char* body :
         {"{\"limit\": \"ten\"}", "{\"limit\": 1.5}", "{\"limit\": \"1e3\"}", "{\"limit\": true}",
          "{\"limit\": \"\"}", "{\"limit\": [1]}", "{\"limit\": \"9223372036854775808\"}"}) {
        INFO(body);
        auto request = parse_range_request(parse(body));
        REQUIRE_FALSE(request.is_ok());
        CHECK(request.status().code() == StatusCode::kInvalidArgument);
        CHECK_FALSE(request.status().message().empty());
    }
}

TEST_CASE("proto_json: enums take names or numbers and refuse unknown names", "[http]") {
    auto by_name =
        parse_range_request(parse("{\"sort_order\":\"DESCEND\",\"sort_target\":\"MOD\"}"));
    REQUIRE(by_name.is_ok());
    CHECK(by_name.value().sort_order == v3::SortOrder::kDescend);
    CHECK(by_name.value().sort_target == v3::SortTarget::kMod);
    auto by_number = parse_range_request(parse("{\"sort_order\":1,\"sort_target\":4}"));
    REQUIRE(by_number.is_ok());
    CHECK(by_number.value().sort_order == v3::SortOrder::kAscend);
    CHECK(by_number.value().sort_target == v3::SortTarget::kValue);
    auto unknown = parse_range_request(parse("{\"sort_order\":\"SIDEWAYS\"}"));
    REQUIRE_FALSE(unknown.is_ok());
    CHECK(unknown.status().message() ==
          "unknown value \"SIDEWAYS\" for enum etcdserverpb.RangeRequest_SortOrder");
}

TEST_CASE("v3_requests: a range reads every field by proto or camelCase name", "[http]") {
    auto request = parse_range_request(
        parse("{\"key\":\"YQ==\",\"rangeEnd\":\"Yg==\",\"limit\":\"3\",\"revision\":9,"
              "\"serializable\":true,\"keys_only\":true,\"countOnly\":true,"
              "\"min_mod_revision\":1,\"maxModRevision\":\"2\",\"min_create_revision\":3,"
              "\"max_create_revision\":4,\"colour\":\"red\"}"));
    REQUIRE(request.is_ok());
    const v3::RangeRequest& r = request.value();
    CHECK(r.key == "a");
    CHECK(r.range_end == "b");
    CHECK(r.limit == 3);
    CHECK(r.revision == 9);
    CHECK(r.serializable);
    CHECK(r.keys_only);
    CHECK(r.count_only);
    CHECK(r.min_mod_revision == 1);
    CHECK(r.max_mod_revision == 2);
    CHECK(r.min_create_revision == 3);
    CHECK(r.max_create_revision == 4);
}

TEST_CASE("v3_requests: wrong JSON types are refused when decoding a request", "[http]") {
    struct Case {
        const char* body;
        const char* error;
    };
    std::vector<Case> cases = {
        {"{\"key\": 123}", "json: cannot unmarshal number into Go value of type []uint8"},
        {"{\"key\": \"!!!\"}", "illegal base64 data at input byte 0"},
        {"{\"serializable\": \"true\"}",
         "json: cannot unmarshal string into Go value of type bool"},
        {"[]", "json: cannot unmarshal array into Go value of type map[string]json.RawMessage"},
    };
    for (const auto& c : cases) {
        INFO(c.body);
        auto request = parse_range_request(parse(c.body));
        REQUIRE_FALSE(request.is_ok());
        CHECK(request.status().message() == c.error);
    }
    auto null_body = parse_range_request(parse("null"));
    REQUIRE(null_body.is_ok());
    CHECK(null_body.value().key.empty());
}

TEST_CASE("v3_requests: a txn reads compares, ops and nested txns", "[http]") {
    auto parsed = parse_txn_request(
        parse("{\"compare\":[{\"key\":\"YQ==\",\"result\":\"GREATER\",\"target\":\"MOD\","
              "\"mod_revision\":\"7\"},{\"key\":\"YQ==\",\"target\":\"VALUE\",\"value\":\"eA==\"},"
              "{\"key\":\"YQ==\",\"target\":\"VERSION\",\"lease\":\"5\"}],"
              "\"success\":[{\"request_put\":{\"key\":\"Yg==\",\"value\":\"MQ==\",\"lease\":5}},"
              "{\"requestTxn\":{\"success\":[{\"request_delete_range\":{\"key\":\"Yg==\","
              "\"prev_kv\":true}}]}}],\"failure\":[{\"request_range\":{\"key\":\"Yg==\"}}]}"));
    REQUIRE(parsed.is_ok());
    CHECK_FALSE(parsed.value().has_empty_op);
    const v3::TxnRequest& txn = parsed.value().request;
    REQUIRE(txn.compare.size() == 3);
    CHECK(txn.compare[0].result == v3::Compare::Result::kGreater);
    CHECK(txn.compare[0].target == v3::Compare::Target::kMod);
    CHECK(txn.compare[0].target_number == 7);
    CHECK(txn.compare[1].target == v3::Compare::Target::kValue);
    CHECK(txn.compare[1].target_value == "x");
    // etcd reads the union member that matches the target: a lease given for a
    // version compare counts as version 0.
    CHECK(txn.compare[2].target_number == 0);
    REQUIRE(txn.success.size() == 2);
    CHECK(txn.success[0].kind == v3::RequestOp::Kind::kPut);
    CHECK(txn.success[0].put.lease == 5);
    REQUIRE(txn.success[1].kind == v3::RequestOp::Kind::kTxn);
    REQUIRE(txn.success[1].txn.size() == 1);
    REQUIRE(txn.success[1].txn[0].success.size() == 1);
    CHECK(txn.success[1].txn[0].success[0].kind == v3::RequestOp::Kind::kDeleteRange);
    CHECK(txn.success[1].txn[0].success[0].delete_range.prev_kv);
    REQUIRE(txn.failure.size() == 1);
    CHECK(txn.failure[0].range.key == "b");

    auto empty_op = parse_txn_request(parse("{\"success\":[{}]}"));
    REQUIRE(empty_op.is_ok());
    CHECK(empty_op.value().has_empty_op);
    auto not_a_list = parse_txn_request(parse("{\"success\":{\"request_put\":{}}}"));
    REQUIRE_FALSE(not_a_list.is_ok());
    CHECK(not_a_list.status().message() ==
          "json: cannot unmarshal object into Go value of type []json.RawMessage");
    auto bad_target = parse_txn_request(parse("{\"compare\":[{\"target\":\"COLOR\"}]}"));
    REQUIRE_FALSE(bad_target.is_ok());
    CHECK(bad_target.status().message() ==
          "unknown value \"COLOR\" for enum etcdserverpb.Compare_CompareTarget");
}

TEST_CASE("v3_requests: watch requests read create, cancel, progress and filters", "[http]") {
    auto create = parse_watch_request(parse(
        "{\"create_request\":{\"key\":\"YQ==\",\"range_end\":\"AA==\",\"start_revision\":\"4\","
        "\"filters\":[\"NOPUT\",1],\"prev_kv\":true,\"watch_id\":3}}"));
    REQUIRE(create.is_ok());
    CHECK(create.value().kind == WatchRequest::Kind::kCreate);
    CHECK(create.value().create.key == "a");
    CHECK(create.value().create.range_end == std::string(1, '\0'));
    CHECK(create.value().create.start_revision == 4);
    CHECK(create.value().create.no_put);
    CHECK(create.value().create.no_delete);
    CHECK(create.value().create.prev_kv);
    CHECK(create.value().create.watch_id == 3);
    auto cancel = parse_watch_request(parse("{\"cancel_request\":{\"watch_id\":\"2\"}}"));
    REQUIRE(cancel.is_ok());
    CHECK(cancel.value().kind == WatchRequest::Kind::kCancel);
    CHECK(cancel.value().cancel_watch_id == 2);
    auto progress = parse_watch_request(parse("{\"progress_request\":{}}"));
    REQUIRE(progress.is_ok());
    CHECK(progress.value().kind == WatchRequest::Kind::kProgress);
    auto none = parse_watch_request(parse("{}"));
    REQUIRE(none.is_ok());
    CHECK(none.value().kind == WatchRequest::Kind::kNone);
    auto bad_filter = parse_watch_request(parse("{\"create_request\":{\"filters\":[\"NOPE\"]}}"));
    CHECK_FALSE(bad_filter.is_ok());
}

TEST_CASE("v3_requests: leases, compaction and alarms read their fields", "[http]") {
    auto grant = parse_lease_grant_request(parse("{\"TTL\":45,\"ID\":\"7011901234567\"}"));
    REQUIRE(grant.is_ok());
    CHECK(grant.value().ttl == 45);
    CHECK(grant.value().id == 7011901234567LL);
    auto ttl = parse_lease_time_to_live_request(parse("{\"ID\":\"9\",\"keys\":true}"));
    REQUIRE(ttl.is_ok());
    CHECK(ttl.value().id == 9);
    CHECK(ttl.value().keys);
    auto compaction = parse_compaction_request(parse("{\"revision\":\"12\",\"physical\":true}"));
    REQUIRE(compaction.is_ok());
    CHECK(compaction.value().revision == 12);
    CHECK(compaction.value().physical);
    auto alarm = parse_alarm_request(parse("{\"action\":\"GET\"}"));
    REQUIRE(alarm.is_ok());
    CHECK(alarm.value().action == 0);
    CHECK_FALSE(parse_alarm_request(parse("{\"action\":\"LOUDLY\"}")).is_ok());
}

TEST_CASE("v3_responses: zero values are left out and int64s are strings", "[http]") {
    v3::RangeResponse empty;
    CHECK(range_response_json(empty, corpus_header(45)) ==
          "{\"header\":{\"cluster_id\":\"324952591200643719\",\"member_id\":"
          "\"3319814642761637952\",\"revision\":\"45\",\"raft_term\":\"2\"}}");
    v3::RangeResponse full;
    v3::KeyValue kv;
    kv.key = "foo";
    kv.create_revision = 45;
    kv.mod_revision = 46;
    kv.version = 2;
    kv.lease = 7;
    full.kvs.push_back(kv);
    full.more = true;
    full.count = 3;
    CHECK(range_response_json(full, v3::ResponseHeader{}) ==
          "{\"header\":{},\"kvs\":[{\"key\":\"Zm9v\",\"create_revision\":\"45\","
          "\"mod_revision\":\"46\",\"version\":\"2\",\"lease\":\"7\"}],\"more\":true,"
          "\"count\":\"3\"}");
    v3::DeleteRangeResponse none_deleted;
    CHECK(delete_range_response_json(none_deleted, v3::ResponseHeader{}) == "{\"header\":{}}");
}

TEST_CASE("v3_responses: txn answers nest headers as etcd shapes them", "[http]") {
    v3::TxnResponse nested;
    v3::ResponseOp nested_range;
    nested_range.kind = v3::RequestOp::Kind::kRange;
    nested_range.revision = 84;
    nested.responses.push_back(nested_range);
    v3::TxnResponse top;
    top.succeeded = true;
    v3::ResponseOp put;
    put.kind = v3::RequestOp::Kind::kPut;
    put.revision = 84;
    top.responses.push_back(put);
    v3::ResponseOp txn_op;
    txn_op.kind = v3::RequestOp::Kind::kTxn;
    txn_op.revision = 84;
    txn_op.txn.push_back(nested);
    top.responses.push_back(txn_op);
    CHECK(txn_response_json(top, corpus_header(84)) ==
          "{\"header\":{\"cluster_id\":\"324952591200643719\",\"member_id\":"
          "\"3319814642761637952\",\"revision\":\"84\",\"raft_term\":\"2\"},"
          "\"succeeded\":true,\"responses\":[{\"response_put\":{\"header\":{\"revision\":"
          "\"84\"}}},{\"response_txn\":{\"header\":{},\"responses\":[{\"response_range\":"
          "{\"header\":{\"revision\":\"84\"}}}]}}]}");
    v3::TxnResponse failed;
    CHECK(txn_response_json(failed, v3::ResponseHeader{}) == "{\"header\":{}}");
}

TEST_CASE("v3_responses: watch messages print type only for deletes", "[http]") {
    WatchMessage message;
    message.header.revision = 96;
    message.watch_id = 1;
    v3::Event put;
    put.kv.key = "w";
    put.kv.mod_revision = 95;
    put.kv.value = "1";
    v3::Event del;
    del.type = v3::Event::Type::kDelete;
    del.kv.key = "w";
    del.kv.mod_revision = 96;
    del.prev_kv = put.kv;
    message.events = {put, del};
    CHECK(watch_response_json(message) ==
          "{\"header\":{\"revision\":\"96\"},\"watch_id\":\"1\",\"events\":["
          "{\"kv\":{\"key\":\"dw==\",\"mod_revision\":\"95\",\"value\":\"MQ==\"}},"
          "{\"type\":\"DELETE\",\"kv\":{\"key\":\"dw==\",\"mod_revision\":\"96\"},"
          "\"prev_kv\":{\"key\":\"dw==\",\"mod_revision\":\"95\",\"value\":\"MQ==\"}}]}");
    WatchMessage progress;
    progress.watch_id = -1;
    CHECK(stream_result_line(watch_response_json(progress)) ==
          "{\"result\":{\"header\":{},\"watch_id\":\"-1\"}}\n");
}

TEST_CASE("v3_responses: member list, status, leases and errors print etcd's names", "[http]") {
    service::ClusterInfo info;
    info.cluster_id = 324952591200643719ULL;
    info.member_id = 3319814642761637952ULL;
    info.raft_term = 2;
    service::Member member;
    member.id = 3319814642761637952ULL;
    member.name = "n1";
    member.peer_urls = {"http://127.0.0.1:23800"};
    member.client_urls = {"http://127.0.0.1:23790"};
    info.members.push_back(member);
    CHECK(member_list_response_json(info) ==
          "{\"header\":{\"cluster_id\":\"324952591200643719\",\"member_id\":"
          "\"3319814642761637952\",\"raft_term\":\"2\"},\"members\":[{\"ID\":"
          "\"3319814642761637952\",\"name\":\"n1\",\"peerURLs\":[\"http://127.0.0.1:23800\"],"
          "\"clientURLs\":[\"http://127.0.0.1:23790\"]}]}");
    v3::StatusResponse status;
    status.version = "3.4.23";
    status.db_size = 20480;
    status.leader = 5;
    status.raft_index = 1208;
    status.raft_term = 2;
    status.raft_applied_index = 1208;
    status.db_size_in_use = 16384;
    CHECK(status_response_json(status, v3::ResponseHeader{}) ==
          "{\"header\":{},\"version\":\"3.4.23\",\"dbSize\":\"20480\",\"leader\":\"5\","
          "\"raftIndex\":\"1208\",\"raftTerm\":\"2\",\"raftAppliedIndex\":\"1208\","
          "\"dbSizeInUse\":\"16384\"}");
    v3::LeaseTimeToLiveResponse expired;
    expired.id = 9;
    expired.ttl = -1;
    CHECK(lease_time_to_live_response_json(expired, v3::ResponseHeader{}) ==
          "{\"header\":{},\"ID\":\"9\",\"TTL\":\"-1\"}");
    v3::LeaseLeasesResponse leases;
    leases.ids = {1, 2};
    CHECK(lease_leases_response_json(leases, v3::ResponseHeader{}) ==
          "{\"header\":{},\"leases\":[{\"ID\":\"1\"},{\"ID\":\"2\"}]}");
    CHECK(error_json(11, "etcdserver: mvcc: required revision has been compacted") ==
          "{\"error\":\"etcdserver: mvcc: required revision has been compacted\",\"code\":11,"
          "\"message\":\"etcdserver: mvcc: required revision has been compacted\"}");
}

TEST_CASE("v3_requests: mutated bodies give a value or an error, never a crash", "[http]") {
    const std::vector<std::string> seeds = {
        "{\"key\":\"YQ==\",\"range_end\":\"Yg==\",\"limit\":\"3\",\"sort_order\":\"DESCEND\"}",
        "{\"compare\":[{\"key\":\"YQ==\",\"target\":\"VALUE\",\"value\":\"eA==\"}],"
        "\"success\":[{\"request_txn\":{\"success\":[{\"request_put\":{\"key\":\"Yg==\"}}]}}]}",
        "{\"create_request\":{\"key\":\"YQ==\",\"filters\":[\"NOPUT\",1]}}{\"progress_request\":{}"
        "}",
    };
    const std::string alphabet = "{}[]\":,\\ 0123456789-+.eEtruefalsnl\"YQ=abc";
    std::mt19937 random(20261122);
    int decoded = 0;
    for (int round = 0; round < 3000; ++round) {
        std::string body = seeds[random() % seeds.size()];
        int edits = 1 + static_cast<int>(random() % 4);
        for (int i = 0; i < edits && !body.empty(); ++i) {
            std::size_t at = random() % body.size();
            char c = alphabet[random() % alphabet.size()];
            switch (random() % 3) {
                case 0:
                    body[at] = c;
                    break;
                case 1:
                    body.insert(body.begin() + static_cast<std::ptrdiff_t>(at), c);
                    break;
                default:
                    body.erase(at, 1);
            }
        }
        JsonValueStream stream(body);
        auto value = stream.next();
        if (!value.is_ok()) {
            CHECK_FALSE(value.status().message().empty());
            continue;
        }
        if (!value.value()) continue;
        const nlohmann::json& json = *value.value();
        for (const Status& status :
             {parse_range_request(json).status(), parse_txn_request(json).status(),
              parse_watch_request(json).status(), parse_put_request(json).status()}) {
            if (!status.is_ok()) {
                CHECK(status.code() == StatusCode::kInvalidArgument);
                CHECK_FALSE(status.message().empty());
            }
        }
        ++decoded;
    }
    CHECK(decoded > 0);
}

}  // namespace
}  // namespace consensus::http
