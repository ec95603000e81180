#include "consensus/errors.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace consensus {
namespace {

// The statuses etcd 3.4 sends, as recorded in the conformance corpus (NOTES.md):
// 100 → 404, 101 → 412, 102 → 403, 104 → 400, 105 → 412, 107 → 400, 108 → 403,
// every 2xx code → 400, 401 → 400.
TEST_CASE("errors: v2 codes map to etcd's HTTP statuses and messages", "[common]") {
    struct Case { int code; int status; const char* message; };
    std::vector<Case> cases = {
        {100, 404, "Key not found"},
        {101, 412, "Compare failed"},
        {102, 403, "Not a file"},
        {104, 400, "Not a directory"},
        {105, 412, "Key already exists"},
        {107, 400, "Root is read only"},
        {108, 403, "Directory not empty"},
        {201, 400, "PrevValue is Required in POST form"},
        {202, 400, "The given TTL in POST form is not a number"},
        {203, 400, "The given index in POST form is not a number"},
        {209, 400, "Invalid field"},
        {211, 400, "Value provided on refresh"},
        {212, 400, "A TTL must be provided on refresh"},
        {300, 500, "Raft Internal Error"},
        {301, 500, "During Leader Election"},
        {401, 400, "The event in requested index is outdated and cleared"},
    };
    for (const auto& c : cases) {
        INFO("code " << c.code);
        CHECK(errors::v2_http_status(c.code) == c.status);
        CHECK(std::string(errors::v2_message(c.code)) == c.message);
    }
}

}  // namespace
}  // namespace consensus
