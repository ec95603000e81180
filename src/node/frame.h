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
///
/// Connections. A member opens ONE outbound connection to each peer and only writes on
/// it; frames are pipelined without waiting for replies, and Raft's own messages carry
/// every acknowledgement. The first frame on a connection is the handshake naming the
/// cluster, the sender and the intended receiver. The receiver closes the connection
/// (and logs a rate-limited WARN) when the cluster id differs from its own, the sender
/// is not a known member, or the receiver is not the member addressed, so two clusters
/// on one host never exchange a message. A receiver never writes on an inbound
/// connection; a sender reads only to learn that the receiver closed it.
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

/// What a frame's payload holds (the `kind` byte of the header).
enum class FrameKind : std::uint8_t {
    kHandshake = 1,
    kMessage = 2,
    kSnapshotChunk = 3,
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

/// Header plus payload. Precondition: payload.size() fits in 32 bits (the caller
/// bounds it by frame_bytes_max, far below).
std::string encode_frame(FrameKind kind, std::string_view payload);

/// The 24-byte handshake payload (not yet framed).
std::string encode_handshake(const Handshake& handshake);
/// kCorruption unless `payload` is exactly kHandshakeBytes long.
Result<Handshake> decode_handshake(std::string_view payload);

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
