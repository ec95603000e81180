#include "consensus/status.h"

#include <catch2/catch.hpp>

namespace consensus {
namespace {

TEST_CASE("Status: default is ok and prints ok", "[common]") {
    Status status;
    CHECK(status.is_ok());
    CHECK(status.code() == StatusCode::kOk);
    CHECK(status.to_string() == "ok");
}

TEST_CASE("Status: an error carries its code name and message", "[common]") {
    Status status(StatusCode::kCorruption, "record 7: checksum mismatch");
    CHECK_FALSE(status.is_ok());
    CHECK(status.to_string() == "corruption: record 7: checksum mismatch");
}

TEST_CASE("Result: holds a value or an error, never both", "[common]") {
    Result<int> good(42);
    REQUIRE(good.is_ok());
    CHECK(good.value() == 42);

    Result<int> bad(Status(StatusCode::kNotFound, "no such key"));
    CHECK_FALSE(bad.is_ok());
    CHECK(bad.status().code() == StatusCode::kNotFound);
    CHECK(bad.status().message() == "no such key");
}

}  // namespace
}  // namespace consensus
