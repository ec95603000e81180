#pragma once
/// PeerTransport: persistent TCP connections between the members of one cluster,
/// carrying raft::Messages in the frames of node/frame.h.
///
/// Shape (after etcd's rafthttp streams [etcd: server/etcdserver/api/rafthttp]):
/// - one OUTBOUND connection per peer, opened at add_peer() and kept open; send()
///   queues the encoded message and frames are pipelined on that connection;
/// - INBOUND connections, accepted by listen(), only receive: the first frame must be
///   a handshake from a known member of this cluster addressed to this member, and
///   every later message is handed to Handlers::on_message. Two exceptions write one
///   frame back before closing: a handshake from a member Handlers::is_removed names
///   gets a "removed" refusal, and a membership request (a joining member asking for
///   the cluster id and member table) gets Handlers::membership's answer;
/// - a sender told by a refusal that it was removed reports Handlers::on_removed;
/// - a failed or closed outbound connection is retried with exponential backoff
///   (reconnect_backoff_min_ms doubling up to reconnect_backoff_max_ms), trying the
///   peer's URLs in turn.
///
/// Delivery is best effort, which is all Raft asks of its network [Raft §5.1: RPCs are
/// retried, messages may be lost]: messages are delivered in order per (sender,
/// receiver) while a connection lasts, and anything queued or in flight when it
/// breaks is dropped and reported through on_unreachable, so the leader falls back to
/// probing that follower [etcd: raft.ReportUnreachable].
///
/// Threading: everything runs on the one io_context given to the constructor (STYLE
/// §4); call every method on that io_context's thread. Handlers are invoked from that
/// io_context, never from inside send() or another method, and never after stop().
/// The two queries, is_removed and membership, run inline while a frame is handled
/// and must not call back into the transport. The io_context must outlive the
/// PeerTransport; the transport never calls run().
/// Resolving a host name (not an IP literal) uses Asio's resolver, which does the
/// lookup on Asio's own private thread and completes on the io_context.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "consensus/status.h"
#include "consensus/types.h"
#include "node/frame.h"
#include "node/rate_meter.h"
#include "node/url.h"
#include "raft/message.h"

namespace consensus::node {

/// Bounds and identity of one transport. Every bound has a test that reaches it.
struct TransportOptions {
    std::uint64_t cluster_id = 0;
    NodeId local_id = 0;
    /// Messages queued per peer before send() drops (and reports on_unreachable).
    std::size_t send_queue_messages_max = 4096;
    /// Encoded bytes queued per peer before send() drops. A single message larger
    /// than this is accepted only into an empty queue.
    std::size_t send_queue_bytes_max = 64 << 20;
    /// Largest frame payload written or accepted. A message whose encoding is larger is
    /// split into chunks, as is a MsgSnap larger than snapshot_chunk_bytes.
    std::size_t frame_bytes_max = 16 << 20;
    /// Data bytes per chunk of a chunked message.
    /// Invariant: 0 < snapshot_chunk_bytes <= frame_bytes_max - kSnapshotChunkHeaderBytes.
    std::size_t snapshot_chunk_bytes = 1 << 20;
    std::uint32_t reconnect_backoff_min_ms = 50;
    std::uint32_t reconnect_backoff_max_ms = 2000;
    /// Largest chunked message a receiver reassembles (bounds its memory per
    /// connection); a larger one closes the connection.
    std::uint64_t snapshot_bytes_max = std::uint64_t{4} << 30;
    /// Inbound connections open at once; further ones are closed on accept.
    std::size_t inbound_connections_max = 256;
};

/// Counters of the traffic with one peer, for etcd's /v2/stats. latency_ms_* are the
/// time from send() until the message was written to the connection.
struct PeerStats {
    std::uint64_t sent_messages = 0;
    std::uint64_t sent_bytes = 0;
    /// Messages dropped because the queue was full or lost on a broken connection.
    std::uint64_t failed = 0;
    std::uint64_t received_messages = 0;
    std::uint64_t received_bytes = 0;
    double latency_ms_last = 0;
    double latency_ms_avg = 0;
    double latency_ms_min = 0;
    double latency_ms_max = 0;
    double latency_ms_stddev = 0;
};

namespace detail {
struct TransportState;
class Outbound;
class Listener;
}  // namespace detail

/// The transport of one member. Owned by the member; not copyable. Lifecycle:
/// construct, listen(), add_peer() for each peer, then send() freely; stop() (or the
/// destructor) closes every connection and silences every handler.
class PeerTransport {
public:
    /// Callbacks into the member. Each may be empty.
    struct Handlers {
        /// A decoded message from a known peer of this cluster, addressed to this member.
        std::function<void(raft::Message)> on_message;
        /// A send to `peer` failed or was dropped, or the connection to it broke or
        /// could not be opened.
        std::function<void(NodeId peer)> on_unreachable;
        /// A MsgSnap to `peer` was fully written (failed = false) or dropped (true).
        std::function<void(NodeId peer, bool failed)> on_snapshot_sent;
        /// `peer` refused this member's connection because this member has been
        /// permanently removed from the cluster [etcd: rafthttp errMemberRemoved].
        std::function<void(NodeId peer)> on_removed;
        /// True when `id` has been removed from the cluster; its handshakes are then
        /// answered with a "removed" refusal rather than only closed. Called on
        /// every handshake; empty means no member is known to be removed.
        std::function<bool(NodeId id)> is_removed;
        /// This member's cluster id and member table, for a joining member's
        /// membership request. Empty: such requests are refused (closed).
        std::function<MembershipAnswer()> membership;
    };

