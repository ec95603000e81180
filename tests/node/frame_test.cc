#include "node/frame.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace consensus::node {
namespace {

constexpr std::size_t kTestFrameBytesMax = 1 << 16;

/// Feeds `bytes` to a reader `step` bytes at a time and collects every frame.
std::vector<Frame> read_all(const std::string& bytes, std::size_t step,
                            std::size_t frame_bytes_max = kTestFrameBytesMax) {
    FrameReader reader(frame_bytes_max);
    std::vector<Frame> frames;
    for (std::size_t at = 0; at < bytes.size(); at += step) {
        std::size_t size = std::min(step, bytes.size() - at);
        reader.append(bytes.data() + at, size);
        while (true) {
            Result<std::optional<Frame>> frame = reader.next();
            REQUIRE(frame.is_ok());
            if (!frame.value().has_value()) break;
            frames.push_back(std::move(*frame.value()));
        }
        // One frame at most is ever buffered, plus the bytes of the last append.
        CHECK(reader.buffered_bytes() <= kFrameHeaderBytes + frame_bytes_max + step);
    }
    CHECK(reader.buffered_bytes() == 0);
    return frames;
}

/// The error a reader reports for `bytes` given in one piece.
Status first_error(const std::string& bytes, std::size_t frame_bytes_max = kTestFrameBytesMax) {
    FrameReader reader(frame_bytes_max);
    reader.append(bytes.data(), bytes.size());
    while (true) {
        Result<std::optional<Frame>> frame = reader.next();
        if (!frame.is_ok()) return frame.status();
        if (!frame.value().has_value()) return Status::ok();
    }
}

TEST_CASE("encode_frame: lays out version, kind, length and CRC-32C when framing a payload",
          "[node]") {
    std::string frame = encode_frame(FrameKind::kMessage, "123456789");
    REQUIRE(frame.size() == kFrameHeaderBytes + 9);
    CHECK(static_cast<unsigned char>(frame[0]) == kFrameVersion);
    CHECK(static_cast<unsigned char>(frame[1]) == 2);
    CHECK(frame.substr(2, 4) == std::string("\x09\x00\x00\x00", 4));
    // CRC-32C("123456789") = 0xE3069283, little-endian.
    CHECK(frame.substr(6, 4) == std::string("\x83\x92\x06\xe3", 4));
    CHECK(frame.substr(kFrameHeaderBytes) == "123456789");
}

TEST_CASE("FrameReader: returns every frame intact when bytes arrive in any split", "[node]") {
    const std::vector<std::pair<FrameKind, std::string>> sent = {
        {FrameKind::kHandshake, encode_handshake({7, 1, 2})},
        {FrameKind::kMessage, ""},
        {FrameKind::kMessage, "x"},
        {FrameKind::kMessage, std::string(40000, 'm')},
        {FrameKind::kSnapshotChunk, std::string(kTestFrameBytesMax, 's')},
    };
    std::string stream;
    for (const auto& [kind, payload] : sent) stream += encode_frame(kind, payload);
    for (std::size_t step : {std::size_t{1}, std::size_t{3}, std::size_t{4096}, stream.size()}) {
        INFO("step " << step);
        std::vector<Frame> frames = read_all(stream, step);
        REQUIRE(frames.size() == sent.size());
        for (std::size_t i = 0; i < sent.size(); ++i) {
            CHECK(frames[i].kind == sent[i].first);
            CHECK(frames[i].payload == sent[i].second);
        }
    }
}

TEST_CASE("FrameReader: fails and stays failed when a frame is corrupt", "[node]") {
    std::string good = encode_frame(FrameKind::kMessage, "payload");
    struct Case {
        std::string name;
        std::string bytes;
        StatusCode code;
        std::string fragment;
    };
    std::string bad_crc = good;
    bad_crc.back() ^= 0x01;
    std::string bad_header_crc = good;
    bad_header_crc[6] ^= 0x01;
    std::string bad_version = good;
    bad_version[0] = 2;
    std::string bad_kind = good;
    bad_kind[1] = 9;
    std::string zero_kind = good;
    zero_kind[1] = 0;
    std::string oversize = good;
    // Length field = limit + 1: refused from the header alone, before any payload.
    oversize.replace(2, 4, std::string("\x01\x00\x01\x00", 4));
    const std::vector<Case> cases = {
        {"payload bit flip", bad_crc, StatusCode::kCorruption, "CRC mismatch"},
        {"stored CRC bit flip", bad_header_crc, StatusCode::kCorruption, "CRC mismatch"},
        {"version 2", bad_version, StatusCode::kInvalidArgument, "version 2 is not supported"},
        {"kind 9", bad_kind, StatusCode::kInvalidArgument, "unknown frame kind 9"},
        {"kind 0", zero_kind, StatusCode::kInvalidArgument, "unknown frame kind 0"},
        {"length over the limit", oversize.substr(0, kFrameHeaderBytes),
         StatusCode::kInvalidArgument, "exceeds the limit"},
    };
    for (const Case& c : cases) {
        INFO(c.name);
        FrameReader reader(kTestFrameBytesMax);
        std::string bytes = good + c.bytes + good;
        reader.append(bytes.data(), bytes.size());
        Result<std::optional<Frame>> first = reader.next();
        REQUIRE(first.is_ok());
        CHECK(first.value().has_value());
        Result<std::optional<Frame>> second = reader.next();
        REQUIRE_FALSE(second.is_ok());
        CHECK(second.status().code() == c.code);
        CHECK(second.status().message().find(c.fragment) != std::string::npos);
        // The good frame after the corrupt one is never returned.
        CHECK_FALSE(reader.next().is_ok());
    }
}

TEST_CASE("FrameReader: refuses a frame when it is one byte over frame_bytes_max", "[node]") {
    constexpr std::size_t kLimit = 1024;
    CHECK(first_error(encode_frame(FrameKind::kMessage, std::string(kLimit, 'a')), kLimit).is_ok());
    Status over =
        first_error(encode_frame(FrameKind::kMessage, std::string(kLimit + 1, 'a')), kLimit);
    CHECK(over.code() == StatusCode::kInvalidArgument);
}

TEST_CASE("decode_handshake: round-trips when well formed and fails when the size is wrong",
          "[node]") {
    Handshake handshake{0xcdf818194e3a8c32ULL, 0x8211f1d0f64f3269ULL, 0xfd422379fda50e48ULL};
    std::string payload = encode_handshake(handshake);
    CHECK(payload.size() == kHandshakeBytes);
    Result<Handshake> decoded = decode_handshake(payload);
    REQUIRE(decoded.is_ok());
    CHECK(decoded.value() == handshake);
    for (std::size_t size : {std::size_t{0}, kHandshakeBytes - 1, kHandshakeBytes + 1}) {
        INFO(size);
        Result<Handshake> bad = decode_handshake(std::string(size, '\0'));
        REQUIRE_FALSE(bad.is_ok());
        CHECK(bad.status().code() == StatusCode::kCorruption);
    }
}

TEST_CASE("SnapshotAssembler: reassembles a message when it is split into chunks", "[node]") {
    std::string message;
    for (int i = 0; i < 10000; ++i) message.push_back(static_cast<char>(i * 7));
    struct Case {
        std::size_t chunk_bytes;
        std::size_t frames;
    };
    for (Case c : {Case{1000, 10}, Case{3000, 4}, Case{10000, 1}, Case{20000, 1}}) {
        INFO("chunk " << c.chunk_bytes);
        std::vector<std::string> frames = encode_snapshot_chunk_frames(message, c.chunk_bytes);
        CHECK(frames.size() == c.frames);
        SnapshotAssembler assembler(message.size());
        std::string stream;
        for (const std::string& frame : frames) stream += frame;
        std::vector<Frame> decoded = read_all(stream, 4096);
        REQUIRE(decoded.size() == c.frames);
        for (std::size_t i = 0; i < decoded.size(); ++i) {
            CHECK(decoded[i].kind == FrameKind::kSnapshotChunk);
            Result<SnapshotChunk> chunk = decode_snapshot_chunk(decoded[i].payload);
            REQUIRE(chunk.is_ok());
            Result<std::optional<std::string>> whole = assembler.add(chunk.value());
            REQUIRE(whole.is_ok());
            bool last = i + 1 == decoded.size();
            REQUIRE(whole.value().has_value() == last);
            CHECK(assembler.in_progress() == !last);
            if (last) CHECK(*whole.value() == message);
        }
    }
}

TEST_CASE("SnapshotAssembler: refuses chunks when they do not continue the message", "[node]") {
    std::string message(300, 'z');
    std::vector<std::string> frames = encode_snapshot_chunk_frames(message, 100);
    REQUIRE(frames.size() == 3);
    auto chunk_of = [&](std::size_t i) {
        Result<SnapshotChunk> chunk =
            decode_snapshot_chunk(std::string_view(frames[i]).substr(kFrameHeaderBytes));
        REQUIRE(chunk.is_ok());
        return chunk.value();
    };
    SECTION("a chunk without the beginning") {
        SnapshotAssembler assembler(1000);
        CHECK(assembler.add(chunk_of(1)).status().code() == StatusCode::kCorruption);
    }
    SECTION("a skipped chunk") {
        SnapshotAssembler assembler(1000);
        REQUIRE(assembler.add(chunk_of(0)).is_ok());
        CHECK(assembler.add(chunk_of(2)).status().code() == StatusCode::kCorruption);
    }
    SECTION("a different total") {
        SnapshotAssembler assembler(1000);
        REQUIRE(assembler.add(chunk_of(0)).is_ok());
        SnapshotChunk other = chunk_of(1);
        other.total_bytes = 301;
        CHECK(assembler.add(other).status().code() == StatusCode::kCorruption);
    }
    SECTION("a total above snapshot_bytes_max, with the bound itself accepted") {
        SnapshotAssembler small(299);
        CHECK(small.add(chunk_of(0)).status().code() == StatusCode::kInvalidArgument);
        SnapshotAssembler exact(300);
        CHECK(exact.add(chunk_of(0)).is_ok());
    }
}

TEST_CASE("decode_snapshot_chunk: refuses a chunk when it is empty or passes the end", "[node]") {
    auto payload = [](std::uint64_t total, std::uint64_t offset, std::string data) {
        std::string frame = encode_snapshot_chunk_frames(std::string(1, 'x'), 1)[0];
        std::string bytes = frame.substr(kFrameHeaderBytes, kSnapshotChunkHeaderBytes);
        for (int i = 0; i < 8; ++i)
            bytes[static_cast<std::size_t>(i)] = static_cast<char>(total >> (8 * i));
        for (int i = 0; i < 8; ++i)
            bytes[static_cast<std::size_t>(8 + i)] = static_cast<char>(offset >> (8 * i));
        return bytes + data;
    };
    CHECK(decode_snapshot_chunk(payload(10, 0, "abc")).is_ok());
    CHECK(decode_snapshot_chunk(payload(10, 7, "abc")).is_ok());
    CHECK_FALSE(decode_snapshot_chunk(payload(10, 0, "")).is_ok());
    CHECK_FALSE(decode_snapshot_chunk(payload(10, 8, "abc")).is_ok());
    CHECK_FALSE(decode_snapshot_chunk(payload(10, ~std::uint64_t{0}, "abc")).is_ok());
    CHECK_FALSE(decode_snapshot_chunk("short").is_ok());
}

}  // namespace
}  // namespace consensus::node

