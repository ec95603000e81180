#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "node/entry_codec.h"
#include "node/membership.h"
#include "node/metrics.h"

using consensus::StatusCode;
using consensus::node::MemberTable;
using consensus::service::Member;

namespace {

Member make_member(consensus::NodeId id, std::string name, std::string peer_url) {
    Member member;
    member.id = id;
    member.name = std::move(name);
    member.peer_urls = {std::move(peer_url)};
    return member;
}

MemberTable three_members() {
    MemberTable table;
    table.add(make_member(1, "a", "http://127.0.0.1:2380"));
    table.add(make_member(2, "b", "http://127.0.0.1:2381"));
    table.add(make_member(3, "", "http://127.0.0.1:2382"));
    REQUIRE(table.set_attributes(2, "b", {"http://127.0.0.1:2479"}));
    REQUIRE(table.remove(3));
    return table;
}

}  // namespace

TEST_CASE("member table: a restored table equals the saved one when encoded and decoded",
          "[node]") {
    MemberTable table = three_members();
    auto restored = MemberTable::decode(table.encode());
    REQUIRE(restored.is_ok());
    CHECK(restored.value() == table);
    CHECK(restored.value().is_removed(3));
    CHECK_FALSE(restored.value().contains(3));
    REQUIRE(restored.value().find(2) != nullptr);
    CHECK(restored.value().find(2)->client_urls ==
          std::vector<std::string>{"http://127.0.0.1:2479"});
}

TEST_CASE("member table: decoding fails with corruption when the bytes are cut short", "[node]") {
    std::string bytes = three_members().encode();
    for (std::size_t length = 0; length < bytes.size(); ++length) {
        auto decoded = MemberTable::decode(std::string_view(bytes).substr(0, length));
        REQUIRE_FALSE(decoded.is_ok());
        CHECK(decoded.status().code() == StatusCode::kCorruption);
    }
}

TEST_CASE("member table: a member's rank counts the members with lower ids", "[node]") {
    MemberTable table;
    table.add(make_member(30, "c", "http://127.0.0.1:2382"));
    table.add(make_member(10, "a", "http://127.0.0.1:2380"));
    table.add(make_member(20, "b", "http://127.0.0.1:2381"));
    CHECK(table.rank(10) == 0);
    CHECK(table.rank(20) == 1);
    CHECK(table.rank(30) == 2);
    REQUIRE(table.remove(20));
    CHECK(table.rank(30) == 1);
}

TEST_CASE("member table: members are found by peer URL when checking duplicates", "[node]") {
    MemberTable table = three_members();
    CHECK(table.find_by_peer_url("http://127.0.0.1:2381") == std::optional<consensus::NodeId>(2));
    CHECK_FALSE(table.find_by_peer_url("http://127.0.0.1:2382").has_value());
    CHECK_FALSE(table.set_attributes(9, "x", {}));
    CHECK(table.set_peer_urls(1, {"http://127.0.0.1:2390"}));
    CHECK(table.find_by_peer_url("http://127.0.0.1:2390") == std::optional<consensus::NodeId>(1));
}

TEST_CASE("entry codec: node entries round-trip when encoded and decoded", "[node]") {
    auto kv = consensus::node::decode_node_entry(consensus::node::encode_kv_entry("abc"));
    REQUIRE(kv.is_ok());
    CHECK(kv.value().kind == consensus::node::NodeEntryKind::kKvCommand);
    CHECK(kv.value().kv_command == "abc");

    auto attributes = consensus::node::decode_node_entry(
        consensus::node::encode_member_attributes_entry(9, 5, "e", {"http://h:1"}));
    REQUIRE(attributes.is_ok());
    CHECK(attributes.value().kind == consensus::node::NodeEntryKind::kMemberAttributes);
    CHECK(attributes.value().member.id == 5);
    CHECK(attributes.value().request_id == 9);
    CHECK(attributes.value().member.name == "e");
    CHECK(attributes.value().member.client_urls == std::vector<std::string>{"http://h:1"});

    auto peers = consensus::node::decode_node_entry(
        consensus::node::encode_member_peer_urls_entry(0, 6, {"http://h:2", "http://h:3"}));
    REQUIRE(peers.is_ok());
    CHECK(peers.value().member.peer_urls.size() == 2);
}

TEST_CASE("entry codec: damaged node entries are refused when decoding", "[node]") {
    std::vector<std::string> damaged = {
        std::string(),
        std::string("\x09", 1),
        consensus::node::encode_member_attributes_entry(9, 5, "e", {"u"}).substr(0, 10),
        consensus::node::encode_member_peer_urls_entry(0, 5, {"u"}) + "x",
    };
    for (const auto& bytes : damaged) {
        auto decoded = consensus::node::decode_node_entry(bytes);
        REQUIRE_FALSE(decoded.is_ok());
        CHECK(decoded.status().code() == StatusCode::kCorruption);
    }
}

TEST_CASE("entry codec: conf change context and snapshot data round-trip when encoded", "[node]") {
    consensus::node::ConfChangeContext context;
    context.request_id = 42;
    context.member = make_member(7, "", "http://127.0.0.1:2390");
    auto decoded = consensus::node::decode_conf_change_context(
        consensus::node::encode_conf_change_context(context));
    REQUIRE(decoded.is_ok());
    CHECK(decoded.value().request_id == 42);
    CHECK(decoded.value().member.peer_urls == context.member.peer_urls);

    consensus::node::SnapshotData data{three_members().encode(), std::string("store\0x", 7)};
    auto snapshot =
        consensus::node::decode_snapshot_data(consensus::node::encode_snapshot_data(data));
    REQUIRE(snapshot.is_ok());
    CHECK(snapshot.value().member_table == data.member_table);
    CHECK(snapshot.value().store == data.store);
    CHECK_FALSE(consensus::node::decode_snapshot_data("\x02").is_ok());
    // The head with the store appended after it is the same encoding.
    std::string appended = consensus::node::encode_snapshot_data_head(data.member_table);
    appended += data.store;
    CHECK(appended == consensus::node::encode_snapshot_data(data));
}

TEST_CASE("metrics: the exposition names every required metric when rendered", "[node]") {
    consensus::node::Metrics metrics;
    metrics.wal_fsync_seconds.observe(0.0015);
    metrics.count_http(201);
    consensus::node::MetricsGauges gauges;
    gauges.has_leader = true;
    gauges.term = 4;
    std::string text = metrics.render(gauges);
    for (const char* line :
         {"consensus_server_has_leader 1", "consensus_server_term 4",
          "consensus_server_leader_changes_seen_total 0",
          "consensus_server_proposals_committed_total 0",
          "consensus_server_proposals_applied_total 0", "consensus_server_proposals_failed_total 0",
          "consensus_disk_wal_fsync_duration_seconds_bucket{le=\"0.001\"} 0",
          "consensus_disk_wal_fsync_duration_seconds_bucket{le=\"0.002\"} 1",
          "consensus_disk_wal_fsync_duration_seconds_count 1",
          "consensus_apply_duration_seconds_count 0",
          "consensus_http_requests_total{code=\"201\"} 1"}) {
        CHECK(text.find(line) != std::string::npos);
    }
}
