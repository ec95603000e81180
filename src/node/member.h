#pragma once
/// Member: one running member of the cluster. It owns the single-threaded io_context
/// and wires the Raft core, the WAL, the kv store, the member table, the pending
/// request registry and the peer transport; http/ reaches it only through service()
/// (STYLE §3, §4).
///
/// Lifecycle: create() opens (or bootstraps) the data dir and restores the state;
/// start() listens on the peer URLs and starts the timers; run() runs the loop on the
/// calling thread until stop() has finished. stop() (idempotent, on the loop thread)
/// runs the on-stop hooks (main stops the HTTP server there), fails pending requests
/// with kUnavailable, closes every watch, stops the transport and the timers, so
/// run() returns. The WAL is closed when the Member is destroyed.
///
/// The loop: a ticker ticks Raft every heartbeat interval [Raft §5.2 timers in
/// ticks]; inputs (peer messages, proposals, ticks) schedule one drain of the Ready
/// per loop turn, so one fsync covers every proposal of that turn (STYLE §4).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "consensus/service.h"
#include "consensus/status.h"
#include "consensus/types.h"
#include "kv/store.h"
#include "node/applier.h"
#include "node/bootstrap.h"
#include "node/flags.h"
#include "node/membership.h"
#include "node/metrics.h"
#include "node/pending_requests.h"
#include "node/ready_loop.h"
#include "raft/raw_node.h"

namespace consensus::wal {
class Wal;
}

namespace consensus::node {

class DiskWriter;
class PeerTransport;
class ServiceImpl;

/// How often the leader checks for expired keys and proposes their removal, as etcd's
/// SYNC request [etcd: server/etcdserver/server.go monitorStorage / sync ticker].
inline constexpr std::int64_t kExpirySyncIntervalMs = 500;
/// Entries kept in the log behind a snapshot so a slightly slow follower catches up
/// from the log instead of a snapshot [etcd: server/etcdserver SnapshotCatchUpEntries].
inline constexpr Index kSnapshotCatchUpEntries = 5000;

/// Applied entries that trigger a member's first snapshot after it starts:
/// `snapshot_count` plus 0-40% of it, spread evenly by the member's `rank` among the
/// `member_count` members' ids (0 for the lowest), so that no two members stop to
/// snapshot at the same index.
Index first_snapshot_threshold(Index snapshot_count, std::size_t rank, std::size_t member_count);

/// Whether a member takes a snapshot now, `since_snapshot` applied entries after its
/// last one, given its `threshold` (snapshot_threshold). A snapshot encodes and writes
/// the whole state on the loop: hundreds of milliseconds for a v3 keyspace with a long
/// history, during which a leader commits nothing and answers nothing. So a leader
/// under load puts its snapshot off to its next `idle` tick (nothing applied and no
/// client request since the tick before), but never past twice the threshold, which
/// bounds its log as wal_garbage_action bounds the released entries. A follower's
/// snapshot stalls only itself, while the leader and the other followers commit, so it
/// snapshots on time. A membership change (`wanted`) is snapshotted at once.
bool snapshot_due(Index since_snapshot, Index threshold, bool is_leader, bool idle, bool wanted);

/// What a member does about the entries its snapshots released that the WAL still
/// stores (Wal::garbage_entries()).
enum class WalGarbageAction {
    kKeep,         ///< leave them for a quiet moment
    kDeleteChunk,  ///< delete the lowest kCompactEntriesPerCallMax now
    kDeleteApart,  ///< delete up to kQuietGarbageEntriesMax on the disk thread, apart
                   ///< from new entries (a Wal::GarbageRun with `apart`)
};
/// Released entries deleted per quiet tick. The run goes to the disk thread, so the
/// loop keeps answering reads meanwhile (a read-only load is quiet too); a write that
/// arrives during the run waits for it, so a run is kept short: 15-75 ms measured with
/// three members deleting at once on two cores. At one run per 100 ms tick a quiet
/// member still deletes up to about 300,000 entries a second.
inline constexpr std::size_t kQuietGarbageEntriesMax = std::size_t{1} << 15;
/// Deleting released entries while new ones are written is the costliest thing the
/// WAL does: the deletes land in LevelDB tables beside the new entries, and every
/// compaction of such a table rewrites the stored log in between (wal.h
/// collect_garbage_apart). So a member deletes them in large runs when it is quiet, and
/// under load only what exceeds twice `snapshot_count`, which bounds the disk a
/// member under unbroken load uses (etcd likewise keeps WAL files past its snapshots
/// and purges them on a timer [etcd: server/etcdserver purgeFile, --max-wals]).
WalGarbageAction wal_garbage_action(Index garbage_entries, bool quiet, Index snapshot_count);
/// How often a member retries publishing its name and client URLs until applied.
inline constexpr std::int64_t kPublishRetryMs = 1000;

class Member {
public:
    /// Opens or bootstraps `flags.data_dir` (see bootstrap.h), restores the store and
    /// member table from the latest snapshot and builds the Raft core; committed
    /// entries after the snapshot are re-applied by the first Ready cycles. Errors:
    /// kFailedPrecondition when the data dir belongs to another member or cluster;
    /// kInvalidArgument for inconsistent flags; kCorruption / kIOError from the WAL.
    /// `joined`, when given, is the plan of a member joining a running cluster (see
    /// plan_join in bootstrap.h) and replaces the plan computed from the flags.
    static Result<std::unique_ptr<Member>> create(const Flags& flags,
                                                  std::optional<ClusterPlan> joined = {});
    ~Member();
    Member(const Member&) = delete;
    Member& operator=(const Member&) = delete;

