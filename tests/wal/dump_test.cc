#include "wal/dump.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "wal/wal.h"
#include "wal_test_util.h"

namespace consensus::wal {
namespace {

using testing::make_entries;
using testing::TempDir;

void make_dir(const std::string& dir) {
    auto opened = Wal::open(dir, Identity{0xAB, 0xCD});
    REQUIRE(opened.is_ok());
    Wal& wal = *opened.value();
    REQUIRE(wal.save(raft::HardState{3, 0xCD, 6}, make_entries(1, 8, 3), true).is_ok());
    raft::Snapshot snapshot;
    snapshot.metadata.index = 4;
    snapshot.metadata.term = 3;
    snapshot.metadata.conf_state.voters = {0xCD};
    snapshot.data = "kv";
    REQUIRE(wal.save_snapshot(snapshot).is_ok());
    REQUIRE(wal.compact(2).is_ok());
    std::vector<raft::Entry> conf = {
        raft::Entry{3, 9, raft::EntryType::kConfChange, std::string("\x01\x00\xff", 3)}};
    REQUIRE(wal.save(std::nullopt, conf, true).is_ok());
}

TEST_CASE("dump: prints identity, hard state, snapshot and entries when the dir is intact",
          "[wal]") {
    TempDir temp;
    make_dir(temp.path());
    std::ostringstream out;
    REQUIRE(dump(temp.path(), 0, UINT64_MAX, out).is_ok());
    const std::string text = out.str();
    CHECK_THAT(text, Catch::Contains("identity: cluster 00000000000000ab member 00000000000000cd"));
    CHECK_THAT(text, Catch::Contains("hard state: term 3 vote 00000000000000cd commit 6"));
    CHECK_THAT(text, Catch::Contains("snapshot: index 4 term 3 voters [00000000000000cd]"));
    CHECK_THAT(text, Catch::Contains("log: entries 3 to 9 (log start index 2 term 3)"));
    CHECK_THAT(text, Catch::Contains("entry 3 term 3 type normal size "));
    CHECK_THAT(text,
               Catch::Contains("entry 9 term 3 type conf-change size 3 data \"\\x01\\x00\\xff\""));
    CHECK_THAT(text, !Catch::Contains("entry 2 "));
}

TEST_CASE("dump: prints only the entries in range when given from and to", "[wal]") {
    TempDir temp;
    make_dir(temp.path());
    std::ostringstream out;
    REQUIRE(dump(temp.path(), 5, 6, out).is_ok());
    const std::string text = out.str();
    CHECK_THAT(text, Catch::Contains("entry 5 term"));
    CHECK_THAT(text, Catch::Contains("entry 6 term"));
    CHECK_THAT(text, !Catch::Contains("entry 4 term"));
    CHECK_THAT(text, !Catch::Contains("entry 7 term"));
}

TEST_CASE("dump: prints every entry when the range spans several read chunks", "[wal]") {
    TempDir temp;
    const Index last = kDumpChunkEntries * 2 + 5;
    {
        auto opened = Wal::open(temp.path(), Identity{1, 1});
        REQUIRE(opened.is_ok());
        REQUIRE(opened.value()->save(std::nullopt, make_entries(1, last, 1), false).is_ok());
    }
    std::ostringstream out;
    REQUIRE(dump(temp.path(), 0, UINT64_MAX, out).is_ok());
    std::istringstream lines(out.str());
    std::size_t entry_lines = 0;
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind("entry ", 0) == 0) ++entry_lines;
    }
    CHECK(entry_lines == last);
    CHECK_THAT(out.str(), Catch::Contains("entry " + std::to_string(last) + " term 1"));
}

TEST_CASE("dump: fails with the recovery error when the dir is missing or damaged", "[wal]") {
    TempDir temp;
    std::ostringstream out;
    CHECK(dump(temp.sub("absent"), 0, UINT64_MAX, out).code() == StatusCode::kNotFound);
    make_dir(temp.path());
    std::filesystem::remove(temp.path() + "/wal/CURRENT");
    Status status = dump(temp.path(), 0, UINT64_MAX, out);
    CHECK(status.code() == StatusCode::kCorruption);
    CHECK_THAT(status.message(), Catch::Contains(temp.path()));
}

TEST_CASE("dump: the preview escapes and shortens data when it is binary or long", "[wal]") {
    struct Case {
        std::string data;
        std::string preview;
    };
    const std::vector<Case> cases = {
        {"", "\"\""},
        {"put /a 1", "\"put /a 1\""},
        {std::string("a\0\"\\\n", 5), "\"a\\x00\\\"\\\\\\x0a\""},
        {std::string(40, 'x'), "\"" + std::string(kDumpPreviewBytes, 'x') + "\"..."},
    };
    for (const Case& test : cases) {
        INFO(test.preview);
        CHECK(printable_preview(test.data) == test.preview);
    }
}

}  // namespace
}  // namespace consensus::wal
