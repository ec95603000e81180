// consensus-wal-bench [--dir DIR] [--seconds N]: how fast the WAL makes entries
// durable on the disk holding DIR, next to what that disk can do at all.
//
// It measures first the raw rate of "write 4 KiB, fdatasync" on a file in DIR, which
// bounds any design that syncs once per batch, and then Wal::save() with synced
// batches of 1, 16 and 256 entries of 256 bytes. For each batch size it prints
// entries/s, MB/s of entry data and batches/s as a fraction of the raw sync rate (near
// 1 means the WAL adds little beyond the one fsync per batch it needs). A benchmark,
// not a test: it asserts nothing. Exit codes: 0 done, 1 an I/O error, 2 bad usage.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "consensus/log.h"
#include "wal/wal.h"

namespace {

using Clock = std::chrono::steady_clock;
using consensus::Index;

constexpr std::size_t kRawWriteBytes = 4096;
constexpr std::size_t kEntryBytes = 256;
constexpr std::size_t kBatchSizes[] = {1, 16, 256};
/// The raw file wraps around after this many bytes so a long run on a fast disk does
/// not fill it.
constexpr std::size_t kRawFileBytesMax = 64 * 1024 * 1024;

constexpr char kUsage[] = "usage: consensus-wal-bench [--dir DIR] [--seconds N]\n";

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

/// Syncs per second of "pwrite 4 KiB + fdatasync" on a fresh file in `dir`, or a
/// negative value on an I/O error.
double raw_sync_rate(const std::string& dir, double seconds) {
    const std::string path = dir + "/raw-sync-probe";
    const int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
    if (fd < 0) {
        std::fprintf(stderr, "consensus-wal-bench: cannot create %s: %s\n", path.c_str(),
                     std::strerror(errno));
        return -1;
    }
    const std::string block(kRawWriteBytes, 'r');
    std::uint64_t syncs = 0;
    const Clock::time_point start = Clock::now();
    while (seconds_since(start) < seconds) {
        const off_t offset = static_cast<off_t>((syncs * kRawWriteBytes) % kRawFileBytesMax);
        if (::pwrite(fd, block.data(), block.size(), offset) !=
                static_cast<ssize_t>(block.size()) ||
            ::fdatasync(fd) != 0) {
            std::fprintf(stderr, "consensus-wal-bench: writing %s: %s\n", path.c_str(),
                         std::strerror(errno));
            ::close(fd);
            return -1;
        }
        ++syncs;
    }
    const double elapsed = seconds_since(start);
    ::close(fd);
    std::filesystem::remove(path);
    return static_cast<double>(syncs) / elapsed;
}

struct Throughput {
    double batches_per_second = 0;
    double entries_per_second = 0;
    double megabytes_per_second = 0;
};

/// Synced Wal::save() throughput with `batch_entries` entries per batch, in a fresh
/// data dir under `dir`.
bool wal_throughput(const std::string& dir, std::size_t batch_entries, double seconds,
                    Throughput* out) {
    const std::string data_dir = dir + "/wal-batch-" + std::to_string(batch_entries);
    std::error_code error;
    std::filesystem::remove_all(data_dir, error);
    auto opened = consensus::wal::Wal::open(data_dir, consensus::wal::Identity{1, 1});
    if (!opened.is_ok()) {
        std::fprintf(stderr, "consensus-wal-bench: %s\n", opened.status().to_string().c_str());
        return false;
    }
    consensus::wal::Wal& wal = *opened.value();
    std::vector<consensus::raft::Entry> batch(batch_entries);
    for (consensus::raft::Entry& entry : batch) {
        entry.term = 1;
        entry.data.assign(kEntryBytes, 'e');
    }
    Index last = 0;
    std::uint64_t batches = 0;
    const Clock::time_point start = Clock::now();
    while (seconds_since(start) < seconds) {
        for (consensus::raft::Entry& entry : batch) entry.index = ++last;
        consensus::Status status = wal.save(consensus::raft::HardState{1, 1, last}, batch, true);
        if (!status.is_ok()) {
            std::fprintf(stderr, "consensus-wal-bench: %s\n", status.to_string().c_str());
            return false;
        }
        ++batches;
    }
    const double elapsed = seconds_since(start);
    out->batches_per_second = static_cast<double>(batches) / elapsed;
    out->entries_per_second = out->batches_per_second * static_cast<double>(batch_entries);
    out->megabytes_per_second = out->entries_per_second * kEntryBytes / 1e6;
    opened.value().reset();
    std::filesystem::remove_all(data_dir, error);
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    std::string dir = ".";
    double seconds = 2.0;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "-h" || arg == "--help") {
            std::fputs(kUsage, stdout);
            return 0;
        }
        if ((arg == "--dir" || arg == "--seconds") && i + 1 < argc) {
            if (arg == "--dir") {
                dir = argv[++i];
            } else {
                seconds = std::strtod(argv[++i], nullptr);
            }
            continue;
        }
        std::fprintf(stderr, "consensus-wal-bench: unexpected argument '%s'\n%s", arg.c_str(),
                     kUsage);
        return 2;
    }
    if (!(seconds > 0)) {
        std::fprintf(stderr, "consensus-wal-bench: --seconds must be positive\n");
        return 2;
    }
    consensus::log::set_level(consensus::log::Level::kWarn);
    std::printf("WAL benchmark in %s (%.1f s per measurement)\n", dir.c_str(), seconds);
    const double raw_rate = raw_sync_rate(dir, seconds);
    if (raw_rate < 0) return 1;
    std::printf("raw fdatasync rate (4 KiB write + fdatasync): %.0f syncs/s\n", raw_rate);
    for (std::size_t batch_entries : kBatchSizes) {
        Throughput throughput;
        if (!wal_throughput(dir, batch_entries, seconds, &throughput)) return 1;
        std::printf(
            "batch %3zu x %zu B entries: %9.0f entries/s %8.2f MB/s %8.0f batches/s "
            "= %.2f x raw sync rate\n",
            batch_entries, kEntryBytes, throughput.entries_per_second,
            throughput.megabytes_per_second, throughput.batches_per_second,
            throughput.batches_per_second / raw_rate);
    }
    return 0;
}
