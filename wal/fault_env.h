#pragma once
/// FaultInjectionEnv: a leveldb::Env that forwards to another Env but can be told to
/// fail file writes or syncs, so tests (and the simulator) can prove that a failed
/// disk operation is reported and nothing built on it is acknowledged. Production
/// code never constructs one; it reaches the WAL through Wal::Options::env.
///
/// Owned by the test; must outlive every Wal opened with it. The switches are atomic
/// because LevelDB's background compaction thread writes files too.

#include <atomic>
#include <string>

#include <leveldb/env.h>

namespace consensus::wal {

class FaultInjectionEnv : public leveldb::EnvWrapper {
public:
    /// Forwards to `target` (not owned), by default the process-wide POSIX Env.
    explicit FaultInjectionEnv(leveldb::Env* target = leveldb::Env::Default());
    FaultInjectionEnv(const FaultInjectionEnv&) = delete;
    FaultInjectionEnv& operator=(const FaultInjectionEnv&) = delete;

    /// While set, Sync() of every file opened through this Env returns an IOError.
    void set_fail_syncs(bool fail) { fail_syncs_.store(fail); }
    /// While set, Append() of every file opened through this Env returns an IOError.
    void set_fail_writes(bool fail) { fail_writes_.store(fail); }
    /// How many operations have been failed so far.
    int injected_failures() const { return injected_failures_.load(); }

    /// As the target's, but the file obeys the switches above.
    leveldb::Status NewWritableFile(const std::string& name,
                                    leveldb::WritableFile** result) override;
    /// As the target's, but the file obeys the switches above.
    leveldb::Status NewAppendableFile(const std::string& name,
                                      leveldb::WritableFile** result) override;

    /// Used by the file wrappers: whether to fail, counting each failure.
    bool should_fail_sync();
    bool should_fail_write();

private:
    std::atomic<bool> fail_syncs_{false};
    std::atomic<bool> fail_writes_{false};
    std::atomic<int> injected_failures_{0};
};

}  // namespace consensus::wal
