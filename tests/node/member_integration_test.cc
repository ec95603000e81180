// In-process tests of a running Member: real WAL in a temp dir, real peer listener on a
// free loopback port, driven by running the member's io_context from the test until
// an answer arrives or a deadline passes (the deadline only bounds a hang; the tests
// assert what was answered, never how long it took).

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "consensus/log.h"
#include "node/flags.h"
#include "node/member.h"
#include "support/temp_dir.h"
#include "wal/wal.h"

using consensus::StatusCode;
using consensus::node::Flags;
using consensus::node::Member;
using consensus::testing::TempDir;
namespace service = consensus::service;

namespace {

/// A loopback port that was free a moment ago (bound to port 0, then released).
unsigned short free_port() {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor acceptor(
        io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    return acceptor.local_endpoint().port();
}

/// Silences INFO lines for the duration of a test.
class QuietLogs {
public:
    QuietLogs() : previous_(consensus::log::level()) {
        consensus::log::set_level(consensus::log::Level::kWarn);
    }
    ~QuietLogs() { consensus::log::set_level(previous_); }

private:
    consensus::log::Level previous_;
};

Flags member_flags(const std::string& data_dir, unsigned short peer_port,
                   const std::string& extra_cluster = "") {
    std::string peer_url = "http://127.0.0.1:" + std::to_string(peer_port);
    std::vector<std::string> args = {
        "consensusd",
        "--name=m",
        "--data-dir=" + data_dir,
        "--listen-peer-urls=" + peer_url,
        "--initial-advertise-peer-urls=" + peer_url,
        "--initial-cluster=m=" + peer_url + extra_cluster,
        "--listen-client-urls=http://127.0.0.1:" + std::to_string(free_port()),
        "--advertise-client-urls=http://127.0.0.1:2379",
        "--heartbeat-interval=10",
        "--election-timeout=100",
    };
    std::vector<const char*> argv;
    for (const auto& arg : args) argv.push_back(arg.c_str());
    auto flags = consensus::node::parse_flags(static_cast<int>(argv.size()), argv.data(), {});
    REQUIRE(flags.is_ok());
    return flags.value();
}

std::unique_ptr<Member> started_member(const Flags& flags) {
    auto member = Member::create(flags);
    REQUIRE(member.is_ok());
    REQUIRE(member.value()->start().is_ok());
    return std::move(member.value());
}

/// Runs the member's loop until `done` holds or the deadline passes.
bool run_until(Member& member, const std::function<bool()>& done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!done() && std::chrono::steady_clock::now() < deadline) {
        member.io_context().run_one_for(std::chrono::milliseconds(50));
    }
    return done();
}

/// Sends one keys request through the Service interface and waits for its answer.
std::optional<service::V2Result> keys(Member& member, const service::V2Request& request) {
    std::optional<service::V2Result> answer;
    member.service().v2_keys(request,
                             [&answer](service::V2Result result) { answer = std::move(result); });
    run_until(member, [&answer] { return answer.has_value(); });
    return answer;
}

service::V2Request put(std::string key, std::string value) {
    service::V2Request request;
    request.method = service::V2Method::kPut;
    request.key = std::move(key);
    request.value = std::move(value);
    return request;
}

service::V2Request quorum_get(std::string key) {
    service::V2Request request;
    request.key = std::move(key);
    request.quorum = true;
    return request;
}

void stop(Member& member) {
    member.stop();
    member.io_context().restart();
    member.io_context().run_for(std::chrono::seconds(10));
}

}  // namespace

