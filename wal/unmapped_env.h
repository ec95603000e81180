#pragma once
/// UnmappedReadsEnv: LevelDB's POSIX Env, except that table files are read with
/// pread instead of through a memory mapping.
///
/// Why: LevelDB maps every table it opens (up to 1000 of them), and the pages of a
/// mapped file that were read count toward the process's resident memory for as long
/// as the table stays open. The WAL's tables are read rarely (recovery, a follower far
/// behind, compaction), yet with the mapping each read left its pages resident: several
/// MB per member after a write load. With pread the same pages live in the kernel's
/// page cache only, which the kernel reclaims as it needs.
///
/// The file descriptor of each open table stays open, so the number of open tables
/// must stay well under the descriptor limit (Wal sets LevelDB's max_open_files).

#include <string>

#include <leveldb/env.h>

namespace consensus::wal {

class UnmappedReadsEnv : public leveldb::EnvWrapper {
public:
    /// Forwards everything but random-access files to `target` (not owned).
    explicit UnmappedReadsEnv(leveldb::Env* target);

    leveldb::Status NewRandomAccessFile(const std::string& name,
                                        leveldb::RandomAccessFile** result) override;

    /// The process-wide instance over leveldb::Env::Default(): the WAL's default Env.
    static UnmappedReadsEnv* instance();
};

}  // namespace consensus::wal
