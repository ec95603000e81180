#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "node/ready_loop.h"

using consensus::Status;
using consensus::StatusCode;
using consensus::node::handle_ready;
namespace raft = consensus::raft;

namespace {

/// Fakes that append what happened to one shared transcript, so the test can check
/// the order of the Ready steps.
struct Transcript {
    std::vector<std::string> steps;
};

class FakeLog final : public consensus::node::DurableLog {
public:
    explicit FakeLog(Transcript& transcript) : transcript_(transcript) {}
    Status save_snapshot(const raft::Snapshot& snapshot) override {
        transcript_.steps.push_back("snapshot " + std::to_string(snapshot.metadata.index));
        return failing_ ? Status(StatusCode::kIOError, "disk") : Status::ok();
    }
    Status save(const std::optional<raft::HardState>& hard_state,
                const std::vector<raft::Entry>& entries, bool sync) override {
        transcript_.steps.push_back("save hs=" + std::to_string(hard_state.has_value()) +
                                    " entries=" + std::to_string(entries.size()) +
                                    " sync=" + std::to_string(sync));
        return failing_ ? Status(StatusCode::kIOError, "disk") : Status::ok();
    }
    bool failing_ = false;

private:
    Transcript& transcript_;
};

class FakeSender final : public consensus::node::MessageSender {
public:
    explicit FakeSender(Transcript& transcript) : transcript_(transcript) {}
    void send(raft::Message message) override {
        transcript_.steps.push_back("send to " + std::to_string(message.to));
    }

private:
    Transcript& transcript_;
};

class FakeStateMachine final : public consensus::node::StateMachine {
public:
    explicit FakeStateMachine(Transcript& transcript) : transcript_(transcript) {}
    void restore(const raft::Snapshot& snapshot) override {
        transcript_.steps.push_back("restore " + std::to_string(snapshot.metadata.index));
    }
    void apply(const raft::Entry& entry) override {
        transcript_.steps.push_back("apply " + std::to_string(entry.index));
    }
    void add_read_states(const std::vector<raft::ReadState>& read_states) override {
        transcript_.steps.push_back("reads " + std::to_string(read_states.size()));
    }

private:
    Transcript& transcript_;
};

raft::Message message_to(consensus::NodeId to) {
    raft::Message message;
    message.type = raft::MessageType::kAppend;
    message.to = to;
    return message;
}

raft::Entry entry_at(consensus::Index index) {
    raft::Entry entry;
    entry.index = index;
    entry.term = 1;
    return entry;
}

raft::Ready full_ready() {
    raft::Ready ready;
    ready.messages_before_persist.push_back(message_to(2));
    ready.snapshot.metadata.index = 5;
    ready.hard_state = raft::HardState{3, 1, 7};
    ready.entries = {entry_at(6), entry_at(7)};
    ready.must_sync = true;
    ready.messages.push_back(message_to(3));
    ready.committed_entries = {entry_at(6), entry_at(7)};
    ready.read_states.push_back(raft::ReadState{7, "ctx"});
    return ready;
}

}  // namespace

TEST_CASE("ready loop: steps run in the order persist, send, apply, read when handling a Ready",
          "[node]") {
    Transcript transcript;
    FakeLog log(transcript);
    FakeSender sender(transcript);
    FakeStateMachine state_machine(transcript);
    raft::Ready ready = full_ready();
    REQUIRE(handle_ready(ready, log, sender, state_machine).is_ok());
    CHECK(transcript.steps == std::vector<std::string>{"send to 2", "snapshot 5", "restore 5",
                                                       "save hs=1 entries=2 sync=1", "send to 3",
                                                       "apply 6", "apply 7", "reads 1"});
}

TEST_CASE("ready loop: nothing is sent or applied after the durable write fails", "[node]") {
    Transcript transcript;
    FakeLog log(transcript);
    log.failing_ = true;
    FakeSender sender(transcript);
    FakeStateMachine state_machine(transcript);
    raft::Ready ready = full_ready();
    ready.snapshot = raft::Snapshot{};
    Status result = handle_ready(ready, log, sender, state_machine);
    CHECK(result.code() == StatusCode::kIOError);
    CHECK(transcript.steps == std::vector<std::string>{"send to 2", "save hs=1 entries=2 sync=1"});
}

TEST_CASE("ready loop: nothing is written when the Ready has no hard state, entries or snapshot",
          "[node]") {
    Transcript transcript;
    FakeLog log(transcript);
    FakeSender sender(transcript);
    FakeStateMachine state_machine(transcript);
    raft::Ready ready;
    ready.committed_entries = {entry_at(1)};
    REQUIRE(handle_ready(ready, log, sender, state_machine).is_ok());
    CHECK(transcript.steps == std::vector<std::string>{"apply 1"});
}

TEST_CASE("read queue: reads are released only when applied reaches their index", "[node]") {
    consensus::node::ReadQueue queue;
    queue.add(raft::ReadState{5, consensus::node::encode_read_context(11)});
    queue.add(raft::ReadState{7, consensus::node::encode_read_context(12)});
    queue.add(raft::ReadState{6, "not an id"});
    CHECK(queue.size() == 2);
    CHECK(queue.take_ready(4).empty());
    CHECK(queue.take_ready(5) == std::vector<std::uint64_t>{11});
    CHECK(queue.take_ready(6).empty());
    CHECK(queue.take_ready(9) == std::vector<std::uint64_t>{12});
    CHECK(queue.size() == 0);
}

TEST_CASE("read queue: a request id survives the read context when encoded and decoded", "[node]") {
    for (std::uint64_t id :
         {std::uint64_t{1}, std::uint64_t{0x1234000000000001}, ~std::uint64_t{0}}) {
        CHECK(consensus::node::decode_read_context(consensus::node::encode_read_context(id)) ==
              std::optional<std::uint64_t>(id));
    }
    CHECK_FALSE(consensus::node::decode_read_context("short").has_value());
}
