#include "tests/sim/sim_network.h"

#include "consensus/assert.h"

namespace consensus::sim {

bool SimNet::send(const raft::Message& message, SimTime now) {
    ++stats_.sent;
    if (random_->chance(config_.drop_per_mille)) {
        ++stats_.dropped;
        return false;
    }
    enqueue(message, now);
    // A duplicate is an independent copy with its own delay, so it can arrive before
    // or long after the original, as a retransmitting transport would deliver it.
    if (random_->chance(config_.duplicate_per_mille)) {
        ++stats_.duplicated;
        enqueue(message, now);
    }
    return true;
}

void SimNet::enqueue(const raft::Message& message, SimTime now) {
    SimTime delay = random_->between(config_.delay_min_ms, config_.delay_max_ms);
    if (random_->chance(config_.hold_back_per_mille)) {
        delay += random_->between(0, config_.hold_back_max_ms);
    }
    queue_.emplace(std::make_pair(now + delay, next_sequence_++), message);
}

std::optional<SimTime> SimNet::next_delivery_time() const {
    if (queue_.empty()) return std::nullopt;
    return queue_.begin()->first.first;
}

Delivery SimNet::pop_due(SimTime now) {
    CONSENSUS_ASSERT(!queue_.empty());
    auto first = queue_.begin();
    CONSENSUS_ASSERT(first->first.first <= now);
    Delivery delivery{std::move(first->second), false};
    queue_.erase(first);
    // The cut is checked on arrival, so a partition also loses what was already in
    // flight when it started, as a real broken link would.
    delivery.is_cut = is_cut(delivery.message.from, delivery.message.to);
    if (delivery.is_cut) {
        ++stats_.cut;
    } else {
        ++stats_.delivered;
    }
    return delivery;
}

void SimNet::partition(const std::vector<NodeId>& group, const std::vector<NodeId>& members) {
    std::set<NodeId> inside(group.begin(), group.end());
    for (NodeId a : group) {
        for (NodeId b : members) {
            if (inside.count(b) != 0) continue;
            cut(a, b);
            cut(b, a);
        }
    }
}

std::string SimNet::describe_cuts() const {
    if (cuts_.empty()) return "none";
    std::string out;
    for (const auto& [source, target] : cuts_) {
        if (!out.empty()) out += ' ';
        out += std::to_string(source) + "->" + std::to_string(target);
    }
    return out;
}

}  // namespace consensus::sim
