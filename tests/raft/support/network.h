#pragma once
/// A deterministic in-process cluster for raft unit and paper tests: RawNodes over
/// MemoryStorage, with a FIFO message queue that the test delivers explicitly (after
/// etcd raft's raft_test.go network and LogCabin's test fixtures). No clock, no
/// threads: a test advances time only by calling tick().

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "raft/config.h"
#include "raft/invariants.h"
#include "raft/memory_storage.h"
#include "raft/raw_node.h"

namespace consensus::raft::test {

/// Deterministic randomness: a linear congruential sequence from a seed.
class SeededRandom final : public RandomSource {
public:
    explicit SeededRandom(std::uint64_t seed) : state_(seed) {}
    std::uint64_t next(std::uint64_t n) override;

private:
    std::uint64_t state_;
};

/// Always returns `value` % n; makes election timeouts exact in tests.
class FixedRandom final : public RandomSource {
public:
    explicit FixedRandom(std::uint64_t value = 0) : value_(value) {}
    std::uint64_t next(std::uint64_t n) override { return n == 0 ? 0 : value_ % n; }

private:
    std::uint64_t value_;
};

/// Silences logs below kWarn for the lifetime of the object.
class QuietLogs {
public:
    QuietLogs();
    ~QuietLogs();
    QuietLogs(const QuietLogs&) = delete;
    QuietLogs& operator=(const QuietLogs&) = delete;
};

/// Adjusts a member's Config before it is built.
using ConfigTweak = std::function<void(Config&)>;
/// Fills a member's storage (log, hard state) before its core is built.
using StoragePreparer = std::function<void(NodeId, MemoryStorage&)>;

/// A test Config for `id`: election 10 ticks, heartbeat 1, PreVote and CheckQuorum off
/// (tests turn them on explicitly), exact election timeouts (FixedRandom 0).
Config test_config(NodeId id, const Storage* storage, RandomSource* random);

/// One member: its storage, core and what the test harness saw it do.
struct Member {
    std::unique_ptr<MemoryStorage> storage;
    std::unique_ptr<RandomSource> random;
    std::unique_ptr<RawNode> node;
    std::vector<Entry> applied;          ///< committed entries, in apply order
    std::vector<ReadState> read_states;  ///< every ReadState handed out
    ConfState conf_state;                ///< after the latest applied conf change
};

/// The cluster. Members are created as voters of `voters` (or with an explicit
/// ConfState). Messages produced by process_ready() queue up until delivered; a
/// partition or drop rule discards them at delivery.
class Network {
public:
    explicit Network(const std::vector<NodeId>& voters, ConfigTweak tweak = {},
                     StoragePreparer prepare = {});
    ~Network();
    Network(const Network&) = delete;
    Network& operator=(const Network&) = delete;

    /// Adds a member that starts with `conf_state` (e.g. a new learner or a member
    /// joining an existing cluster with an empty log).
    void add_member(NodeId id, const ConfState& conf_state, ConfigTweak tweak = {},
                    const StoragePreparer& prepare = {});
    /// Adds a member whose storage already holds `snapshot`.
    void add_member_from_snapshot(NodeId id, const Snapshot& snapshot, ConfigTweak tweak = {});

    RawNode& node(NodeId id) { return *members_.at(id).node; }
    MemoryStorage& storage(NodeId id) { return *members_.at(id).storage; }
    Member& member(NodeId id) { return members_.at(id); }
    std::vector<NodeId> ids() const;

    /// Handles every pending Ready of `id` the way a driver does (install snapshot,
    /// append, set hard state, queue messages, apply committed entries including conf
    /// changes, advance), then checks invariants.
    void process_ready(NodeId id);
    /// process_ready for every member.
    void process_all();
    /// Delivers queued messages (and processes Readies) until nothing is left; at most
    /// max_rounds rounds. Returns the number of messages delivered.
    std::size_t stabilize(int max_rounds = 1000);
    /// Delivers at most one round of currently queued messages.
    std::size_t deliver_round();

    /// Ticks `id` n times (processing its Ready after each tick).
    void tick(NodeId id, int n = 1);
    /// Ticks every member n times.
    void tick_all(int n = 1);
    /// Makes `id` campaign and stabilizes the cluster.
    void elect(NodeId id);

    /// Messages queued for delivery (not yet delivered), in order.
    std::deque<Message>& queue() { return queue_; }
    /// Removes and returns queued messages from `from` (any if kNoNode) of `type`.
    std::vector<Message> take(MessageType type, NodeId from = kNoNode);
    /// Delivers one message now (processing the receiver's Ready). Like a transport,
    /// reports the outcome of a MsgSnap to its sender (report_snapshot).
    void deliver(const Message& message);
    /// Loses one message, reporting a lost MsgSnap to its sender as failed.
    void lose(const Message& message);
    /// Every message delivered so far, in order (dropped ones excluded).
    const std::vector<Message>& delivered() const { return delivered_; }
    void clear_delivered() { delivered_.clear(); }

    /// Cuts `id` off from everyone (both directions) until heal().
    void isolate(NodeId id);
    /// Cuts every link between the two groups.
    void partition(const std::set<NodeId>& a, const std::set<NodeId>& b);
    /// Drops every message from `from` to `to` until heal().
    void cut(NodeId from, NodeId to) { cut_.insert({from, to}); }
    void heal() { cut_.clear(); }
    /// Discards messages of `type` at delivery until allow() is called.
    void drop_type(MessageType type) { dropped_types_.insert(type); }
    void allow_all_types() { dropped_types_.clear(); }
    /// When false, committed conf changes are not applied automatically.
    void set_auto_apply_conf_changes(bool enabled) { auto_apply_conf_ = enabled; }

    /// The member that is leader with the highest term, or kNoNode.
    NodeId leader() const;
    /// Runs the SafetyChecker over all members (REQUIREs it passes).
    void check_invariants();

private:
    Member make_member(NodeId id, std::unique_ptr<MemoryStorage> storage, const ConfigTweak& tweak);
    void report_snapshot(const Message& message, bool failed);

    ConfigTweak tweak_;
    std::map<NodeId, Member> members_;
    std::deque<Message> queue_;
    std::vector<Message> delivered_;
    std::set<std::pair<NodeId, NodeId>> cut_;
    std::set<MessageType> dropped_types_;
    bool auto_apply_conf_ = true;
    SafetyChecker checker_;
};

/// A single core driven by hand (paper tests): steps messages in and returns what it
/// sends, persisting each Ready into its MemoryStorage.
class Solo {
public:
    Solo(NodeId id, const std::vector<NodeId>& voters, ConfigTweak tweak = {});
    RawNode& node() { return *node_; }
    MemoryStorage& storage() { return storage_; }
    /// Persists and advances every Ready; returns all messages sent, in order.
    std::vector<Message> drain();
    /// Steps `message` (REQUIREs success), then drains.
    std::vector<Message> step(const Message& message);
    /// Ticks n times, then drains.
    std::vector<Message> tick(int n = 1);
    /// Committed entries handed out so far.
    const std::vector<Entry>& applied() const { return applied_; }
    const std::vector<ReadState>& read_states() const { return read_states_; }
    /// Runs the per-member checks on this core.
    void check_invariants();

private:
    MemoryStorage storage_;
    FixedRandom random_;
    std::unique_ptr<RawNode> node_;
    std::vector<Entry> applied_;
    std::vector<ReadState> read_states_;
};

/// Filters `messages` by type.
std::vector<Message> of_type(const std::vector<Message>& messages, MessageType type);

}  // namespace consensus::raft::test
