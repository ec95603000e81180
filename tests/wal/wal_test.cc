#include "wal/wal.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "wal/fault_env.h"
#include "wal_test_util.h"

namespace consensus::wal {
namespace {

using raft::Entry;
using raft::HardState;
using raft::Snapshot;
using testing::make_entries;
using testing::make_entry;
using testing::TempDir;

const Identity kIdentity{0xC1, 0x11};

std::unique_ptr<Wal> open_wal(const std::string& dir, const Options& options = Options()) {
    Result<std::unique_ptr<Wal>> opened = Wal::open(dir, kIdentity, options);
    INFO(opened.status().to_string());
    REQUIRE(opened.is_ok());
    return std::move(opened.value());
}

std::vector<Entry> all_entries(const Wal& wal) {
    if (wal.last_index() < wal.first_index()) return {};
    Result<std::vector<Entry>> entries =
        wal.entries(wal.first_index(), wal.last_index() + 1, UINT64_MAX);
    INFO(entries.status().to_string());
    REQUIRE(entries.is_ok());
    return entries.value();
}

Snapshot make_snapshot(Index index, Term term) {
    Snapshot snapshot;
    snapshot.metadata.index = index;
    snapshot.metadata.term = term;
    snapshot.metadata.conf_state.voters = {1, 2, 3};
    snapshot.data = "state machine at " + std::to_string(index);
    return snapshot;
}

/// Stores entries 1..last (term 1, unsynced), snapshots at `released` and releases
/// the log up to it: entries 1..released are then garbage, still stored.
void store_then_release(Wal& wal, Index last, Index released) {
    REQUIRE(wal.save(std::nullopt, make_entries(1, last, 1), false).is_ok());
    REQUIRE(wal.save_snapshot(make_snapshot(released, 1)).is_ok());
    REQUIRE(wal.release(released).is_ok());
}

std::size_t count_files(const std::string& dir) {
    std::size_t count = 0;
    for (const auto& file : std::filesystem::directory_iterator(dir)) {
        (void)file;
        ++count;
    }
    return count;
}

TEST_CASE("Wal: a new data dir is initialised and stamped when opened with an identity", "[wal]") {
    TempDir temp;
    const std::string dir = temp.sub("member");
    CHECK_FALSE(Wal::exists(dir));
    auto wal = open_wal(dir);
    CHECK(Wal::exists(dir));
    CHECK(wal->identity() == kIdentity);
    CHECK(wal->first_index() == 1);
    CHECK(wal->last_index() == 0);
    CHECK(wal->term(0).value() == 0);
    CHECK(wal->hard_state().is_empty());
    CHECK(wal->snapshot().value().is_empty());
    CHECK(wal->initial_state().value().hard_state.is_empty());
    CHECK_FALSE(std::filesystem::exists(dir + "/wal.init"));
}

TEST_CASE("Wal: open rebuilds an interrupted initialisation when wal.init is left behind",
          "[wal]") {
    TempDir temp;
    std::filesystem::create_directories(temp.sub("wal.init"));
    std::ofstream(temp.sub("wal.init/CURRENT")) << "half-built store\n";
    CHECK_FALSE(Wal::exists(temp.path()));
    auto wal = open_wal(temp.path());
    CHECK(wal->identity() == kIdentity);
    CHECK_FALSE(std::filesystem::exists(temp.sub("wal.init")));
}

TEST_CASE("Wal: open refuses a data dir when its wal directory has no LevelDB store", "[wal]") {
    TempDir temp;
    std::filesystem::create_directories(temp.sub("wal"));
    CHECK(Wal::exists(temp.path()));
    Result<std::unique_ptr<Wal>> opened = Wal::open(temp.path(), kIdentity);
    CHECK(opened.status().code() == StatusCode::kCorruption);
    CHECK_THAT(opened.status().message(), Catch::Contains("has no CURRENT file"));
}

TEST_CASE("Wal: open refuses a data dir when it belongs to another identity", "[wal]") {
    TempDir temp;
    const std::string dir = temp.sub("member");
    open_wal(dir).reset();
    for (const Identity& other : {Identity{0xC1, 0x12}, Identity{0xC2, 0x11}}) {
        Result<std::unique_ptr<Wal>> opened = Wal::open(dir, other);
        REQUIRE_FALSE(opened.is_ok());
        CHECK(opened.status().code() == StatusCode::kFailedPrecondition);
        CHECK_THAT(opened.status().message(), Catch::Contains(dir));
        CHECK_THAT(opened.status().message(),
                   Catch::Contains("cluster 00000000000000c1 member 0000000000000011"));
        CHECK_THAT(opened.status().message(), Catch::Contains("expected cluster"));
    }
}

TEST_CASE("Wal: open_existing returns the stored identity when the dir holds a WAL", "[wal]") {
    TempDir temp;
    const std::string dir = temp.sub("member");
    Result<std::unique_ptr<Wal>> missing = Wal::open_existing(dir);
    CHECK(missing.status().code() == StatusCode::kNotFound);
    open_wal(dir).reset();
    Result<std::unique_ptr<Wal>> opened = Wal::open_existing(dir);
    REQUIRE(opened.is_ok());
    CHECK(opened.value()->identity() == kIdentity);
}

TEST_CASE("Wal: open refuses a data dir when another Wal holds it open", "[wal]") {
    TempDir temp;
    auto wal = open_wal(temp.path());
    Result<std::unique_ptr<Wal>> second = Wal::open(temp.path(), kIdentity);
    CHECK_FALSE(second.is_ok());
    CHECK_THAT(second.status().message(), Catch::Contains(temp.path()));
}

TEST_CASE("Wal: saved entries and hard state are equal after reopening", "[wal]") {
    TempDir temp;
    auto wal = open_wal(temp.path());
    REQUIRE(wal->save(HardState{1, 1, 0}, make_entries(1, 5, 1), true).is_ok());
    REQUIRE(wal->save(std::nullopt, make_entries(6, 9, 2), true).is_ok());
    REQUIRE(wal->save(HardState{2, 1, 7}, {}, false).is_ok());
    CHECK(wal->last_index() == 9);
    CHECK(wal->hard_state() == HardState{2, 1, 7});
    CHECK(wal->term(5).value() == 1);
    CHECK(wal->term(6).value() == 2);
    auto reopened = Wal::open(temp.path(), kIdentity);
    CHECK_FALSE(reopened.is_ok());  // still locked by `wal`
    const auto expected_entries = all_entries(*wal);
    std::vector<Entry> written = make_entries(1, 5, 1);
    for (const Entry& entry : make_entries(6, 9, 2)) written.push_back(entry);
    CHECK(expected_entries == written);
    const HardState hard_state = wal->hard_state();
    wal.reset();
    auto again = open_wal(temp.path());
    CHECK(again->hard_state() == hard_state);
    CHECK(all_entries(*again) == written);
    CHECK(again->term(9).value() == 2);
    CHECK(again->initial_state().value().hard_state == hard_state);
}

TEST_CASE("Wal: save with nothing to write is a no-op when called", "[wal]") {
    TempDir temp;
    auto wal = open_wal(temp.path());
    CHECK(wal->save(std::nullopt, {}, true).is_ok());
    CHECK(wal->last_index() == 0);
}

TEST_CASE("Wal: save replaces the stored suffix when new entries start inside the log", "[wal]") {
    struct Case {
        Index first;  ///< index of the first new entry (term 2)
        Index last;   ///< index of the last new entry
    };
    // The stored log is 1..10 in term 1.
    const std::vector<Case> cases = {
        {1, 1}, {1, 12}, {4, 6}, {10, 10}, {10, 11}, {11, 15}, {5, 30},
    };
    for (const Case& test : cases) {
        INFO("new entries [" << test.first << ", " << test.last << "]");
        TempDir temp;
        auto wal = open_wal(temp.path());
        REQUIRE(wal->save(HardState{1, 1, 0}, make_entries(1, 10, 1), true).is_ok());
        REQUIRE(
            wal->save(HardState{2, 1, 0}, make_entries(test.first, test.last, 2), true).is_ok());
        std::vector<Entry> expected = make_entries(1, test.first - 1, 1);
        for (const Entry& entry : make_entries(test.first, test.last, 2)) {
            expected.push_back(entry);
        }
        CHECK(wal->last_index() == test.last);
        CHECK(all_entries(*wal) == expected);
        CHECK(wal->term(test.last).value() == 2);
        wal.reset();
        auto reopened = open_wal(temp.path());
        CHECK(reopened->last_index() == test.last);
        CHECK(all_entries(*reopened) == expected);
    }
}

TEST_CASE("Wal: save refuses entries when they break the log's shape", "[wal]") {
    struct Case {
        const char* name;
        std::vector<Entry> entries;
        std::optional<HardState> hard_state;
    };
    // The stored log is 1..5 in term 2 after a snapshot at 2.
    const std::vector<Case> cases = {
        {"gap after the last entry", make_entries(7, 8, 2), std::nullopt},
        {"not contiguous", {make_entry(6, 2), make_entry(8, 2)}, std::nullopt},
        {"term below the previous entry", make_entries(6, 6, 1), std::nullopt},
        {"terms decreasing inside the batch", {make_entry(6, 3), make_entry(7, 2)}, std::nullopt},
        {"term zero", make_entries(6, 6, 0), std::nullopt},
        {"inside the snapshot", make_entries(2, 3, 3), std::nullopt},
        {"commit beyond the last entry", make_entries(6, 6, 2), HardState{2, 1, 7}},
        {"commit beyond the log without entries", {}, HardState{2, 1, 6}},
    };
    for (const Case& test : cases) {
        INFO(test.name);
        TempDir temp;
        auto wal = open_wal(temp.path());
        REQUIRE(wal->save(HardState{2, 1, 2}, make_entries(1, 5, 2), true).is_ok());
        REQUIRE(wal->save_snapshot(make_snapshot(2, 2)).is_ok());
        Status status = wal->save(test.hard_state, test.entries, true);
        CHECK(status.code() == StatusCode::kInvalidArgument);
        CHECK(wal->last_index() == 5);
        CHECK(wal->hard_state() == HardState{2, 1, 2});
        CHECK_FALSE(wal->is_failed());
    }
}

TEST_CASE("Wal: entries returns at least one entry and at most max_bytes when limited", "[wal]") {
    struct Case {
        std::uint64_t max_bytes;
        std::size_t expected_count;
    };
    // Every entry below holds exactly 10 bytes of data.
    const std::vector<Case> cases = {{0, 1},  {9, 1},  {10, 1},   {19, 1},
                                     {20, 2}, {55, 5}, {100, 10}, {UINT64_MAX, 10}};
    for (std::size_t cache_entries_max : {std::size_t{0}, std::size_t{3}, std::size_t{100}}) {
        TempDir temp;
        Options options;
        options.cache_entries_max = cache_entries_max;
        auto wal = open_wal(temp.path(), options);
        std::vector<Entry> written;
        for (Index index = 1; index <= 10; ++index) {
            written.push_back(Entry{1, index, raft::EntryType::kNormal, std::string(10, 'a')});
        }
        REQUIRE(wal->save(std::nullopt, written, true).is_ok());
        for (const Case& test : cases) {
            INFO("cache " << cache_entries_max << ", max_bytes " << test.max_bytes);
            Result<std::vector<Entry>> entries = wal->entries(1, 11, test.max_bytes);
            REQUIRE(entries.is_ok());
            CHECK(entries.value().size() == test.expected_count);
            CHECK(entries.value() ==
                  std::vector<Entry>(written.begin(), written.begin() + test.expected_count));
        }
    }
}

TEST_CASE("Wal: entries and term report compacted or unavailable when out of range", "[wal]") {
    TempDir temp;
    auto wal = open_wal(temp.path());
    REQUIRE(wal->save(HardState{1, 1, 8}, make_entries(1, 10, 1), true).is_ok());
    REQUIRE(wal->save_snapshot(make_snapshot(8, 1)).is_ok());
    REQUIRE(wal->compact(4).is_ok());
    CHECK(wal->first_index() == 5);
    CHECK(wal->entries(4, 6, UINT64_MAX).status().message() == "compacted");
    CHECK(wal->entries(5, 12, UINT64_MAX).status().message() == "unavailable");
    CHECK(wal->entries(5, 12, UINT64_MAX).status().code() == StatusCode::kOutOfRange);
    CHECK(wal->entries(6, 5, UINT64_MAX).status().code() == StatusCode::kInvalidArgument);
    CHECK(wal->entries(7, 7, UINT64_MAX).value().empty());
    CHECK(wal->term(3).status().message() == "compacted");
    CHECK(wal->term(4).value() == 1);
    CHECK(wal->term(11).status().message() == "unavailable");
}

TEST_CASE("Wal: the entry cache stays within its bounds when many entries are saved", "[wal]") {
    struct Case {
        std::size_t entries_max;
        std::uint64_t bytes_max;
    };
    for (const Case& test : std::vector<Case>{{8, UINT64_MAX}, {1000, 500}, {0, 0}}) {
        INFO("entries_max " << test.entries_max << ", bytes_max " << test.bytes_max);
        TempDir temp;
        Options options;
        options.cache_entries_max = test.entries_max;
        options.cache_bytes_max = test.bytes_max;
        auto wal = open_wal(temp.path(), options);
        for (Index first = 1; first <= 100; first += 10) {
            REQUIRE(wal->save(std::nullopt, make_entries(first, first + 9, 1, 20), false).is_ok());
            CHECK(wal->cached_entry_count() <= test.entries_max);
            CHECK(wal->cached_bytes() <= test.bytes_max);
        }
        CHECK(all_entries(*wal) == make_entries(1, 100, 1, 20));
        wal.reset();
        auto reopened = open_wal(temp.path(), options);
        CHECK(reopened->cached_entry_count() <= test.entries_max);
        CHECK(reopened->cached_bytes() <= test.bytes_max);
        CHECK(all_entries(*reopened) == make_entries(1, 100, 1, 20));
    }
}

TEST_CASE("Wal: save_snapshot keeps the following entries when the log holds its last entry",
          "[wal]") {
    TempDir temp;
    auto wal = open_wal(temp.path());
    REQUIRE(wal->save(HardState{1, 1, 10}, make_entries(1, 10, 1), true).is_ok());
    const Snapshot first = make_snapshot(4, 1);
    REQUIRE(wal->save_snapshot(first).is_ok());
    const Snapshot second = make_snapshot(7, 1);
    REQUIRE(wal->save_snapshot(second).is_ok());
    CHECK(wal->snapshot().value() == second);
    CHECK(wal->first_index() == 1);
    CHECK(wal->last_index() == 10);
    CHECK(wal->initial_state().value().conf_state == second.metadata.conf_state);
    // The previous snapshot file is deleted once the new one is durable.
    CHECK(count_files(temp.sub("snap")) == 1);
    CHECK(std::filesystem::exists(Wal::snapshot_path(temp.path(), second.metadata)));
    wal.reset();
    auto reopened = open_wal(temp.path());
    CHECK(reopened->snapshot().value() == second);
    CHECK(all_entries(*reopened) == make_entries(1, 10, 1));
}

TEST_CASE("Wal: save_snapshot replaces the log when the log does not hold its last entry",
          "[wal]") {
    struct Case {
        const char* name;
        Index index;
        Term term;
    };
    // The stored log is 1..10 in term 1.
    const std::vector<Case> cases = {
        {"beyond the last entry", 15, 3},
        {"conflicting term", 6, 2},
    };
    for (const Case& test : cases) {
        INFO(test.name);
        TempDir temp;
        auto wal = open_wal(temp.path());
        REQUIRE(wal->save(HardState{1, 1, 3}, make_entries(1, 10, 1), true).is_ok());
        REQUIRE(wal->save_snapshot(make_snapshot(test.index, test.term)).is_ok());
        CHECK(wal->first_index() == test.index + 1);
        CHECK(wal->last_index() == test.index);
        CHECK(wal->term(test.index).value() == test.term);
        REQUIRE(wal->save(HardState{test.term, 1, test.index + 2},
                          make_entries(test.index + 1, test.index + 2, test.term), true)
                    .is_ok());
        wal.reset();
        auto reopened = open_wal(temp.path());
        CHECK(reopened->snapshot().value() == make_snapshot(test.index, test.term));
        CHECK(reopened->first_index() == test.index + 1);
        CHECK(all_entries(*reopened) == make_entries(test.index + 1, test.index + 2, test.term));
        // The replaced entries below the snapshot are garbage that compact removes.
        REQUIRE(reopened->compact(test.index).is_ok());
        CHECK(reopened->lowest_stored_index() == test.index + 1);
    }
}

TEST_CASE("Wal: save_snapshot refuses a snapshot when it is not newer", "[wal]") {
    TempDir temp;
    auto wal = open_wal(temp.path());
    REQUIRE(wal->save(HardState{1, 1, 5}, make_entries(1, 5, 1), true).is_ok());
    CHECK(wal->save_snapshot(make_snapshot(0, 1)).code() == StatusCode::kFailedPrecondition);
    REQUIRE(wal->save_snapshot(make_snapshot(3, 1)).is_ok());
    CHECK(wal->save_snapshot(make_snapshot(3, 1)).code() == StatusCode::kFailedPrecondition);
    CHECK(wal->save_snapshot(make_snapshot(2, 1)).code() == StatusCode::kFailedPrecondition);
    CHECK(wal->snapshot_metadata().index == 3);
}

TEST_CASE("Wal: compact releases entries up to the index when covered by the snapshot", "[wal]") {
    struct Case {
        Index index;
        StatusCode code;
        Index first_index_after;
    };
    // The log is 1..10 (terms 1 up to 5, 2 after), the snapshot at 8; compacted to 3.
    const std::vector<Case> cases = {
        {2, StatusCode::kOk, 4},
        {3, StatusCode::kOk, 4},
        {4, StatusCode::kOk, 5},
        {5, StatusCode::kOk, 6},
        {6, StatusCode::kOk, 7},
        {8, StatusCode::kOk, 9},
        {9, StatusCode::kFailedPrecondition, 4},
        {11, StatusCode::kFailedPrecondition, 4},
    };
    for (const Case& test : cases) {
        INFO("compact " << test.index);
        TempDir temp;
        auto wal = open_wal(temp.path());
        std::vector<Entry> written = make_entries(1, 5, 1);
        for (const Entry& entry : make_entries(6, 10, 2)) written.push_back(entry);
        REQUIRE(wal->save(HardState{2, 1, 9}, written, true).is_ok());
        REQUIRE(wal->save_snapshot(make_snapshot(8, 2)).is_ok());
        REQUIRE(wal->compact(3).is_ok());
        CHECK(wal->compact(test.index).code() == test.code);
        CHECK(wal->first_index() == test.first_index_after);
        CHECK(wal->last_index() == 10);
        const Index start = test.first_index_after - 1;
        CHECK(wal->term(start).value() == (start <= 5 ? 1 : 2));
        CHECK(wal->log_start().index == start);
        CHECK(all_entries(*wal) ==
              std::vector<Entry>(written.begin() + static_cast<long>(start), written.end()));
        CHECK(wal->lowest_stored_index() == test.first_index_after);
        wal.reset();
        auto reopened = open_wal(temp.path());
        CHECK(reopened->first_index() == test.first_index_after);
        CHECK(reopened->term(start).value() == (start <= 5 ? 1 : 2));
        CHECK(all_entries(*reopened) ==
              std::vector<Entry>(written.begin() + static_cast<long>(start), written.end()));
    }
}

TEST_CASE("Wal: compact deletes a bounded number of entries per call when much is released",
          "[wal]") {
    TempDir temp;
    auto wal = open_wal(temp.path());
    const Index last = kCompactEntriesPerCallMax + kCompactBatchEntriesMax + 10;
    for (Index first = 1; first <= last; first += 1000) {
        REQUIRE(wal->save(std::nullopt, make_entries(first, std::min(first + 999, last), 1), false)
                    .is_ok());
    }
    REQUIRE(wal->save_snapshot(make_snapshot(last - 1, 1)).is_ok());
    REQUIRE(wal->compact(last - 1).is_ok());
    // The log start moved at once; the physical deletes stop at the bound.
    CHECK(wal->first_index() == last);
    CHECK(wal->lowest_stored_index() == kCompactEntriesPerCallMax + 1);
    REQUIRE(wal->compact(last - 1).is_ok());
    CHECK(wal->lowest_stored_index() == last);
    wal.reset();
    auto reopened = open_wal(temp.path());
    CHECK(reopened->lowest_stored_index() == last);
    CHECK(all_entries(*reopened) == make_entries(last, last, 1));
}

TEST_CASE("Wal: release moves the log start and leaves the released entries for collection",
          "[wal]") {
    TempDir temp;
    auto wal = open_wal(temp.path());
    const Index last = 3 * kCompactBatchEntriesMax + 10;
    store_then_release(*wal, last, last - 1);
    CHECK(wal->first_index() == last);
    CHECK(wal->lowest_stored_index() == 1);
    CHECK(wal->garbage_entries() == last - 1);

    // A bounded collection deletes the lowest entries only.
    REQUIRE(wal->collect_garbage(kCompactBatchEntriesMax + 5).is_ok());
    CHECK(wal->lowest_stored_index() == kCompactBatchEntriesMax + 6);
    CHECK(wal->garbage_entries() == last - 1 - (kCompactBatchEntriesMax + 5));

    // Collecting apart in runs leaves nothing below the log start, also after a reopen.
    REQUIRE(wal->collect_garbage_apart(kCompactBatchEntriesMax).is_ok());
    CHECK(wal->lowest_stored_index() == 2 * kCompactBatchEntriesMax + 6);
    REQUIRE(wal->collect_garbage_apart(last).is_ok());
    CHECK_FALSE(wal->has_garbage());
    CHECK(wal->garbage_entries() == 0);
    CHECK(all_entries(*wal) == make_entries(last, last, 1));
    wal.reset();
    auto reopened = open_wal(temp.path());
    CHECK(reopened->first_index() == last);
    CHECK(reopened->lowest_stored_index() == last);
    CHECK(all_entries(*reopened) == make_entries(last, last, 1));
    // Nothing left to collect is no error.
    CHECK(reopened->collect_garbage_apart(10).is_ok());
    CHECK(reopened->collect_garbage(10).is_ok());
}

TEST_CASE(
    "Wal: a garbage run deletes on another thread while the owner reads, and counts only "
    "once finished",
    "[wal]") {
    TempDir temp;
    auto wal = open_wal(temp.path());
    const Index last = 2 * kCompactBatchEntriesMax + 10;
    store_then_release(*wal, last, last - 5);
    REQUIRE(wal->garbage_entries() == last - 5);

    GarbageRun run = wal->plan_garbage_run(kCompactBatchEntriesMax + 3, true);
    Status deleted;
    std::thread disk([&] { deleted = wal->delete_garbage_run(&run); });
    // The owner keeps reading the kept log meanwhile.
    for (int i = 0; i < 50; ++i) CHECK(all_entries(*wal) == make_entries(last - 4, last, 1));
    disk.join();
    REQUIRE(deleted.is_ok());
    CHECK(run.next_lowest_stored == kCompactBatchEntriesMax + 4);
    // Nothing is recorded until the owner finishes the run.
    CHECK(wal->garbage_entries() == last - 5);
    REQUIRE(wal->finish_garbage_run(run, deleted).is_ok());
    CHECK(wal->lowest_stored_index() == kCompactBatchEntriesMax + 4);
    CHECK(wal->garbage_entries() == last - 5 - (kCompactBatchEntriesMax + 3));

    // A run past what is stored stops at the log start.
    GarbageRun rest = wal->plan_garbage_run(10 * last, false);
    REQUIRE(wal->finish_garbage_run(rest, wal->delete_garbage_run(&rest)).is_ok());
    CHECK_FALSE(wal->has_garbage());
    wal.reset();
    auto reopened = open_wal(temp.path());
    CHECK(reopened->lowest_stored_index() == last - 4);
    CHECK(all_entries(*reopened) == make_entries(last - 4, last, 1));
}

TEST_CASE("Wal: a garbage run that failed to write fails the Wal when finished", "[wal]") {
    TempDir temp;
    auto wal = open_wal(temp.path());
    store_then_release(*wal, 20, 15);
    GarbageRun run = wal->plan_garbage_run(100, false);
    const Status failed(StatusCode::kIOError, "disk gone");
    CHECK(wal->finish_garbage_run(run, failed).code() == StatusCode::kIOError);
    CHECK(wal->is_failed());
    // Nothing counts as deleted, and every later write is refused.
    CHECK(wal->lowest_stored_index() == 1);
    CHECK(wal->save(std::nullopt, make_entries(21, 21, 1), false).code() == StatusCode::kIOError);
}

TEST_CASE("Wal: entries released but not yet collected survive a reopen as garbage only", "[wal]") {
    TempDir temp;
    {
        auto wal = open_wal(temp.path());
        REQUIRE(wal->save(HardState{1, 1, 40}, make_entries(1, 40, 1), true).is_ok());
        REQUIRE(wal->save_snapshot(make_snapshot(30, 1)).is_ok());
        REQUIRE(wal->release(25).is_ok());
    }
    auto reopened = open_wal(temp.path());
    CHECK(reopened->first_index() == 26);
    CHECK(reopened->lowest_stored_index() == 1);
    CHECK(all_entries(*reopened) == make_entries(26, 40, 1));
    REQUIRE(reopened->collect_garbage_apart(100).is_ok());
    CHECK(reopened->lowest_stored_index() == 26);
    CHECK(all_entries(*reopened) == make_entries(26, 40, 1));
}

TEST_CASE("Wal: compact skips the gap a replaced log leaves below the new log start", "[wal]") {
    TempDir temp;
    auto wal = open_wal(temp.path());
    REQUIRE(wal->save(HardState{1, 1, 3}, make_entries(1, 10, 1), true).is_ok());
    // A snapshot far beyond the log replaces it: entries 1..10 are garbage and nothing
    // is stored between them and the new log start.
    const Index start = 10 * kCompactEntriesPerCallMax;
    REQUIRE(wal->save_snapshot(make_snapshot(start, 3)).is_ok());
    // Two calls at most: once 1..10 are gone, the next finds that nothing is stored up
    // to the log start, rather than walking the gap a bounded chunk at a time.
    REQUIRE(wal->compact(start).is_ok());
    REQUIRE(wal->compact(start).is_ok());
    CHECK_FALSE(wal->has_garbage());
    CHECK(wal->lowest_stored_index() == start + 1);
}

TEST_CASE("Wal: reading entries from its tables leaves no table file mapped", "[wal]") {
    TempDir temp;
    Options options;
    options.leveldb_write_buffer_bytes = 64 * 1024;
    options.cache_entries_max = 16;
    const Index last = 2000;
    {
        auto wal = open_wal(temp.path(), options);
        for (Index first = 1; first <= last; first += 100) {
            REQUIRE(wal->save(std::nullopt, make_entries(first, first + 99, 1, 200), true).is_ok());
        }
    }
    // Recovery reads every entry from the tables, and so does entries() past the cache.
    auto wal = open_wal(temp.path(), options);
    auto entries = wal->entries(1, last + 1, UINT64_MAX);
    REQUIRE(entries.is_ok());
    REQUIRE(entries.value().size() == last);
    std::size_t tables = 0;
    std::size_t mapped = 0;
    for (const auto& file : std::filesystem::directory_iterator(temp.path() + "/wal")) {
        if (file.path().extension() == ".ldb") ++tables;
    }
    std::ifstream maps("/proc/self/maps");
    for (std::string line; std::getline(maps, line);) {
        if (line.find(temp.path() + "/wal/") != std::string::npos &&
            line.find(".ldb") != std::string::npos) {
            ++mapped;
        }
    }
    CHECK(tables > 0);
    CHECK(mapped == 0);
}

TEST_CASE(
    "Wal: a failed sync is reported as an io error when saving, and nothing is "
    "acknowledged",
    "[wal]") {
    TempDir temp;
    FaultInjectionEnv env;
    Options options;
    options.env = &env;
    auto wal = open_wal(temp.path(), options);
    REQUIRE(wal->save(HardState{1, 1, 3}, make_entries(1, 3, 1), true).is_ok());
    env.set_fail_syncs(true);
    Status status = wal->save(HardState{1, 1, 5}, make_entries(4, 5, 1), true);
    CHECK(status.code() == StatusCode::kIOError);
    CHECK_THAT(status.message(), Catch::Contains(temp.path()));
    CHECK_THAT(status.message(), Catch::Contains("entries [4, 5]"));
    CHECK(env.injected_failures() > 0);
    CHECK(wal->is_failed());
    CHECK(wal->last_index() == 3);
    CHECK(wal->hard_state() == HardState{1, 1, 3});
    // Fail-stop: the Wal refuses every later write even once the disk recovers.
    env.set_fail_syncs(false);
    CHECK(wal->save(HardState{1, 1, 3}, make_entries(4, 4, 1), true).code() ==
          StatusCode::kIOError);
    CHECK(wal->save_snapshot(make_snapshot(2, 1)).code() == StatusCode::kIOError);
    CHECK(wal->compact(1).code() == StatusCode::kIOError);
    wal.reset();
    auto reopened = open_wal(temp.path());
    CHECK(reopened->last_index() >= 3);
    CHECK(reopened->entries(1, 4, UINT64_MAX).value() == make_entries(1, 3, 1));
}

TEST_CASE("Wal: a failed write is reported as an io error when saving a snapshot", "[wal]") {
    for (const bool fail_syncs : {true, false}) {
        INFO((fail_syncs ? "sync fails" : "write fails"));
        TempDir temp;
        FaultInjectionEnv env;
        Options options;
        options.env = &env;
        auto wal = open_wal(temp.path(), options);
        REQUIRE(wal->save(HardState{1, 1, 5}, make_entries(1, 5, 1), true).is_ok());
        REQUIRE(wal->save_snapshot(make_snapshot(2, 1)).is_ok());
        if (fail_syncs) {
            env.set_fail_syncs(true);
        } else {
            env.set_fail_writes(true);
        }
        Status status = wal->save_snapshot(make_snapshot(4, 1));
        CHECK(status.code() == StatusCode::kIOError);
        CHECK_THAT(status.message(), Catch::Contains("snapshot"));
        CHECK(wal->snapshot_metadata().index == 2);
        env.set_fail_syncs(false);
        env.set_fail_writes(false);
        wal.reset();
        auto reopened = open_wal(temp.path());
        CHECK(reopened->snapshot().value() == make_snapshot(2, 1));
        CHECK(count_files(temp.sub("snap")) == 1);
    }
}

TEST_CASE("Wal: open removes stray snapshot files when no metadata record names them", "[wal]") {
    TempDir temp;
    auto wal = open_wal(temp.path());
    REQUIRE(wal->save(HardState{1, 1, 5}, make_entries(1, 5, 1), true).is_ok());
    REQUIRE(wal->save_snapshot(make_snapshot(3, 1)).is_ok());
    wal.reset();
    std::ofstream(temp.sub("snap/0000000000000001-0000000000000004.snap.tmp")) << "partial";
    std::ofstream(temp.sub("snap/0000000000000001-0000000000000005.snap")) << "never recorded";
    auto reopened = open_wal(temp.path());
    CHECK(count_files(temp.sub("snap")) == 1);
    CHECK(reopened->snapshot().value() == make_snapshot(3, 1));
}

}  // namespace
}  // namespace consensus::wal
