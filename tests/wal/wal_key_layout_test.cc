// The WAL's key layout across versions: a data dir written with the first layout's
// metadata keys opens with its state intact and is renamed to the current keys.
#include <catch2/catch.hpp>
#include <memory>
#include <optional>
#include <string>

#include <leveldb/db.h>
#include <leveldb/options.h>

#include "wal/codec.h"
#include "wal/keys.h"
#include "wal/wal.h"
#include "wal_test_util.h"

namespace consensus::wal {
namespace {

const Identity kIdentity{0xC1, 0x11};

std::unique_ptr<leveldb::DB> open_store(const std::string& data_dir) {
    leveldb::DB* raw = nullptr;
    REQUIRE(leveldb::DB::Open(leveldb::Options(), data_dir + "/wal", &raw).ok());
    return std::unique_ptr<leveldb::DB>(raw);
}

std::optional<std::string> get(leveldb::DB& db, const std::string& key) {
    std::string value;
    leveldb::Status status = db.Get(leveldb::ReadOptions(), key, &value);
    if (status.IsNotFound()) return std::nullopt;
    REQUIRE(status.ok());
    return value;
}

/// Rewrites a closed data dir's metadata records under the first layout's keys, as
/// a data dir written before the rename holds them.
void rewrite_as_legacy_layout(const std::string& data_dir) {
    std::unique_ptr<leveldb::DB> db = open_store(data_dir);
    leveldb::WriteOptions sync;
    sync.sync = true;
    for (const RenamedKey& key : kLegacyMetadataKeys) {
        std::optional<std::string> value = get(*db, key.current);
        REQUIRE(value.has_value());
        Result<std::string_view> payload = unframe_record(key.current, *value);
        REQUIRE(payload.is_ok());
        REQUIRE(db->Put(sync, key.legacy, frame_record(key.legacy, payload.value())).ok());
        REQUIRE(db->Delete(sync, key.current).ok());
    }
}

/// A closed data dir with entries 1-20, a snapshot at 10, log start 6 and hard state
/// term 3, vote 2, commit 15.
void write_data_dir(const std::string& data_dir) {
    auto opened = Wal::open(data_dir, kIdentity);
    REQUIRE(opened.is_ok());
    Wal& wal = *opened.value();
    REQUIRE(wal.save(raft::HardState{3, 2, 15}, testing::make_entries(1, 20, 3), true).is_ok());
    raft::Snapshot snapshot;
    snapshot.metadata.index = 10;
    snapshot.metadata.term = 3;
    snapshot.metadata.conf_state.voters = {1, 2, 3};
    snapshot.data = "state at 10";
    REQUIRE(wal.save_snapshot(snapshot).is_ok());
    REQUIRE(wal.compact(6).is_ok());
}

TEST_CASE("Wal: open renames the metadata records of the first key layout", "[wal]") {
    testing::TempDir temp;
    write_data_dir(temp.path());
    rewrite_as_legacy_layout(temp.path());

    {
        auto opened = Wal::open(temp.path(), kIdentity);
        INFO(opened.status().to_string());
        REQUIRE(opened.is_ok());
        const Wal& wal = *opened.value();
        CHECK(wal.hard_state() == raft::HardState{3, 2, 15});
        CHECK(wal.snapshot_metadata().index == 10);
        CHECK(wal.log_start().index == 6);
        CHECK(wal.last_index() == 20);
        auto entries = wal.entries(7, 21, UINT64_MAX);
        REQUIRE(entries.is_ok());
        CHECK(entries.value() == testing::make_entries(7, 20, 3));
    }
    std::unique_ptr<leveldb::DB> db = open_store(temp.path());
    for (const RenamedKey& key : kLegacyMetadataKeys) {
        INFO(key.legacy);
        CHECK_FALSE(get(*db, key.legacy).has_value());
        CHECK(get(*db, key.current).has_value());
    }
}

TEST_CASE("Wal: open refuses a damaged record of the first key layout, naming it", "[wal]") {
    testing::TempDir temp;
    write_data_dir(temp.path());
    rewrite_as_legacy_layout(temp.path());
    {
        std::unique_ptr<leveldb::DB> db = open_store(temp.path());
        leveldb::WriteOptions sync;
        sync.sync = true;
        REQUIRE(db->Put(sync, "h", "garbage").ok());
    }
    auto opened = Wal::open(temp.path(), kIdentity);
    REQUIRE_FALSE(opened.is_ok());
    CHECK(opened.status().code() == StatusCode::kCorruption);
    CHECK_THAT(opened.status().message(), Catch::Contains("record \"h\""));
    CHECK_THAT(opened.status().message(), Catch::Contains(temp.path()));
}

}  // namespace
}  // namespace consensus::wal
