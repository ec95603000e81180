#include "wal/codec.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace consensus::wal {
namespace {

using raft::ConfChange;
using raft::ConfChangeSingle;
using raft::ConfChangeType;
using raft::ConfState;
using raft::Entry;
using raft::EntryType;
using raft::HardState;
using raft::Message;
using raft::MessageType;
using raft::Snapshot;
using raft::SnapshotMetadata;

constexpr std::uint64_t kMax = UINT64_MAX;

const std::string kBinary("\0\x01\xff\x80 bytes\n", 11);

ConfState full_conf_state() {
    return ConfState{{1, 2, kMax}, {4}, {1, 5}, {5}, true};
}

Snapshot full_snapshot() {
    return Snapshot{SnapshotMetadata{kMax - 1, 7, full_conf_state()}, kBinary};
}

Message full_message(MessageType type) {
    Message message;
    message.type = type;
    message.to = 2;
    message.from = kMax;
    message.term = 9;
    message.log_term = 8;
    message.index = 1u << 20;
    message.entries = {Entry{8, (1u << 20) + 1, EntryType::kNormal, kBinary},
                       Entry{9, (1u << 20) + 2, EntryType::kConfChange, ""}};
    message.commit = 1u << 19;
    message.snapshot = full_snapshot();
    message.reject = true;
    message.reject_hint = 300;
    message.context = "transfer";
    return message;
}

bool is_decode_error(const Status& status) {
    return status.code() == StatusCode::kCorruption ||
           status.code() == StatusCode::kInvalidArgument;
}

/// A named valid encoding and a decoder for its type that only reports the status.
struct Encoded {
    std::string name;
    std::string bytes;
    std::function<Status(std::string_view)> decode;
};

template <typename T>
std::function<Status(std::string_view)> status_of(Result<T> (*decoder)(std::string_view)) {
    return [decoder](std::string_view bytes) { return decoder(bytes).status(); };
}

std::vector<Encoded> valid_encodings() {
    std::vector<Encoded> out = {
        {"entry", encode_entry(Entry{3, 4, EntryType::kConfChange, kBinary}),
         status_of(decode_entry)},
        {"hard state", encode_hard_state(HardState{kMax, 3, 1000}), status_of(decode_hard_state)},
        {"conf state", encode_conf_state(full_conf_state()), status_of(decode_conf_state)},
        {"snapshot metadata", encode_snapshot_metadata(full_snapshot().metadata),
         status_of(decode_snapshot_metadata)},
        {"snapshot", encode_snapshot(full_snapshot()), status_of(decode_snapshot)},
    };
    for (int raw = 0; raw <= static_cast<int>(MessageType::kCheckQuorum); ++raw) {
        const auto type = static_cast<MessageType>(raw);
        if (!raft::is_network_message(type)) continue;
        out.push_back({std::string("message ") + raft::message_type_name(type),
                       encode_message(full_message(type)), status_of(decode_message)});
    }
    return out;
}

template <typename T>
void check_round_trip(const T& value, std::string (*encoder)(const T&),
                      Result<T> (*decoder)(std::string_view)) {
    const std::string bytes = encoder(value);
    Result<T> decoded = decoder(bytes);
    REQUIRE(decoded.is_ok());
    CHECK(decoded.value() == value);
    CHECK(encoder(decoded.value()) == bytes);
}

TEST_CASE("codec: entries round-trip when fields take edge values", "[wal]") {
    const std::vector<Entry> cases = {
        Entry{},
        Entry{1, 1, EntryType::kNormal, ""},
        Entry{kMax, kMax, EntryType::kConfChange, kBinary},
        Entry{127, 128, EntryType::kNormal, std::string(300, 'x')},
    };
    for (const Entry& entry : cases) {
        INFO("entry " << entry.index);
        check_round_trip(entry, encode_entry, decode_entry);
    }
}

TEST_CASE("codec: hard states round-trip when fields take edge values", "[wal]") {
    for (const HardState& hard_state :
         {HardState{}, HardState{1, 2, 3}, HardState{kMax, kMax, kMax}}) {
        INFO("term " << hard_state.term);
        check_round_trip(hard_state, encode_hard_state, decode_hard_state);
    }
}

TEST_CASE("codec: conf states round-trip when lists are empty or full", "[wal]") {
    for (const ConfState& conf_state :
         {ConfState{}, ConfState{{1}, {}, {}, {}, false}, full_conf_state()}) {
        INFO("voters " << conf_state.voters.size());
        check_round_trip(conf_state, encode_conf_state, decode_conf_state);
    }
}

TEST_CASE("codec: a conf change survives when carried as the data of an entry", "[wal]") {
    ConfChange conf_change;
    conf_change.changes = {ConfChangeSingle{ConfChangeType::kAddNode, 1},
                           ConfChangeSingle{ConfChangeType::kRemoveNode, kMax},
                           ConfChangeSingle{ConfChangeType::kAddLearnerNode, 3}};
    conf_change.context = kBinary;
    const Entry entry{2, 9, EntryType::kConfChange, raft::encode_conf_change(conf_change)};
    Result<Entry> decoded = decode_entry(encode_entry(entry));
    REQUIRE(decoded.is_ok());
    Result<ConfChange> carried = raft::decode_conf_change(decoded.value().data);
    REQUIRE(carried.is_ok());
    CHECK(carried.value() == conf_change);
}

TEST_CASE("codec: snapshots and their metadata round-trip when empty or full", "[wal]") {
    for (const Snapshot& snapshot : {Snapshot{}, full_snapshot()}) {
        INFO("index " << snapshot.metadata.index);
        check_round_trip(snapshot, encode_snapshot, decode_snapshot);
        check_round_trip(snapshot.metadata, encode_snapshot_metadata, decode_snapshot_metadata);
    }
}

TEST_CASE("codec: messages round-trip when of every network type", "[wal]") {
    for (int raw = 0; raw <= static_cast<int>(MessageType::kCheckQuorum); ++raw) {
        const auto type = static_cast<MessageType>(raw);
        if (!raft::is_network_message(type)) continue;
        INFO(raft::message_type_name(type));
        check_round_trip(full_message(type), encode_message, decode_message);
        Message sparse;
        sparse.type = type;
        check_round_trip(sparse, encode_message, decode_message);
    }
}

TEST_CASE("codec: decoding refuses a message when its type is a local input", "[wal]") {
    for (int raw = 0; raw <= static_cast<int>(MessageType::kCheckQuorum); ++raw) {
        const auto type = static_cast<MessageType>(raw);
        if (raft::is_network_message(type)) continue;
        INFO(raft::message_type_name(type));
        Result<Message> decoded = decode_message(encode_message(full_message(type)));
        CHECK(decoded.status().code() == StatusCode::kInvalidArgument);
    }
}

TEST_CASE("codec: an entry encodes to the documented bytes when small", "[wal]") {
    // version 1, kind 1 (entry), term 1, index 300 (varint ac 02), type 0, data "ab".
    const std::string expected(
        "\x01\x01\x01\xac\x02\x00\x02"
        "ab",
        9);
    CHECK(encode_entry(Entry{1, 300, EntryType::kNormal, "ab"}) == expected);
}

TEST_CASE("codec: decoding fails when the input is any strict prefix of a valid encoding",
          "[wal]") {
    for (const Encoded& encoded : valid_encodings()) {
        INFO(encoded.name);
        REQUIRE(encoded.decode(encoded.bytes).is_ok());
        for (std::size_t size = 0; size < encoded.bytes.size(); ++size) {
            INFO("prefix of " << size << " bytes");
            CHECK(is_decode_error(encoded.decode(std::string_view(encoded.bytes).substr(0, size))));
        }
    }
}

TEST_CASE("codec: decoding fails when bytes trail a valid encoding", "[wal]") {
    for (const Encoded& encoded : valid_encodings()) {
        INFO(encoded.name);
        CHECK(encoded.decode(encoded.bytes + '\0').code() == StatusCode::kCorruption);
    }
}

TEST_CASE("codec: decoding fails when the version is unknown", "[wal]") {
    for (const Encoded& encoded : valid_encodings()) {
        INFO(encoded.name);
        std::string bytes = encoded.bytes;
        bytes[0] = static_cast<char>(kCodecVersion + 1);
        CHECK(encoded.decode(bytes).code() == StatusCode::kInvalidArgument);
    }
}

TEST_CASE("codec: decoding fails when the bytes encode another type", "[wal]") {
    const std::string hard_state = encode_hard_state(HardState{1, 2, 0});
    CHECK(decode_entry(hard_state).status().code() == StatusCode::kCorruption);
    CHECK(decode_message(encode_entry(Entry{})).status().code() == StatusCode::kCorruption);
    CHECK(decode_snapshot(encode_snapshot_metadata(SnapshotMetadata{})).status().code() ==
          StatusCode::kCorruption);
}

TEST_CASE("codec: decoding fails without allocating when a length is forged", "[wal]") {
    // An entry whose data length claims 2^62 bytes; a trusting decoder would try to
    // allocate it.
    std::string bytes("\x01\x01\x01\x01\x00", 5);
    bytes += std::string("\x80\x80\x80\x80\x80\x80\x80\x80\x40", 9);
    Result<Entry> entry = decode_entry(bytes);
    CHECK(entry.status().code() == StatusCode::kCorruption);
    CHECK_THAT(entry.status().message(), Catch::Contains("length exceeds the input"));
    // A conf state whose voter count claims 2^35 elements.
    Result<ConfState> conf_state =
        decode_conf_state(std::string("\x01\x03\x80\x80\x80\x80\x80\x01", 8));
    CHECK(conf_state.status().code() == StatusCode::kCorruption);
}

TEST_CASE("codec: decoding fails when a varint or boolean is malformed", "[wal]") {
    // Ten bytes with the continuation bit set everywhere: longer than any u64.
    std::string overlong("\x01\x02", 2);
    overlong += std::string(10, '\xff');
    CHECK(decode_hard_state(overlong).status().code() == StatusCode::kCorruption);
    // A tenth byte carrying more than bit 63.
    std::string overflow("\x01\x02", 2);
    overflow += std::string(9, '\xff') + '\x02' + std::string("\x00\x00", 2);
    CHECK(decode_hard_state(overflow).status().code() == StatusCode::kCorruption);
    // auto_leave = 2.
    CHECK(decode_conf_state(std::string("\x01\x03\x00\x00\x00\x00\x02", 7)).status().code() ==
          StatusCode::kCorruption);
    // Entry type 9 and message type 200 are unknown enum values.
    CHECK(decode_entry(std::string("\x01\x01\x01\x01\x09\x00", 6)).status().code() ==
          StatusCode::kInvalidArgument);
    CHECK(decode_message(std::string("\x01\x07\xc8", 3)).status().code() ==
          StatusCode::kInvalidArgument);
}

TEST_CASE("codec: decoding never crashes when given seeded random garbage", "[wal]") {
    const std::uint64_t seed = 20261122;
    INFO("seed " << seed);
    std::mt19937_64 random(seed);
    const std::vector<Encoded> encodings = valid_encodings();
    int decoded_ok = 0;
    for (int round = 0; round < 20000; ++round) {
        const Encoded& target = encodings[random() % encodings.size()];
        std::string bytes;
        if (round % 2 == 0) {
            // Pure garbage, with a valid header half of the time so the body parser
            // is reached.
            bytes.resize(random() % 64);
            for (char& byte : bytes) byte = static_cast<char>(random());
            if (bytes.size() >= 2 && round % 4 == 0) bytes.replace(0, 2, target.bytes.substr(0, 2));
        } else {
            // A valid encoding with a few bytes overwritten.
            bytes = target.bytes;
            for (int flips = 1 + static_cast<int>(random() % 3); flips > 0; --flips) {
                bytes[random() % bytes.size()] = static_cast<char>(random());
            }
        }
        const Status status = target.decode(bytes);
        if (status.is_ok()) {
            ++decoded_ok;
        } else {
            INFO("round " << round);
            CHECK(is_decode_error(status));
        }
    }
    // Some mutations hit only data bytes and still decode; most must not.
    CHECK(decoded_ok < 20000);
}

}  // namespace
}  // namespace consensus::wal
