#include "consensus/log.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace consensus {
namespace {

struct CapturingSink : log::Sink {
    std::vector<std::string> lines;
    void write(log::Level, const char* component, const std::string& line) override {
        lines.push_back(std::string(component) + ": " + line);
    }
};

TEST_CASE("log: parse_level accepts etcd's level names and rejects others", "[common]") {
    struct Case { const char* name; bool ok; log::Level level; };
    std::vector<Case> cases = {
        {"debug", true, log::Level::kDebug}, {"info", true, log::Level::kInfo},
        {"warn", true, log::Level::kWarn},   {"error", true, log::Level::kError},
        {"INFO", false, log::Level::kInfo},  {"", false, log::Level::kInfo},
        {"verbose", false, log::Level::kInfo},
    };
    for (const auto& c : cases) {
        log::Level parsed = log::Level::kInfo;
        INFO("name: " << c.name);
        CHECK(log::parse_level(c.name, &parsed) == c.ok);
        if (c.ok) CHECK(parsed == c.level);
    }
}

TEST_CASE("log: lines below the level are dropped, others reach the sink formatted",
          "[common]") {
    CapturingSink sink;
    log::set_sink(&sink);
    log::set_level(log::Level::kWarn);
    LOG_INFO("test", "dropped %d", 1);
    LOG_WARN("test", "kept %d of %s", 2, "lines");
    log::set_level(log::Level::kInfo);
    log::set_sink(nullptr);
    REQUIRE(sink.lines.size() == 1);
    CHECK(sink.lines[0] == "test: kept 2 of lines");
}

}  // namespace
}  // namespace consensus
