// DiskWriter (the member's disk thread) and the split Ready steps the member runs
// around it.
#include "node/disk_writer.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "node/ready_loop.h"

namespace consensus::node {
namespace {

TEST_CASE(
    "DiskWriter: work runs off the loop thread and its result and duration are posted to the "
    "loop",
    "[node]") {
    boost::asio::io_context io(1);
    DiskWriter writer(io);
    std::thread::id work_thread;
    std::thread::id done_thread;
    Status result = Status::ok();
    double work_seconds = 0;
    CHECK_FALSE(writer.is_busy());
    writer.submit(
        [&] {
            work_thread = std::this_thread::get_id();
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
            return Status(StatusCode::kIOError, "disk");
        },
        [&](Status status, double seconds) {
            done_thread = std::this_thread::get_id();
            result = std::move(status);
            work_seconds = seconds;
        });
    CHECK(writer.is_busy());
    // run_one() blocks until the posted completion arrives and has run.
    REQUIRE(io.run_one() == 1);
    CHECK_FALSE(writer.is_busy());
    CHECK(result.code() == StatusCode::kIOError);
    CHECK(done_thread == std::this_thread::get_id());
    CHECK(work_thread != std::this_thread::get_id());
    // The completion is told how long the work ran: at least the 5 ms it slept.
    CHECK(work_seconds >= 0.005);
}

TEST_CASE("DiskWriter: writes complete in submission order when submitted one at a time",
          "[node]") {
    boost::asio::io_context io(1);
    DiskWriter writer(io);
    std::vector<int> written;
    std::vector<int> completed;
    for (int i = 0; i < 50; ++i) {
        writer.submit(
            [&written, i] {
                written.push_back(i);
                return Status::ok();
            },
            [&completed, i](Status status, double) {
                REQUIRE(status.is_ok());
                completed.push_back(i);
            });
        // A loop left without work stops after each completion; start it again.
        io.restart();
        REQUIRE(io.run_one() == 1);
    }
    std::vector<int> expected;
    for (int i = 0; i < 50; ++i) expected.push_back(i);
    CHECK(written == expected);
    CHECK(completed == expected);
}

TEST_CASE("DiskWriter: destruction finishes the write in progress when the loop has stopped",
          "[node]") {
    boost::asio::io_context io(1);
    std::atomic<bool> written{false};
    bool completed = false;
    {
        DiskWriter writer(io);
        writer.submit(
            [&written] {
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
                written = true;
                return Status::ok();
            },
            [&completed](Status, double) { completed = true; });
    }
    // The write reached its end before the thread was joined; its completion was
    // posted to a loop that never ran it.
    CHECK(written.load());
    CHECK_FALSE(completed);
}

TEST_CASE("Ready steps: only a synced write with something to write needs the disk thread",
          "[node]") {
    raft::Ready commit_only;
    commit_only.hard_state = raft::HardState{1, 1, 5};
    commit_only.must_sync = false;
    CHECK_FALSE(needs_synced_write(commit_only));
    raft::Ready with_entries;
    with_entries.entries.push_back(raft::Entry{1, 6, raft::EntryType::kNormal, "x"});
    with_entries.must_sync = true;
    CHECK(needs_synced_write(with_entries));
    raft::Ready vote;
    vote.hard_state = raft::HardState{2, 3, 5};
    vote.must_sync = true;
    CHECK(needs_synced_write(vote));
    raft::Ready messages_only;
    messages_only.messages.push_back(raft::Message{});
    CHECK_FALSE(needs_synced_write(messages_only));
}

class RecordingSender final : public MessageSender {
public:
    void send(raft::Message message) override { sent.push_back(message.to); }
    std::vector<NodeId> sent;
};

class RecordingStateMachine final : public StateMachine {
public:
    void restore(const raft::Snapshot&) override {}
    void apply(const raft::Entry& entry) override { applied.push_back(entry.index); }
    void add_read_states(const std::vector<raft::ReadState>& read_states) override {
        reads += read_states.size();
    }
    std::vector<Index> applied;
    std::size_t reads = 0;
};

TEST_CASE("Ready steps: appends leave first and acknowledgements only when finished", "[node]") {
    raft::Ready ready;
    raft::Message append;
    append.to = 2;
    ready.messages_before_persist.push_back(append);
    raft::Message ack;
    ack.to = 3;
    ready.messages.push_back(ack);
    ready.committed_entries.push_back(raft::Entry{1, 7, raft::EntryType::kNormal, "a"});
    ready.read_states.push_back(raft::ReadState{7, "ctx"});
    RecordingSender sender;
    RecordingStateMachine state_machine;
    send_messages_before_persist(ready, sender);
    CHECK(sender.sent == std::vector<NodeId>{2});
    CHECK(ready.messages_before_persist.empty());
    CHECK(state_machine.applied.empty());
    finish_persisted_ready(ready, sender, state_machine);
    CHECK(sender.sent == std::vector<NodeId>{2, 3});
    CHECK(state_machine.applied == std::vector<Index>{7});
    CHECK(state_machine.reads == 1);
}

}  // namespace
}  // namespace consensus::node
