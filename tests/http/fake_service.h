#pragma once
/// FakeService: a scripted Service for the HTTP tests. It records every call and
/// keeps each callback until the test delivers it, so answers arrive "later" as the
/// Service contract requires and a test controls exactly when.

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "consensus/service.h"

namespace consensus::http::testing {

class FakeService final : public service::Service {
public:
    // --- keys -------------------------------------------------------------
    std::vector<service::V2Request> keys_calls;
    std::deque<service::V2Callback> pending_keys;

    void v2_keys(const service::V2Request& request, service::V2Callback done) override {
        keys_calls.push_back(request);
        pending_keys.push_back(std::move(done));
    }
    /// Answers the oldest pending keys request. Precondition: one is pending.
    void deliver_keys(service::V2Result result) {
        auto done = std::move(pending_keys.front());
        pending_keys.pop_front();
        done(std::move(result));
    }

    // --- watches ----------------------------------------------------------
    std::vector<service::V2Request> watch_calls;
    std::optional<service::V2Error> next_watch_error;
    service::V2Headers next_watch_headers;
    std::map<std::uint64_t, service::V2WatchSink> watches;
    std::vector<std::uint64_t> cancelled;
    std::uint64_t next_watch_id = 7;

    service::V2WatchStart v2_watch(const service::V2Request& request,
                                   service::V2WatchSink sink) override {
        watch_calls.push_back(request);
        service::V2WatchStart start;
        if (next_watch_error) {
            start.error = next_watch_error;
            return start;
        }
        start.watch_id = next_watch_id++;
        start.headers = next_watch_headers;
        watches[start.watch_id] = std::move(sink);
        return start;
    }
    void v2_cancel_watch(std::uint64_t watch_id) override {
        cancelled.push_back(watch_id);
        watches.erase(watch_id);
    }
    /// Fires one event on watch `id`; a non-stream watch is removed as the real
    /// service does.
    void fire(std::uint64_t id, const service::V2Event& event, bool remove = false) {
        auto sink = watches.at(id);
        if (remove) watches.erase(id);
        sink.on_event(event, next_watch_headers);
    }

    // --- cluster ----------------------------------------------------------
    service::ClusterInfo info;
    std::vector<std::vector<std::string>> add_calls;
    std::deque<service::MemberCallback> pending_add;
    std::vector<NodeId> remove_calls;
    std::vector<std::pair<NodeId, std::vector<std::string>>> update_calls;
    std::deque<service::StatusCallback> pending_status;

    service::ClusterInfo cluster_info() const override { return info; }
    void add_member(std::vector<std::string> peer_urls, bool,
                    service::MemberCallback done) override {
        add_calls.push_back(std::move(peer_urls));
        pending_add.push_back(std::move(done));
    }
    void remove_member(NodeId id, service::StatusCallback done) override {
        remove_calls.push_back(id);
        pending_status.push_back(std::move(done));
    }
    void update_member(NodeId id, std::vector<std::string> peer_urls,
                       service::StatusCallback done) override {
        update_calls.emplace_back(id, std::move(peer_urls));
        pending_status.push_back(std::move(done));
    }

    // --- stats and health -------------------------------------------------
    service::SelfStats self;
    std::optional<service::LeaderStats> leader;
    service::StoreStats store;
    bool healthy = true;
    std::string metrics = "# HELP up\nup 1\n";

    service::SelfStats self_stats() const override { return self; }
    std::optional<service::LeaderStats> leader_stats() const override { return leader; }
    service::StoreStats store_stats() const override { return store; }
    bool is_healthy() const override { return healthy; }
    std::string metrics_text() const override { return metrics; }
};

/// The cluster of the recorded corpus: one member "n1".
inline service::ClusterInfo corpus_cluster() {
    service::ClusterInfo info;
    info.cluster_id = 0x48276a8f75b6a87ULL;
    info.member_id = 0x2e1259d415f2a040ULL;
    info.leader_id = 0x2e1259d415f2a040ULL;
    service::Member member;
    member.id = 0x2e1259d415f2a040ULL;
    member.name = "n1";
    member.peer_urls = {"http://127.0.0.1:23800"};
    member.client_urls = {"http://127.0.0.1:23790"};
    info.members.push_back(member);
    return info;
}

/// A file node as the corpus records them.
inline service::V2Node file_node(std::string key, std::string value, Revision modified,
                                 Revision created) {
    service::V2Node node;
    node.key = std::move(key);
    node.value = std::move(value);
    node.modified_index = modified;
    node.created_index = created;
    return node;
}

}  // namespace consensus::http::testing
