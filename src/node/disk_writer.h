#pragma once
/// DiskWriter: the member's disk thread. It runs the synced WAL writes of the Ready
/// cycle so that the event loop keeps reading, parsing, proposing and replicating
/// while an fsync lasts [thesis §10.2.1; etcd: raft async storage writes]. STYLE §4
/// allows exactly this one extra thread: it touches nothing of the member but the
/// work it is handed, and reports back only by posting to the loop.
///
/// Owned by the member; created with the loop's io_context. submit() hands it one
/// piece of work at a time (the caller keeps at most one in flight, which keeps
/// writes in order); the work runs on the disk thread, then `done` runs on the loop
/// with the work's Status and duration. Destruction finishes the work in progress (a started
/// write is never abandoned half-way from the thread's point of view), then joins the
/// thread; a `done` posted to a loop that no longer runs is simply never called.

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "consensus/status.h"

namespace consensus::node {

class DiskWriter {
public:
    /// Work for the disk thread. It must not touch loop-owned state except what the
    /// submitter guarantees stays untouched until `done` runs.
    using Work = std::function<Status()>;
    /// Runs on the loop with the work's result and how long the work ran on the disk
    /// thread, in seconds (for the member's metrics and logs).
    using Done = std::function<void(Status, double work_seconds)>;

    /// Starts the disk thread.
    explicit DiskWriter(boost::asio::io_context& io);
    /// Finishes the work in progress, if any, and joins the thread.
    ~DiskWriter();
    DiskWriter(const DiskWriter&) = delete;
    DiskWriter& operator=(const DiskWriter&) = delete;

    /// Runs `work` on the disk thread, then posts `done(status, work_seconds)` to the
    /// loop.
    /// Precondition: nothing in flight (is_busy() is false); call from the loop thread.
    void submit(Work work, Done done);
    /// True from submit() until just before its `done` runs on the loop.
    bool is_busy() const { return busy_; }

private:
    void run();

    boost::asio::io_context& io_;
    std::mutex mutex_;
    std::condition_variable wake_;
    /// Invariant: set only while busy_ and not yet taken by the thread.
    Work work_;
    Done done_;
    bool has_work_ = false;
    bool stopping_ = false;
    /// Loop-thread only.
    bool busy_ = false;
    /// Held while a write is in flight, so the loop's run() waits for its completion
    /// even when nothing else is pending.
    std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>
        loop_work_;
    std::thread thread_;
};

}  // namespace consensus::node
