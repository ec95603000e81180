// The v3 history log: bytes come back as appended, from memory or from the file, on
// either side of a flush, after a move; a file log leaves nothing behind in its
// directory; a directory that cannot hold one is refused with its name.

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "kv/v3_history_log.h"
#include "support/temp_dir.h"

namespace consensus::kv::test {
namespace {

using consensus::testing::TempDir;

/// `count` distinct byte strings of varied lengths (0 to 700 bytes), all byte values.
std::vector<std::string> pieces(std::size_t count) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < count; ++i) {
        std::string piece;
        for (std::size_t j = 0; j < (i * 37) % 701; ++j) {
            piece.push_back(static_cast<char>((i * 131 + j * 7) & 0xff));
        }
        out.push_back(std::move(piece));
    }
    return out;
}

/// Appends every piece (split in a head and a tail), then reads each back.
void check_round_trip(V3HistoryLog& log) {
    const std::vector<std::string> written = pieces(300);
    std::vector<std::uint64_t> offsets;
    std::uint64_t expected_size = log.size();
    for (const std::string& piece : written) {
        const std::string_view view(piece);
        const std::size_t split = piece.size() / 3;
        offsets.push_back(log.append(view.substr(0, split), view.substr(split)));
        CHECK(offsets.back() == expected_size);
        expected_size += piece.size();
        CHECK(log.size() == expected_size);
    }
    std::string read;
    for (std::size_t i = 0; i < written.size(); ++i) {
        INFO("piece " << i);
        log.read(offsets[i], static_cast<std::uint32_t>(written[i].size()), &read);
        CHECK(read == written[i]);
    }
}

TEST_CASE("v3 history log: in memory, bytes come back as appended", "[kv]") {
    V3HistoryLog log;
    CHECK_FALSE(log.on_disk());
    CHECK(log.size() == 0);
    check_round_trip(log);
}

TEST_CASE("v3 history log: in a file, bytes come back from the file and from the buffer", "[kv]") {
    TempDir dir;
    REQUIRE_FALSE(dir.path().empty());
    // Flush sizes from "every append" to "a few appends", so reads hit the file, the
    // buffer, and pieces just either side of a flush.
    const std::size_t flush_bytes = GENERATE(1, 100, 1000, 5000);
    INFO("flush bytes " << flush_bytes);
    Result<V3HistoryLog> opened = V3HistoryLog::open(dir.path(), flush_bytes);
    REQUIRE(opened.is_ok());
    V3HistoryLog log = std::move(opened.value());
    CHECK(log.on_disk());
    check_round_trip(log);
    // The file has no name: the directory stays empty.
    CHECK(std::filesystem::is_empty(dir.path()));
}

TEST_CASE("v3 history log: bulk reads come from a mapping, and bytes appended after it too",
          "[kv]") {
    TempDir dir;
    REQUIRE_FALSE(dir.path().empty());
    Result<V3HistoryLog> opened = V3HistoryLog::open(dir.path(), 1);
    REQUIRE(opened.is_ok());
    V3HistoryLog log = std::move(opened.value());
    const std::vector<std::string> written = pieces(50);
    std::vector<std::uint64_t> offsets;
    for (const std::string& piece : written) offsets.push_back(log.append(piece));
    std::string read;
    {
        const V3HistoryLog::BulkReads outer(log);
        const std::uint64_t later = log.append("appended while mapped");
        {
            // A nested scope leaves the mapping to the outer one.
            const V3HistoryLog::BulkReads inner(log);
        }
        for (std::size_t i = written.size(); i-- > 0;) {
            log.read(offsets[i], static_cast<std::uint32_t>(written[i].size()), &read);
            CHECK(read == written[i]);
        }
        log.read(later, 21, &read);
        CHECK(read == "appended while mapped");
    }
    log.read(offsets[7], static_cast<std::uint32_t>(written[7].size()), &read);
    CHECK(read == written[7]);
}

TEST_CASE("v3 history log: a moved log keeps its bytes and its file", "[kv]") {
    TempDir dir;
    REQUIRE_FALSE(dir.path().empty());
    Result<V3HistoryLog> opened = V3HistoryLog::open(dir.path(), 10);
    REQUIRE(opened.is_ok());
    V3HistoryLog first = std::move(opened.value());
    const std::uint64_t flushed = first.append("flushed to the file");
    const std::uint64_t buffered = first.append("x");
    V3HistoryLog second(std::move(first));
    V3HistoryLog third;
    third = std::move(second);
    CHECK(third.on_disk());
    std::string read;
    third.read(flushed, 19, &read);
    CHECK(read == "flushed to the file");
    third.read(buffered, 1, &read);
    CHECK(read == "x");
    // Another log like it is a new, empty file in the same place.
    Result<V3HistoryLog> another = third.open_another();
    REQUIRE(another.is_ok());
    CHECK(another.value().on_disk());
    CHECK(another.value().size() == 0);
    CHECK(another.value().dir() == dir.path());
}

TEST_CASE("v3 history log: a directory that cannot hold the file is refused by name", "[kv]") {
    TempDir dir;
    REQUIRE_FALSE(dir.path().empty());
    const std::string missing = dir.sub("missing");
    const Result<V3HistoryLog> opened = V3HistoryLog::open(missing);
    REQUIRE_FALSE(opened.is_ok());
    CHECK(opened.status().code() == StatusCode::kIOError);
    CHECK(opened.status().message().find(missing) != std::string::npos);
}

}  // namespace
}  // namespace consensus::kv::test
