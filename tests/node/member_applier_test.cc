#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "kv/command.h"
#include "kv/store.h"
#include "node/applier.h"
#include "node/entry_codec.h"

using consensus::Result;
using consensus::node::Applier;
using consensus::node::Outcome;
namespace raft = consensus::raft;
namespace service = consensus::service;

namespace {

constexpr std::int64_t kNow = 1'700'000'000'000'000'000;

/// An applier over a fresh store, table and registry; records hook calls.
struct Fixture {
    consensus::kv::Store store;
    consensus::node::MemberTable members;
    consensus::node::PendingRequests pending{1, kNow / 1'000'000};
    consensus::node::Metrics metrics;
    std::vector<raft::ConfChange> conf_changes;
    std::vector<consensus::NodeId> changed;
    std::vector<consensus::NodeId> removed;
    Applier applier{store, members, pending, metrics,
                    Applier::Hooks{
                        [this](const raft::ConfChange& change) {
                            conf_changes.push_back(change);
                            raft::ConfState state;
                            for (const auto& single : change.changes) {
                                state.voters.push_back(single.node_id);
                            }
                            return state;
                        },
                        [this](const service::Member& member) { changed.push_back(member.id); },
                        [this](consensus::NodeId id) { removed.push_back(id); },
                        nullptr,
                    }};
    std::vector<Result<Outcome>> outcomes;

    std::uint64_t wait() {
        std::uint64_t id = pending.next_id();
        REQUIRE(
            pending
                .add(id, 1000,
                     [this](Result<Outcome> outcome) { outcomes.push_back(std::move(outcome)); })
                .is_ok());
        return id;
    }
};

raft::Entry put_entry(consensus::Index index, std::uint64_t request_id, std::string key,
                      std::string value) {
    consensus::kv::Command command;
    command.kind = consensus::kv::Command::Kind::kV2Write;
    command.request_id = request_id;
    command.now_unix_nanos = kNow;
    command.request.method = service::V2Method::kPut;
    command.request.key = std::move(key);
    command.request.value = std::move(value);
    raft::Entry entry;
    entry.index = index;
    entry.term = 2;
    entry.data = consensus::node::encode_kv_entry(consensus::kv::encode_command(command));
    return entry;
}

std::optional<std::string> value_of(consensus::kv::Store& store, const std::string& key) {
    service::V2Request get;
    get.key = key;
    service::V2Result result = store.get(get, kNow);
    if (!result.event.has_value()) return std::nullopt;
    return result.event->node.value;
}

}  // namespace

TEST_CASE("applier: a write completes its waiter with the store's event when applied", "[node]") {
    Fixture fixture;
    std::uint64_t id = fixture.wait();
    fixture.applier.apply(put_entry(5, id, "/a", "1"));
    REQUIRE(fixture.outcomes.size() == 1);
    REQUIRE(fixture.outcomes[0].is_ok());
    const Outcome& outcome = fixture.outcomes[0].value();
    REQUIRE(outcome.event.has_value());
    CHECK(outcome.event->action == "set");
    CHECK(outcome.etcd_index == 1);
    CHECK(outcome.raft_index == 5);
    CHECK(value_of(fixture.store, "/a") == std::optional<std::string>("1"));
    CHECK(fixture.applier.applied_index() == 5);
    CHECK(fixture.metrics.proposals_applied == 1);
}

TEST_CASE("applier: another member's write changes the store but completes nothing when applied",
          "[node]") {
    Fixture fixture;
    std::uint64_t local = fixture.wait();
    consensus::node::PendingRequests other_member(2, kNow / 1'000'000);
    fixture.applier.apply(put_entry(3, other_member.next_id(), "/b", "2"));
    CHECK(fixture.outcomes.empty());
    CHECK(fixture.pending.contains(local));
    CHECK(value_of(fixture.store, "/b") == std::optional<std::string>("2"));
}

TEST_CASE("applier: no-op and damaged entries only advance the applied index when applied",
          "[node]") {
    Fixture fixture;
    raft::Entry noop;
    noop.index = 2;
    noop.term = 2;
    raft::Entry damaged = noop;
    damaged.index = 3;
    damaged.data = std::string("\x01garbage", 8);
    raft::Entry unknown_kind = noop;
    unknown_kind.index = 4;
    unknown_kind.data = std::string("\x7f", 1);
    for (const auto& entry : {noop, damaged, unknown_kind}) fixture.applier.apply(entry);
    CHECK(fixture.applier.applied_index() == 4);
    CHECK(fixture.store.current_index() == 0);
    CHECK(fixture.outcomes.empty());
}

