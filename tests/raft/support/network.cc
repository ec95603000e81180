#include "raft/support/network.h"

#include <catch2/catch.hpp>

#include "consensus/log.h"

namespace consensus::raft::test {

std::uint64_t SeededRandom::next(std::uint64_t n) {
    // Knuth's MMIX LCG; the high bits are the well-mixed ones.
    state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
    return n == 0 ? 0 : (state_ >> 33) % n;
}

QuietLogs::QuietLogs() {
    log::set_level(log::Level::kError);
}
QuietLogs::~QuietLogs() {
    log::set_level(log::Level::kInfo);
}

Config test_config(NodeId id, const Storage* storage, RandomSource* random) {
    Config config;
    config.id = id;
    config.storage = storage;
    config.random = random;
    config.election_ticks = 10;
    config.heartbeat_ticks = 1;
    config.pre_vote = false;
    config.check_quorum = false;
    return config;
}

std::vector<Message> of_type(const std::vector<Message>& messages, MessageType type) {
    std::vector<Message> result;
    for (const Message& message : messages) {
        if (message.type == type) result.push_back(message);
    }
    return result;
}

Network::Network(const std::vector<NodeId>& voters, ConfigTweak tweak, StoragePreparer prepare)
    : tweak_(std::move(tweak)) {
    ConfState conf_state;
    conf_state.voters = voters;
    for (NodeId id : voters) add_member(id, conf_state, {}, prepare);
}

Network::~Network() = default;

Member Network::make_member(NodeId id, std::unique_ptr<MemoryStorage> storage,
                            const ConfigTweak& tweak) {
    Member member;
    member.storage = std::move(storage);
    member.random = std::make_unique<FixedRandom>(0);
    Config config = test_config(id, member.storage.get(), member.random.get());
    if (tweak_) tweak_(config);
    if (tweak) tweak(config);
    auto node = RawNode::create(config);
    REQUIRE(node.is_ok());
    member.node = std::move(node.value());
    member.conf_state = member.storage->initial_state().value().conf_state;
    return member;
}

void Network::add_member(NodeId id, const ConfState& conf_state, ConfigTweak tweak,
                         const StoragePreparer& prepare) {
    auto storage = std::make_unique<MemoryStorage>();
    storage->set_conf_state(conf_state);
    if (prepare) prepare(id, *storage);
    members_.emplace(id, make_member(id, std::move(storage), tweak));
}

void Network::add_member_from_snapshot(NodeId id, const Snapshot& snapshot, ConfigTweak tweak) {
    auto storage = std::make_unique<MemoryStorage>();
    REQUIRE(storage->apply_snapshot(snapshot).is_ok());
    members_.emplace(id, make_member(id, std::move(storage), tweak));
}

std::vector<NodeId> Network::ids() const {
    std::vector<NodeId> result;
    for (const auto& [id, member] : members_) result.push_back(id);
    return result;
}

void Network::process_ready(NodeId id) {
    Member& m = members_.at(id);
    while (m.node->has_ready()) {
        Ready ready = m.node->ready();
        if (!ready.snapshot.is_empty()) {
            REQUIRE(m.storage->apply_snapshot(ready.snapshot).is_ok());
            m.conf_state = ready.snapshot.metadata.conf_state;
        }
        REQUIRE(m.storage->append(ready.entries).is_ok());
        if (ready.hard_state) m.storage->set_hard_state(*ready.hard_state);
        for (Message& message : ready.messages_before_persist) queue_.push_back(std::move(message));
        for (Message& message : ready.messages) queue_.push_back(std::move(message));
        for (ReadState& state : ready.read_states) m.read_states.push_back(std::move(state));
        for (const Entry& entry : ready.committed_entries) {
            if (entry.type == EntryType::kConfChange && auto_apply_conf_) {
                Result<ConfChange> change = decode_conf_change(entry.data);
                REQUIRE(change.is_ok());
                m.conf_state = m.node->apply_conf_change(change.value());
            }
            m.applied.push_back(entry);
        }
        m.node->advance();
    }
    check_invariants();
}

void Network::process_all() {
    for (auto& [id, member] : members_) process_ready(id);
}

void Network::deliver(const Message& message) {
    auto it = members_.find(message.to);
    if (cut_.count({message.from, message.to}) || dropped_types_.count(message.type) ||
        it == members_.end()) {
        lose(message);
        return;
    }
    delivered_.push_back(message);
    Status ignored = it->second.node->step(message);
    (void)ignored;
    process_ready(message.to);
    if (message.type == MessageType::kSnapshot) report_snapshot(message, false);
}

void Network::lose(const Message& message) {
    if (message.type == MessageType::kSnapshot) report_snapshot(message, true);
}

void Network::report_snapshot(const Message& message, bool failed) {
    auto sender = members_.find(message.from);
    if (sender == members_.end()) return;
    sender->second.node->report_snapshot(message.to, failed);
    process_ready(message.from);
}

std::size_t Network::deliver_round() {
    std::size_t count = queue_.size();
    for (std::size_t i = 0; i < count && !queue_.empty(); ++i) {
        Message message = std::move(queue_.front());
        queue_.pop_front();
        deliver(message);
    }
    return count;
}

std::size_t Network::stabilize(int max_rounds) {
    process_all();
    std::size_t delivered = 0;
    for (int round = 0; round < max_rounds && !queue_.empty(); ++round) {
        delivered += deliver_round();
    }
    REQUIRE(queue_.empty());
    return delivered;
}

void Network::tick(NodeId id, int n) {
    for (int i = 0; i < n; ++i) {
        members_.at(id).node->tick();
        process_ready(id);
    }
}

void Network::tick_all(int n) {
    for (int i = 0; i < n; ++i) {
        for (auto& [id, member] : members_) {
            member.node->tick();
            process_ready(id);
        }
    }
}

void Network::elect(NodeId id) {
    process_all();
    node(id).campaign();
    stabilize();
}

std::vector<Message> Network::take(MessageType type, NodeId from) {
    std::vector<Message> taken;
    std::deque<Message> kept;
    for (Message& message : queue_) {
        if (message.type == type && (from == kNoNode || message.from == from)) {
            taken.push_back(std::move(message));
        } else {
            kept.push_back(std::move(message));
        }
    }
    queue_ = std::move(kept);
    return taken;
}

void Network::isolate(NodeId id) {
    for (const auto& [other, member] : members_) {
        if (other == id) continue;
        cut_.insert({id, other});
        cut_.insert({other, id});
    }
}

void Network::partition(const std::set<NodeId>& a, const std::set<NodeId>& b) {
    for (NodeId x : a) {
        for (NodeId y : b) {
            cut_.insert({x, y});
            cut_.insert({y, x});
        }
    }
}

NodeId Network::leader() const {
    NodeId leader = kNoNode;
    Term best = 0;
    for (const auto& [id, member] : members_) {
        NodeStatus status = member.node->status();
        if (status.soft_state.role == Role::kLeader && status.hard_state.term >= best) {
            best = status.hard_state.term;
            leader = id;
        }
    }
    return leader;
}

void Network::check_invariants() {
    std::vector<MemberView> views;
    for (const auto& [id, member] : members_) {
        views.push_back(view_of(*member.node));
        Status core = check_core(member.node->raft());
        INFO(core.to_string());
        REQUIRE(core.is_ok());
    }
    Status status = checker_.observe(views);
    INFO(status.to_string());
    REQUIRE(status.is_ok());
}

Solo::Solo(NodeId id, const std::vector<NodeId>& voters, ConfigTweak tweak) {
    ConfState conf_state;
    conf_state.voters = voters;
    storage_.set_conf_state(conf_state);
    Config config = test_config(id, &storage_, &random_);
    if (tweak) tweak(config);
    auto node = RawNode::create(config);
    REQUIRE(node.is_ok());
    node_ = std::move(node.value());
}

std::vector<Message> Solo::drain() {
    std::vector<Message> sent;
    while (node_->has_ready()) {
        Ready ready = node_->ready();
        if (!ready.snapshot.is_empty()) REQUIRE(storage_.apply_snapshot(ready.snapshot).is_ok());
        REQUIRE(storage_.append(ready.entries).is_ok());
        if (ready.hard_state) storage_.set_hard_state(*ready.hard_state);
        for (Message& message : ready.messages_before_persist) sent.push_back(std::move(message));
        for (Message& message : ready.messages) sent.push_back(std::move(message));
        for (ReadState& state : ready.read_states) read_states_.push_back(std::move(state));
        for (const Entry& entry : ready.committed_entries) applied_.push_back(entry);
        node_->advance();
    }
    check_invariants();
    return sent;
}

std::vector<Message> Solo::step(const Message& message) {
    Status status = node_->step(message);
    INFO(status.to_string());
    REQUIRE(status.is_ok());
    return drain();
}

std::vector<Message> Solo::tick(int n) {
    for (int i = 0; i < n; ++i) node_->tick();
    return drain();
}

void Solo::check_invariants() {
    Status core = check_core(node_->raft());
    INFO(core.to_string());
    REQUIRE(core.is_ok());
    Status status = check_member(view_of(*node_));
    INFO(status.to_string());
    REQUIRE(status.is_ok());
}

}  // namespace consensus::raft::test
