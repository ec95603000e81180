#include "node/disk_writer.h"

#include <chrono>
#include <utility>

#include <boost/asio/post.hpp>

#include "consensus/assert.h"

namespace consensus::node {

DiskWriter::DiskWriter(boost::asio::io_context& io) : io_(io), thread_([this] { run(); }) {}

DiskWriter::~DiskWriter() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
}

void DiskWriter::submit(Work work, Done done) {
    // One write in flight keeps them in Ready order: a follower must never have a
    // later batch durable while an earlier one is not [Raft §5.3 Log Matching].
    CONSENSUS_ASSERT_MSG(!busy_, "a disk write is already in flight");
    busy_ = true;
    loop_work_.emplace(io_.get_executor());
    {
        std::lock_guard<std::mutex> lock(mutex_);
        work_ = std::move(work);
        done_ = std::move(done);
        has_work_ = true;
    }
    wake_.notify_one();
}

void DiskWriter::run() {
    for (;;) {
        Work work;
        Done done;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            // Work handed over before the destructor ran is still done: the loop may
            // already have sent the leader's appends for it, and a write that was
            // promised should reach the disk whenever it can.
            wake_.wait(lock, [this] { return has_work_ || stopping_; });
            if (!has_work_) return;
            work = std::move(work_);
            done = std::move(done_);
            has_work_ = false;
        }
        const auto started = std::chrono::steady_clock::now();
        Status status = work();
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        boost::asio::post(io_, [this, done = std::move(done), status, seconds]() mutable {
            busy_ = false;
            loop_work_.reset();
            done(std::move(status), seconds);
        });
    }
}

}  // namespace consensus::node
