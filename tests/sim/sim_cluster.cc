#include "tests/sim/sim_cluster.h"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "consensus/assert.h"
#include "raft/invariants.h"

namespace consensus::sim {
namespace {

/// `prefix` followed by `id` in decimal. Built by appending: g++ 12 at -O3 reports a
/// false -Wrestrict for a one-character literal plus a temporary string.
std::string tagged(char prefix, std::uint64_t id) {
    std::string out(1, prefix);
    out += std::to_string(id);
    return out;
}

/// Write data is "w<id>"; anything else (the leader's empty entry) is not a write.
std::string write_data(std::uint64_t write_id) {
    return tagged('w', write_id);
}

std::optional<std::uint64_t> parse_write(const std::string& data) {
    if (data.size() < 2 || data[0] != 'w') return std::nullopt;
    std::uint64_t value = 0;
    for (std::size_t i = 1; i < data.size(); ++i) {
        if (data[i] < '0' || data[i] > '9') return std::nullopt;
        value = value * 10 + static_cast<std::uint64_t>(data[i] - '0');
    }
    return value;
}

/// The state machine's snapshot: the write ids it holds, comma-separated.
std::string encode_writes(const std::set<std::uint64_t>& writes) {
    std::string out;
    for (std::uint64_t id : writes) {
        if (!out.empty()) out += ',';
        out += std::to_string(id);
    }
    return out;
}

std::set<std::uint64_t> decode_writes(const std::string& data) {
    std::set<std::uint64_t> writes;
    std::uint64_t value = 0;
    bool has_digit = false;
    for (char c : data) {
        if (c == ',') {
            if (has_digit) writes.insert(value);
            value = 0;
            has_digit = false;
            continue;
        }
        value = value * 10 + static_cast<std::uint64_t>(c - '0');
        has_digit = true;
    }
    if (has_digit) writes.insert(value);
    return writes;
}

bool contains(const std::vector<NodeId>& ids, NodeId id) {
    return std::find(ids.begin(), ids.end(), id) != ids.end();
}

bool is_in_configuration(const raft::ConfState& conf, NodeId id) {
    return contains(conf.voters, id) || contains(conf.learners, id) ||
           contains(conf.voters_outgoing, id) || contains(conf.learners_next, id);
}

std::string describe_message(const char* verb, const raft::Message& message) {
    char line[160];
    std::snprintf(
        line, sizeof line,
        "%s %s %llu->%llu term %llu log_term %llu index %llu "
        "entries %zu commit %llu%s",
        verb, raft::message_type_name(message.type), static_cast<unsigned long long>(message.from),
        static_cast<unsigned long long>(message.to), static_cast<unsigned long long>(message.term),
        static_cast<unsigned long long>(message.log_term),
        static_cast<unsigned long long>(message.index), message.entries.size(),
        static_cast<unsigned long long>(message.commit), message.reject ? " reject" : "");
    return line;
}

}  // namespace

/// One input waiting for a member's core: inputs arrive while the member is between
/// ready() and advance() (its disk write is in flight) and wait for the advance, the
/// way etcd's node.go loop takes no new input for a Ready it has not finished.
struct SimCluster::Input {
    enum class Kind { kMessage, kTick, kPropose, kConfChange, kRead, kTransfer, kCampaign };
    Kind kind = Kind::kTick;
    raft::Message message;
    std::string context;
    raft::ConfChange change;
    NodeId target = kNoNode;
};

/// A simulated member: its SimDisk (durable) and its volatile state.
struct SimCluster::Member {
    struct PendingRead {
        std::uint64_t read_id = 0;
        std::size_t floor = 0;
        std::optional<Index> index;
    };

