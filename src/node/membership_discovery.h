#pragma once
/// Membership discovery: how a member joining a running cluster learns the cluster id
/// and member table from the members already running, before it starts Raft
/// [etcd: server/etcdserver/cluster_util.go GetClusterFromRemotePeers].
///
/// Why: a joining member cannot derive the cluster id from its own flags. The id was
/// computed from the members the cluster was formed with, and once a member has been
/// removed the joining member's --initial-cluster lists other members, so any id it
/// derived would differ and every peer would refuse its handshakes. Asking a running
/// member gives the id the cluster really has.
///
/// How: over the peer transport's port, one short connection per attempt carrying a
/// membership request frame and, back, one membership answer frame (node/frame.h).
/// The peers are asked in turn, again and again, until one answers or the deadline
/// passes. Blocking: it runs its own io_context on the calling thread, before the
/// member's loop exists (main calls it during start-up).

#include <chrono>
#include <cstddef>
#include <functional>
#include <vector>

#include "consensus/status.h"
#include "consensus/types.h"
#include "node/frame.h"
#include "node/url.h"

namespace consensus::node {

/// Bounds of one discovery. Every wait is bounded, so a joining member whose peers are
/// all down fails with a clear error instead of hanging.
struct DiscoveryOptions {
    /// Total time spent asking before giving up.
    std::chrono::milliseconds deadline{10000};
    /// Time one attempt (connect, request, answer) may take.
    std::chrono::milliseconds attempt_timeout{2000};
    /// Pause after every listed peer failed once, before asking them again.
    std::chrono::milliseconds retry_delay{200};
    /// Largest answer frame accepted.
    std::size_t answer_bytes_max = 1 << 20;
};

/// Decides whether an answer is final. An answer that is not (for instance one that
/// does not list the joining member yet) makes discovery ask the next peer.
using AnswerCheck = std::function<bool(const MembershipAnswer&)>;

/// Asks the peers at `peer_urls` in turn for their cluster id and member table and
/// returns the first well-formed answer that `is_final` accepts (an empty `is_final`
/// accepts any). Why ask on: the member that answered may not have applied the
/// change that added the joining member yet (a follower applies it a heartbeat after
/// the leader acknowledged it), while another member, or the same one a moment later,
/// has. When the deadline passes after some answer was refused, the last such answer
/// is returned, so the caller can say exactly what is missing. `requester` is this
/// member's own id (only for the peers' logs). Errors: kInvalidArgument when
/// `peer_urls` is empty; kUnavailable when no peer answered before options.deadline,
/// naming the last failure.
Result<MembershipAnswer> fetch_membership(const std::vector<Url>& peer_urls, NodeId requester,
                                          const DiscoveryOptions& options,
                                          const AnswerCheck& is_final = {});

}  // namespace consensus::node
