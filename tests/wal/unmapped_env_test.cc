// UnmappedReadsEnv: table files read with pread return what was written, short at the
// end of the file, and a missing file is NotFound.
#include "wal/unmapped_env.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <memory>
#include <string>

#include "wal_test_util.h"

namespace consensus::wal {
namespace {

TEST_CASE("UnmappedReadsEnv: reads return the file's bytes and stop at its end", "[wal]") {
    testing::TempDir temp;
    const std::string path = temp.path() + "/table";
    std::string content;
    for (int i = 0; i < 5000; ++i) content += static_cast<char>('a' + i % 26);
    std::ofstream(path, std::ios::binary) << content;

    leveldb::RandomAccessFile* raw = nullptr;
    REQUIRE(UnmappedReadsEnv::instance()->NewRandomAccessFile(path, &raw).ok());
    std::unique_ptr<leveldb::RandomAccessFile> file(raw);
    std::string scratch(4096, '\0');
    leveldb::Slice result;
    REQUIRE(file->Read(1000, 100, &result, scratch.data()).ok());
    CHECK(result.ToString() == content.substr(1000, 100));
    REQUIRE(file->Read(4900, 500, &result, scratch.data()).ok());
    CHECK(result.ToString() == content.substr(4900));
    REQUIRE(file->Read(6000, 10, &result, scratch.data()).ok());
    CHECK(result.size() == 0);
}

TEST_CASE("UnmappedReadsEnv: a missing file is NotFound", "[wal]") {
    testing::TempDir temp;
    leveldb::RandomAccessFile* raw = nullptr;
    leveldb::Status status =
        UnmappedReadsEnv::instance()->NewRandomAccessFile(temp.path() + "/missing", &raw);
    CHECK(status.IsNotFound());
    CHECK(raw == nullptr);
}

}  // namespace
}  // namespace consensus::wal
