// Replays every request of the recorded v3 corpus through the router against a fake
// Service: the gateway's own answers (unknown paths, wrong methods, bodies that do not
// decode, requests over the size limit) must match what etcd recorded, and every other
// request must reach the Service (or, for the calls the gateway answers itself, get a
// 200). The corpus is read from tests/conformance/cases/v3, or from the shared
// checkout next to the repository; without it the test warns and checks nothing else.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "fake_exchange.h"
#include "fake_service.h"
#include "http/base64.h"
#include "http/router.h"

namespace consensus::http {
namespace {

namespace fs = std::filesystem;
using testing::FakeExchange;
using testing::FakeService;

fs::path corpus_dir() {
    for (const char* candidate : {CONSENSUS_SOURCE_DIR "/tests/conformance/cases/v3",
                                  CONSENSUS_SOURCE_DIR "/../shared/conformance/cases/v3"}) {
        if (fs::is_directory(candidate)) return candidate;
    }
    return {};
}

/// The runner's templates: {P}, {REP:x*N}, {$name} and {$name+N} (any number will do
/// here), then "$b64:" (with \xNN escapes) and "$int:" prefixes.
std::string expand_text(std::string text) {
    for (std::size_t at = text.find('{'); at != std::string::npos; at = text.find('{', at)) {
        std::size_t end = text.find('}', at);
        if (end == std::string::npos) break;
        std::string inner = text.substr(at + 1, end - at - 1);
        std::string replacement;
        if (inner == "P") {
            replacement = "run-case";
        } else if (inner.rfind("REP:", 0) == 0) {
            std::size_t star = inner.rfind('*');
            std::string unit = inner.substr(4, star - 4);
            replacement.clear();
            for (std::size_t i = 0, n = std::stoul(inner.substr(star + 1)); i < n; ++i) {
                replacement += unit;
            }
        } else if (!inner.empty() && inner[0] == '$') {
            replacement = "100";
        } else {
            ++at;
            continue;
        }
        text.replace(at, end - at + 1, replacement);
        at += replacement.size();
    }
    return text;
}

std::string unescape_bytes(const std::string& text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\\' && i + 1 < text.size() && text[i + 1] == '\\') {
            out.push_back('\\');
            ++i;
        } else if (text[i] == '\\' && i + 3 < text.size() && text[i + 1] == 'x') {
            out.push_back(static_cast<char>(std::stoi(text.substr(i + 2, 2), nullptr, 16)));
            i += 3;
        } else {
            out.push_back(text[i]);
        }
    }
    return out;
}

nlohmann::json expand(const nlohmann::json& value) {
    if (value.is_string()) {
        std::string text = value.get<std::string>();
        if (text.rfind("$b64:", 0) == 0)
            return base64_encode(unescape_bytes(expand_text(text.substr(5))));
        if (text.rfind("$int:", 0) == 0) return std::stoll(expand_text(text.substr(5)));
        return expand_text(text);
    }
    nlohmann::json out = value;
    if (value.is_object()) {
        for (auto& [name, element] : out.items()) element = expand(value[name]);
    } else if (value.is_array()) {
        for (std::size_t i = 0; i < out.size(); ++i) out[i] = expand(value[i]);
    }
    return out;
}

std::string request_body(const nlohmann::json& request) {
    if (request.contains("body")) return request["body"].get<std::string>();
    if (request.contains("json")) return expand(request["json"]).dump();
    std::string body;
    if (request.contains("json_seq")) {
        for (const auto& value : request["json_seq"]) body += expand(value).dump() + "\n";
    }
    return body;
}

/// True when etcd's answer came from the gateway's decoder (checked only as non-empty).
bool is_decoder_error(const nlohmann::json& step) {
    if (!step.contains("match") || step["expect"]["status"].get<unsigned>() < 400) return false;
    for (const auto& [path, rule] : step["match"].items()) {
        if ((path == "body.error" || path == "messages[0].error") && rule == "nonempty") {
            return true;
        }
    }
    return false;
}

void check_step(const nlohmann::json& step, int* replayed) {
    const auto& request = step["request"];
    const auto& expect = step["expect"];
    FakeService service;
    service.info = testing::corpus_cluster();
    Router router{service, {"http://127.0.0.1:23790"}};
    // The Request views these two, so they live as long as it.
    std::string method = request["method"].get<std::string>();
    std::string target = expand_text(request["path"].get<std::string>());
    Request http_request;
    http_request.method = method;
    http_request.target = target;
    http_request.body = request_body(request);
    auto exchange = std::make_shared<FakeExchange>();
    router.route(http_request, exchange);
    unsigned status = expect["status"].get<unsigned>();
    if (expect.contains("text")) {
        REQUIRE(exchange->response);
        CHECK(exchange->response->status == status);
        CHECK(exchange->response->body == expect["text"].get<std::string>());
    } else if (is_decoder_error(step)) {
        const auto& recorded = expect.contains("messages") ? expect["messages"][0] : expect["body"];
        REQUIRE(exchange->response);
        CHECK(exchange->response->status == status);
        auto answer = nlohmann::json::parse(exchange->response->body);
        CHECK(answer["code"] == recorded["code"]);
        CHECK_FALSE(answer["error"].get<std::string>().empty());
    } else if (expect.contains("body") && expect["body"].contains("error") &&
               expect["body"]["error"] == "etcdserver: request is too large") {
        // The 2 MB value is over the session's body limit: the router answers.
        auto answer = router.answer_body_too_large(http_request.target);
        REQUIRE(answer);
        CHECK(answer->status == status);
    } else {
        // Decoded and passed on: the Service holds it, or the gateway answered 200.
        bool answered_ok = exchange->response && exchange->response->status == 200;
        CHECK((!exchange->response || answered_ok));
    }
    exchange->abort = nullptr;
    ++*replayed;
}

TEST_CASE("v3 corpus: the gateway's own answers match etcd's when replayed", "[http]") {
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
            INFO(entry.path().filename().string() << " :: " << step["name"].get<std::string>());
            check_step(step, &replayed);
        }
    }
    CHECK(replayed > 0);
}

}  // namespace
}  // namespace consensus::http