    NodeId id = kNoNode;
    bool up = false;
    /// Removed from the configuration and shut down for good.
    bool removed = false;
    /// Seen in an applied configuration (initial members start joined).
    bool joined = false;
    // Durable: survives crashes.
    SimDisk disk;
    // Volatile: lost on a crash.
    std::unique_ptr<raft::RawNode> node;
    std::optional<raft::Ready> pending;
    SimTime persist_at = 0;
    std::deque<Input> inbox;
    SimTime next_tick_at = 0;
    std::optional<SimTime> restart_at;
    raft::SoftState soft;
    Term term = 0;
    Index commit = 0;
    /// The core's commit index when `pending` was taken: a Ready carries the hard
    /// state only when the term or vote changed (ready.h), so the commit its entries
    /// were handed out under is read from the core.
    Index commit_at_ready = 0;
    Index applied = 0;
    raft::ConfState conf_state;
    std::set<std::uint64_t> writes;
    std::set<std::uint64_t> proposed;
    std::map<std::string, PendingRead> reads;
    /// A configuration change was applied since the last snapshot.
    bool snapshot_due = false;
    // Statistics.
    std::uint64_t snapshots_installed = 0;
};

SimCluster::SimCluster(const ClusterOptions& options, std::uint64_t seed)
    : options_(options),
      random_(seed),
      net_(&random_, options.net),
      crash_after_persist_per_mille_(options.crash_after_persist_per_mille),
      crash_after_vote_per_mille_(options.crash_after_vote_per_mille) {
    CONSENSUS_ASSERT(options_.members > 0);
    raft::ConfState initial;
    for (std::size_t k = 0; k < options_.members; ++k) initial.voters.push_back(next_id_ + k);
    for (std::size_t k = 0; k < options_.members; ++k) {
        auto m = std::make_unique<Member>();
        m->id = next_id_++;
        m->disk.bootstrap(initial);
        m->joined = true;
        Member& ref = *m;
        members_.emplace(ref.id, std::move(m));
        ref.up = true;
        start(ref);
    }
}

SimCluster::~SimCluster() = default;

SimCluster::Member& SimCluster::member(NodeId id) {
    auto it = members_.find(id);
    CONSENSUS_ASSERT(it != members_.end());
    return *it->second;
}

const SimCluster::Member& SimCluster::member(NodeId id) const {
    auto it = members_.find(id);
    CONSENSUS_ASSERT(it != members_.end());
    return *it->second;
}

void SimCluster::start(Member& m) {
    if (options_.mutate_drop_vote) m.disk.forget_vote();
    Result<raft::InitialState> initial = m.disk.storage().initial_state();
    CONSENSUS_ASSERT(initial.is_ok());
    Result<raft::Snapshot> snapshot = m.disk.storage().snapshot();
    CONSENSUS_ASSERT(snapshot.is_ok());
    // The state machine is rebuilt from the durable snapshot; the core then hands out
    // the committed entries after it again.
    m.writes = decode_writes(snapshot.value().data);
    m.applied = snapshot.value().metadata.index;
    m.conf_state = initial.value().conf_state;
    m.term = initial.value().hard_state.term;
    m.soft = raft::SoftState{};

    raft::Config config;
    config.id = m.id;
    config.election_ticks = options_.election_ticks;
    config.heartbeat_ticks = options_.heartbeat_ticks;
    config.storage = m.disk.storage_for_core();
    config.random = &random_;
    config.applied = m.applied;
    config.max_message_bytes = options_.max_message_bytes;
    config.max_inflight_messages = options_.max_inflight_messages;
    Result<std::unique_ptr<raft::RawNode>> node = raft::RawNode::create(config);
    if (!node.is_ok()) {
        checker_.on_driver_error(m.id, "restart failed: " + node.status().to_string());
        m.up = false;
        return;
    }
    m.node = std::move(node.value());
    // The recorded commit index may lag the snapshot; the core starts from the larger.
    m.commit = m.node->status().hard_state.commit;
    m.next_tick_at = now_ + random_.between(1, options_.tick_ms);
    checker_.on_restart(m.id, m.commit, m.applied);
    note("start member " + std::to_string(m.id) + " term " + std::to_string(m.term) + " commit " +
         std::to_string(m.commit) + " applied " + std::to_string(m.applied));
}

std::optional<SimTime> SimCluster::next_event_time() const {
    std::optional<SimTime> next = net_.next_delivery_time();
    auto consider = [&next](SimTime time) {
        if (!next || time < *next) next = time;
    };
    for (const auto& [id, m] : members_) {
        if (m->up && m->pending) consider(m->persist_at);
        if (!m->up && m->restart_at) consider(*m->restart_at);
        if (m->up) consider(m->next_tick_at);
    }
    return next;
}

bool SimCluster::step() {
    std::optional<SimTime> next = next_event_time();
    if (!next) return false;
    now_ = std::max(now_, *next);
    ++steps_;
    // The fixed tie-break order: network, disk, restart, tick; members by id.
    if (net_.next_delivery_time() == next) {
        Delivery delivery = net_.pop_due(now_);
        if (delivery.is_cut) {
            note(describe_message("cut", delivery.message));
            report_lost(delivery.message);
        } else {
            deliver(std::move(delivery.message));
        }
    } else {
        bool done = false;
        for (auto& [id, m] : members_) {
            if (m->up && m->pending && m->persist_at == *next) {
                finish_ready(*m);
                done = true;
                break;
            }
        }
        for (auto it = members_.begin(); !done && it != members_.end(); ++it) {
            Member& m = *it->second;
            if (!m.up && m.restart_at && *m.restart_at == *next) {
                m.restart_at.reset();
                restart(m.id);
                done = true;
            }
        }
        for (auto it = members_.begin(); !done && it != members_.end(); ++it) {
            Member& m = *it->second;
            if (m.up && m.next_tick_at == *next) {
                tick(m);
                done = true;
            }
        }
        CONSENSUS_ASSERT(done);
    }
    return true;
}

bool SimCluster::step_if_due_before(SimTime limit) {
    std::optional<SimTime> next = next_event_time();
    if (!next || *next >= limit) return false;
    return step();
}

void SimCluster::run_until(SimTime time) {
    while (checker_.ok()) {
        std::optional<SimTime> next = next_event_time();
        if (!next || *next > time) break;
        step();
    }
    now_ = std::max(now_, time);
}

void SimCluster::report_lost(const raft::Message& message) {
    // The transport notices a broken stream (a cut link, or a peer that is down) and
    // tells the sender, as etcd's rafthttp does. A lost snapshot must be reported, or
    // the leader waits in snapshot state for that follower forever
    // [etcd: raft/rawnode.go ReportSnapshot].
    auto sender = members_.find(message.from);
    if (sender == members_.end() || !sender->second->up) return;
    Input report;
    report.kind = Input::Kind::kMessage;
    report.message.type = message.type == raft::MessageType::kSnapshot
                              ? raft::MessageType::kSnapshotStatus
                              : raft::MessageType::kUnreachable;
    report.message.from = message.to;
    report.message.reject = true;
    enqueue(*sender->second, std::move(report));
}

void SimCluster::deliver(raft::Message message) {
    auto target = members_.find(message.to);
    if (target == members_.end() || !target->second->up) {
        note(describe_message("lost (target down)", message));
        report_lost(message);
        return;
    }
    note(describe_message("deliver", message));
    if (message.type == raft::MessageType::kSnapshot) {
        // The transport reports a snapshot that arrived, so the leader leaves its
        // snapshot-wait state for this follower.
        auto sender = members_.find(message.from);
        if (sender != members_.end() && sender->second->up) {
            Input report;
            report.kind = Input::Kind::kMessage;
            report.message.type = raft::MessageType::kSnapshotStatus;
            report.message.from = message.to;
            enqueue(*sender->second, std::move(report));
        }
    }
    Input input;
    input.kind = Input::Kind::kMessage;
    input.message = std::move(message);
    enqueue(*target->second, std::move(input));
}

void SimCluster::tick(Member& m) {
    m.next_tick_at += options_.tick_ms;
    Input input;
    input.kind = Input::Kind::kTick;
    enqueue(m, std::move(input));
}

void SimCluster::enqueue(Member& m, Input input) {
    if (!m.up) return;
    m.inbox.push_back(std::move(input));
    if (!m.pending) process_inputs(m);
}

void SimCluster::process_inputs(Member& m) {
    while (m.up && !m.pending && !m.inbox.empty()) {
        Input input = std::move(m.inbox.front());
        m.inbox.pop_front();
        apply_input(m, input);
        observe_role(m);
    }
    drive(m);
}

void SimCluster::apply_input(Member& m, Input& input) {
    switch (input.kind) {
        case Input::Kind::kTick:
            m.node->tick();
            return;
        case Input::Kind::kMessage:
            if (input.message.type == raft::MessageType::kSnapshotStatus) {
                m.node->report_snapshot(input.message.from, input.message.reject);
            } else if (input.message.type == raft::MessageType::kUnreachable) {
                m.node->report_unreachable(input.message.from);
            } else {
                // A rejected message is the core's answer to bad input, not a fault of
                // the driver, so the status is only traced.
                Status status = m.node->step(input.message);
                if (!status.is_ok()) note("step rejected: " + status.to_string());
            }
            return;
        case Input::Kind::kPropose: {
            Status status = m.node->propose(input.context);
            if (!status.is_ok()) m.proposed.erase(parse_write(input.context).value_or(0));
            note("propose " + input.context + " at " + std::to_string(m.id) + ": " +
                 status.to_string());
            return;
        }
        case Input::Kind::kConfChange: {
            Status status = m.node->propose_conf_change(input.change);
            note("propose conf change at " + std::to_string(m.id) + ": " + status.to_string());
            return;
        }
        case Input::Kind::kRead: {
            Status status = m.node->read_index(input.context);
            if (!status.is_ok()) m.reads.erase(input.context);
            return;
        }
        case Input::Kind::kTransfer:
            m.node->transfer_leadership(input.target);
            return;
        case Input::Kind::kCampaign:
            m.node->campaign();
            return;
    }
}

void SimCluster::drive(Member& m) {
    if (!m.up || m.pending || !m.node->has_ready()) return;
    raft::Ready ready = m.node->ready();
    m.commit_at_ready = m.node->status().hard_state.commit;
    if (ready.soft_state) m.soft = *ready.soft_state;
    observe_role(m);
    // The leader's own appends may go out before its disk write [thesis §10.2.1].
    send(m, ready.messages_before_persist);
    bool needs_disk =
        !ready.entries.empty() || ready.hard_state.has_value() || !ready.snapshot.is_empty();
    m.pending = std::move(ready);
    if (needs_disk) {
        m.persist_at = now_ + random_.between(options_.disk_min_ms, options_.disk_max_ms);
    } else {
        finish_ready(m);
    }
}

void SimCluster::finish_ready(Member& m) {
    raft::Ready ready = std::move(*m.pending);
    m.pending.reset();
    raft::HardState before = m.disk.storage().hard_state();
    persist(m, ready);
    if (!m.up) return;
    send(m, ready.messages);
    bool wrote = !ready.entries.empty() || ready.hard_state.has_value();
    // Term and vote changes are the writes whose loss is most dangerous [Raft Figure 2],
    // so a crash right after one is much likelier than after a plain append.
    bool voted = ready.hard_state &&
                 (ready.hard_state->term != before.term || ready.hard_state->vote != before.vote);
    std::uint64_t crash_per_mille =
        voted ? crash_after_vote_per_mille_ : crash_after_persist_per_mille_;
    if (wrote && random_.chance(crash_per_mille) && may_crash_one()) {
        // A crash right at a sync point: what was just written and announced must
        // survive, and the member comes back soon enough to meet the same term's
        // candidates again (the window that makes a lost vote dangerous).
        note("crash member " + std::to_string(m.id) + " right after a durable write");
        crash(m.id);
        schedule_restart(m.id, random_.between(1, options_.bounce_after_persist_max_ms));
        return;
    }
    apply(m, ready);
    if (!m.up) return;
    m.node->advance();
    observe_role(m);
    // The core's own per-member invariants (raft/invariants.h): contiguous log with
    // terms no larger than the current one, applied <= commit <= last index, a leader
    // that is a voter.
    Status invariant = raft::check_member(raft::view_of(*m.node));
    if (!invariant.is_ok()) checker_.on_core_invariant(m.id, invariant.message());
    process_inputs(m);
}

void SimCluster::persist(Member& m, const raft::Ready& ready) {
    Status status = m.disk.persist(ready);
    if (!status.is_ok()) checker_.on_driver_error(m.id, "persist: " + status.to_string());
    if (!ready.snapshot.is_empty() || !ready.entries.empty()) observe_log(m);
}

void SimCluster::send(Member& m, const std::vector<raft::Message>& messages) {
    for (const raft::Message& message : messages) {
        note(describe_message("send", message));
        bool queued = net_.send(message, now_);
        if (!queued && message.type == raft::MessageType::kSnapshot) {
            Input report;
            report.kind = Input::Kind::kMessage;
            report.message.type = raft::MessageType::kSnapshotStatus;
            report.message.from = message.to;
            report.message.reject = true;
            m.inbox.push_back(std::move(report));
        }
    }
}

void SimCluster::apply(Member& m, const raft::Ready& ready) {
    if (!ready.snapshot.is_empty()) {
        m.writes = decode_writes(ready.snapshot.data);
        m.applied = ready.snapshot.metadata.index;
        m.conf_state = ready.snapshot.metadata.conf_state;
        ++m.snapshots_installed;
        checker_.on_snapshot_restored(m.id, m.applied);
        note("member " + std::to_string(m.id) + " installs snapshot at " +
             std::to_string(m.applied));
    }
    if (m.commit_at_ready != m.commit) {
        m.commit = m.commit_at_ready;
        checker_.on_commit(m.id, m.commit);
    }
    for (const raft::Entry& entry : ready.committed_entries) {
        apply_entry(m, entry);
        if (!m.up) return;
    }
    for (const raft::ReadState& read_state : ready.read_states) {
        auto it = m.reads.find(read_state.request_context);
        if (it != m.reads.end()) it->second.index = read_state.index;
    }
    serve_reads(m);
    maybe_snapshot(m);
}

void SimCluster::apply_entry(Member& m, const raft::Entry& entry) {
    checker_.on_apply(m.id, entry, m.commit, m.term);
    m.applied = entry.index;
    if (entry.type == raft::EntryType::kConfChange) {
        Result<raft::ConfChange> change = raft::decode_conf_change(entry.data);
        if (!change.is_ok()) {
            checker_.on_driver_error(m.id, "conf change entry: " + change.status().to_string());
            return;
        }
        m.conf_state = m.node->apply_conf_change(change.value());
        m.snapshot_due = true;
        note("member " + std::to_string(m.id) + " applies conf change at " +
             std::to_string(entry.index));
        // Only the newest configuration retires members: a restarted member re-applies
        // old configurations that predate members added since.
        if (entry.index > latest_conf_index_) {
            latest_conf_index_ = entry.index;
            retire_removed(m.conf_state);
        }
        return;
    }
    std::optional<std::uint64_t> write_id = parse_write(entry.data);
    if (!write_id) return;
    m.writes.insert(*write_id);
    if (m.proposed.erase(*write_id) != 0) {
        acknowledged_.insert(*write_id);
        checker_.on_write_acknowledged(*write_id);
    }
}

void SimCluster::retire_removed(const raft::ConfState& conf_state) {
    for (auto& [id, m] : members_) {
        if (m->removed) continue;
        if (is_in_configuration(conf_state, id)) {
            m->joined = true;
            continue;
        }
        // A member created for an addition that has not committed yet is not removed.
        if (!m->joined) continue;
        note("member " + std::to_string(id) + " is removed and shuts down");
        crash(id);
        m->removed = true;
    }
}

void SimCluster::serve_reads(Member& m) {
    for (auto it = m.reads.begin(); it != m.reads.end();) {
        const Member::PendingRead& read = it->second;
        if (!read.index || *read.index > m.applied) {
            ++it;
            continue;
        }
        checker_.on_read_served(m.id, "read " + it->first, read.floor, m.writes);
        reads_served_.insert(read.read_id);
        it = m.reads.erase(it);
    }
}

void SimCluster::maybe_snapshot(Member& m) {
    Index snapshot_index = m.disk.snapshot_index();
    // A snapshot follows every configuration change: a member added later catches up
    // from the leader's latest snapshot, and the core ignores a snapshot whose
    // configuration does not name the receiver [etcd: raft/raft.go restore].
    bool due = m.snapshot_due || m.applied >= snapshot_index + options_.snapshot_entries;
    if (!due || m.applied <= snapshot_index) return;
    m.snapshot_due = false;
    Status status = m.disk.snapshot_and_compact(m.applied, m.conf_state, encode_writes(m.writes),
                                                options_.compaction_keep_entries);
    if (!status.is_ok()) checker_.on_driver_error(m.id, "snapshot: " + status.to_string());
    observe_log(m);
}

void SimCluster::observe_role(Member& m) {
    if (!m.node) return;
    raft::NodeStatus status = m.node->status();
    bool changed = status.soft_state != m.soft || status.hard_state.term != m.term;
    m.soft = status.soft_state;
    m.term = status.hard_state.term;
    if (changed) {
        note("member " + std::to_string(m.id) + " is " + raft::role_name(m.soft.role) +
             " in term " + std::to_string(m.term));
    }
    if (m.soft.role == raft::Role::kLeader) checker_.on_leader(m.id, m.term);
}

void SimCluster::observe_log(Member& m) {
    Result<LogView> view = m.disk.log_view();
    if (!view.is_ok()) {
        checker_.on_driver_error(m.id, "read log: " + view.status().to_string());
        return;
    }
    checker_.on_log(m.id, m.term, m.soft.role == raft::Role::kLeader, std::move(view.value()));
}

// ----- observation -----

std::vector<NodeId> SimCluster::member_ids() const {
    std::vector<NodeId> ids;
    for (const auto& [id, m] : members_) {
        if (!m->removed) ids.push_back(id);
    }
    return ids;
}

std::vector<NodeId> SimCluster::up_ids() const {
    std::vector<NodeId> ids;
    for (const auto& [id, m] : members_) {
        if (m->up) ids.push_back(id);
    }
    return ids;
}

bool SimCluster::is_up(NodeId id) const {
    return member(id).up;
}
bool SimCluster::has_joined(NodeId id) const {
    return member(id).joined;
}

NodeId SimCluster::leader() const {
    NodeId best = kNoNode;
    Term best_term = 0;
    for (const auto& [id, m] : members_) {
        if (m->up && m->soft.role == raft::Role::kLeader && m->term >= best_term) {
            best = id;
            best_term = m->term;
        }
    }
    return best;
}

raft::Role SimCluster::role(NodeId id) const {
    return member(id).soft.role;
}
Term SimCluster::term(NodeId id) const {
    return member(id).term;
}
Index SimCluster::commit(NodeId id) const {
    return member(id).commit;
}
Index SimCluster::applied(NodeId id) const {
    return member(id).applied;
}
const raft::ConfState& SimCluster::conf_state(NodeId id) const {
    return member(id).conf_state;
}
const std::set<std::uint64_t>& SimCluster::writes(NodeId id) const {
    return member(id).writes;
}
const raft::MemoryStorage& SimCluster::disk(NodeId id) const {
    return member(id).disk.storage();
}
std::uint64_t SimCluster::snapshots_installed(NodeId id) const {
    return member(id).snapshots_installed;
}

// ----- client inputs -----

std::uint64_t SimCluster::propose(NodeId id) {
    std::uint64_t write_id = next_write_id_++;
    Member& m = member(id);
    if (!m.up) return write_id;
    m.proposed.insert(write_id);
    Input input;
    input.kind = Input::Kind::kPropose;
    input.context = write_data(write_id);
    enqueue(m, std::move(input));
    return write_id;
}

std::uint64_t SimCluster::read(NodeId id) {
    std::uint64_t read_id = next_read_id_++;
    Member& m = member(id);
    if (!m.up) return read_id;
    std::string context = tagged('r', read_id);
    // The floor is taken now, when the client issues the read: every write already
    // acknowledged must be visible in the answer [thesis §6.4].
    m.reads[context] = Member::PendingRead{read_id, checker_.on_read_issued(), std::nullopt};
    Input input;
    input.kind = Input::Kind::kRead;
    input.context = context;
    enqueue(m, std::move(input));
    return read_id;
}

void SimCluster::propose_conf_change(NodeId id, const raft::ConfChange& change) {
    Input input;
    input.kind = Input::Kind::kConfChange;
    input.change = change;
    enqueue(member(id), std::move(input));
}

NodeId SimCluster::create_member() {
    auto m = std::make_unique<Member>();
    m->id = next_id_++;
    Member& ref = *m;
    members_.emplace(ref.id, std::move(m));
    ref.up = true;
    start(ref);
    return ref.id;
}

void SimCluster::transfer_leadership(NodeId id, NodeId transferee) {
    Input input;
    input.kind = Input::Kind::kTransfer;
    input.target = transferee;
    enqueue(member(id), std::move(input));
}

void SimCluster::campaign(NodeId id) {
    Input input;
    input.kind = Input::Kind::kCampaign;
    enqueue(member(id), std::move(input));
}

// ----- faults -----

void SimCluster::crash(NodeId id) {
    Member& m = member(id);
    if (!m.up) return;
    note("crash member " + std::to_string(id) + (m.pending ? " with a Ready not yet durable" : ""));
    m.up = false;
    m.node.reset();
    m.pending.reset();
    m.inbox.clear();
    m.reads.clear();
    m.proposed.clear();
    m.writes.clear();
    m.restart_at.reset();
    m.soft = raft::SoftState{};
}

void SimCluster::restart(NodeId id) {
    Member& m = member(id);
    if (m.up || m.removed) return;
    m.up = true;
    start(m);
}

bool SimCluster::may_crash_one() const {
    std::size_t members = 0;
    std::size_t down = 0;
    for (const auto& [id, m] : members_) {
        if (m->removed) continue;
        ++members;
        if (!m->up) ++down;
    }
    return down + 1 <= (members - 1) / 2;
}

void SimCluster::remove_member(NodeId id) {
    Member& m = member(id);
    crash(id);
    m.removed = true;
}

void SimCluster::schedule_restart(NodeId id, SimTime delay_ms) {
    Member& m = member(id);
    if (m.up || m.removed) return;
    m.restart_at = now_ + delay_ms;
}

// ----- reporting -----

void SimCluster::note(const std::string& text) {
    if (options_.verbose) {
        std::printf("%8llu ms  %s\n", static_cast<unsigned long long>(now_), text.c_str());
    }
    if (options_.trace_events_max == 0) return;
    trace_.push_back(TraceEvent{now_, text});
    while (trace_.size() > options_.trace_events_max) trace_.pop_front();
}

std::string SimCluster::format_trace() const {
    std::string out;
    for (const TraceEvent& event : trace_) {
        char stamp[32];
        std::snprintf(stamp, sizeof stamp, "%8llu ms  ",
                      static_cast<unsigned long long>(event.time));
        out += stamp;
        out += event.text;
        out += '\n';
    }
    return out;
}

}  // namespace consensus::sim
