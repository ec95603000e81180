// Wal's three-step save (prepare_save, write_prepared, finish_save), which lets the
// member write on its disk thread while the loop keeps reading the Wal as storage.
#include <catch2/catch.hpp>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "wal/fault_env.h"
#include "wal/wal.h"
#include "wal_test_util.h"

namespace consensus::wal {
namespace {

using raft::Entry;
using raft::HardState;
using testing::make_entries;
using testing::TempDir;

const Identity kIdentity{0xC1, 0x11};

std::unique_ptr<Wal> open_wal(const std::string& dir, const Options& options = Options()) {
    Result<std::unique_ptr<Wal>> opened = Wal::open(dir, kIdentity, options);
    INFO(opened.status().to_string());
    REQUIRE(opened.is_ok());
    return std::move(opened.value());
}

std::vector<Entry> concat(std::vector<Entry> head, const std::vector<Entry>& tail) {
    head.insert(head.end(), tail.begin(), tail.end());
    return head;
}

TEST_CASE("Wal: a save written on another thread is readable only after finish_save", "[wal]") {
    TempDir temp;
    auto wal = open_wal(temp.path());
    REQUIRE(wal->save(HardState{1, 1, 2}, make_entries(1, 5, 1), true).is_ok());
    auto prepared = wal->prepare_save(HardState{1, 1, 5}, make_entries(6, 40, 1), true);
    REQUIRE(prepared.is_ok());
    CHECK(wal->last_index() == 5);

    Status written = Status(StatusCode::kInternal, "not written");
    std::thread writer([&] { written = wal->write_prepared(prepared.value()); });
    // The owner keeps reading while the write is in progress: it sees the old log.
    for (int i = 0; i < 200; ++i) {
        CHECK(wal->last_index() == 5);
        auto read = wal->entries(1, 6, UINT64_MAX);
        REQUIRE(read.is_ok());
        CHECK(read.value() == make_entries(1, 5, 1));
        CHECK(wal->term(5).value() == 1);
    }
    writer.join();
    REQUIRE(written.is_ok());
    CHECK(wal->last_index() == 5);
    CHECK(wal->hard_state() == HardState{1, 1, 2});

    REQUIRE(wal->finish_save(std::move(prepared.value()), written).is_ok());
    CHECK(wal->last_index() == 40);
    CHECK(wal->hard_state() == HardState{1, 1, 5});
    const std::vector<Entry> expected = concat(make_entries(1, 5, 1), make_entries(6, 40, 1));
    CHECK(wal->entries(1, 41, UINT64_MAX).value() == expected);
    wal.reset();
    auto reopened = open_wal(temp.path());
    CHECK(reopened->last_index() == 40);
    CHECK(reopened->hard_state() == HardState{1, 1, 5});
    CHECK(reopened->entries(1, 41, UINT64_MAX).value() == expected);
}

TEST_CASE("Wal: a prepared save replaces the stored suffix when it starts inside the log",
          "[wal]") {
    TempDir temp;
    auto wal = open_wal(temp.path());
    REQUIRE(wal->save(HardState{1, 1, 0}, make_entries(1, 10, 1), true).is_ok());
    auto prepared = wal->prepare_save(HardState{2, 1, 0}, make_entries(4, 6, 2), true);
    REQUIRE(prepared.is_ok());
    CHECK(prepared.value().replaced_after == 6);
    CHECK(prepared.value().replaced_last == 10);
    Status written = wal->write_prepared(prepared.value());
    REQUIRE(wal->finish_save(std::move(prepared.value()), written).is_ok());
    const std::vector<Entry> expected = concat(make_entries(1, 3, 1), make_entries(4, 6, 2));
    CHECK(wal->last_index() == 6);
    CHECK(wal->entries(1, 7, UINT64_MAX).value() == expected);
    wal.reset();
    auto reopened = open_wal(temp.path());
    CHECK(reopened->last_index() == 6);
    CHECK(reopened->entries(1, 7, UINT64_MAX).value() == expected);
}

TEST_CASE("Wal: prepare_save refuses entries when they break the log's shape", "[wal]") {
    TempDir temp;
    auto wal = open_wal(temp.path());
    REQUIRE(wal->save(HardState{1, 1, 0}, make_entries(1, 3, 1), true).is_ok());
    CHECK(wal->prepare_save(std::nullopt, make_entries(6, 7, 1), true).status().code() ==
          StatusCode::kInvalidArgument);
    CHECK(wal->prepare_save(HardState{1, 1, 9}, {}, true).status().code() ==
          StatusCode::kInvalidArgument);
    auto nothing = wal->prepare_save(std::nullopt, {}, true);
    REQUIRE(nothing.is_ok());
    CHECK(nothing.value().is_empty());
    CHECK(wal->write_prepared(nothing.value()).is_ok());
    CHECK(wal->finish_save(std::move(nothing.value()), Status::ok()).is_ok());
    CHECK(wal->last_index() == 3);
}

TEST_CASE("Wal: a failed prepared write fails the Wal when finished, and nothing is recorded",
          "[wal]") {
    TempDir temp;
    FaultInjectionEnv env;
    Options options;
    options.env = &env;
    auto wal = open_wal(temp.path(), options);
    REQUIRE(wal->save(HardState{1, 1, 3}, make_entries(1, 3, 1), true).is_ok());
    auto prepared = wal->prepare_save(HardState{1, 1, 3}, make_entries(4, 5, 1), true);
    REQUIRE(prepared.is_ok());
    env.set_fail_syncs(true);
    Status written = wal->write_prepared(prepared.value());
    CHECK(written.code() == StatusCode::kIOError);
    CHECK_THAT(written.message(), Catch::Contains("entries [4, 5]"));
    // write_prepared leaves the failure to the owner thread.
    CHECK_FALSE(wal->is_failed());
    Status finished = wal->finish_save(std::move(prepared.value()), written);
    CHECK(finished.code() == StatusCode::kIOError);
    CHECK(wal->is_failed());
    CHECK(wal->last_index() == 3);
    env.set_fail_syncs(false);
    CHECK(wal->prepare_save(std::nullopt, make_entries(4, 4, 1), true).status().code() ==
          StatusCode::kIOError);
}

}  // namespace
}  // namespace consensus::wal
