#include "node/url.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace consensus::node {
namespace {

TEST_CASE("parse_url: accepts http host:port forms when well formed", "[node]") {
    struct Case {
        std::string text;
        std::string host;
        std::uint16_t port;
        std::string printed;
    };
    const std::vector<Case> cases = {
        {"http://127.0.0.1:2380", "127.0.0.1", 2380, "http://127.0.0.1:2380"},
        {"http://localhost:2379/", "localhost", 2379, "http://localhost:2379"},
        {"HTTP://infra1.example:65535", "infra1.example", 65535, "http://infra1.example:65535"},
        {"http://[::1]:2380", "::1", 2380, "http://[::1]:2380"},
        {"http://127.0.0.1:0", "127.0.0.1", 0, "http://127.0.0.1:0"},
    };
    for (const Case& c : cases) {
        INFO(c.text);
        Result<Url> url = parse_url(c.text);
        REQUIRE(url.is_ok());
        CHECK(url.value().scheme == "http");
        CHECK(url.value().host == c.host);
        CHECK(url.value().port == c.port);
        CHECK(url.value().to_string() == c.printed);
    }
}

TEST_CASE("parse_url: names the problem when the URL is malformed", "[node]") {
    struct Case {
        std::string text;
        std::string expected_fragment;
    };
    const std::vector<Case> cases = {
        {"127.0.0.1:2380", "must look like http://host:port"},
        {"https://127.0.0.1:2380", "https is not supported yet"},
        {"unix://sock:1", "scheme must be http"},
        {"http://127.0.0.1", "does not have the form"},
        {"http://:2380", "empty host"},
        {"http://127.0.0.1:65536", "port must be a number"},
        {"http://127.0.0.1:abc", "port must be a number"},
        {"http://127.0.0.1:", "port must be a number"},
        {"http://127.0.0.1:2380/v2", "must not contain a path"},
        {"http://user@127.0.0.1:2380", "must not contain a user name"},
        {"http://[::1:2380", "unterminated"},
        {"http://bad host:2380", "bad character in host"},
    };
    for (const Case& c : cases) {
        INFO(c.text);
        Result<Url> url = parse_url(c.text);
        REQUIRE_FALSE(url.is_ok());
        CHECK(url.status().code() == StatusCode::kInvalidArgument);
        CHECK(url.status().message().find(c.expected_fragment) != std::string::npos);
        CHECK(url.status().message().find('\n') == std::string::npos);
    }
}

TEST_CASE("parse_url_list: round-trips through join_urls when every element is good", "[node]") {
    Result<std::vector<Url>> urls = parse_url_list("http://127.0.0.1:2379,http://localhost:22379");
    REQUIRE(urls.is_ok());
    REQUIRE(urls.value().size() == 2);
    CHECK(urls.value()[1].port == 22379);
    CHECK(join_urls(urls.value()) == "http://127.0.0.1:2379,http://localhost:22379");
}

TEST_CASE("parse_url_list: fails when an element is empty or bad", "[node]") {
    for (const char* text :
         {"", "http://a:1,", ",http://a:1", "http://a:1,,http://b:2", "http://a:1,ftp://b:2"}) {
        INFO(text);
        CHECK_FALSE(parse_url_list(text).is_ok());
    }
}

}  // namespace
}  // namespace consensus::node