TEST_CASE("member: a write is read back before and after a restart when it was acknowledged",
          "[node]") {
    QuietLogs quiet;
    TempDir dir;
    unsigned short peer_port = free_port();
    Flags flags = member_flags(dir.path() + "/data", peer_port);
    {
        auto member = started_member(flags);
        auto written = keys(*member, put("/greeting", "hello"));
        REQUIRE(written.has_value());
        REQUIRE(written->status.is_ok());
        REQUIRE(written->event.has_value());
        CHECK(written->event->action == "set");
        CHECK(written->headers.etcd_index == 1);
        CHECK(written->headers.raft_term >= 2);

        auto read = keys(*member, quorum_get("/greeting"));
        REQUIRE(read.has_value());
        REQUIRE(read->event.has_value());
        CHECK(read->event->node.value == std::optional<std::string>("hello"));
        stop(*member);
    }
    {
        auto member = started_member(flags);
        auto read = keys(*member, quorum_get("/greeting"));
        REQUIRE(read.has_value());
        REQUIRE(read->status.is_ok());
        REQUIRE(read->event.has_value());
        CHECK(read->event->node.value == std::optional<std::string>("hello"));
        CHECK(read->headers.etcd_index == 1);
        stop(*member);
    }
}

TEST_CASE("member: a stopped member's WAL records what it applied as the commit index", "[node]") {
    // Ready writes the hard state only when the term or vote changes (raft/ready.h), so
    // without the record taken at stop the commit index in the WAL would be the one of
    // the election, and a restart would wait for a leader before serving its writes.
    QuietLogs quiet;
    TempDir dir;
    Flags flags = member_flags(dir.path() + "/data", free_port());
    {
        auto member = started_member(flags);
        for (int i = 0; i < 20; ++i) {
            auto written = keys(*member, put("/k" + std::to_string(i), "v"));
            REQUIRE(written.has_value());
            REQUIRE(written->status.is_ok());
        }
        stop(*member);
    }
    auto wal = consensus::wal::Wal::open_existing(flags.data_dir);
    REQUIRE(wal.is_ok());
    REQUIRE(wal.value()->last_index() >= 20);
    CHECK(wal.value()->hard_state().commit == wal.value()->last_index());
}

TEST_CASE("member: the member table lists its published name and URLs when it has started",
          "[node]") {
    QuietLogs quiet;
    TempDir dir;
    Flags flags = member_flags(dir.path() + "/data", free_port());
    auto member = started_member(flags);
    REQUIRE(run_until(*member, [&member] {
        auto info = member->service().cluster_info();
        return info.members.size() == 1 && !info.members[0].client_urls.empty();
    }));
    auto info = member->service().cluster_info();
    CHECK(info.leader_id == member->id());
    CHECK(info.members[0].name == "m");
    CHECK(info.members[0].client_urls == std::vector<std::string>{"http://127.0.0.1:2379"});
    CHECK(member->service().is_healthy());
    stop(*member);
    CHECK_FALSE(member->service().is_healthy());
}

TEST_CASE("member: a write fails with unavailable when no leader is known", "[node]") {
    QuietLogs quiet;
    TempDir dir;
    // Two peers that never start: no quorum, so no leader is ever elected.
    std::string absent = ",n1=http://127.0.0.1:" + std::to_string(free_port()) +
                         ",n2=http://127.0.0.1:" + std::to_string(free_port());
    Flags flags = member_flags(dir.path() + "/data", free_port(), absent);
    auto member = started_member(flags);
    auto written = keys(*member, put("/k", "v"));
    REQUIRE(written.has_value());
    CHECK(written->status.code() == StatusCode::kUnavailable);
    CHECK_FALSE(member->service().is_healthy());
    stop(*member);
}

TEST_CASE("member: pending writes fail with unavailable when the member stops", "[node]") {
    QuietLogs quiet;
    TempDir dir;
    Flags flags = member_flags(dir.path() + "/data", free_port());
    auto member = started_member(flags);
    std::optional<service::V2Result> answer;
    member->service().v2_keys(put("/late", "v"),
                              [&answer](service::V2Result result) { answer = std::move(result); });
    // Stopping before the loop ever runs the proposal: its waiter must still answer.
    member->stop();
    member->io_context().restart();
    member->io_context().run_for(std::chrono::seconds(10));
    REQUIRE(answer.has_value());
    CHECK(answer->status.code() == StatusCode::kUnavailable);
}

