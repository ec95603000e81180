#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <random>
#include <string>

#include "consensus/log.h"
#include "crash_history.h"
#include "wal/wal.h"
#include "wal_test_util.h"

namespace consensus::wal {
namespace {

using testing::crash_entry;
using testing::crash_snapshot_data;
using testing::crash_term;
using testing::TempDir;

/// Kills before at most this many acknowledgements of one writer run.
constexpr std::uint64_t kAcksBeforeKillMax = 40;
constexpr int kRunsMax = 40;
/// The whole test stops starting new runs after this long (a bound on its cost, not
/// a timing assertion).
constexpr auto kTimeBudget = std::chrono::seconds(20);

bool read_all(int fd, void* data, std::size_t size) {
    auto* bytes = static_cast<char*>(data);
    while (size > 0) {
        const ssize_t got = ::read(fd, bytes, size);
        if (got <= 0) return false;
        bytes += got;
        size -= static_cast<std::size_t>(got);
    }
    return true;
}

/// Starts the writer on `dir`, waits for `acks_before_kill` acknowledgements, kills it
/// with SIGKILL and returns the highest index it acknowledged (including the acks it
/// wrote before the signal landed). Returns 0 and fails the test if the writer died
/// by itself.
Index run_and_kill(const std::string& dir, std::uint64_t seed, std::uint64_t acks_before_kill) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::close(fds[0]);
        const std::string fd = std::to_string(fds[1]);
        const std::string seed_text = std::to_string(seed);
        ::execl(CONSENSUS_WAL_CRASH_WRITER, CONSENSUS_WAL_CRASH_WRITER, dir.c_str(), fd.c_str(),
                seed_text.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    ::close(fds[1]);
    Index acknowledged = 0;
    Index value = 0;
    std::uint64_t acks = 0;
    while (acks < acks_before_kill && read_all(fds[0], &value, sizeof(value))) {
        acknowledged = value;
        ++acks;
    }
    const bool writer_alive = acks == acks_before_kill;
    ::kill(pid, SIGKILL);
    while (read_all(fds[0], &value, sizeof(value))) acknowledged = value;
    ::close(fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    INFO("writer exit status " << (WIFEXITED(status) ? WEXITSTATUS(status) : -1));
    CHECK(writer_alive);
    CHECK(WIFSIGNALED(status));
    return acknowledged;
}

/// Reopens `dir` and checks that every acknowledged entry survived intact and the log
/// is contiguous (recovery checks contiguity itself and fails otherwise).
void check_recovered(const std::string& dir, Index acknowledged) {
    Result<std::unique_ptr<Wal>> opened = Wal::open_existing(dir);
    INFO(opened.status().to_string());
    REQUIRE(opened.is_ok());
    const Wal& wal = *opened.value();
    CHECK(wal.last_index() >= acknowledged);
    CHECK(wal.hard_state().commit <= wal.last_index());
    CHECK(wal.first_index() - 1 <= wal.snapshot_metadata().index);
    if (wal.snapshot_metadata().index > 0) {
        Result<raft::Snapshot> snapshot = wal.snapshot();
        REQUIRE(snapshot.is_ok());
        CHECK(snapshot.value().metadata.term == crash_term(snapshot.value().metadata.index));
        CHECK(snapshot.value().data == crash_snapshot_data(snapshot.value().metadata.index));
    }
    Result<std::vector<raft::Entry>> entries =
        wal.entries(wal.first_index(), wal.last_index() + 1, UINT64_MAX);
    REQUIRE(entries.is_ok());
    REQUIRE(entries.value().size() == wal.last_index() - wal.first_index() + 1);
    for (const raft::Entry& entry : entries.value()) {
        if (entry != crash_entry(entry.index)) {
            FAIL("entry " << entry.index << " differs from what was written");
        }
    }
}

TEST_CASE(
    "Wal: every acknowledged entry survives when the writer is killed at random "
    "moments",
    "[wal]") {
    const std::uint64_t seed = 0x5EED0001;
    INFO("seed " << seed);
    std::mt19937_64 random(seed);
    TempDir temp;
    const std::string dir = temp.sub("member");
    const auto deadline = std::chrono::steady_clock::now() + kTimeBudget;
    Index acknowledged = 0;
    int runs = 0;
    const log::Level previous_level = log::level();
    log::set_level(log::Level::kWarn);
    for (; runs < kRunsMax && std::chrono::steady_clock::now() < deadline; ++runs) {
        INFO("run " << runs);
        const std::uint64_t acks_before_kill = 1 + random() % kAcksBeforeKillMax;
        const Index acknowledged_now = run_and_kill(dir, random(), acks_before_kill);
        CHECK(acknowledged_now >= acknowledged);
        acknowledged = std::max(acknowledged, acknowledged_now);
        check_recovered(dir, acknowledged);
    }
    log::set_level(previous_level);
    // The budget must leave room for a meaningful number of crashes.
    CHECK(runs >= 12);
    CHECK(acknowledged > testing::kCrashSnapshotInterval);
}

}  // namespace
}  // namespace consensus::wal
