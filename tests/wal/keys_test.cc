#include "wal/keys.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace consensus::wal {
namespace {

TEST_CASE("keys: entry keys sort in index order when compared bytewise", "[wal]") {
    const std::vector<Index> indexes = {
        0, 1, 2, 255, 256, 65535, 65536, 1ull << 32, (1ull << 56) + 1, UINT64_MAX - 1, UINT64_MAX};
    for (std::size_t i = 0; i + 1 < indexes.size(); ++i) {
        INFO(indexes[i] << " < " << indexes[i + 1]);
        CHECK(entry_key(indexes[i]) < entry_key(indexes[i + 1]));
    }
}

TEST_CASE("keys: entry keys parse back to their index when well formed", "[wal]") {
    for (Index index : {Index{0}, Index{1}, Index{1234567}, Index{UINT64_MAX}}) {
        Index parsed = 0;
        REQUIRE(parse_entry_key(entry_key(index), &parsed));
        CHECK(parsed == index);
        CHECK(entry_key(index).size() == kEntryKeyBytes);
    }
}

TEST_CASE("keys: parsing refuses a key when it is not an entry key", "[wal]") {
    Index parsed = 0;
    CHECK_FALSE(parse_entry_key(kHardStateKey, &parsed));
    CHECK_FALSE(parse_entry_key(kIdentityKey, &parsed));
    CHECK_FALSE(parse_entry_key(entry_key(5).substr(0, 8), &parsed));
    CHECK_FALSE(parse_entry_key(entry_key(5) + "x", &parsed));
    std::string wrong_prefix = entry_key(5);
    wrong_prefix[0] = 'f';
    CHECK_FALSE(parse_entry_key(wrong_prefix, &parsed));
}

TEST_CASE("keys: the single-byte keys never collide with entry keys", "[wal]") {
    for (const char* key : {kIdentityKey, kHardStateKey, kSnapshotKey, kLogStartKey}) {
        INFO(key);
        CHECK(std::string(key).size() == 1);
        CHECK(key[0] != kEntryPrefix);
    }
}

TEST_CASE("keys: every metadata key sorts before every entry key", "[wal]") {
    // LevelDB then flushes runs of entries into tables that overlap no older table and
    // moves them down its levels without rewriting them (keys.h).
    for (const char* key : {kIdentityKey, kHardStateKey, kSnapshotKey, kLogStartKey}) {
        INFO(key);
        CHECK(std::string(key) < entry_key(0));
    }
    for (const RenamedKey& key : kLegacyMetadataKeys) {
        INFO(key.legacy);
        CHECK(std::string(key.legacy) != std::string(key.current));
        CHECK(key.legacy[0] != kEntryPrefix);
    }
}

TEST_CASE("keys: a framed record unframes to its payload when intact", "[wal]") {
    for (const std::string& payload : {std::string(), std::string("x"), std::string(1000, '\0')}) {
        const std::string value = frame_record("h", payload);
        CHECK(value.size() == kChecksumBytes + payload.size());
        Result<std::string_view> unframed = unframe_record("h", value);
        REQUIRE(unframed.is_ok());
        CHECK(unframed.value() == payload);
    }
}

TEST_CASE("keys: unframing fails when any byte of the record is flipped", "[wal]") {
    const std::string key = entry_key(7);
    const std::string value = frame_record(key, "payload of entry seven");
    for (std::size_t i = 0; i < value.size(); ++i) {
        std::string damaged = value;
        damaged[i] = static_cast<char>(damaged[i] ^ 0x40);
        INFO("byte " << i);
        Result<std::string_view> unframed = unframe_record(key, damaged);
        CHECK(unframed.status().code() == StatusCode::kCorruption);
    }
}

TEST_CASE("keys: unframing fails when the record sits under another key", "[wal]") {
    const std::string value = frame_record(entry_key(7), "entry seven");
    Result<std::string_view> moved = unframe_record(entry_key(8), value);
    CHECK(moved.status().code() == StatusCode::kCorruption);
    CHECK(moved.status().message() == "checksum mismatch");
}

TEST_CASE("keys: unframing fails when the value is shorter than its checksum", "[wal]") {
    for (std::size_t size = 0; size < kChecksumBytes; ++size) {
        INFO("size " << size);
        CHECK(unframe_record("h", std::string(size, 'a')).status().code() ==
              StatusCode::kCorruption);
    }
}

TEST_CASE("keys: identity and log start round-trip when encoded", "[wal]") {
    const Identity identity{0x1122334455667788ull, UINT64_MAX};
    Result<Identity> decoded_identity = decode_identity(encode_identity(identity));
    REQUIRE(decoded_identity.is_ok());
    CHECK(decoded_identity.value() == identity);
    const LogStart log_start{42, 7};
    Result<LogStart> decoded_log_start = decode_log_start(encode_log_start(log_start));
    REQUIRE(decoded_log_start.is_ok());
    CHECK(decoded_log_start.value() == log_start);
}

TEST_CASE("keys: fixed records are refused when their size or version is wrong", "[wal]") {
    const std::string good = encode_identity(Identity{1, 2});
    CHECK(decode_identity(good.substr(1)).status().code() == StatusCode::kCorruption);
    CHECK(decode_identity(good + "x").status().code() == StatusCode::kCorruption);
    std::string future = good;
    future[0] = static_cast<char>(kRecordVersion + 1);
    CHECK(decode_identity(future).status().code() == StatusCode::kCorruption);
    CHECK(decode_log_start("").status().code() == StatusCode::kCorruption);
}

}  // namespace
}  // namespace consensus::wal
