#include "node/member.h"

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <set>
#include <utility>

#include <boost/asio/post.hpp>

#include "consensus/assert.h"
#include "consensus/log.h"
#include "kv/command.h"
#include "node/bootstrap.h"
#include "node/disk_writer.h"
#include "node/entry_codec.h"
#include "node/peer_transport.h"
#include "node/service_impl.h"
#include "node/url.h"
#include "raft/raft.h"
#include "wal/wal.h"

namespace consensus::node {

namespace {

constexpr const char* kComponent = "member";
/// Ready batches handled in one loop turn before yielding to other handlers, so a
/// burst of Raft traffic cannot starve client I/O and timers.
constexpr int kReadyBatchesPerTurnMax = 16;
/// Time the loop keeps running after stop() so queued replies and closes go out.
constexpr std::int64_t kStopGraceMs = 100;

unsigned long long as_ull(std::uint64_t value) {
    return static_cast<unsigned long long>(value);
}

std::vector<Url> parse_urls(const std::vector<std::string>& texts) {
    std::vector<Url> urls;
    for (const std::string& text : texts) {
        auto url = parse_url(text);
        if (url.is_ok()) {
            urls.push_back(url.value());
        } else {
            LOG_WARN(kComponent, "ignoring bad peer URL %s: %s", text.c_str(),
                     url.status().message().c_str());
        }
    }
    return urls;
}

/// Fail-stop on a durability error (STYLE §8): after a failed write or fsync nothing
/// this member acknowledges can be trusted, so it must not continue.
[[noreturn]] void fail_stop(const char* what, const Status& status) {
    LOG_ERROR(kComponent, "%s failed, stopping to protect durability: %s", what,
              status.to_string().c_str());
    std::abort();
}

}  // namespace

/// Randomness for election timeouts, seeded from the OS: production has no need to
/// replay a run (the simulator injects its own seeded source).
class Member::Random final : public raft::RandomSource {
public:
    Random() : engine_(std::random_device{}()) {}
    std::uint64_t next(std::uint64_t n) override {
        if (n == 0) return 0;
        return std::uniform_int_distribution<std::uint64_t>(0, n - 1)(engine_);
    }

private:
    std::mt19937_64 engine_;
};

/// The WAL as the Ready cycle's durable log; times each synced write.
class Member::WalLog final : public DurableLog {
public:
    WalLog(wal::Wal& wal, Metrics& metrics) : wal_(wal), metrics_(metrics) {}
    Status save_snapshot(const raft::Snapshot& snapshot) override {
        return wal_.save_snapshot(snapshot);
    }
    Status save(const std::optional<raft::HardState>& hard_state,
                const std::vector<raft::Entry>& entries, bool sync) override {
        auto started = std::chrono::steady_clock::now();
        Status saved = wal_.save(hard_state, entries, sync);
        if (sync) {
            std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
            metrics_.wal_fsync_seconds.observe(took.count());
        }
        return saved;
    }

private:
    wal::Wal& wal_;
    Metrics& metrics_;
};

/// The peer transport as the Ready cycle's message sender.
class Member::TransportSender final : public MessageSender {
public:
    explicit TransportSender(Member& member) : member_(member) {}
    void send(raft::Message message) override {
        if (message.type == raft::MessageType::kAppend) ++member_.send_append_count_;
        member_.transport_->send(std::move(message));
    }

private:
    Member& member_;
};

Member::Member(const Flags& flags, std::uint64_t cluster_id, NodeId local_id)
    : flags_(flags),
      cluster_id_(cluster_id),
      local_id_(local_id),
      random_(std::make_unique<Random>()),
      pending_(local_id, wall_now_unix_nanos() / 1'000'000),
      ticker_(io_),
      expiry_timer_(io_) {}

Member::~Member() = default;

service::Service& Member::service() {
    return *service_;
}

Result<std::unique_ptr<Member>> Member::create(const Flags& flags,
                                               std::optional<ClusterPlan> joined) {
    auto plan = joined.has_value() ? Result<ClusterPlan>(std::move(*joined)) : plan_cluster(flags);
    if (!plan.is_ok()) return plan.status();
    std::unique_ptr<Member> member(
        new Member(flags, plan.value().cluster_id, plan.value().local_id));
    member->start_time_unix_nanos_ = wall_now_unix_nanos();
    member->applier_ = std::make_unique<Applier>(
        member->store_, member->members_, member->pending_, member->metrics_,
        Applier::Hooks{
            [raw = member.get()](const raft::ConfChange& change) {
                return raw->raft_->apply_conf_change(change);
            },
            // A membership change is followed by a snapshot so that the snapshot a
            // joining member receives already lists it as a member; raft ignores a
            // snapshot whose ConfState lacks the receiver [etcd: raft restore()].
            [raw = member.get()](const service::Member& changed) {
                raw->snapshot_wanted_ = true;
                raw->on_member_changed(changed);
            },
            [raw = member.get()](NodeId id) {
                raw->snapshot_wanted_ = true;
                raw->on_member_removed(id);
            },
            [raw = member.get()]() { raw->on_members_restored(); },
        });
    for (const service::Member& initial : plan.value().members) member->members_.add(initial);
    Status opened = member->open_storage(flags);
    if (!opened.is_ok()) return opened;
    member->log_ = std::make_unique<WalLog>(*member->wal_, member->metrics_);
    member->disk_writer_ = std::make_unique<DiskWriter>(member->io_);

    TransportOptions options;
    options.cluster_id = member->cluster_id_;
    options.local_id = member->local_id_;
    Member* raw = member.get();
    PeerTransport::Handlers handlers;
    handlers.on_message = [raw](raft::Message message) {
        if (raw->stopping_) return;
        if (message.type == raft::MessageType::kAppend) ++raw->recv_append_count_;
        Status stepped = raw->raft_->step(message);
        if (!stepped.is_ok()) {
            LOG_DEBUG(kComponent, "dropped a message from %llx: %s", as_ull(message.from),
                      stepped.to_string().c_str());
        }
        raw->schedule_ready();
    };
    handlers.on_unreachable = [raw](NodeId peer) {
        if (raw->stopping_) return;
        raw->raft_->report_unreachable(peer);
        raw->schedule_ready();
    };
    handlers.on_snapshot_sent = [raw](NodeId peer, bool failed) {
        if (raw->stopping_) return;
        raw->raft_->report_snapshot(peer, failed);
        raw->schedule_ready();
    };
    // A member removed while it was down or cut off never applies its own removal;
    // a peer's refusal tells it instead, and it stops as etcd does on errMemberRemoved.
    handlers.on_removed = [raw](NodeId peer) {
        if (raw->stopping_) return;
        LOG_WARN(kComponent,
                 "the member has been permanently removed from the cluster (refused by %llx); "
                 "stopping",
                 as_ull(peer));
        raw->removed_ = true;
        raw->stop();
    };
    handlers.is_removed = [raw](NodeId id) { return raw->members_.is_removed(id); };
    handlers.membership = [raw]() {
        return MembershipAnswer{raw->cluster_id_, raw->members_.members()};
    };
    member->transport_ = std::make_unique<PeerTransport>(member->io_, options, std::move(handlers));
    member->sender_ = std::make_unique<TransportSender>(*member);
    member->connect_peers();

    Status built = member->build_raft(member->applier_->applied_index());
    if (!built.is_ok()) return built;
    member->service_ = std::make_unique<ServiceImpl>(*member);
    return member;
}

Status Member::open_storage(const Flags& flags) {
    const std::string& dir = flags.data_dir;
    if (wal::Wal::exists(dir)) {
        // A restart ignores the initial-cluster flags, as etcd does: the data dir says
        // who this member is. The one check left is that the dir was made for this
        // member, so a dir copied from another member is refused instead of making two
        // members share one identity.
        auto opened = wal::Wal::open_existing(dir);
        if (!opened.is_ok()) return opened.status();
        wal_ = std::move(opened.value());
        const wal::Identity& identity = wal_->identity();
        if (identity.member_id != local_id_) {
            return Status(StatusCode::kFailedPrecondition,
                          "consensusd: data dir " + dir + " belongs to member " +
                              format_id(identity.member_id) + " of cluster " +
                              format_id(identity.cluster_id) + ", but the flags name member " +
                              format_id(local_id_));
        }
        cluster_id_ = identity.cluster_id;
        Status kept = store_.keep_v3_history_in(dir);
        if (!kept.is_ok()) return kept;
        LOG_INFO(kComponent, "restarting member %llx of cluster %llx from %s", as_ull(local_id_),
                 as_ull(cluster_id_), dir.c_str());
        if (wal_->snapshot_metadata().index > 0) {
            auto snapshot = wal_->snapshot();
            if (!snapshot.is_ok()) return snapshot.status();
            applier_->restore(snapshot.value());
            snapshot_index_ = snapshot.value().metadata.index;
        }
        return Status::ok();
    }
    auto opened = wal::Wal::open(dir, wal::Identity{cluster_id_, local_id_});
    if (!opened.is_ok()) return opened.status();
    wal_ = std::move(opened.value());
    Status kept = store_.keep_v3_history_in(dir);
    if (!kept.is_ok()) return kept;
    if (flags.initial_cluster_state == "existing") {
        LOG_INFO(kComponent, "joining cluster %llx as member %llx; waiting for a snapshot",
                 as_ull(cluster_id_), as_ull(local_id_));
        return Status::ok();
    }
    auto plan = plan_cluster(flags);
    if (!plan.is_ok()) return plan.status();
    raft::Snapshot snapshot = bootstrap_snapshot(plan.value(), store_.save_snapshot());
    Status saved = wal_->save_snapshot(snapshot);
    if (!saved.is_ok()) return saved;
    saved = wal_->save(bootstrap_hard_state(), {}, true);
    if (!saved.is_ok()) return saved;
    applier_->restore(snapshot);
    snapshot_index_ = snapshot.metadata.index;
    LOG_INFO(kComponent, "bootstrapped member %llx of new cluster %llx with %zu members in %s",
             as_ull(local_id_), as_ull(cluster_id_), plan.value().members.size(), dir.c_str());
    return Status::ok();
}

Status Member::build_raft(Index applied) {
    auto initial = wal_->initial_state();
    if (!initial.is_ok()) return initial.status();
    if (applier_->applied_index() == 0) {
        applier_->reset(0, 0, initial.value().conf_state);
    }
    raft::Config config;
    config.id = local_id_;
    config.heartbeat_ticks = 1;
    config.election_ticks =
        static_cast<int>(flags_.election_timeout_ms / flags_.heartbeat_interval_ms);
    config.storage = wal_.get();
    config.random = random_.get();
    config.applied = applied;
    config.max_message_bytes = flags_.max_request_bytes;
    auto raft = raft::RawNode::create(config);
    if (!raft.is_ok()) return raft.status();
    raft_ = std::move(raft.value());
    return Status::ok();
}

Status Member::start() {
    for (const Url& url : flags_.listen_peer_urls) {
        Status listening = transport_->listen(url);
        if (!listening.is_ok()) return listening;
    }
    start_ticker();
    start_expiry_timer();
    // A cluster of one needs no election timeout to pass before serving: it is its own
    // quorum, so it campaigns at once.
    const raft::ConfState& conf = applier_->conf_state();
    if (conf.voters.size() == 1 && conf.voters[0] == local_id_ && conf.voters_outgoing.empty()) {
        raft_->campaign();
    }
    schedule_ready();
    LOG_INFO(kComponent, "member %llx (%s) started", as_ull(local_id_), flags_.name.c_str());
    return Status::ok();
}

void Member::run() {
    io_.run();
}

void Member::stop() {
    if (stopping_) return;
    record_commit();
    stopping_ = true;
    LOG_INFO(kComponent, "member %llx stopping", as_ull(local_id_));
    for (auto& hook : stop_hooks_) hook();
    queued_proposals_.clear();
    pending_.fail_all(Status(StatusCode::kUnavailable, kServerStoppedMessage));
    store_.close_all_watches();
    service_->close_v3_watches();
    transport_->stop();
    expiry_timer_.cancel();
    ticker_.cancel();
    ticker_.expires_after(std::chrono::milliseconds(kStopGraceMs));
    ticker_.async_wait([this](const boost::system::error_code&) { io_.stop(); });
}

void Member::start_ticker() {
    ticker_.expires_after(std::chrono::milliseconds(flags_.heartbeat_interval_ms));
    ticker_.async_wait([this](const boost::system::error_code& error) {
        if (error || stopping_) return;
        on_tick();
    });
}

void Member::on_tick() {
    raft_->tick();
    wal_garbage_due_ = true;
    if (!disk_writer_->is_busy()) maybe_collect_wal_garbage();
    metrics_.proposals_failed += pending_.expire(steady_now_ms());
    maybe_publish();
    maybe_settle();
    schedule_ready();
    // Re-arm from the previous expiry, not from now, so ticks do not drift.
    ticker_.expires_at(ticker_.expiry() + std::chrono::milliseconds(flags_.heartbeat_interval_ms));
    ticker_.async_wait([this](const boost::system::error_code& error) {
        if (error || stopping_) return;
        on_tick();
    });
}

void Member::start_expiry_timer() {
    expiry_timer_.expires_after(std::chrono::milliseconds(kExpirySyncIntervalMs));
    expiry_timer_.async_wait([this](const boost::system::error_code& error) {
        if (error || stopping_) return;
        on_expiry_sync();
        start_expiry_timer();
    });
}

void Member::on_expiry_sync() {
    // Only the leader's clock decides expiry, and it travels in the entry, so every
    // member removes the same keys at the same log position [etcd: v2 SYNC request].
    // v3 leases expire the same way: the leader proposes one revoke-expired command
    // stamped with its clock [etcd: lease/lessor.go revokeExpiredLeases, run on the
    // primary lessor only].
    if (soft_state_.role != raft::Role::kLeader) return;
    std::int64_t now = wall_now_unix_nanos();
    if (store_.has_expired(now)) propose_expiry(kv::Command::Kind::kV2ExpireSync, now);
    if (store_.v3_has_expired_lease(now)) {
        propose_expiry(kv::Command::Kind::kV3LeaseExpireSync, now);
    }
}

void Member::propose_expiry(kv::Command::Kind kind, std::int64_t now_unix_nanos) {
    kv::Command command;
    command.kind = kind;
    command.now_unix_nanos = now_unix_nanos;
    Status proposed = raft_->propose(encode_kv_entry(kv::encode_command(command)));
    if (!proposed.is_ok()) {
        LOG_DEBUG(kComponent, "expiry sync not proposed: %s", proposed.to_string().c_str());
    }
    schedule_ready();
}

void Member::schedule_ready() {
    if (ready_scheduled_ || stopping_) return;
    ready_scheduled_ = true;
    boost::asio::post(io_, [this] {
        ready_scheduled_ = false;
        if (!stopping_) drain_ready();
    });
}

void Member::drain_ready() {
    propose_queued();
    if (disk_writer_->is_busy()) {
        // Disk work is in flight (a synced write, or a quiet deletion of released
        // entries) and the next Ready waits for it (one write at a time, in order).
        // The leader's appends for what was proposed meanwhile need not wait: they
        // overlap its own write [thesis §10.2.1], and its own entries count toward
        // commit only after advance(). Nor need heartbeats and ReadIndex traffic,
        // which promise nothing about local state (ready.h step 3). The work's
        // completion (posted by the disk thread) finishes that Ready and drains the
        // next.
        for (raft::Message& message : raft_->take_messages_before_persist()) {
            sender_->send(std::move(message));
        }
        // Read points need nothing persisted: reads are answered while the disk is
        // busy, once the applied index reaches them (ready.h step 5).
        std::vector<raft::ReadState> read_states = raft_->take_read_states();
        if (!read_states.empty()) applier_->add_read_states(read_states);
        apply_durable_committed();
        return;
    }
    for (int batch = 0; batch < kReadyBatchesPerTurnMax; ++batch) {
        if (!raft_->has_ready()) return;
        raft::Ready ready = raft_->ready();
        if (ready.soft_state.has_value()) observe_soft_state(*ready.soft_state);
        send_messages_before_persist(ready, *sender_);
        Status persisted = persist_snapshot(ready, *log_, *applier_);
        if (!persisted.is_ok()) fail_stop("persisting a snapshot", persisted);
        if (needs_synced_write(ready)) {
            start_synced_save(std::move(ready));
            return;
        }
        // Nothing to write: a Ready carries a hard state only with a term or vote
        // change, which must be synced (raft/ready.h step 2).
        CONSENSUS_ASSERT(!ready.hard_state.has_value() && ready.entries.empty());
        if (!complete_ready(ready)) return;
    }
    schedule_ready();
}

void Member::start_synced_save(raft::Ready ready) {
    struct SyncedSave {
        raft::Ready ready;
        wal::PreparedSave prepared;
    };
    auto save = std::make_shared<SyncedSave>();
    // Committed entries already durable here need not wait for this write: apply them
    // now, the rest (committed but still in this write) once it is durable.
    apply_committed_prefix(ready.committed_entries, raft_->raft().log().stable_last_index());
    // The entries move into the write; finish_save moves them on into the WAL's
    // cache, so the batch is never copied.
    auto prepared = wal_->prepare_save(ready.hard_state, std::move(ready.entries), true);
    if (!prepared.is_ok()) fail_stop("persisting the Raft log", prepared.status());
    save->prepared = std::move(prepared.value());
    save->ready = std::move(ready);
    // The disk thread touches only the prepared batch and LevelDB; the loop keeps
    // reading the WAL as raft::Storage meanwhile and writes nothing to it until the
    // completion below runs (wal.h "Threading").
    auto write = [wal = wal_.get(), save] { return wal->write_prepared(save->prepared); };
    disk_writer_->submit(std::move(write), [this, save](Status written, double seconds) {
        Status finished = wal_->finish_save(std::move(save->prepared), written);
        if (!finished.is_ok()) fail_stop("persisting the Raft log", finished);
        metrics_.wal_fsync_seconds.observe(seconds);
        if (stopping_) return;
        // Straight on to the next Ready, not behind the client handlers queued
        // meanwhile: the next write should start as soon as the disk is free.
        if (complete_ready(save->ready)) drain_ready();
    });
}

void Member::apply_committed_prefix(std::vector<raft::Entry>& committed, Index durable) {
    std::size_t count = 0;
    while (count < committed.size() && committed[count].index <= durable) {
        applier_->apply(committed[count]);
        ++count;
    }
    committed.erase(committed.begin(), committed.begin() + static_cast<std::ptrdiff_t>(count));
}

void Member::apply_durable_committed() {
    // Entries acknowledged by a quorum while this member's own write is in flight
    // complete their requests now rather than after that write, which would add a
    // whole fsync to every request's latency. Only entries durable here are handed out
    // [etcd: raft async storage writes].
    for (;;) {
        std::vector<raft::Entry> entries = raft_->take_durable_committed_entries();
        if (entries.empty()) break;
        for (const raft::Entry& entry : entries) applier_->apply(entry);
    }
    applier_->release_reads();
    if (removed_ && !stopping_) {
        LOG_INFO(kComponent, "the member has been permanently removed from the cluster; stopping");
        stop();
    }
}

bool Member::complete_ready(raft::Ready& ready) {
    finish_persisted_ready(ready, *sender_, *applier_);
    raft_->advance();
    applier_->release_reads();
    maybe_snapshot(false);
    maybe_collect_wal_garbage();
    if (removed_) {
        LOG_INFO(kComponent, "the member has been permanently removed from the cluster; stopping");
        stop();
        return false;
    }
    return true;
}

void Member::observe_soft_state(const raft::SoftState& soft_state) {
    if (soft_state.leader_id != soft_state_.leader_id) {
        if (soft_state.leader_id != kNoNode) {
            ++metrics_.leader_changes_seen;
            leader_start_time_unix_nanos_ = wall_now_unix_nanos();
            LOG_INFO(kComponent, "member %llx elected leader %llx", as_ull(local_id_),
                     as_ull(soft_state.leader_id));
        } else {
            LOG_INFO(kComponent, "member %llx lost leader %llx", as_ull(local_id_),
                     as_ull(soft_state_.leader_id));
        }
    }
    // Pending proposals stay registered across a leader change: their entries may
    // still commit under the new leader, and the timeout bounds the wait otherwise.
    soft_state_ = soft_state;
}

bool snapshot_due(Index since_snapshot, Index threshold, bool is_leader, bool idle, bool wanted) {
    if (since_snapshot == 0) return false;
    if (wanted) return true;
    if (since_snapshot < threshold) return false;
    if (idle || !is_leader) return true;
    return since_snapshot >= 2 * threshold;
}

void Member::maybe_snapshot(bool idle) {
    Index applied = applier_->applied_index();
    if (applied <= snapshot_index_) return;
    const bool is_leader = soft_state_.role == raft::Role::kLeader;
    if (!snapshot_due(applied - snapshot_index_, snapshot_threshold(), is_leader, idle,
                      snapshot_wanted_)) {
        return;
    }
    snapshot_wanted_ = false;
    snapshotted_since_start_ = true;
    raft::Snapshot snapshot;
    snapshot.metadata.index = applied;
    snapshot.metadata.term = applier_->applied_term();
    snapshot.metadata.conf_state = applier_->conf_state();
    const std::int64_t started_ms = steady_now_ms();
    snapshot.data = encode_snapshot_data_head(members_.encode());
    // The store is as large as last time give or take: room for that and a quarter more
    // spares the copies of a doubling buffer, tens of MB each for a large store.
    snapshot.data.reserve(last_snapshot_bytes_ + last_snapshot_bytes_ / 4);
    store_.append_snapshot(&snapshot.data);
    const std::int64_t encoded_ms = steady_now_ms();
    const std::size_t snapshot_bytes = snapshot.data.size();
    last_snapshot_bytes_ = snapshot_bytes;
    Status saved = wal_->save_snapshot(snapshot);
    // The encoded state can be as large as the store itself. Once written it is not
    // needed (Wal::snapshot() reads the file back), so its memory goes back to the
    // system now rather than staying in the allocator's free lists.
    std::string().swap(snapshot.data);
    ::malloc_trim(0);
    if (saved.code() == StatusCode::kIOError) fail_stop("saving a snapshot", saved);
    if (!saved.is_ok()) {
        LOG_WARN(kComponent, "snapshot at %llu not saved: %s", as_ull(applied),
                 saved.to_string().c_str());
        return;
    }
    snapshot_index_ = applied;
    ++metrics_.snapshots_saved;
    LOG_INFO(kComponent,
             "saved snapshot at index %llu: %zu bytes, encoded in %lld ms, saved in %lld ms",
             as_ull(applied), snapshot_bytes, static_cast<long long>(encoded_ms - started_ms),
             static_cast<long long>(steady_now_ms() - encoded_ms));
    if (applied > kSnapshotCatchUpEntries) {
        // The released entries stay stored until maybe_collect_wal_garbage or
        // maybe_settle deletes them (wal_garbage_action).
        Status compacted = wal_->release(applied - kSnapshotCatchUpEntries);
        if (compacted.code() == StatusCode::kIOError) fail_stop("compacting the log", compacted);
    }
}

Index first_snapshot_threshold(Index snapshot_count, std::size_t rank, std::size_t member_count) {
    // Members apply the same entries at nearly the same moment, so with one threshold
    // they would all stop to encode a snapshot at once, and the quorum with them. The
    // later snapshots follow the first every snapshot_count entries and so stay apart
    // as well. Spreading by rank rather than by a hash of the id keeps every pair of
    // members apart, not only most pairs.
    if (member_count < 2) return snapshot_count;
    const Index spread = snapshot_count / 10 * 4;
    const Index last_rank = static_cast<Index>(member_count - 1);
    return snapshot_count + spread * std::min<Index>(rank, last_rank) / last_rank;
}

Index Member::snapshot_threshold() const {
    if (snapshotted_since_start_) return flags_.snapshot_count;
    return first_snapshot_threshold(flags_.snapshot_count, members_.rank(local_id_),
                                    members_.size());
}

WalGarbageAction wal_garbage_action(Index garbage_entries, bool quiet, Index snapshot_count) {
    if (garbage_entries == 0) return WalGarbageAction::kKeep;
    if (quiet) return WalGarbageAction::kDeleteApart;
    if (garbage_entries > 2 * snapshot_count) return WalGarbageAction::kDeleteChunk;
    return WalGarbageAction::kKeep;
}

void Member::maybe_collect_wal_garbage() {
    if (!wal_garbage_due_) return;
    wal_garbage_due_ = false;
    collect_wal_garbage(false);
}

void Member::collect_wal_garbage(bool quiet) {
    Status collected;
    switch (wal_garbage_action(wal_->garbage_entries(), quiet, flags_.snapshot_count)) {
        case WalGarbageAction::kKeep:
            return;
        case WalGarbageAction::kDeleteChunk:
            collected = wal_->collect_garbage(wal::kCompactEntriesPerCallMax);
            break;
        case WalGarbageAction::kDeleteApart:
            start_quiet_garbage_run();
            return;
    }
    if (collected.code() == StatusCode::kIOError) fail_stop("compacting the log", collected);
}

void Member::start_quiet_garbage_run() {
    CONSENSUS_ASSERT(!disk_writer_->is_busy());
    auto run =
        std::make_shared<wal::GarbageRun>(wal_->plan_garbage_run(kQuietGarbageEntriesMax, true));
    // The disk thread touches only the run and LevelDB; the loop writes nothing to the
    // WAL until the completion below runs (wal.h "Threading"), since every write waits
    // for an idle disk thread.
    auto work = [wal = wal_.get(), run] { return wal->delete_garbage_run(run.get()); };
    disk_writer_->submit(std::move(work), [this, run](Status deleted, double seconds) {
        const Index before = wal_->garbage_entries();
        Status finished = wal_->finish_garbage_run(*run, deleted);
        if (finished.code() == StatusCode::kIOError) fail_stop("compacting the log", finished);
        if (!finished.is_ok()) {
            LOG_WARN(kComponent, "deleting released log entries failed: %s",
                     finished.to_string().c_str());
        }
        LOG_DEBUG(kComponent, "deleted %llu released log entries in %.1f ms",
                  as_ull(before - wal_->garbage_entries()), seconds * 1000);
        if (stopping_) return;
        // Ready writes that came meanwhile waited for the disk thread.
        drain_ready();
    });
}

void Member::maybe_settle() {
    const Index applied = applier_->applied_index();
    const bool quiet = applied == applied_at_last_tick_;
    applied_at_last_tick_ = applied;
    const bool idle = quiet && !client_request_since_tick_;
    client_request_since_tick_ = false;
    if (!quiet) {
        settled_ = false;
        return;
    }
    if (disk_writer_->is_busy()) return;
    // A put-off snapshot holds the loop for as long as it takes, so not while reads are
    // being served either.
    if (idle) maybe_snapshot(true);
    if (!settled_) {
        settled_ = true;
        record_commit();
        ::malloc_trim(0);
    }
    // Every quiet tick deletes the next run of released entries, until none is left.
    // Last: the run occupies the disk thread, and record_commit needs it idle.
    collect_wal_garbage(true);
}

void Member::record_commit() {
    if (disk_writer_->is_busy()) return;
    const raft::HardState& recorded = wal_->hard_state();
    // The applied index, not the core's commit index: a follower's core may count as
    // committed entries it holds only in memory, which replace different entries still
    // in the WAL at the same indices; recording that commit would make a restart apply
    // the stale ones. Applied entries were durable before they were applied (ready.h
    // steps 2 and 4) and, being committed, are never replaced [Raft Figure 3, Leader
    // Completeness]. The term and vote stay the recorded ones; a newer term not yet
    // written is the next Ready's, with its own synced write.
    const Index commit = std::min(applier_->applied_index(), wal_->last_index());
    if (commit <= recorded.commit) return;
    Status saved = wal_->save(raft::HardState{recorded.term, recorded.vote, commit}, {}, false);
    // The record is a convenience, not a promise; a failing disk stops the member at
    // its next synced write.
    if (!saved.is_ok()) {
        LOG_WARN(kComponent, "recording the commit index failed: %s", saved.to_string().c_str());
    }
}

void Member::maybe_publish() {
    if (published_ || soft_state_.leader_id == kNoNode) return;
    std::vector<std::string> client_urls;
    for (const Url& url : flags_.advertise_client_urls) client_urls.push_back(url.to_string());
    const service::Member* self = members_.find(local_id_);
    if (self != nullptr && self->name == flags_.name && self->client_urls == client_urls) {
        published_ = true;
        return;
    }
    std::int64_t now = steady_now_ms();
    if (now < next_publish_ms_) return;
    next_publish_ms_ = now + kPublishRetryMs;
    // etcd publishes its attributes through the log so that every member (and every
    // later snapshot) knows them [etcd: server/etcdserver/server.go publish].
    Status proposed =
        raft_->propose(encode_member_attributes_entry(0, local_id_, flags_.name, client_urls));
    if (!proposed.is_ok()) {
        LOG_DEBUG(kComponent, "publish not proposed: %s", proposed.to_string().c_str());
    }
}

void Member::connect_peers() {
    std::set<NodeId> wanted;
    for (const service::Member& member : members_.members()) {
        if (member.id == local_id_) continue;
        wanted.insert(member.id);
        on_member_changed(member);
    }
    for (auto it = transport_peers_.begin(); it != transport_peers_.end();) {
        if (wanted.count(*it) == 0) {
            transport_->remove_peer(*it);
            it = transport_peers_.erase(it);
        } else {
            ++it;
        }
    }
}

void Member::on_member_changed(const service::Member& member) {
    if (member.id == local_id_ || !transport_) return;
    std::vector<Url> urls = parse_urls(member.peer_urls);
    if (transport_peers_.count(member.id) != 0) {
        transport_->update_peer(member.id, std::move(urls));
    } else {
        transport_->add_peer(member.id, std::move(urls));
        transport_peers_.insert(member.id);
    }
}

void Member::on_member_removed(NodeId id) {
    if (id == local_id_) {
        removed_ = true;
        return;
    }
    if (transport_ && transport_peers_.erase(id) != 0) transport_->remove_peer(id);
}

void Member::on_members_restored() {
    if (transport_) connect_peers();
    if (members_.is_removed(local_id_)) removed_ = true;
}

Result<std::uint64_t> Member::register_waiter(Waiter waiter) {
    std::uint64_t id = pending_.next_id();
    Status added = pending_.add(id, steady_now_ms() + kRequestTimeoutMs, std::move(waiter));
    if (!added.is_ok()) return added;
    return id;
}

void Member::propose_registered(std::uint64_t request_id, std::string data) {
    // Requests parsed in the same loop turn share one proposal, so the leader sends
    // one append per follower for all of them and each follower persists and
    // acknowledges them together, instead of one message round per request.
    if (stopping_) {
        pending_.complete(request_id, Status(StatusCode::kUnavailable, kServerStoppedMessage));
        return;
    }
    queued_proposals_.emplace_back(request_id, std::move(data));
    schedule_ready();
}

void Member::propose_queued() {
    if (queued_proposals_.empty()) return;
    std::vector<std::string> batch;
    batch.reserve(queued_proposals_.size());
    for (auto& queued : queued_proposals_) batch.push_back(std::move(queued.second));
    Status proposed = raft_->propose_batch(std::move(batch));
    if (!proposed.is_ok()) {
        for (const auto& queued : queued_proposals_) fail_refused(queued.first, proposed);
    }
    queued_proposals_.clear();
}

void Member::propose_conf_change_registered(std::uint64_t request_id,
                                            const raft::ConfChange& change) {
    // Earlier requests are proposed first, so the log keeps their arrival order.
    propose_queued();
    Status proposed = raft_->propose_conf_change(change);
    if (!proposed.is_ok()) fail_refused(request_id, proposed);
    schedule_ready();
}

void Member::read_index_registered(std::uint64_t request_id) {
    propose_queued();
    Status asked = raft_->read_index(encode_read_context(request_id));
    if (!asked.is_ok()) fail_refused(request_id, asked);
    schedule_ready();
}

void Member::fail_refused(std::uint64_t request_id, const Status& refused) {
    ++metrics_.proposals_failed;
    // Without a known leader etcd answers at once rather than waiting for the
    // timeout [etcd: server/etcdserver ErrNoLeader].
    if (soft_state_.leader_id == kNoNode) {
        pending_.complete(request_id, Status(StatusCode::kUnavailable, "etcdserver: no leader"));
        return;
    }
    if (refused.code() == StatusCode::kFailedPrecondition) {
        pending_.complete(request_id, refused);
        return;
    }
    pending_.complete(request_id,
                      Status(StatusCode::kUnavailable, "etcdserver: " + refused.message()));
}

std::int64_t Member::steady_now_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

std::int64_t Member::wall_now_unix_nanos() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace consensus::node
