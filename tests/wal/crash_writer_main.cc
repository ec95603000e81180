// wal_crash_writer DIR ACK_FD SEED: the victim of the crash test. Opens the WAL in DIR
// and appends batches of entries (see crash_history.h) forever, taking a snapshot and
// compacting now and then. After each save() returns, it writes the new last index as
// 8 raw bytes to ACK_FD: from then on the entries are acknowledged and must survive
// the SIGKILL the test sends at some point. Exits 2 on bad usage, 3 on a WAL error.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "consensus/log.h"
#include "crash_history.h"
#include "wal/wal.h"

namespace {

using consensus::Index;
using namespace consensus::wal;
using namespace consensus::wal::testing;

constexpr Index kBatchEntriesMax = 8;

bool write_all(int fd, const void* data, std::size_t size) {
    const auto* bytes = static_cast<const char*>(data);
    while (size > 0) {
        const ssize_t written = ::write(fd, bytes, size);
        if (written <= 0) return false;
        bytes += written;
        size -= static_cast<std::size_t>(written);
    }
    return true;
}

int fail(const consensus::Status& status) {
    std::fprintf(stderr, "wal_crash_writer: %s\n", status.to_string().c_str());
    return 3;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: wal_crash_writer DIR ACK_FD SEED\n");
        return 2;
    }
    consensus::log::set_level(consensus::log::Level::kWarn);
    const std::string dir = argv[1];
    const int ack_fd = std::atoi(argv[2]);
    std::mt19937_64 random(std::strtoull(argv[3], nullptr, 10));
    auto opened = Wal::open(dir, kCrashIdentity);
    if (!opened.is_ok()) return fail(opened.status());
    Wal& wal = *opened.value();
    Index last = wal.last_index();
    for (;;) {
        const Index count = 1 + random() % kBatchEntriesMax;
        std::vector<consensus::raft::Entry> entries;
        for (Index index = last + 1; index <= last + count; ++index) {
            entries.push_back(crash_entry(index));
        }
        const consensus::raft::HardState hard_state{crash_term(last + count), 1, last};
        consensus::Status status = wal.save(hard_state, entries, true);
        if (!status.is_ok()) return fail(status);
        const bool crossed =
            (last + count) / kCrashSnapshotInterval > last / kCrashSnapshotInterval;
        last += count;
        if (crossed) {
            consensus::raft::Snapshot snapshot;
            snapshot.metadata.index = last;
            snapshot.metadata.term = crash_term(last);
            snapshot.metadata.conf_state.voters = {1};
            snapshot.data = crash_snapshot_data(last);
            status = wal.save_snapshot(snapshot);
            if (!status.is_ok()) return fail(status);
            status = wal.compact(last - kCrashCompactionLag);
            if (!status.is_ok()) return fail(status);
        }
        if (!write_all(ack_fd, &last, sizeof(last))) return 4;
    }
}