TEST_CASE("member: a data dir is refused when it belongs to another member", "[node]") {
    QuietLogs quiet;
    TempDir dir;
    Flags first = member_flags(dir.path() + "/data", free_port());
    {
        auto member = started_member(first);
        stop(*member);
    }
    Flags other = member_flags(dir.path() + "/data", free_port());
    auto refused = Member::create(other);
    REQUIRE_FALSE(refused.is_ok());
    CHECK(refused.status().code() == StatusCode::kFailedPrecondition);
    CHECK(refused.status().message().find("belongs to member") != std::string::npos);
}

TEST_CASE(
    "member: entries a snapshot released are all deleted from the WAL, not just the "
    "first chunk",
    "[node]") {
    QuietLogs quiet;
    TempDir dir;
    Flags flags = member_flags(dir.path() + "/data", free_port());
    // One snapshot releases snapshot_count - 5000 entries (member.h
    // kSnapshotCatchUpEntries), more than one bounded chunk (wal.h
    // kCompactEntriesPerCallMax). They stay stored while the writes go on and are
    // deleted, all of them, at the first quiet tick (wal_garbage_action).
    const std::uint64_t released_target = consensus::wal::kCompactEntriesPerCallMax + 600;
    flags.snapshot_count = released_target + consensus::node::kSnapshotCatchUpEntries;
    {
        auto member = started_member(flags);
        // Writes in waves of concurrent requests, so they batch like real clients'.
        // The first snapshot may wait up to 40% past snapshot_count (snapshot_threshold).
        const int total = static_cast<int>(flags.snapshot_count * 3 / 2) + 100;
        int answered = 0;
        int failed = 0;
        for (int sent = 0; sent < total;) {
            const int wave = std::min(500, total - sent);
            for (int i = 0; i < wave; ++i, ++sent) {
                member->service().v2_keys(put("/k" + std::to_string(sent % 100), "v"),
                                          [&answered, &failed](service::V2Result result) {
                                              ++answered;
                                              if (!result.status.is_ok()) ++failed;
                                          });
            }
            REQUIRE(run_until(*member, [&] { return answered == sent; }));
        }
        CHECK(failed == 0);
        // Ticks come every 10 ms (--heartbeat-interval=10); the first quiet one deletes.
        const auto settle = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
        run_until(*member, [&] { return std::chrono::steady_clock::now() >= settle; });
        stop(*member);
    }
    auto wal = consensus::wal::Wal::open_existing(flags.data_dir);
    REQUIRE(wal.is_ok());
    REQUIRE(wal.value()->snapshot_metadata().index >= flags.snapshot_count);
    CHECK(wal.value()->log_start().index >= released_target);
    CHECK_FALSE(wal.value()->has_garbage());
}

TEST_CASE("member: first snapshots are spread over 0-40% past --snapshot-count by rank", "[node]") {
    using consensus::node::first_snapshot_threshold;
    for (std::size_t members = 2; members <= 7; ++members) {
        std::set<consensus::Index> seen;
        for (std::size_t rank = 0; rank < members; ++rank) {
            const consensus::Index threshold = first_snapshot_threshold(100000, rank, members);
            CHECK(threshold >= 100000);
            CHECK(threshold <= 140000);
            seen.insert(threshold);
        }
        // No two members of the cluster share a threshold, and the spread is used.
        CHECK(seen.size() == members);
        CHECK(*seen.begin() == 100000);
        CHECK(*seen.rbegin() == 140000);
    }
    CHECK(first_snapshot_threshold(100000, 1, 3) == 120000);
    // A member alone has nobody to keep apart from.
    CHECK(first_snapshot_threshold(100000, 0, 1) == 100000);
}

