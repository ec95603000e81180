#include <sys/mount.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "consensus/log.h"
#include "wal/wal.h"
#include "wal_test_util.h"

namespace consensus::wal {
namespace {

using testing::make_entries;
using testing::TempDir;

/// Size of the small filesystem the WAL fills up.
constexpr char kSmallMountOptions[] = "size=2m";
/// Size it is grown to so the WAL can be reopened.
constexpr char kLargeMountOptions[] = "size=64m";
/// Upper bound of batches written while waiting for the disk to fill (2 MiB fills
/// after about 64 batches of 32 KiB).
constexpr int kBatchesMax = 1000;

/// A tmpfs mounted on a directory for the lifetime of the object.
class TmpfsMount {
public:
    explicit TmpfsMount(std::string path) : path_(std::move(path)) {
        if (::mount("tmpfs", path_.c_str(), "tmpfs", 0, kSmallMountOptions) != 0) {
            error_ = std::strerror(errno);
        }
    }
    ~TmpfsMount() {
        if (error_.empty()) ::umount2(path_.c_str(), MNT_DETACH);
    }
    TmpfsMount(const TmpfsMount&) = delete;
    TmpfsMount& operator=(const TmpfsMount&) = delete;

    bool is_mounted() const { return error_.empty(); }
    const std::string& error() const { return error_; }
    bool grow() {
        return ::mount("tmpfs", path_.c_str(), "tmpfs", MS_REMOUNT, kLargeMountOptions) == 0;
    }

private:
    std::string path_;
    std::string error_;
};

TEST_CASE(
    "Wal: save reports an io error when the disk is full, and acknowledged entries "
    "survive",
    "[wal]") {
    TempDir temp;
    TmpfsMount mount(temp.path());
    if (!mount.is_mounted()) {
        WARN("SKIPPED: cannot mount a tmpfs on " << temp.path() << " (" << mount.error()
                                                 << "); this test needs root");
        return;
    }
    const std::string dir = temp.sub("member");
    const Identity identity{0xF0, 0x1};
    Index acknowledged = 0;
    Status failure;
    const log::Level previous_level = log::level();
    log::set_level(log::Level::kError);
    {
        auto opened = Wal::open(dir, identity);
        REQUIRE(opened.is_ok());
        Wal& wal = *opened.value();
        for (int batch = 0; batch < kBatchesMax && failure.is_ok(); ++batch) {
            const Index first = acknowledged + 1;
            const Index last = acknowledged + 8;
            failure = wal.save(raft::HardState{1, 1, acknowledged},
                               make_entries(first, last, 1, 4096), true);
            if (failure.is_ok()) acknowledged = last;
        }
        CHECK(wal.is_failed());
        CHECK(wal.last_index() == acknowledged);
    }
    log::set_level(previous_level);
    INFO(failure.to_string());
    CHECK(failure.code() == StatusCode::kIOError);
    CHECK_THAT(failure.message(), Catch::Contains(dir));
    CHECK(acknowledged > 0);

    REQUIRE(mount.grow());
    auto reopened = Wal::open(dir, identity);
    INFO(reopened.status().to_string());
    REQUIRE(reopened.is_ok());
    CHECK(reopened.value()->last_index() >= acknowledged);
    Result<std::vector<raft::Entry>> entries =
        reopened.value()->entries(1, acknowledged + 1, UINT64_MAX);
    REQUIRE(entries.is_ok());
    CHECK(entries.value() == make_entries(1, acknowledged, 1, 4096));
    // Once there is room again the member can continue.
    CHECK(reopened.value()
              ->save(std::nullopt,
                     make_entries(reopened.value()->last_index() + 1,
                                  reopened.value()->last_index() + 1, 1),
                     true)
              .is_ok());
}

}  // namespace
}  // namespace consensus::wal
