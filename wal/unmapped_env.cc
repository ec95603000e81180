#include "wal/unmapped_env.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace consensus::wal {
namespace {

leveldb::Status posix_error(const std::string& context, int error_number) {
    if (error_number == ENOENT) {
        return leveldb::Status::NotFound(context, std::strerror(error_number));
    }
    return leveldb::Status::IOError(context, std::strerror(error_number));
}

/// A table file read with pread; safe for concurrent reads, as LevelDB requires.
class PreadFile final : public leveldb::RandomAccessFile {
public:
    PreadFile(std::string name, int fd) : name_(std::move(name)), fd_(fd) {}
    ~PreadFile() override { ::close(fd_); }
    PreadFile(const PreadFile&) = delete;
    PreadFile& operator=(const PreadFile&) = delete;

    leveldb::Status Read(std::uint64_t offset, std::size_t n, leveldb::Slice* result,
                         char* scratch) const override {
        std::size_t done = 0;
        while (done < n) {
            const ssize_t got =
                ::pread(fd_, scratch + done, n - done, static_cast<off_t>(offset + done));
            if (got < 0) {
                if (errno == EINTR) continue;
                *result = leveldb::Slice(scratch, 0);
                return posix_error(name_, errno);
            }
            if (got == 0) break;  // end of file: a short read, as LevelDB's own file
            done += static_cast<std::size_t>(got);
        }
        *result = leveldb::Slice(scratch, done);
        return leveldb::Status::OK();
    }

private:
    const std::string name_;
    const int fd_;
};

}  // namespace

UnmappedReadsEnv::UnmappedReadsEnv(leveldb::Env* target) : leveldb::EnvWrapper(target) {}

leveldb::Status UnmappedReadsEnv::NewRandomAccessFile(const std::string& name,
                                                      leveldb::RandomAccessFile** result) {
    *result = nullptr;
    const int fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return posix_error(name, errno);
    // LevelDB's Env contract hands the caller ownership through a raw pointer.
    *result = new PreadFile(name, fd);
    return leveldb::Status::OK();
}

UnmappedReadsEnv* UnmappedReadsEnv::instance() {
    // Never destroyed: LevelDB's own default Env lives as long as the process too,
    // and background compactions may still use it during exit.
    static UnmappedReadsEnv* env = new UnmappedReadsEnv(leveldb::Env::Default());
    return env;
}

}  // namespace consensus::wal
