#pragma once
/// The history the crash writer (crash_writer_main.cc) produces and the crash test
/// (wal_crash_test.cc) checks: every term, entry and snapshot is a function of its
/// index, so a reader can verify what survived without being told what was written.

#include <string>

#include "raft/message.h"
#include "wal/keys.h"

namespace consensus::wal::testing {

inline constexpr Identity kCrashIdentity{0xC4A54, 0x1};
/// The writer takes a snapshot (and compacts behind it) each time its last index
/// crosses a multiple of this.
inline constexpr Index kCrashSnapshotInterval = 200;
/// Entries kept behind each snapshot when compacting, for slow followers.
inline constexpr Index kCrashCompactionLag = 50;

inline Term crash_term(Index index) {
    return 1 + index / 97;
}

inline raft::Entry crash_entry(Index index) {
    std::string data = "crash-entry-" + std::to_string(index) + ":";
    data.append(index % 61, static_cast<char>('A' + index % 26));
    return raft::Entry{crash_term(index), index, raft::EntryType::kNormal, std::move(data)};
}

inline std::string crash_snapshot_data(Index index) {
    return "crash-snapshot-" + std::to_string(index);
}

}  // namespace consensus::wal::testing
