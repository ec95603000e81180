#pragma once
/// V3HistoryLog: where the v3 keyspace keeps the records a later write superseded.
///
/// Why. Every v3 write keeps the key's previous record for reads at older revisions,
/// watches that start in the past and snapshots, until a compaction drops it. Under a
/// steady write load that history is nearly all of the state machine's memory, yet it
/// is read rarely. So the keyspace keeps in memory only each key's latest record and,
/// per older record, a 24-byte reference (V3SpilledRecord); the rest of the record goes
/// here, as etcd keeps its history in its bbolt file rather than on the Go heap.
///
/// What it is. An append-only byte log with no format of its own: append() returns the
/// offset of the bytes, read() gets them back. It is the state machine's working
/// memory, not durable state: it lives in an unnamed temporary file in the member's
/// data dir (gone when the process exits, however it exits), and a restart rebuilds the
/// history from the snapshot and the log entries like the rest of the store. Without a
/// directory (unit tests, tools) the bytes stay in memory, behind the same interface.
///
/// Appends collect in a buffer that is written out in large pieces, so a write costs a
/// memcpy, not a system call; read() serves bytes still in the buffer from memory and
/// the rest with pread, from the page cache as a rule.
///
/// I/O errors. The log is memory that happens to be a file: failing to write or read it
/// is like failing to allocate. The process logs the error and aborts (STYLE
/// "Durability failure"); every acknowledged write is in the Raft log and survives.
///
/// Single-threaded. Movable; moving hands over the file.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "consensus/status.h"

namespace consensus::kv {

class V3HistoryLog {
public:
    /// Appends collect in memory until they reach this many bytes, then go to the file
    /// in one write: few system calls per record, and no memory to speak of.
    static constexpr std::size_t kFlushBytesDefault = 256 * 1024;

    /// A log held in memory.
    V3HistoryLog() = default;
    /// A log in an unnamed temporary file in `dir` (which must exist); "" is the same as
    /// the default constructor. `flush_bytes` is for tests, which make it small so that
    /// reads go to the file. kIOError naming the directory if no file can be made.
    static Result<V3HistoryLog> open(const std::string& dir,
                                     std::size_t flush_bytes = kFlushBytesDefault);
    /// A new, empty log like this one: in the same place, flushed alike.
    Result<V3HistoryLog> open_another() const { return open(dir_, flush_bytes_); }

    V3HistoryLog(V3HistoryLog&& other) noexcept;
    V3HistoryLog& operator=(V3HistoryLog&& other) noexcept;
    V3HistoryLog(const V3HistoryLog&) = delete;
    V3HistoryLog& operator=(const V3HistoryLog&) = delete;
    ~V3HistoryLog();

    /// Appends `head` then `tail` as one piece; returns the offset of its first byte.
    std::uint64_t append(std::string_view head, std::string_view tail = {});
    /// Replaces `*out` with the `length` bytes at `offset`.
    /// Precondition: [offset, offset + length) lies inside one earlier append().
    void read(std::uint64_t offset, std::uint32_t length, std::string* out) const;

    /// While one lives, read() copies from a read-only mapping of the file instead of
    /// calling pread: a snapshot reads every record once, and a system call per record
    /// would be most of its cost. The mapping covers what was in the file when it was
    /// made; bytes appended later are read as usual. The log must outlive it.
    class BulkReads {
    public:
        explicit BulkReads(const V3HistoryLog& log);
        ~BulkReads();
        BulkReads(const BulkReads&) = delete;
        BulkReads& operator=(const BulkReads&) = delete;

    private:
        const V3HistoryLog& log_;
        /// Whether this one made the mapping (a nested one leaves it to the outer).
        bool mapped_ = false;
    };

    /// Bytes appended so far, kept or not.
    std::uint64_t size() const { return written_ + buffer_.size(); }
    /// Where the log lives: its directory, or "" in memory.
    const std::string& dir() const { return dir_; }
    /// Whether the log is a file (false: in memory).
    bool on_disk() const { return fd_ >= 0; }

private:
    V3HistoryLog(std::string dir, int fd, std::size_t flush_bytes)
        : dir_(std::move(dir)), fd_(fd), flush_bytes_(flush_bytes) {}
    /// Writes the buffer to the file and empties it.
    void flush();
    void close_file();

    std::string dir_;
    /// The file, or -1 in memory (then every byte is in buffer_ and written_ is 0).
    int fd_ = -1;
    std::size_t flush_bytes_ = kFlushBytesDefault;
    /// Bytes in the file: offsets below written_ are read with pread.
    std::uint64_t written_ = 0;
    /// Bytes from offset written_ on, not yet in the file.
    std::string buffer_;
    /// The file's first mapped_bytes_ bytes, mapped while a BulkReads lives (else null).
    mutable const char* mapping_ = nullptr;
    mutable std::size_t mapped_bytes_ = 0;
};

}  // namespace consensus::kv
