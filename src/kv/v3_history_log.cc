#include "kv/v3_history_log.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>
#include <vector>

#include "consensus/log.h"

namespace consensus::kv {
namespace {

constexpr char kComponent[] = "kv";

[[noreturn]] void fail(const char* what, const std::string& dir, int error) {
    LOG_ERROR(kComponent, "%s the v3 history log in %s failed, stopping: %s", what, dir.c_str(),
              std::strerror(error));
    std::abort();
}

/// An unnamed file in `dir`: O_TMPFILE where the file system has it, else a named
/// file unlinked at once. -1 with errno set on failure.
int open_unnamed_file(const std::string& dir) {
    int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)) return fd;
    std::string path = dir + "/.v3-history-XXXXXX";
    std::vector<char> name(path.begin(), path.end());
    name.push_back('\0');
    fd = ::mkostemp(name.data(), O_CLOEXEC);
    if (fd < 0) return -1;
    if (::unlink(name.data()) != 0) {
        const int error = errno;
        ::close(fd);
        errno = error;
        return -1;
    }
    return fd;
}

}  // namespace

Result<V3HistoryLog> V3HistoryLog::open(const std::string& dir, std::size_t flush_bytes) {
    if (dir.empty()) return V3HistoryLog();
    const int fd = open_unnamed_file(dir);
    if (fd < 0) {
        return Status(StatusCode::kIOError,
                      "cannot create the v3 history log in " + dir + ": " + std::strerror(errno));
    }
    return V3HistoryLog(dir, fd, flush_bytes);
}

// A log is never moved while a BulkReads maps it: both happen only inside one
// operation of the keyspace that owns the log.
V3HistoryLog::V3HistoryLog(V3HistoryLog&& other) noexcept
    : dir_(std::move(other.dir_)),
      fd_(std::exchange(other.fd_, -1)),
      flush_bytes_(other.flush_bytes_),
      written_(std::exchange(other.written_, 0)),
      buffer_(std::move(other.buffer_)) {
    other.buffer_.clear();
}

V3HistoryLog& V3HistoryLog::operator=(V3HistoryLog&& other) noexcept {
    if (this == &other) return *this;
    close_file();
    dir_ = std::move(other.dir_);
    fd_ = std::exchange(other.fd_, -1);
    flush_bytes_ = other.flush_bytes_;
    written_ = std::exchange(other.written_, 0);
    buffer_ = std::move(other.buffer_);
    other.buffer_.clear();
    return *this;
}

V3HistoryLog::BulkReads::BulkReads(const V3HistoryLog& log) : log_(log) {
    if (log_.fd_ < 0 || log_.written_ == 0 || log_.mapping_ != nullptr) return;
    void* mapped = ::mmap(nullptr, log_.written_, PROT_READ, MAP_SHARED, log_.fd_, 0);
    // Without a mapping (address space exhausted, say) reads use pread as always.
    if (mapped == MAP_FAILED) return;
    log_.mapping_ = static_cast<const char*>(mapped);
    log_.mapped_bytes_ = log_.written_;
    mapped_ = true;
}

V3HistoryLog::BulkReads::~BulkReads() {
    if (!mapped_) return;
    ::munmap(const_cast<char*>(log_.mapping_), log_.mapped_bytes_);
    log_.mapping_ = nullptr;
    log_.mapped_bytes_ = 0;
}

V3HistoryLog::~V3HistoryLog() {
    close_file();
}

void V3HistoryLog::close_file() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

std::uint64_t V3HistoryLog::append(std::string_view head, std::string_view tail) {
    const std::uint64_t offset = size();
    buffer_.append(head);
    buffer_.append(tail);
    if (fd_ >= 0 && buffer_.size() >= flush_bytes_) flush();
    return offset;
}

void V3HistoryLog::flush() {
    std::size_t done = 0;
    while (done < buffer_.size()) {
        const ssize_t wrote = ::pwrite(fd_, buffer_.data() + done, buffer_.size() - done,
                                       static_cast<off_t>(written_ + done));
        if (wrote < 0 && errno == EINTR) continue;
        if (wrote <= 0) fail("writing", dir_, wrote < 0 ? errno : ENOSPC);
        done += static_cast<std::size_t>(wrote);
    }
    written_ += buffer_.size();
    buffer_.clear();
}

void V3HistoryLog::read(std::uint64_t offset, std::uint32_t length, std::string* out) const {
    out->resize(length);
    // One append never spans the buffer and the file: flush() writes the whole buffer.
    if (mapping_ != nullptr && offset + length <= mapped_bytes_) {
        std::memcpy(out->data(), mapping_ + offset, length);
        return;
    }
    if (offset >= written_) {
        std::memcpy(out->data(), buffer_.data() + (offset - written_), length);
        return;
    }
    std::size_t done = 0;
    while (done < length) {
        const ssize_t got =
            ::pread(fd_, out->data() + done, length - done, static_cast<off_t>(offset + done));
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) fail("reading", dir_, got < 0 ? errno : EIO);
        done += static_cast<std::size_t>(got);
    }
}

}  // namespace consensus::kv
