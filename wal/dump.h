#pragma once
/// dump(): a readable listing of a member's data dir, for operators and for the
/// consensus-wal-dump tool. It opens the WAL with full recovery checks, so a damaged
/// dir is reported exactly as the member would report it. Run it only while the
/// member is stopped (LevelDB's lock refuses a second opener anyway).

#include <ostream>
#include <string>

#include "consensus/status.h"
#include "consensus/types.h"

namespace consensus::wal {

/// Bytes of entry data shown per entry; longer data ends in "...".
inline constexpr std::size_t kDumpPreviewBytes = 32;
/// Entries read per step while dumping, so a long range never sits in memory at once.
inline constexpr std::size_t kDumpChunkEntries = 1024;

/// Writes to `out`: the identity, hard state, snapshot metadata, log bounds and then
/// one line per entry in [from, to] clipped to the stored log (index, term, type,
/// data size and a printable preview of the data). Errors: those of
/// Wal::open_existing (kNotFound, kCorruption, kIOError), and kCorruption if a record
/// in range turns out damaged.
Status dump(const std::string& data_dir, Index from, Index to, std::ostream& out);

/// The preview of `data` shown by dump(): at most kDumpPreviewBytes bytes, printable
/// ASCII as is, other bytes as \xNN, quotes and backslashes escaped.
std::string printable_preview(const std::string& data);

}  // namespace consensus::wal
