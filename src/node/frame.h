#pragma once
/// Peer frames: the wire format of the TCP connections between members.
///
/// Framing. A connection carries a sequence of frames, each
///
///     version:u8  kind:u8  length:u32 LE  crc:u32 LE  payload:length bytes
///
/// The header is kFrameHeaderBytes (10) bytes. `version` is kFrameVersion; a receiver
/// refuses any other, so a future format is introduced under a new version number and
/// never by reinterpreting an old one. `crc` is the CRC-32C (wal/crc32c.h) of the
/// payload only; the header is checked field by field instead (version, known kind,
/// length within the receiver's frame_bytes_max). Integers are little-endian.
///
/// Kinds and payloads:
///   1 handshake       cluster_id:u64 LE  from:u64 LE  to:u64 LE   (kHandshakeBytes = 24)
///   2 message         one raft::Message as wal::encode_message (wal/codec.h) writes it
///   3 snapshot chunk  total:u64 LE  offset:u64 LE  data
///   4 membership request  from:u64 LE                    (kMembershipRequestBytes = 8)
///   5 membership answer   cluster_id:u64 LE  count:u32 LE  then `count` members, each
///                         id:u64 LE  name:str  peer_urls:list  client_urls:list, where
///                         str is length:u32 LE + bytes and list is count:u32 LE + strs
///   6 refusal             reason:u8                       (kRefusalBytes = 1)
///
/// Connections. A member opens ONE outbound connection to each peer and only writes on
/// it; frames are pipelined without waiting for replies, and Raft's own messages carry
/// every acknowledgement. The first frame on a connection is the handshake naming the
/// cluster, the sender and the intended receiver. The receiver closes the connection
/// (and logs a rate-limited WARN) when the cluster id differs from its own, the sender
/// is not a known member, or the receiver is not the member addressed, so two clusters
/// on one host never exchange a message. When the sender is a member this receiver
/// knows to be removed from the cluster, the receiver first writes one refusal frame
/// (reason 1, "removed") and then closes, as etcd answers a removed member's stream
/// with HTTP 410 Gone [etcd: server/etcdserver/api/rafthttp/http.go]; the sender then
/// knows it has been permanently removed and stops. Apart from that refusal a receiver
/// never writes on an inbound connection, and a sender reads only to learn of a
/// refusal or that the receiver closed the connection.
///
/// Joining. A member started with `--initial-cluster-state existing` and an empty data
/// dir does not know the cluster id yet. It opens a connection to a listed peer and
/// sends a membership request as the FIRST frame (instead of a handshake). The peer
/// answers with one membership answer frame (its cluster id and member table) and
/// closes [etcd: server/etcdserver/cluster_util.go GetClusterFromRemotePeers]. A
/// membership request later on a connection is a protocol error.
///
/// Snapshots. A MsgSnap whose encoding exceeds the sender's snapshot_chunk_bytes, and
/// any message whose encoding exceeds its frame_bytes_max, is split into
/// snapshot-chunk frames of at most snapshot_chunk_bytes data each: `total` is
/// the length of the whole encoding, `offset` where this chunk's data starts. Chunks of
/// one message are sent back to back, in order, with nothing in between; the receiver
/// appends them and decodes the message once offset + data == total. A chunk out of
/// order, with a different total, past the end, or beyond the receiver's
/// snapshot_bytes_max is a protocol error.
///
/// Errors. Anything malformed (bad version, unknown kind, oversize length, CRC
/// mismatch, a handshake of the wrong size, a bad chunk) closes the connection; the
/// sender reconnects with backoff and Raft retransmits whatever was lost. Frames are
/// never trusted beyond their checks: a length is compared with the bound before any
/// byte is buffered for it.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "consensus/service.h"
#include "consensus/status.h"
#include "consensus/types.h"

namespace consensus::node {

/// The only frame version this code writes and reads.
inline constexpr std::uint8_t kFrameVersion = 1;
/// Size of the fixed frame header.
inline constexpr std::size_t kFrameHeaderBytes = 10;
/// Size of a handshake payload.
inline constexpr std::size_t kHandshakeBytes = 24;
/// Size of the (total, offset) prefix of a snapshot-chunk payload.
inline constexpr std::size_t kSnapshotChunkHeaderBytes = 16;
/// Size of a membership request payload.
inline constexpr std::size_t kMembershipRequestBytes = 8;
/// Size of a refusal payload.
inline constexpr std::size_t kRefusalBytes = 1;
/// Most members a membership answer may list; a decoder refuses more. Far above any
/// real cluster (etcd recommends at most 7 voters), so it only bounds a damaged count.
inline constexpr std::uint32_t kMembershipAnswerMembersMax = 1024;
/// Most URLs one member of a membership answer may list (peer and client each).
inline constexpr std::uint32_t kMembershipAnswerUrlsMax = 64;

/// What a frame's payload holds (the `kind` byte of the header).
enum class FrameKind : std::uint8_t {
    kHandshake = 1,
    kMessage = 2,
    kSnapshotChunk = 3,
    kMembershipRequest = 4,
    kMembershipAnswer = 5,
    kRefusal = 6,
};

/// One decoded frame: its kind and its (CRC-checked) payload.
struct Frame {
    FrameKind kind = FrameKind::kMessage;
    std::string payload;
};

/// The first frame of every connection.
struct Handshake {
    std::uint64_t cluster_id = 0;
    NodeId from = kNoNode;
    NodeId to = kNoNode;