    /// Preconditions: options.local_id != 0, 0 < snapshot_chunk_bytes <=
    /// frame_bytes_max - kSnapshotChunkHeaderBytes, and reconnect_backoff_min_ms <=
    /// reconnect_backoff_max_ms (programmer errors: asserted).
    PeerTransport(boost::asio::io_context& io, TransportOptions options, Handlers handlers);
    /// Calls stop().
    ~PeerTransport();
    PeerTransport(const PeerTransport&) = delete;
    PeerTransport& operator=(const PeerTransport&) = delete;

    /// Binds and listens on url (port 0 picks a free port; see listen_urls()) and
    /// starts accepting. kIOError naming the address when it cannot be resolved or
    /// bound; kFailedPrecondition after stop(). May be called once per listen URL.
    Status listen(const Url& url);

    /// Adds a peer and starts connecting to it. An id already known is updated as by
    /// update_peer(); the local id is ignored (a member does not send to itself).
    /// Precondition: urls is not empty.
    void add_peer(NodeId id, std::vector<Url> urls);
    /// Replaces a peer's URLs; an open connection is kept only if its URL remains.
    /// An unknown id is added.
    void update_peer(NodeId id, std::vector<Url> urls);
    /// Forgets a peer: closes its connections (queued messages are dropped without a
    /// report) and refuses it from then on. An unknown id is ignored.
    void remove_peer(NodeId id);

    /// Queues message for message.to and returns at once. Drops it, reporting
    /// on_unreachable(message.to) (and on_snapshot_sent(to, true) for a MsgSnap), when
    /// the peer is unknown or its queue is full (send_queue_messages_max or
    /// send_queue_bytes_max); a drop for a full queue also counts in PeerStats::failed.
    /// Precondition: raft::is_network_message(message.type). Ignored after stop().
    void send(raft::Message message);

    /// Closes the listeners and every connection. No handler runs after it returns,
    /// including ones already queued on the io_context. Idempotent.
    void stop();

    /// Traffic counters for one peer (zeros for an unknown peer).
    PeerStats stats(NodeId id) const;
    /// The cluster id this transport was built with; handshakes must carry it.
    std::uint64_t cluster_id() const;
    /// The addresses actually listened on (ports resolved), in listen() order.
    std::vector<Url> listen_urls() const;
    /// Inbound connections closed for a refused handshake or a protocol error.
    std::uint64_t refused_connections() const;

    /// The moving rate of AppendEntries requests (MsgApp) handed to send() for a
    /// known peer, and their framed bytes, as etcd's sendPkgRate and
    /// sendBandwidthRate [etcd: server/etcdserver/api/v2stats/server.go SendAppendReq].
    Rate sent_append_rate();
    /// The same for AppendEntries requests received from peers (recvPkgRate,
    /// recvBandwidthRate; etcd: RecvAppendReq).
    Rate received_append_rate();

private:
    std::shared_ptr<detail::TransportState> state_;
    std::map<NodeId, std::shared_ptr<detail::Outbound>> outbound_;
    std::vector<std::shared_ptr<detail::Listener>> listeners_;
};

}  // namespace consensus::node
