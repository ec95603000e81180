#pragma once
/// Helpers shared by the WAL tests: a temporary directory that removes itself, and
/// entries whose content is derived from their index so a reader can check them
/// without remembering what was written.

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <vector>

#include "raft/message.h"
#include "support/temp_dir.h"

namespace consensus::wal::testing {

using consensus::testing::TempDir;

/// The data every test entry at `index` carries: its index in text, padded to a
/// length that varies with the index.
inline std::string entry_data(Index index, std::size_t size_min = 0) {
    std::string data = "entry-" + std::to_string(index) + "-";
    const std::size_t size = size_min + index % 17;
    while (data.size() < size) data += static_cast<char>('a' + index % 26);
    return data;
}

inline raft::Entry make_entry(Index index, Term term, std::size_t size_min = 0) {
    return raft::Entry{term, index, raft::EntryType::kNormal, entry_data(index, size_min)};
}

/// Entries [first, last], all in `term`.
inline std::vector<raft::Entry> make_entries(Index first, Index last, Term term,
                                             std::size_t size_min = 0) {
    std::vector<raft::Entry> entries;
    for (Index index = first; index <= last; ++index) {
        entries.push_back(make_entry(index, term, size_min));
    }
    return entries;
}

}  // namespace consensus::wal::testing
