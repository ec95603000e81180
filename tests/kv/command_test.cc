// The command codec: round trips, and refusal of every kind of damaged input.

#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "kv/command.h"
#include "kv_test_support.h"

namespace consensus::kv::test {
namespace {

Command full_write() {
    Command command;
    command.kind = Command::Kind::kV2Write;
    command.request_id = 0xABCDEF0123456789ULL;
    command.now_unix_nanos = -42;
    service::V2Request& r = command.request;
    r.method = service::V2Method::kPut;
    r.key = "/a/b\xE2\x82\xAC";
    r.value = std::string("v\0x", 3);
    r.dir = true;
    r.prev_value = "";
    r.prev_index = 99;
    r.prev_exist = false;
    r.ttl = UINT64_MAX;
    r.refresh = true;
    r.no_value_on_success = true;
    r.recursive = true;
    r.sorted = true;
    r.quorum = true;
    r.wait = true;
    r.wait_index = 7;
    r.stream = true;
    return command;
}

void check_same(const Command& a, const Command& b) {
    CHECK(a.kind == b.kind);
    CHECK(a.request_id == b.request_id);
    CHECK(a.now_unix_nanos == b.now_unix_nanos);
    const service::V2Request& x = a.request;
    const service::V2Request& y = b.request;
    CHECK(x.method == y.method);
    CHECK(x.key == y.key);
    CHECK(x.value == y.value);
    CHECK(x.dir == y.dir);
    CHECK(x.prev_value == y.prev_value);
    CHECK(x.prev_index == y.prev_index);
    CHECK(x.prev_exist == y.prev_exist);
    CHECK(x.ttl == y.ttl);
    CHECK(x.refresh == y.refresh);
    CHECK(x.no_value_on_success == y.no_value_on_success);
    CHECK(x.recursive == y.recursive);
    CHECK(x.sorted == y.sorted);
    CHECK(x.quorum == y.quorum);
    CHECK(x.wait == y.wait);
    CHECK(x.wait_index == y.wait_index);
    CHECK(x.stream == y.stream);
}

std::vector<Command> samples() {
    std::vector<Command> commands;
    commands.push_back(full_write());
    Command minimal;
    minimal.kind = Command::Kind::kV2Write;
    minimal.request.method = service::V2Method::kDelete;
    minimal.request.key = "/";
    commands.push_back(minimal);
    Command quorum_get;
    quorum_get.kind = Command::Kind::kV2QuorumGet;
    quorum_get.request.key = "/q";
    quorum_get.request.prev_exist = true;
    commands.push_back(quorum_get);
    Command expire;
    expire.kind = Command::Kind::kV2ExpireSync;
    expire.now_unix_nanos = kNow;
    commands.push_back(expire);
    commands.push_back(Command{});
    return commands;
}

TEST_CASE("command: decoding gives back the command when it was encoded", "[kv]") {
    for (const Command& command : samples()) {
        const std::string bytes = encode_command(command);
        REQUIRE(bytes[0] == static_cast<char>(kCommandFormatVersion));
        Result<Command> decoded = decode_command(bytes);
        REQUIRE(decoded.is_ok());
        check_same(command, decoded.value());
        CHECK(encode_command(decoded.value()) == bytes);
    }
}

TEST_CASE("command: a request is not encoded when the kind carries none", "[kv]") {
    Command expire;
    expire.kind = Command::Kind::kV2ExpireSync;
    expire.request.key = "/ignored";
    Result<Command> decoded = decode_command(encode_command(expire));
    REQUIRE(decoded.is_ok());
    CHECK(decoded.value().request.key.empty());
    CHECK(encode_command(expire).size() == 1 + 1 + 8 + 8);
}

TEST_CASE("command: decoding fails with corruption when the bytes are truncated or extended",
          "[kv]") {
    for (const Command& command : samples()) {
        const std::string bytes = encode_command(command);
        for (std::size_t length = 0; length < bytes.size(); ++length) {
            INFO("length " << length);
            Result<Command> decoded = decode_command(std::string_view(bytes).substr(0, length));
            REQUIRE_FALSE(decoded.is_ok());
            CHECK(decoded.status().code() == StatusCode::kCorruption);
        }
        CHECK_FALSE(decode_command(bytes + '\0').is_ok());
    }
}

TEST_CASE("command: decoding fails when a field holds an impossible value", "[kv]") {
    const std::string good = encode_command(full_write());
    // Offsets into full_write()'s encoding: version 0, kind 1, request_id 2..9,
    // now 10..17, method 18, key length 19..22, key 23...
    struct Case {
        const char* name;
        std::size_t offset;
        char byte;
    };
    const std::size_t key_length = full_write().request.key.size();
    const std::size_t has_value = 23 + key_length;
    const std::vector<Case> table = {
        {"version 0", 0, 0},
        {"version 2", 0, 2},
        {"kind 0", 1, 0},
        {"kind 5", 1, 5},
        {"method 4", 18, 4},
        {"key without slash", 23, 'a'},
        {"bool byte 2", has_value, 2},
        {"key length too big", 22, 0x7F},
    };
    for (const Case& row : table) {
        INFO(row.name);
        std::string bad = good;
        bad[row.offset] = row.byte;
        CHECK_FALSE(decode_command(bad).is_ok());
    }
}

TEST_CASE("command: random bytes never crash the decoder when fed as a command", "[kv]") {
    std::mt19937_64 random(20261122);
    const std::string good = encode_command(full_write());
    int decoded_count = 0;
    for (int round = 0; round < 3000; ++round) {
        std::string bytes;
        if (round % 2 == 0) {
            const std::size_t length = random() % 64;
            for (std::size_t i = 0; i < length; ++i) bytes.push_back(static_cast<char>(random()));
        } else {
            bytes = good;
            bytes[random() % bytes.size()] ^= static_cast<char>(1 + random() % 255);
        }
        Result<Command> decoded = decode_command(bytes);
        if (decoded.is_ok()) {
            ++decoded_count;
            CHECK(encode_command(decoded.value()) == bytes);
        }
    }
    // Flips inside free-form fields (ids, times, values) still decode; that is fine as
    // long as they re-encode to the same bytes.
    CHECK(decoded_count < 3000);
}

}  // namespace
}  // namespace consensus::kv::test