    /// The loop every component of this member runs on.
    boost::asio::io_context& io_context() { return io_; }
    /// The interface http/ serves. Valid for the Member's lifetime.
    service::Service& service();

    /// Listens on the peer URLs and starts the timers. Errors: kIOError naming an
    /// address that cannot be bound.
    Status start();
    /// Runs the loop on the calling thread until stop() completes.
    void run();
    /// Begins an orderly shutdown; see the class comment. Idempotent.
    void stop();
    /// Registers `hook` to run first during stop() (stop accepting clients).
    void add_stop_hook(std::function<void()> hook) { stop_hooks_.push_back(std::move(hook)); }

    NodeId id() const { return local_id_; }
    std::uint64_t cluster_id() const { return cluster_id_; }
    bool is_stopping() const { return stopping_; }
    /// True once this member applied its own removal (it then stops).
    bool was_removed() const { return removed_; }

private:
    friend class ServiceImpl;
    class WalLog;
    class TransportSender;
    class Random;

    Member(const Flags& flags, std::uint64_t cluster_id, NodeId local_id);

    Status open_storage(const Flags& flags);
    Status build_raft(Index applied);
    void connect_peers();
    void on_tick();
    void on_expiry_sync();
    /// Proposes a leader-decided expiry (v2 keys or v3 leases) stamped `now_unix_nanos`.
    void propose_expiry(kv::Command::Kind kind, std::int64_t now_unix_nanos);
    void schedule_ready();
    void drain_ready();
    /// Hands the Ready's synced write (hard state and entries) to the disk thread; the
    /// rest of the Ready waits for the write's completion [thesis §10.2.1].
    void start_synced_save(raft::Ready ready);
    /// Finishes a Ready whose hard state and entries are durable: sends, applies,
    /// advances. Returns false when the member stopped meanwhile (removed).
    bool complete_ready(raft::Ready& ready);
    /// Applies the entries of `committed` with index <= `durable` (a prefix, as the
    /// list is in index order) and removes them from it.
    void apply_committed_prefix(std::vector<raft::Entry>& committed, Index durable);
    /// While a synced write is in flight: applies the committed entries already durable
    /// here (RawNode::take_durable_committed_entries) and answers the reads they allow.
    void apply_durable_committed();
    void observe_soft_state(const raft::SoftState& soft_state);
    /// Snapshots when snapshot_due says so; `idle` on an idle tick (maybe_settle).
    /// Only while the disk thread is idle.
    void maybe_snapshot(bool idle);
    /// Applied entries since the last snapshot that trigger the next one:
    /// first_snapshot_threshold until one was taken, then flags_.snapshot_count.
    Index snapshot_threshold() const;
    /// Under load, deletes the next bounded chunk of the entries earlier snapshots
    /// released, at most once per tick, when more are stored than
    /// wal_garbage_action keeps. Only between synced writes: the loop writes nothing
    /// to the WAL while one is in flight (wal.h "Threading").
    void maybe_collect_wal_garbage();
    /// Deletes released entries as wal_garbage_action says for a member that is
    /// `quiet` or not: a chunk on the loop, or a quiet run on the disk thread
    /// (start_quiet_garbage_run). Only while the disk thread is idle.
    void collect_wal_garbage(bool quiet);
    /// Hands the disk thread the next run of released entries to delete, apart from new
    /// entries (Wal::GarbageRun). Ready writes wait for it like for any disk work, and
    /// its completion drains them. Precondition: the disk thread is idle.
    void start_quiet_garbage_run();
    /// On every quiet tick (one in which nothing was applied), takes the snapshot a
    /// leader put off under load if no client request came either (snapshot_due),
    /// and deletes the next run of released
    /// entries the WAL still stores (wal_garbage_action). Once per quiet
    /// spell, tidies up what a load left behind: records the commit index
    /// (record_commit) and returns the allocator's free memory to the system. glibc
    /// returns only the top of its heap by itself, so after a burst of writes the freed
    /// buffers, batches and superseded values would stay resident; the Go runtime etcd
    /// runs on scavenges its idle heap likewise. A trim of a fragmented heap of tens of
    /// MB takes up to tens of milliseconds, so it waits for a quiet tick rather than
    /// stalling a load.
    void maybe_settle();
    /// Writes the applied index to the WAL as the commit index (unsynced) when it
    /// moved past the recorded one. The Ready cycle writes the hard state only when the
    /// term or vote changes, since the commit index is volatile [Raft Figure 2]
    /// (raft/ready.h step 2); a member restarted after a quiet spell or a clean stop
    /// still applies at once what it had applied, without waiting to hear from a
    /// leader. Only while no synced write is in flight (wal.h "Threading").
    void record_commit();
    void maybe_publish();
    void on_member_changed(const service::Member& member);
    void on_member_removed(NodeId id);
    void on_members_restored();
    void start_ticker();
    void start_expiry_timer();