TEST_CASE(
    "member: a leader under load puts its snapshot off to a quiet tick, up to twice the "
    "threshold; followers and membership changes do not wait",
    "[node]") {
    using consensus::node::snapshot_due;
    // Below the threshold nobody snapshots, unless a membership change wants one.
    CHECK_FALSE(snapshot_due(999, 1000, false, true, false));
    CHECK_FALSE(snapshot_due(999, 1000, true, true, false));
    CHECK(snapshot_due(1, 1000, true, false, true));
    CHECK_FALSE(snapshot_due(0, 1000, true, true, true));
    // A follower snapshots at the threshold, busy or quiet.
    CHECK(snapshot_due(1000, 1000, false, false, false));
    CHECK(snapshot_due(1000, 1000, false, true, false));
    // A leader waits for a quiet tick, but not past twice the threshold.
    CHECK_FALSE(snapshot_due(1000, 1000, true, false, false));
    CHECK_FALSE(snapshot_due(1999, 1000, true, false, false));
    CHECK(snapshot_due(1000, 1000, true, true, false));
    CHECK(snapshot_due(2000, 1000, true, false, false));
}

/// The member's consensus_server_snapshots_saved_total.
long snapshots_saved(Member& member) {
    const std::string text = member.service().metrics_text();
    const std::string name = "\nconsensus_server_snapshots_saved_total ";
    const std::size_t at = text.find(name);
    REQUIRE(at != std::string::npos);
    return std::stol(text.substr(at + name.size()));
}

/// Runs the member's loop until `done` holds or the deadline passes, keeping one local
/// (serializable) read outstanding all along, as a client reading without pause would.
bool run_while_reading(Member& member, const std::function<bool()>& done) {
    // Shared with the answer, which may come after this returns.
    auto outstanding = std::make_shared<bool>(false);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!done() && std::chrono::steady_clock::now() < deadline) {
        if (!*outstanding) {
            *outstanding = true;
            service::V2Request request;
            request.key = "/k0";
            member.service().v2_keys(request,
                                     [outstanding](service::V2Result) { *outstanding = false; });
        }
        member.io_context().run_one_for(std::chrono::milliseconds(50));
    }
    return done();
}

TEST_CASE(
    "member: a leader past its snapshot threshold under load snapshots at its first idle tick",
    "[node]") {
    QuietLogs quiet;
    TempDir dir;
    Flags flags = member_flags(dir.path() + "/data", free_port());
    flags.snapshot_count = 200;
    {
        auto member = started_member(flags);
        const long before = snapshots_saved(*member);
        // 300 writes take the leader past --snapshot-count but not past twice it, while
        // reads keep every tick busy.
        int answered = 0;
        for (int i = 0; i < 300; ++i) {
            member->service().v2_keys(put("/k" + std::to_string(i % 10), "v"),
                                      [&answered](service::V2Result) { ++answered; });
        }
        REQUIRE(run_while_reading(*member, [&] { return answered == 300; }));
        // Nothing is written any more, but reads still come: no tick is idle.
        const auto reads_end = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
        run_while_reading(*member, [&] { return std::chrono::steady_clock::now() >= reads_end; });
        CHECK(snapshots_saved(*member) == before);
        // The first idle tick (every 10 ms here) takes the snapshot.
        CHECK(run_until(*member, [&] { return snapshots_saved(*member) == before + 1; }));
        stop(*member);
    }
    auto wal = consensus::wal::Wal::open_existing(flags.data_dir);
    REQUIRE(wal.is_ok());
    CHECK(wal.value()->snapshot_metadata().index >= 300);
}

TEST_CASE(
    "member: released WAL entries are deleted all at once when quiet, in chunks only "
    "past twice --snapshot-count under load",
    "[node]") {
    using consensus::node::wal_garbage_action;
    using Action = consensus::node::WalGarbageAction;
    CHECK(wal_garbage_action(0, true, 1000) == Action::kKeep);
    CHECK(wal_garbage_action(0, false, 1000) == Action::kKeep);
    CHECK(wal_garbage_action(1, true, 1000) == Action::kDeleteApart);
    CHECK(wal_garbage_action(5000, true, 1000) == Action::kDeleteApart);
    CHECK(wal_garbage_action(1, false, 1000) == Action::kKeep);
    CHECK(wal_garbage_action(2000, false, 1000) == Action::kKeep);
    CHECK(wal_garbage_action(2001, false, 1000) == Action::kDeleteChunk);
}
