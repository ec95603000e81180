// Rendering and decoding goldens: Go's JSON escaping and number forms, the v2 node,
// event and error bodies exactly as the conformance corpus recorded them from etcd
// 3.4.23, and Go's URL/form decoding rules.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "fake_service.h"
#include "http/form.h"
#include "http/go_json.h"
#include "http/v2_json.h"

namespace consensus::http {
namespace {

using testing::file_node;

TEST_CASE("go_json: strings are escaped as Go's encoder does when they hold special bytes",
          "[http]") {
    struct Case {
        std::string input;
        std::string expected;
    };
    std::vector<Case> cases = {
        {"plain", "\"plain\""},
        {"a\"b\\c", "\"a\\\"b\\\\c\""},
        {"a=b&c d+e%f\nline2\ttab", "\"a=b\\u0026c d+e%f\\nline2\\ttab\""},
        {"<tag>", "\"\\u003ctag\\u003e\""},
        {std::string("\x01\x1f\r\b\f", 5), "\"\\u0001\\u001f\\r\\u0008\\u000c\""},
        {"\xC3\xBC"
         "ber/\xE2\x9C\x93",
         "\"\xC3\xBC"
         "ber/\xE2\x9C\x93\""},
        {"\xE2\x80\xA8\xE2\x80\xA9", "\"\\u2028\\u2029\""},
        {"\xFF"
         "a\xC3",
         "\"\\ufffda\\ufffd\""},
        {"\xED\xA0\x80", "\"\\ufffd\\ufffd\\ufffd\""},  // a surrogate is invalid UTF-8
        {"\x7f", "\"\x7f\""},
    };
    for (const auto& c : cases) {
        INFO(c.expected);
        CHECK(go_json_quote(c.input) == c.expected);
    }
}

TEST_CASE("go_json: a special byte is escaped at every offset when the text is long", "[http]") {
    // Long text is scanned sixteen bytes at a time; every special byte must be caught
    // whichever byte of a block it falls on, and in the tail shorter than a block.
    struct Special {
        std::string input;
        std::string expected;
    };
    const std::vector<Special> specials = {
        {"\"", "\\\""},   {"\\", "\\\\"},   {"<", "\\u003c"},         {">", "\\u003e"},
        {"&", "\\u0026"}, {"\n", "\\n"},    {"\x01", "\\u0001"},      {"\x1f", "\\u001f"},
        {" ", " "},       {"\x7f", "\x7f"}, {"\xC3\xBC", "\xC3\xBC"}, {"\xFF", "\\ufffd"},
    };
    for (const auto& special : specials) {
        for (std::size_t offset = 0; offset < 40; ++offset) {
            std::string before(offset, 'a');
            std::string after(39 - offset, 'b');
            INFO(special.expected << " at " << offset);
            CHECK(go_json_quote(before + special.input + after) ==
                  "\"" + before + special.expected + after + "\"");
        }
    }
}

TEST_CASE("go_json: floats use Go's shortest form when formatted for JSON", "[http]") {
    CHECK(go_json_float(0) == "0");
    CHECK(go_json_float(1.5) == "1.5");
    CHECK(go_json_float(100) == "100");
    CHECK(go_json_float(0.000123) == "0.000123");
    CHECK(go_json_float(1e-7) == "1e-7");
    CHECK(go_json_float(1e21) == "1e+21");
    CHECK(go_json_float(-2.25) == "-2.25");
}

TEST_CASE("go_json: times and durations read as Go prints them when formatted", "[http]") {
    CHECK(rfc3339_nano(1795320435246118865LL) == "2026-11-22T04:07:15.246118865Z");
    CHECK(rfc3339_nano(1795320324418211100LL) == "2026-11-22T04:05:24.4182111Z");
    CHECK(rfc3339_nano(1795320324000000000LL) == "2026-11-22T04:05:24Z");
    CHECK(go_duration(1592121615) == "1.592121615s");
    CHECK(go_duration(0) == "0s");
    CHECK(go_duration(300) == "300ns");
    CHECK(go_duration(1500000) == "1.5ms");
    CHECK(go_duration(1500) == "1.5\xC2\xB5s");
    CHECK(go_duration(123500000000LL) == "2m3.5s");
    CHECK(go_duration(3600000000000LL) == "1h0m0s");
    CHECK(hex_id(0x48276a8f75b6a87ULL) == "48276a8f75b6a87");
    CHECK(hex_id(0) == "0");
}

TEST_CASE("v2_json: a set event renders the recorded bytes when it replaced a file", "[http]") {
    service::V2Event event;
    event.action = "set";
    event.node = file_node("/p/foo", "baz", 93, 93);
    event.prev_node = file_node("/p/foo", "bar", 92, 92);
    CHECK(render_v2_event(event) ==
          "{\"action\":\"set\",\"node\":{\"key\":\"/p/foo\",\"value\":\"baz\","
          "\"modifiedIndex\":93,\"createdIndex\":93},\"prevNode\":{\"key\":\"/p/foo\","
          "\"value\":\"bar\",\"modifiedIndex\":92,\"createdIndex\":92}}\n");
}

TEST_CASE("v2_json: node fields follow etcd's order and omitempty rules when set", "[http]") {
    service::V2Node ttl_node = file_node("/p/t", "v", 113, 113);
    ttl_node.ttl = 100;
    ttl_node.expiration_unix_nanos = 1795320435246118865LL;
    CHECK(render_v2_node(ttl_node) ==
          "{\"key\":\"/p/t\",\"value\":\"v\",\"expiration\":\"2026-11-22T04:07:15.246118865Z\","
          "\"ttl\":100,\"modifiedIndex\":113,\"createdIndex\":113}");

    service::V2Node dir;
    dir.key = "/p/alpha";
    dir.dir = true;
    dir.modified_index = 95;
    dir.created_index = 95;
    CHECK(render_v2_node(dir) ==
          "{\"key\":\"/p/alpha\",\"dir\":true,\"modifiedIndex\":95,\"createdIndex\":95}");
    dir.nodes.push_back(file_node("/p/alpha/beta", "v1", 95, 95));
    CHECK(render_v2_node(dir) ==
          "{\"key\":\"/p/alpha\",\"dir\":true,\"nodes\":[{\"key\":\"/p/alpha/beta\","
          "\"value\":\"v1\",\"modifiedIndex\":95,\"createdIndex\":95}],"
          "\"modifiedIndex\":95,\"createdIndex\":95}");

    service::V2Node root;
    root.is_root = true;
    root.dir = true;
    root.key = "/";
    root.modified_index = 3;
    CHECK(render_v2_node(root) == "{\"dir\":true}");

    service::V2Node empty_value = file_node("/p/empty", "", 124, 124);
    CHECK(render_v2_node(empty_value) ==
          "{\"key\":\"/p/empty\",\"value\":\"\",\"modifiedIndex\":124,\"createdIndex\":124}");
}

TEST_CASE("v2_json: an expire event keeps expiration without ttl when rendered", "[http]") {
    service::V2Event event;
    event.action = "expire";
    event.node.key = "/p/e";
    event.node.modified_index = 105;
    event.node.created_index = 104;
    service::V2Node prev = file_node("/p/e", "gone soon", 104, 104);
    prev.expiration_unix_nanos = 1795320327630083400LL;
    event.prev_node = prev;
    CHECK(render_v2_event(event) ==
          "{\"action\":\"expire\",\"node\":{\"key\":\"/p/e\",\"modifiedIndex\":105,"
          "\"createdIndex\":104},\"prevNode\":{\"key\":\"/p/e\",\"value\":\"gone soon\","
          "\"expiration\":\"2026-11-22T04:05:27.6300834Z\",\"modifiedIndex\":104,"
          "\"createdIndex\":104}}\n");
}

TEST_CASE("v2_json: noValueOnSuccess trims only write actions when requested", "[http]") {
    struct Case {
        const char* action;
        bool trimmed;
    };
    std::vector<Case> cases = {{"set", true},     {"create", true},
                               {"update", true},  {"compareAndSwap", true},
                               {"delete", false}, {"compareAndDelete", false},
                               {"get", false}};
    for (const auto& c : cases) {
        INFO(c.action);
        service::V2Event event;
        event.action = c.action;
        event.node = file_node("/p/n", "v", 77, 77);
        std::string body = render_v2_event(event, true);
        if (c.trimmed) {
            CHECK(body == std::string("{\"action\":\"") + c.action + "\"}\n");
        } else {
            CHECK(body.find("\"node\"") != std::string::npos);
        }
    }
}

TEST_CASE("v2_json: errors carry all four fields in etcd's order when rendered", "[http]") {
    CHECK(render_v2_error({100, "/p/nope", 93}) ==
          "{\"errorCode\":100,\"message\":\"Key not found\",\"cause\":\"/p/nope\","
          "\"index\":93}\n");
    CHECK(render_v2_error({202, "invalid value for \"ttl\"", 0}) ==
          "{\"errorCode\":202,\"message\":\"The given TTL in POST form is not a number\","
          "\"cause\":\"invalid value for \\\"ttl\\\"\",\"index\":0}\n");
    CHECK(render_v2_error({401, "the requested history has been cleared [139/133]", 1138}) ==
          "{\"errorCode\":401,\"message\":\"The event in requested index is outdated and "
          "cleared\",\"cause\":\"the requested history has been cleared [139/133]\","
          "\"index\":1138}\n");
}

TEST_CASE("form: queries decode as Go's url.ParseQuery when given escapes", "[http]") {
    FormValues form;
    CHECK_FALSE(parse_query("a=1&b=%20x+y&c&&a=2&d=", &form).has_value());
    CHECK(form["a"] == std::vector<std::string>{"1", "2"});
    CHECK(form["b"] == std::vector<std::string>{" x y"});
    CHECK(form["c"] == std::vector<std::string>{""});
    CHECK(form["d"] == std::vector<std::string>{""});

    FormValues bad;
    auto error = parse_query("x=%zz&y=1", &bad);
    REQUIRE(error.has_value());
    CHECK(*error == "invalid URL escape \"%zz\"");
    CHECK(bad["y"] == std::vector<std::string>{"1"});
    FormValues semicolon;
    CHECK(parse_query("a=1;b=2", &semicolon) == "invalid semicolon separator in query");
    FormValues truncated;
    CHECK(parse_query("a=%4", &truncated) == "invalid URL escape \"%4\"");
}

TEST_CASE("form: paths decode and escape as Go's url package when they hold escapes", "[http]") {
    CHECK(unescape_path("/v2/keys/a%2Fb") == "/v2/keys/a/b");
    CHECK(unescape_path("/v2/keys/a+b") == "/v2/keys/a+b");
    CHECK(unescape_path("/v2/keys/what%3F") == "/v2/keys/what?");
    CHECK(unescape_path("/v2/keys/%C3%BCber") ==
          "/v2/keys/\xC3\xBC"
          "ber");
    CHECK_FALSE(unescape_path("/v2/keys/%g1").has_value());
    CHECK(escape_path("/v2/keys/with space/a+b?") == "/v2/keys/with%20space/a+b%3F");
    CHECK(clean_path("/a//b/./c/../d/") == "/a/b/d");
    CHECK(clean_path("/../x") == "/x");
    CHECK(clean_path("/") == "/");
}

TEST_CASE("form: booleans and integers parse as Go's strconv when given text", "[http]") {
    for (const char* yes : {"1", "t", "T", "TRUE", "true", "True"})
        CHECK(parse_go_bool(yes) == true);
    for (const char* no : {"0", "f", "F", "FALSE", "false", "False"})
        CHECK(parse_go_bool(no) == false);
    for (const char* bad : {"yes", "maybe", "", "tRUE", " true"}) CHECK_FALSE(parse_go_bool(bad));
    CHECK(parse_go_uint64("0") == 0u);
    CHECK(parse_go_uint64("18446744073709551615") == UINT64_MAX);
    for (const char* bad : {"18446744073709551616", "-1", "+1", "1.5", " 5", "", "abc", "1_0"}) {
        INFO(bad);
        CHECK_FALSE(parse_go_uint64(bad).has_value());
    }
}

}  // namespace
}  // namespace consensus::http