    /// Registers `waiter` under a fresh id with the default timeout. Returns the id, or
    /// the registry's error (the waiter is then dropped uncalled).
    Result<std::uint64_t> register_waiter(Waiter waiter);
    /// Proposes `data` for the registered request `request_id`. The proposal waits in
    /// queued_proposals_ until the next drain_ready of this loop turn, which proposes
    /// everything queued meanwhile as one batch. If Raft refuses the batch (no leader,
    /// proposal dropped) each of its requests fails with kUnavailable; its waiter runs
    /// synchronously then, so waiters must not answer clients inline.
    void propose_registered(std::uint64_t request_id, std::string data);
    /// Proposes the queued proposals as one batch (RawNode::propose_batch), in arrival
    /// order. Called before anything else asks Raft for work, so a batch never waits
    /// behind a later request.
    void propose_queued();
    /// As propose_registered, for a membership change.
    void propose_conf_change_registered(std::uint64_t request_id, const raft::ConfChange& change);
    /// Asks for a read point for the registered request; the request completes once
    /// the state machine has applied it [thesis §6.4].
    void read_index_registered(std::uint64_t request_id);
    /// Fails the registered request with a status derived from Raft's refusal.
    void fail_refused(std::uint64_t request_id, const Status& refused);

    std::int64_t steady_now_ms() const;
    static std::int64_t wall_now_unix_nanos();

    boost::asio::io_context io_{1};
    Flags flags_;
    std::uint64_t cluster_id_;
    NodeId local_id_;
    std::unique_ptr<wal::Wal> wal_;
    /// Runs the synced WAL writes. Declared after wal_ so it is destroyed (finishing
    /// its write in progress) before the Wal it writes to.
    std::unique_ptr<DiskWriter> disk_writer_;
    std::unique_ptr<Random> random_;
    std::unique_ptr<raft::RawNode> raft_;
    kv::Store store_;
    MemberTable members_;
    PendingRequests pending_;
    Metrics metrics_;
    std::unique_ptr<Applier> applier_;
    std::unique_ptr<WalLog> log_;
    std::unique_ptr<PeerTransport> transport_;
    std::unique_ptr<TransportSender> sender_;
    std::unique_ptr<ServiceImpl> service_;
    boost::asio::steady_timer ticker_;
    boost::asio::steady_timer expiry_timer_;
    std::vector<std::function<void()>> stop_hooks_;
    /// The peers the transport knows. Invariant: the members of members_ except self,
    /// once connect_peers() ran.
    std::set<NodeId> transport_peers_;

    bool ready_scheduled_ = false;
    /// Set by each tick, cleared when maybe_collect_wal_garbage runs.
    bool wal_garbage_due_ = false;
    /// Whether maybe_snapshot has taken a snapshot since this process started.
    bool snapshotted_since_start_ = false;
    /// Proposals of this loop turn, in arrival order: (request id, entry data).
    /// Invariant: empty, or a drain_ready is scheduled (ready_scheduled_ or stopping).
    std::vector<std::pair<std::uint64_t, std::string>> queued_proposals_;
    bool stopping_ = false;
    bool removed_ = false;
    bool published_ = false;
    /// Set when a membership change was applied: snapshot at the next opportunity.
    bool snapshot_wanted_ = false;
    std::int64_t next_publish_ms_ = 0;
    /// The applied index at the last tick, and whether the member settled since it
    /// last moved (maybe_settle).
    Index applied_at_last_tick_ = 0;
    /// Set by every client request (ServiceImpl's replies), cleared by each tick's
    /// maybe_settle: whether the tick was idle.
    bool client_request_since_tick_ = false;
    bool settled_ = false;
    Index snapshot_index_ = 0;
    /// The size of the last snapshot this process encoded (0: none yet).
    std::size_t last_snapshot_bytes_ = 0;
    raft::SoftState soft_state_;
    std::int64_t start_time_unix_nanos_ = 0;
    std::int64_t leader_start_time_unix_nanos_ = 0;
    std::uint64_t send_append_count_ = 0;
    std::uint64_t recv_append_count_ = 0;
};

}  // namespace consensus::node
