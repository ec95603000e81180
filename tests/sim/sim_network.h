#pragma once
/// SimNet: the simulated network between the members of one simulation. Messages are
/// delayed by a random amount within bounds, may be dropped, duplicated or held back
/// long enough to be reordered, and directed links can be cut to model symmetric and
/// asymmetric partitions. It is pure bookkeeping over virtual time: nothing happens
/// until the cluster asks for the next due message.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "consensus/types.h"
#include "raft/message.h"
#include "tests/sim/sim_random.h"

namespace consensus::sim {

/// Virtual time in milliseconds since the start of a run.
using SimTime = std::uint64_t;

/// Fault rates and delay bounds of a SimNet. Rates are per mille of sent messages.
struct NetConfig {
    SimTime delay_min_ms = 1;
    SimTime delay_max_ms = 6;
    /// A message that is held back gets an extra delay up to this bound, so later
    /// messages on the same link overtake it (reordering).
    SimTime hold_back_max_ms = 60;
    std::uint64_t drop_per_mille = 0;
    std::uint64_t duplicate_per_mille = 0;
    std::uint64_t hold_back_per_mille = 0;
};

/// Counters of what the network did, for summaries.
struct NetStats {
    std::uint64_t sent = 0;
    std::uint64_t delivered = 0;
    std::uint64_t dropped = 0;
    std::uint64_t duplicated = 0;
    std::uint64_t cut = 0;  ///< lost because a link was cut at delivery time
};

/// A message leaving the network: delivered, or lost because its link was cut.
struct Delivery {
    raft::Message message;
    bool is_cut = false;
};

/// The network. Owned by the cluster; borrows the cluster's SimRandom, which must
/// outlive it. Invariant: every queued message has deliver_at >= the time it was sent.
class SimNet {
public:
    SimNet(SimRandom* random, NetConfig config) : random_(random), config_(config) {}
    SimNet(const SimNet&) = delete;
    SimNet& operator=(const SimNet&) = delete;

    /// Queues `message` (from message.from to message.to) sent at `now`, applying the
    /// configured drop, duplicate and hold-back rates. False when it was dropped.
    bool send(const raft::Message& message, SimTime now);
    /// Delivery time of the earliest queued message, if any.
    std::optional<SimTime> next_delivery_time() const;
    /// Removes and returns the earliest queued message; is_cut tells that its link is
    /// cut at delivery time, so it must be discarded. Precondition:
    /// next_delivery_time() <= now.
    Delivery pop_due(SimTime now);

    /// Cuts the directed link from `source` to `target` (an asymmetric fault).
    void cut(NodeId source, NodeId target) { cuts_.insert({source, target}); }
    /// Cuts every link between `group` and the rest of `members`, both ways.
    void partition(const std::vector<NodeId>& group, const std::vector<NodeId>& members);
    /// Restores every link.
    void heal() { cuts_.clear(); }
    /// True when messages from `source` to `target` are currently lost.
    bool is_cut(NodeId source, NodeId target) const { return cuts_.count({source, target}) != 0; }
    /// True when no link is cut.
    bool is_healed() const { return cuts_.empty(); }

    /// Replaces the fault rates (delays stay within the new bounds from now on).
    void set_config(const NetConfig& config) { config_ = config; }
    const NetConfig& config() const { return config_; }
    const NetStats& stats() const { return stats_; }
    /// Number of messages in flight.
    std::size_t in_flight() const { return queue_.size(); }
    /// One line describing the cut links, e.g. "1->2 2->1" or "none".
    std::string describe_cuts() const;

private:
    void enqueue(const raft::Message& message, SimTime now);

    SimRandom* random_;
    NetConfig config_;
    NetStats stats_;
    /// Ordered by (delivery time, send sequence): the sequence is the fixed tie-break
    /// that makes delivery order a function of the seed alone.
    std::map<std::pair<SimTime, std::uint64_t>, raft::Message> queue_;
    std::uint64_t next_sequence_ = 0;
    std::set<std::pair<NodeId, NodeId>> cuts_;
};

}  // namespace consensus::sim
