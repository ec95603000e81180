#pragma once
/// Bootstrap: the identity and the first durable state of a member that starts with
/// an empty data directory.
///
/// Choice: a new cluster starts from an identical snapshot on every member rather than
/// from etcd's ConfChange entries [etcd: server/etcdserver/raft.go startNode]. Every
/// member of `--initial-cluster-state new` writes, before it talks to anyone:
///   - snapshot at index 1, term 1, ConfState voters = every initial member, data =
///     an empty store plus the initial member table (snapshot data format in
///     entry_codec.h);
///   - HardState {term 1, vote none, commit 1}.
/// Why it is safe: each member computes the same bytes from the same flags (ids are
/// hashes of the initial cluster and token, see flags.h), so the members agree on
/// entry 1 without exchanging it, and the Log Matching property holds from the start
/// [Raft §5.3]. Term 1 carries no vote, so the first election is for term 2 as on
/// any restart. Index 1 being committed everywhere is true because it is identical
/// everywhere. A member that joins later (`existing`) starts with an empty log and no
/// ConfState; the leader's first AppendEntries finds nothing to match and sends it a
/// snapshot [Raft §7], which carries the store and member table.
///
/// Joining. The joining member's cluster id and first member table come from a running
/// member (membership_discovery.h) rather than from its flags: plan_join() turns that
/// answer into the plan, after checking that the cluster added this member (its peer
/// URL is listed, under the id its flags give) [etcd: server/etcdserver/server.go
/// NewServer, case !haveWAL && !cfg.NewCluster].

#include <cstdint>
#include <string>
#include <vector>

#include "consensus/service.h"
#include "consensus/status.h"
#include "consensus/types.h"
#include "node/flags.h"
#include "node/frame.h"
#include "node/url.h"
#include "raft/message.h"

namespace consensus::node {

/// Who this member is and which members the cluster starts with.
struct ClusterPlan {
    std::uint64_t cluster_id = 0;
    NodeId local_id = kNoNode;
    /// The initial members, ordered by id, with names and peer URLs from
    /// --initial-cluster (client URLs are published by each member once it runs).
    std::vector<service::Member> members;
};

/// The plan for `flags`: member ids from --initial-cluster and --initial-cluster-token,
/// the cluster id from those ids. For --initial-cluster-state existing the cluster
/// id is computed from the other members' ids, which is right only while the running
/// cluster still has the members it was formed with; consensusd therefore asks the
/// running members instead (plan_join below), and this guess serves only callers
/// that start a member without a network (tests). Errors: kInvalidArgument when
/// this member's name is not in --initial-cluster, or two names share a peer URL.
Result<ClusterPlan> plan_cluster(const Flags& flags);

/// The peer URLs a joining member asks for the cluster's members: every peer URL of
/// --initial-cluster except this member's own, in flag order (possibly none).
std::vector<Url> join_peer_urls(const Flags& flags);

/// The plan of a member joining a running cluster, from `answer`, a running member's
/// membership answer: its cluster id, and its member table as the first table (the
/// leader's snapshot replaces it later). The local id still comes from the flags.
/// Errors, kFailedPrecondition with one line: no member of `answer` has this member's
/// peer URL (the member was never added: "member not added to the cluster: use member
/// add first"), or the member with that peer URL has another id, which means the flags
/// (their --initial-cluster-token) belong to another cluster.
Result<ClusterPlan> plan_join(const Flags& flags, const MembershipAnswer& answer);

/// The snapshot every member of a new cluster starts from (see the file comment).
/// `empty_store_snapshot` is an empty store's save_snapshot() bytes.
raft::Snapshot bootstrap_snapshot(const ClusterPlan& plan, std::string empty_store_snapshot);

/// The hard state stored with bootstrap_snapshot: term 1, no vote, commit 1.
raft::HardState bootstrap_hard_state();

}  // namespace consensus::node