    bool operator==(const Handshake&) const = default;
};

/// One piece of a chunked message. `data` views the payload it was decoded from.
struct SnapshotChunk {
    std::uint64_t total_bytes = 0;
    std::uint64_t offset = 0;
    std::string_view data;
};

/// Asks a member for its cluster id and member table (see "Joining" above).
struct MembershipRequest {
    NodeId from = kNoNode;  ///< the asking member's id (from its own flags); for logs

    bool operator==(const MembershipRequest&) const = default;
};

/// A member's answer to a MembershipRequest: its cluster id and members by id.
struct MembershipAnswer {
    std::uint64_t cluster_id = 0;
    std::vector<service::Member> members;  ///< is_learner is not carried
};

/// Why a receiver refused a connection (the one byte of a refusal payload).
enum class RefusalReason : std::uint8_t {
    /// The sender was removed from the cluster; it must stop [etcd: rafthttp
    /// errMemberRemoved, "the member has been permanently removed from the cluster"].
    kRemoved = 1,
};

/// Header plus payload. Precondition: payload.size() fits in 32 bits (the caller
/// bounds it by frame_bytes_max, far below).
std::string encode_frame(FrameKind kind, std::string_view payload);

/// The 24-byte handshake payload (not yet framed).
std::string encode_handshake(const Handshake& handshake);
/// kCorruption unless `payload` is exactly kHandshakeBytes long.
Result<Handshake> decode_handshake(std::string_view payload);

/// The 8-byte membership request payload (not yet framed).
std::string encode_membership_request(const MembershipRequest& request);
/// kCorruption unless `payload` is exactly kMembershipRequestBytes long.
Result<MembershipRequest> decode_membership_request(std::string_view payload);

/// The membership answer payload (not yet framed). Precondition: at most
/// kMembershipAnswerMembersMax members, each with at most kMembershipAnswerUrlsMax
/// peer and client URLs.
std::string encode_membership_answer(const MembershipAnswer& answer);
/// kCorruption when the payload is truncated, has bytes left over, names cluster id 0
/// or member id 0, lists a member twice, or passes kMembershipAnswerMembersMax or
/// kMembershipAnswerUrlsMax. Members come back in the order they were encoded.
Result<MembershipAnswer> decode_membership_answer(std::string_view payload);

/// The 1-byte refusal payload (not yet framed).
std::string encode_refusal(RefusalReason reason);
/// kCorruption unless `payload` is exactly kRefusalBytes long and names a known reason.
Result<RefusalReason> decode_refusal(std::string_view payload);

/// Splits `encoded_message` into framed snapshot chunks of at most `chunk_bytes` data
/// bytes each, in order. Preconditions: chunk_bytes > 0 and encoded_message non-empty.
std::vector<std::string> encode_snapshot_chunk_frames(std::string_view encoded_message,
                                                      std::size_t chunk_bytes);
/// kCorruption when the payload is shorter than its prefix, the data is empty, or
/// offset + data passes total.
Result<SnapshotChunk> decode_snapshot_chunk(std::string_view payload);

/// Incremental frame parser for one inbound connection. Feed it the bytes as they
/// arrive and take out whole frames. After an error it stays failed: the connection
/// must be closed, since frame boundaries can no longer be trusted.
/// Memory: it buffers at most one frame (header + frame_bytes_max) plus the bytes of
/// the last append, because next() fails on an oversize length before buffering it.
class FrameReader {
public:
    /// frame_bytes_max bounds the payload of any one frame.
    explicit FrameReader(std::size_t frame_bytes_max);

    /// Appends received bytes (copied).
    void append(const char* data, std::size_t size);

    /// The next whole frame, std::nullopt when more bytes are needed, or an error:
    /// kInvalidArgument for an unknown version or kind or a length above
    /// frame_bytes_max, kCorruption for a CRC mismatch.
    Result<std::optional<Frame>> next();

    /// Bytes received and not yet returned as frames.
    std::size_t buffered_bytes() const { return buffer_.size() - consumed_; }

private:
    std::size_t frame_bytes_max_;
    std::string buffer_;
    std::size_t consumed_ = 0;  ///< Invariant: consumed_ <= buffer_.size().
    std::optional<Status> failure_;
};

/// Reassembles one chunked message from its snapshot-chunk frames, in order.
/// Owned by one inbound connection.
class SnapshotAssembler {
public:
    /// snapshot_bytes_max bounds the total size of a chunked message.
    explicit SnapshotAssembler(std::uint64_t snapshot_bytes_max);

    /// Adds the next chunk. Returns the whole encoding once the last chunk arrived,
    /// std::nullopt while more are expected, or kCorruption for a chunk that does not
    /// continue the current message (wrong offset or total) and kInvalidArgument for a
    /// total above snapshot_bytes_max.
    Result<std::optional<std::string>> add(const SnapshotChunk& chunk);

    /// True while a message is partly assembled.
    bool in_progress() const { return total_bytes_ != 0; }

private:
    std::uint64_t snapshot_bytes_max_;
    std::uint64_t total_bytes_ = 0;  ///< 0 when no message is in progress.
    std::string assembled_;  ///< Invariant: assembled_.size() < total_bytes_ if in progress.
};

}  // namespace consensus::node
