#pragma once
/// The LevelDB key layout of the WAL and the framing of every stored value.
///
/// Keys. Each key starts with one prefix byte that names the record kind:
///
///     "I"                 identity: which cluster and member this data dir belongs to
///     "H"                 the Raft hard state (term, vote, commit)
///     "S"                 metadata of the latest durable snapshot (index, term, conf
///                         state); its payload lives in a file in <data_dir>/snap/
///     "C"                 the log start: index and term of the entry just before the
///                         first retained entry (the "dummy entry" of raft::Storage)
///     "e" + index:u64 BE  one log entry
///
/// The entry index is written big-endian so that LevelDB's bytewise order is index
/// order: a forward iterator from entry_key(i) visits entries i, i+1, ... and stops at
/// the first key without the "e" prefix. The other keys are single upper-case letters,
/// read with point lookups, and sort before every entry. That order is what keeps
/// LevelDB's background work small: the tables it flushes then hold disjoint runs of
/// entries, which it moves down its levels without rewriting them. A metadata key
/// sorting after the entries (as "h", "i" and "s" did in the first layout) lies inside
/// the key range of every later table, so each flush had to be merged with the table
/// holding it. For the same reason the hard state is written only when the term or
/// vote changes (raft/ready.h), not with every batch.
///
/// Record framing. Every value is
///
///     crc:u32 LE   payload
///
/// where crc is the CRC-32C of key || payload. Covering the key means a value copied
/// or misplaced under another key (entry 7's bytes under entry 8) fails the check as
/// surely as a flipped bit does. LevelDB checks its own blocks too (paranoid_checks,
/// verify_checksums); ours also covers what LevelDB does not, such as a bug that
/// writes the right bytes to the wrong key.
///
/// Payloads. Entries, hard state and snapshot metadata use the codec of codec.h (which
/// starts with its own version byte). Identity and log start are fixed layouts:
///
///     identity:  version:u8 (= kRecordVersion)  cluster_id:u64 LE  member_id:u64 LE
///     log start: version:u8 (= kRecordVersion)  index:u64 LE       term:u64 LE
///
/// Versioning: a reader refuses a version byte it does not know (kCorruption naming the
/// record); a new layout gets a new version.

#include <cstdint>
#include <string>
#include <string_view>

#include "consensus/status.h"
#include "consensus/types.h"

namespace consensus::wal {

/// The version byte of the fixed-layout records (identity and log start).
inline constexpr std::uint8_t kRecordVersion = 1;

inline constexpr char kIdentityKey[] = "I";
inline constexpr char kHardStateKey[] = "H";
inline constexpr char kSnapshotKey[] = "S";
inline constexpr char kLogStartKey[] = "C";
inline constexpr char kEntryPrefix = 'e';

/// A metadata key of the first layout and the key that replaces it. Wal::load renames
/// any it finds, in one synced batch, before reading the records.
struct RenamedKey {
    const char* legacy;
    const char* current;
};
inline constexpr RenamedKey kLegacyMetadataKeys[] = {
    {"i", kIdentityKey}, {"h", kHardStateKey}, {"s", kSnapshotKey}, {"c", kLogStartKey}};
/// Size of an entry key: the prefix byte and a 64-bit big-endian index.
inline constexpr std::size_t kEntryKeyBytes = 9;
/// Size of the checksum that starts every value.
inline constexpr std::size_t kChecksumBytes = 4;

/// Who a data dir belongs to. Stamped once when the dir is created; a member refuses
/// to start on another member's or another cluster's data (etcd does the same with
/// its member and cluster ids).
struct Identity {
    std::uint64_t cluster_id = 0;
    std::uint64_t member_id = 0;

    bool operator==(const Identity&) const = default;
};

/// The entry just before the first retained entry: its index and term stay known
/// after the entry itself is compacted away [Raft §7, "lastIncludedIndex/Term"].
struct LogStart {
    Index index = 0;
    Term term = 0;

    bool operator==(const LogStart&) const = default;
};

/// "e" + big-endian index.
std::string entry_key(Index index);
/// True and sets *index if `key` is an entry key; false for any other key.
bool parse_entry_key(std::string_view key, Index* index);

/// The stored value for `payload` under `key`: CRC-32C(key || payload) then payload.
std::string frame_record(std::string_view key, std::string_view payload);
/// The payload of a stored value, after checking its checksum against `key`.
/// kCorruption ("shorter than its checksum" or "checksum mismatch") otherwise. The
/// result views into `value`.
Result<std::string_view> unframe_record(std::string_view key, std::string_view value);

std::string encode_identity(const Identity& identity);
/// kCorruption on a wrong size or unknown version.
Result<Identity> decode_identity(std::string_view payload);
std::string encode_log_start(const LogStart& log_start);
/// kCorruption on a wrong size or unknown version.
Result<LogStart> decode_log_start(std::string_view payload);

}  // namespace consensus::wal
