#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <leveldb/db.h>
#include <leveldb/options.h>

#include "consensus/log.h"
#include "wal/codec.h"
#include "wal/keys.h"
#include "wal/wal.h"
#include "wal_test_util.h"

namespace consensus::wal {
namespace {

namespace fs = std::filesystem;
using testing::make_entries;
using testing::TempDir;

const Identity kIdentity{0xDA, 0x3};
constexpr Index kLastIndex = 410;
constexpr Index kSnapshotIndex = 300;
constexpr Index kCompactIndex = 250;

raft::Snapshot pristine_snapshot() {
    raft::Snapshot snapshot;
    snapshot.metadata.index = kSnapshotIndex;
    snapshot.metadata.term = 1;
    snapshot.metadata.conf_state.voters = {1, 2, 3};
    snapshot.data = std::string(2048, 's');
    return snapshot;
}

/// Compacts a closed data dir's LevelDB store down to its last level, which drops the
/// deleted entries. Every table then holds only records an open reads (the metadata and
/// the entries after the compact index), so damage to any table is always found. Left
/// to LevelDB's background compactions, a table holding only deleted entries could
/// survive the close or not, and damage to it rightly goes unnoticed.
void compact_fully(const std::string& dir) {
    leveldb::DB* raw = nullptr;
    REQUIRE(leveldb::DB::Open(leveldb::Options(), dir + "/wal", &raw).ok());
    std::unique_ptr<leveldb::DB> db(raw);
    db->CompactRange(nullptr, nullptr);
}

/// A data dir with LevelDB tables (a small memtable forces flushes), exactly one
/// non-empty LevelDB log, a snapshot file and compacted entries. Built once, then
/// copied for each case, and never opened again itself: opening would flush the log
/// into a table and leave nothing in the .log to damage.
const std::string& pristine_dir() {
    static TempDir temp;
    static const std::string dir = [] {
        const std::string path = temp.sub("pristine");
        {
            Options options;
            options.leveldb_write_buffer_bytes = 64 * 1024;
            auto opened = Wal::open(path, kIdentity, options);
            REQUIRE(opened.is_ok());
            Wal& wal = *opened.value();
            for (Index first = 1; first <= 400; first += 20) {
                REQUIRE(wal.save(raft::HardState{1, 1, first - 1},
                                 make_entries(first, first + 19, 1, 1024), false)
                            .is_ok());
            }
            REQUIRE(wal.save_snapshot(pristine_snapshot()).is_ok());
            REQUIRE(wal.compact(kCompactIndex).is_ok());
        }
        compact_fully(path);
        // Reopening flushes whatever the logs held into tables and starts one fresh
        // log (a close during a pending flush can leave two), which the tail fills.
        auto opened = Wal::open(path, kIdentity);
        REQUIRE(opened.is_ok());
        REQUIRE(opened.value()
                    ->save(raft::HardState{1, 1, 400}, make_entries(401, kLastIndex, 1), true)
                    .is_ok());
        return path;
    }();
    return dir;
}

std::vector<std::string> files_matching(const std::string& dir,
                                        const std::function<bool(const std::string&)>& match) {
    std::vector<std::string> out;
    for (const auto& file : fs::directory_iterator(dir)) {
        if (match(file.path().filename().string())) out.push_back(file.path().string());
    }
    return out;
}

bool ends_with(const std::string& text, const std::string& suffix) {
    return text.size() >= suffix.size() &&
           text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// The largest file in `dir` whose name passes `match` (the one most likely to hold
/// the data a case means to damage).
std::string largest_file(const std::string& dir,
                         const std::function<bool(const std::string&)>& match) {
    std::vector<std::string> files = files_matching(dir, match);
    REQUIRE_FALSE(files.empty());
    std::string largest = files.front();
    for (const std::string& file : files) {
        if (fs::file_size(file) > fs::file_size(largest)) largest = file;
    }
    return largest;
}

void flip_byte(const std::string& path, std::uintmax_t offset) {
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    REQUIRE(file.good());
    file.seekg(static_cast<std::streamoff>(offset));
    char byte = 0;
    file.read(&byte, 1);
    byte = static_cast<char>(byte ^ 0x5A);
    file.seekp(static_cast<std::streamoff>(offset));
    file.write(&byte, 1);
    REQUIRE(file.good());
}

void flip_middle(const std::string& path) {
    flip_byte(path, fs::file_size(path) / 2);
}

void truncate_half(const std::string& path) {
    fs::resize_file(path, fs::file_size(path) / 2);
}

std::string wal_file(const std::string& dir, const char* kind) {
    const std::string wal_dir = dir + "/wal";
    const std::string wanted = kind;
    if (wanted == "log") {
        return largest_file(wal_dir,
                            [](const std::string& name) { return ends_with(name, ".log"); });
    }
    if (wanted == "MANIFEST") {
        return largest_file(
            wal_dir, [](const std::string& name) { return name.rfind("MANIFEST-", 0) == 0; });
    }
    return wal_dir + "/CURRENT";
}

std::vector<std::string> tables(const std::string& dir) {
    std::vector<std::string> out = files_matching(
        dir + "/wal", [](const std::string& name) { return ends_with(name, ".ldb"); });
    REQUIRE_FALSE(out.empty());
    return out;
}

std::string snapshot_file(const std::string& dir) {
    return Wal::snapshot_path(dir, pristine_snapshot().metadata);
}

/// A fresh copy of the pristine dir.
std::string copy_pristine(const TempDir& temp) {
    const std::string dir = temp.sub("copy");
    fs::copy(pristine_dir(), dir, fs::copy_options::recursive);
    return dir;
}

void check_refused(const std::string& dir, const std::string& expected_detail) {
    Result<std::unique_ptr<Wal>> opened = Wal::open_existing(dir);
    INFO(opened.status().to_string());
    REQUIRE_FALSE(opened.is_ok());
    CHECK((opened.status().code() == StatusCode::kCorruption ||
           opened.status().code() == StatusCode::kIOError));
    CHECK_THAT(opened.status().message(), Catch::Contains("WAL in data dir " + dir));
    CHECK_THAT(opened.status().message(), Catch::Contains(expected_detail));
}

TEST_CASE("Wal: the pristine damage fixture opens intact when undamaged", "[wal]") {
    TempDir temp;
    const std::string dir = copy_pristine(temp);
    CHECK_FALSE(files_matching(dir + "/wal", [](const std::string& name) {
                    return ends_with(name, ".ldb");
                }).empty());
    CHECK(files_matching(dir + "/wal", [](const std::string& name) {
              return ends_with(name, ".log");
          }).size() == 1);
    CHECK(fs::file_size(wal_file(dir, "log")) > 0);
    auto opened = Wal::open_existing(dir);
    REQUIRE(opened.is_ok());
    CHECK(opened.value()->first_index() == kCompactIndex + 1);
    CHECK(opened.value()->last_index() == kLastIndex);
    CHECK(opened.value()->snapshot().value() == pristine_snapshot());
}

TEST_CASE("Wal: open refuses a data dir with a clear message when a LevelDB file is damaged",
          "[wal]") {
    struct Case {
        const char* name;
        std::function<void(const std::string& dir)> damage;
        const char* detail;  ///< a part of the expected message
    };
    const std::vector<Case> cases = {
        // Every table is damaged: a table file LevelDB no longer uses (say, the partial
        // output of a compaction interrupted by the close) may linger until the next
        // open, and damaging only that one would rightly go unnoticed.
        {"flipped byte in the tables",
         [](const std::string& dir) {
             for (const auto& table : tables(dir)) flip_middle(table);
         },
         ""},
        {"truncated tables",
         [](const std::string& dir) {
             for (const auto& table : tables(dir)) truncate_half(table);
         },
         ""},
        {"deleted tables",
         [](const std::string& dir) {
             for (const auto& table : tables(dir)) fs::remove(table);
         },
         "missing files"},
        {"flipped byte in the log",
         [](const std::string& dir) { flip_middle(wal_file(dir, "log")); }, "Corruption"},
        {"deleted log", [](const std::string& dir) { fs::remove(wal_file(dir, "log")); },
         "has no .log file"},
        {"flipped byte in the MANIFEST",
         [](const std::string& dir) { flip_middle(wal_file(dir, "MANIFEST")); }, "Corruption"},
        {"deleted MANIFEST", [](const std::string& dir) { fs::remove(wal_file(dir, "MANIFEST")); },
         "cannot open LevelDB store"},
        {"deleted CURRENT", [](const std::string& dir) { fs::remove(wal_file(dir, "CURRENT")); },
         "has no CURRENT file"},
        {"garbage in CURRENT",
         [](const std::string& dir) { std::ofstream(wal_file(dir, "CURRENT")) << "MANIFEST-9\n"; },
         "cannot open LevelDB store"},
    };
    const log::Level previous_level = log::level();
    log::set_level(log::Level::kError);
    for (const Case& test : cases) {
        INFO(test.name);
        TempDir temp;
        const std::string dir = copy_pristine(temp);
        test.damage(dir);
        check_refused(dir, test.detail);
    }
    log::set_level(previous_level);
}

TEST_CASE(
    "Wal: open refuses a data dir with a clear message when the snapshot file is "
    "damaged",
    "[wal]") {
    struct Case {
        const char* name;
        std::function<void(const std::string& path)> damage;
        const char* detail;
    };
    const std::vector<Case> cases = {
        {"flipped payload byte",
         [](const std::string& path) { flip_byte(path, kSnapshotHeaderBytes + 100); },
         "payload checksum mismatch"},
        {"flipped header byte", [](const std::string& path) { flip_byte(path, 20); },
         "header checksum mismatch"},
        {"flipped magic", [](const std::string& path) { flip_byte(path, 0); }, "bad magic"},
        {"truncated payload", [](const std::string& path) { truncate_half(path); }, "truncated"},
        {"truncated header", [](const std::string& path) { fs::resize_file(path, 10); },
         "less than its header"},
        {"extended", [](const std::string& path) { std::ofstream(path, std::ios::app) << "x"; },
         "truncated or extended"},
        {"deleted", [](const std::string& path) { fs::remove(path); }, "is missing"},
    };
    for (const Case& test : cases) {
        INFO(test.name);
        TempDir temp;
        const std::string dir = copy_pristine(temp);
        test.damage(snapshot_file(dir));
        check_refused(dir, test.detail);
        CHECK_THAT(Wal::open_existing(dir).status().message(), Catch::Contains(snapshot_file(dir)));
    }
}

TEST_CASE("Wal: a truncated LevelDB log loses at most a suffix when cut", "[wal]") {
    // A log cut at a record boundary cannot be told from a crash before those writes
    // (wal.h); what must hold is that nothing is invented and no gap appears.
    TempDir temp;
    const std::string dir = copy_pristine(temp);
    truncate_half(wal_file(dir, "log"));
    Result<std::unique_ptr<Wal>> opened = Wal::open_existing(dir);
    if (!opened.is_ok()) {
        CHECK_THAT(opened.status().message(), Catch::Contains(dir));
        return;
    }
    const Wal& wal = *opened.value();
    CHECK(wal.last_index() <= kLastIndex);
    Result<std::vector<raft::Entry>> entries =
        wal.entries(wal.first_index(), wal.last_index() + 1, UINT64_MAX);
    REQUIRE(entries.is_ok());
    for (const raft::Entry& entry : entries.value()) {
        CHECK(entry == testing::make_entry(entry.index, 1, entry.index <= 400 ? 1024 : 0));
    }
}

/// Rewrites one record of a closed data dir through LevelDB itself, so the damage is
/// invisible to LevelDB's own checksums and only the WAL's checks can find it.
void rewrite_record(const std::string& dir, const std::string& key,
                    const std::optional<std::string>& value) {
    leveldb::DB* raw = nullptr;
    leveldb::Options options;
    REQUIRE(leveldb::DB::Open(options, dir + "/wal", &raw).ok());
    std::unique_ptr<leveldb::DB> db(raw);
    leveldb::WriteOptions write_options;
    write_options.sync = true;
    if (value.has_value()) {
        REQUIRE(db->Put(write_options, key, *value).ok());
    } else {
        REQUIRE(db->Delete(write_options, key).ok());
    }
}

TEST_CASE("Wal: open names the bad record when a record fails the WAL's own checks", "[wal]") {
    struct Case {
        const char* name;
        std::string key;
        std::optional<std::string> value;  ///< nullopt deletes the record
        const char* detail;
    };
    const std::string key_300 = entry_key(300);
    std::string flipped = frame_record(key_300, encode_entry(testing::make_entry(300, 1, 1024)));
    flipped[10] = static_cast<char>(flipped[10] ^ 1);
    const std::vector<Case> cases = {
        {"flipped entry", key_300, flipped, "entry 300: checksum mismatch"},
        {"missing entry", key_300, std::nullopt, "entry 300 is missing"},
        {"entry under the wrong key", key_300,
         frame_record(key_300, encode_entry(testing::make_entry(301, 1))),
         "entry 300: record holds entry 301"},
        {"entry with a lower term", entry_key(405),
         frame_record(entry_key(405), encode_entry(testing::make_entry(405, 0))),
         "entry 405: term 0"},
        {"entry with an undecodable payload", entry_key(405), frame_record(entry_key(405), "\x01"),
         "entry 405: codec"},
        {"hard state beyond the log", kHardStateKey,
         frame_record(kHardStateKey, encode_hard_state(raft::HardState{1, 1, 999})),
         "hard state: commit 999"},
        {"flipped hard state", kHardStateKey, std::string("garbage"), "hard state: checksum"},
        {"snapshot with another term", kSnapshotKey,
         frame_record(kSnapshotKey,
                      encode_snapshot_metadata(raft::SnapshotMetadata{300, 7, raft::ConfState()})),
         "snapshot metadata: term 7"},
        {"log start beyond the snapshot", kLogStartKey,
         frame_record(kLogStartKey, encode_log_start(LogStart{350, 1})), "below the log start"},
        {"missing identity", kIdentityKey, std::nullopt, "identity record is missing"},
        {"identity of a future version", kIdentityKey,
         frame_record(kIdentityKey, std::string(17, '\x09')), "unknown version"},
    };
    const log::Level previous_level = log::level();
    log::set_level(log::Level::kError);
    for (const Case& test : cases) {
        INFO(test.name);
        TempDir temp;
        const std::string dir = copy_pristine(temp);
        rewrite_record(dir, test.key, test.value);
        check_refused(dir, test.detail);
    }
    log::set_level(previous_level);
}

}  // namespace
}  // namespace consensus::wal
