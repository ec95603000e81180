// Replays the parameter errors of the recorded conformance corpus through the keys
// request parser: every v2 step whose recorded answer is a 200-series error must get
// the same errorCode and cause. The corpus is read from tests/conformance/cases/v2,
// or from the shared checkout next to the repository; without it the test warns and
// checks nothing else.
#include <catch2/catch.hpp>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "http/v2_keys_handler.h"

namespace consensus::http {
namespace {

namespace fs = std::filesystem;

std::string url_encode(const std::string& text) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 0xF]);
        }
    }
    return out;
}

/// A "query" or "form" of a case: an object or a list of [name, value] pairs.
std::string encode_pairs(const nlohmann::json& pairs) {
    std::string out;
    auto add = [&](const std::string& name, const std::string& value) {
        if (!out.empty()) out += "&";
        out += url_encode(name) + "=" + url_encode(value);
    };
    if (pairs.is_object()) {
        for (const auto& [name, value] : pairs.items()) add(name, value.get<std::string>());
    } else if (pairs.is_array()) {
        for (const auto& pair : pairs) add(pair[0].get<std::string>(), pair[1].get<std::string>());
    }
    return out;
}

fs::path corpus_dir() {
    for (const char* candidate : {CONSENSUS_SOURCE_DIR "/tests/conformance/cases/v2",
                                  CONSENSUS_SOURCE_DIR "/../shared/conformance/cases/v2"}) {
        if (fs::is_directory(candidate)) return candidate;
    }
    return {};
}

TEST_CASE("corpus: recorded parameter errors match when replayed through the parser", "[http]") {
    fs::path dir = corpus_dir();
    if (dir.empty()) {
        WARN("conformance corpus not found; nothing replayed");
        return;
    }
    int replayed = 0;
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.path().extension() != ".json") continue;
        std::ifstream file(entry.path());
        nlohmann::json document = nlohmann::json::parse(file, nullptr, false);
        if (document.is_discarded() || !document.contains("steps")) continue;
        for (const auto& step : document["steps"]) {
            const auto& expect = step["expect"];
            if (!expect.contains("body") || !expect["body"].is_object()) continue;
            const auto& body = expect["body"];
            if (!body.contains("errorCode")) continue;
            int code = body["errorCode"].get<int>();
            if (code < 200 || code >= 300) continue;
            const auto& request = step["request"];
            std::string method = request["method"].get<std::string>();
            std::string query = request.contains("query") ? encode_pairs(request["query"]) : "";
            std::string form = request.contains("form") ? encode_pairs(request["form"]) : "";
            INFO(entry.path().filename().string() << " :: " << step["name"].get<std::string>());
            V2KeysParse parse = parse_v2_keys_request(method, "/p/k", query,
                                                      "application/x-www-form-urlencoded", form);
            REQUIRE(parse.error.has_value());
            CHECK(parse.error->error_code == code);
            CHECK(parse.error->cause == body["cause"].get<std::string>());
            CHECK(parse.error->index == 0);
            ++replayed;
        }
    }
    CHECK(replayed > 0);
}

}  // namespace
}  // namespace consensus::http