namespace consensus::node {
namespace {

MembershipAnswer sample_answer() {
    MembershipAnswer answer;
    answer.cluster_id = 0xcdf818194e3a8c32ULL;
    service::Member first;
    first.id = 0x8211f1d0f64f3269ULL;
    first.name = "infra1";
    first.peer_urls = {"http://127.0.0.1:2380"};
    first.client_urls = {"http://127.0.0.1:2379", "http://10.0.0.1:2379"};
    service::Member joining;  // Added, not started yet: no name, no client URLs.
    joining.id = 0xfd422379fda50e48ULL;
    joining.peer_urls = {"http://127.0.0.1:32380"};
    answer.members = {first, joining};
    return answer;
}

void check_same_members(const std::vector<service::Member>& actual,
                        const std::vector<service::Member>& expected) {
    REQUIRE(actual.size() == expected.size());
    for (std::size_t i = 0; i < actual.size(); ++i) {
        CHECK(actual[i].id == expected[i].id);
        CHECK(actual[i].name == expected[i].name);
        CHECK(actual[i].peer_urls == expected[i].peer_urls);
        CHECK(actual[i].client_urls == expected[i].client_urls);
    }
}

/// Little-endian bytes of `value`, `width` bytes wide.
std::string little_endian(std::uint64_t value, std::size_t width) {
    std::string bytes;
    for (std::size_t i = 0; i < width; ++i) bytes.push_back(static_cast<char>(value >> (8 * i)));
    return bytes;
}

TEST_CASE(
    "decode_membership_request: round-trips when well formed and fails when the size is "
    "wrong",
    "[node]") {
    std::string payload = encode_membership_request(MembershipRequest{0x8211f1d0f64f3269ULL});
    REQUIRE(payload.size() == kMembershipRequestBytes);
    Result<MembershipRequest> decoded = decode_membership_request(payload);
    REQUIRE(decoded.is_ok());
    CHECK(decoded.value().from == 0x8211f1d0f64f3269ULL);
    for (std::size_t size :
         {std::size_t{0}, kMembershipRequestBytes - 1, kMembershipRequestBytes + 1}) {
        INFO("size " << size);
        std::string resized = payload;
        resized.resize(size, '\0');
        Result<MembershipRequest> bad = decode_membership_request(resized);
        REQUIRE_FALSE(bad.is_ok());
        CHECK(bad.status().code() == StatusCode::kCorruption);
    }
}

TEST_CASE("decode_membership_answer: round-trips every field when well formed", "[node]") {
    MembershipAnswer answer = sample_answer();
    std::string framed =
        encode_frame(FrameKind::kMembershipAnswer, encode_membership_answer(answer));
    std::vector<Frame> frames = read_all(framed, 3);
    REQUIRE(frames.size() == 1);
    CHECK(frames[0].kind == FrameKind::kMembershipAnswer);
    Result<MembershipAnswer> decoded = decode_membership_answer(frames[0].payload);
    REQUIRE(decoded.is_ok());
    CHECK(decoded.value().cluster_id == answer.cluster_id);
    check_same_members(decoded.value().members, answer.members);
}

TEST_CASE("decode_membership_answer: refuses the payload when it is cut short anywhere", "[node]") {
    std::string payload = encode_membership_answer(sample_answer());
    // Every proper prefix is truncated somewhere: inside a count, a length or a string.
    for (std::size_t size = 0; size < payload.size(); ++size) {
        INFO("prefix of " << size << " bytes");
        Result<MembershipAnswer> bad = decode_membership_answer(payload.substr(0, size));
        REQUIRE_FALSE(bad.is_ok());
        CHECK(bad.status().code() == StatusCode::kCorruption);
    }
}

TEST_CASE("decode_membership_answer: refuses the payload when a field is damaged", "[node]") {
    std::string good = encode_membership_answer(sample_answer());
    std::string zero_cluster = good;
    zero_cluster.replace(0, 8, std::string(8, '\0'));
    std::string zero_member = good;
    zero_member.replace(12, 8, std::string(8, '\0'));
    std::string huge_count = good;
    huge_count.replace(8, 4, little_endian(kMembershipAnswerMembersMax + 1, 4));
    // A name length far past the payload's end must not be read, only refused.
    std::string huge_name = good;
    huge_name.replace(20, 4, little_endian(0xffffffffULL, 4));

    MembershipAnswer twice = sample_answer();
    twice.members[1].id = twice.members[0].id;
    MembershipAnswer many_urls = sample_answer();
    many_urls.members[0].peer_urls.assign(kMembershipAnswerUrlsMax, "http://127.0.0.1:1");
    std::string too_many_urls = encode_membership_answer(many_urls);
    // The URL count sits after id (8) and name (4 + 6) of the first member.
    std::size_t url_count_at = 12 + 8 + 4 + 6;
    too_many_urls.replace(url_count_at, 4, little_endian(kMembershipAnswerUrlsMax + 1, 4));

    struct Case {
        std::string name;
        std::string payload;
        std::string fragment;
    };
    const std::vector<Case> cases = {
        {"cluster id 0", zero_cluster, "cluster id 0"},
        {"member id 0", zero_member, "member id 0"},
        {"member count over the bound", huge_count, "more than"},
        {"name length past the end", huge_name, "truncated"},
        {"a member listed twice", encode_membership_answer(twice), "twice"},
        {"URL count over the bound", too_many_urls, "too many URLs"},
        {"a byte after the last member", good + "x", "bytes after"},
    };
    for (const Case& c : cases) {
        INFO(c.name);
        Result<MembershipAnswer> bad = decode_membership_answer(c.payload);
        REQUIRE_FALSE(bad.is_ok());
        CHECK(bad.status().code() == StatusCode::kCorruption);
        CHECK(bad.status().message().find(c.fragment) != std::string::npos);
    }
    // The bound itself is accepted.
    CHECK(decode_membership_answer(encode_membership_answer(many_urls)).is_ok());
}

TEST_CASE("decode_refusal: round-trips the removed reason and refuses damaged bytes", "[node]") {
    std::string payload = encode_refusal(RefusalReason::kRemoved);
    REQUIRE(payload.size() == kRefusalBytes);
    Result<RefusalReason> decoded = decode_refusal(payload);
    REQUIRE(decoded.is_ok());
    CHECK(decoded.value() == RefusalReason::kRemoved);

    const std::vector<std::string> damaged = {"", std::string(1, '\0'), std::string(1, '\x02'),
                                              payload + payload};
    for (const std::string& bytes : damaged) {
        INFO("payload of " << bytes.size() << " bytes");
        Result<RefusalReason> bad = decode_refusal(bytes);
        REQUIRE_FALSE(bad.is_ok());
        CHECK(bad.status().code() == StatusCode::kCorruption);
    }
}

TEST_CASE("FrameReader: accepts the membership and refusal kinds when they are framed", "[node]") {
    std::string bytes =
        encode_frame(FrameKind::kMembershipRequest, encode_membership_request({7})) +
        encode_frame(FrameKind::kMembershipAnswer, encode_membership_answer(sample_answer())) +
        encode_frame(FrameKind::kRefusal, encode_refusal(RefusalReason::kRemoved));
    std::vector<Frame> frames = read_all(bytes, 5);
    REQUIRE(frames.size() == 3);
    CHECK(frames[0].kind == FrameKind::kMembershipRequest);
    CHECK(frames[1].kind == FrameKind::kMembershipAnswer);
    CHECK(frames[2].kind == FrameKind::kRefusal);
    std::string kind_seven = encode_frame(FrameKind::kRefusal, "x");
    kind_seven[1] = 7;
    CHECK(first_error(kind_seven).code() == StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace consensus::node