TEST_CASE("applier: a conf change updates members and completes its waiter when applied",
          "[node]") {
    Fixture fixture;
    std::uint64_t id = fixture.wait();
    service::Member joining;
    joining.id = 9;
    joining.peer_urls = {"http://127.0.0.1:2390"};
    raft::ConfChange change;
    change.changes.push_back({raft::ConfChangeType::kAddNode, 9});
    change.context = consensus::node::encode_conf_change_context({id, joining});
    raft::Entry entry;
    entry.index = 7;
    entry.term = 3;
    entry.type = raft::EntryType::kConfChange;
    entry.data = raft::encode_conf_change(change);
    fixture.applier.apply(entry);
    REQUIRE(fixture.conf_changes.size() == 1);
    CHECK(fixture.applier.conf_state().voters == std::vector<consensus::NodeId>{9});
    REQUIRE(fixture.members.find(9) != nullptr);
    CHECK(fixture.members.find(9)->peer_urls == joining.peer_urls);
    CHECK(fixture.changed == std::vector<consensus::NodeId>{9});
    REQUIRE(fixture.outcomes.size() == 1);
    CHECK(fixture.outcomes[0].value().member_id == 9);

    raft::ConfChange removal;
    removal.changes.push_back({raft::ConfChangeType::kRemoveNode, 9});
    entry.index = 8;
    entry.data = raft::encode_conf_change(removal);
    fixture.applier.apply(entry);
    CHECK_FALSE(fixture.members.contains(9));
    CHECK(fixture.members.is_removed(9));
    CHECK(fixture.removed == std::vector<consensus::NodeId>{9});
}

TEST_CASE("applier: member attributes are recorded when their entry is applied", "[node]") {
    Fixture fixture;
    service::Member self;
    self.id = 4;
    fixture.members.add(self);
    raft::Entry entry;
    entry.index = 2;
    entry.term = 2;
    entry.data =
        consensus::node::encode_member_attributes_entry(0, 4, "infra4", {"http://127.0.0.1:2479"});
    fixture.applier.apply(entry);
    REQUIRE(fixture.members.find(4) != nullptr);
    CHECK(fixture.members.find(4)->name == "infra4");
    CHECK(fixture.members.find(4)->client_urls ==
          std::vector<std::string>{"http://127.0.0.1:2479"});
}

TEST_CASE("applier: restore replaces store and members and skips covered entries", "[node]") {
    Fixture source;
    source.applier.apply(put_entry(4, 0, "/snap", "v"));
    service::Member member;
    member.id = 3;
    member.name = "c";
    source.members.add(member);

    raft::Snapshot snapshot;
    snapshot.metadata.index = 4;
    snapshot.metadata.term = 2;
    snapshot.metadata.conf_state.voters = {3};
    snapshot.data = consensus::node::encode_snapshot_data(
        {source.members.encode(), source.store.save_snapshot()});

    Fixture target;
    target.applier.apply(put_entry(1, 0, "/old", "x"));
    target.applier.restore(snapshot);
    CHECK(target.applier.applied_index() == 4);
    CHECK(target.applier.conf_state().voters == std::vector<consensus::NodeId>{3});
    CHECK(value_of(target.store, "/snap") == std::optional<std::string>("v"));
    CHECK_FALSE(value_of(target.store, "/old").has_value());
    CHECK(target.members == source.members);
    // An entry the snapshot covers is not applied twice.
    target.applier.apply(put_entry(4, 0, "/snap", "again"));
    CHECK(value_of(target.store, "/snap") == std::optional<std::string>("v"));
}

TEST_CASE("applier: a read completes only when the applied index reaches it", "[node]") {
    Fixture fixture;
    std::uint64_t id = fixture.wait();
    fixture.applier.add_read_states({raft::ReadState{2, consensus::node::encode_read_context(id)}});
    CHECK(fixture.outcomes.empty());
    CHECK(fixture.applier.reads_waiting() == 1);
    fixture.applier.apply(put_entry(1, 0, "/r", "1"));
    fixture.applier.release_reads();
    CHECK(fixture.outcomes.empty());
    fixture.applier.apply(put_entry(2, 0, "/r", "2"));
    fixture.applier.release_reads();
    REQUIRE(fixture.outcomes.size() == 1);
    CHECK(fixture.outcomes[0].value().raft_index == 2);
    CHECK(fixture.applier.reads_waiting() == 0);
}
