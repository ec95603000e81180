#include "node/applier.h"

#include <chrono>
#include <utility>

#include "consensus/log.h"
#include "kv/command.h"
#include "node/entry_codec.h"

namespace consensus::node {

namespace {
constexpr const char* kComponent = "member";
}  // namespace

Applier::Applier(kv::Store& store, MemberTable& members, PendingRequests& pending, Metrics& metrics,
                 Hooks hooks)
    : store_(store),
      members_(members),
      pending_(pending),
      metrics_(metrics),
      hooks_(std::move(hooks)) {}

void Applier::reset(Index applied_index, Term applied_term, raft::ConfState conf_state) {
    applied_index_ = applied_index;
    applied_term_ = applied_term;
    conf_state_ = std::move(conf_state);
}

void Applier::restore(const raft::Snapshot& snapshot) {
    auto data = decode_snapshot_data(snapshot.data);
    // The snapshot is already durable and raft has moved past it, so a damaged one
    // cannot be skipped without diverging from the cluster: stop (STYLE §8).
    if (!data.is_ok()) {
        LOG_ERROR(kComponent, "snapshot at index %llu is damaged: %s",
                  static_cast<unsigned long long>(snapshot.metadata.index),
                  data.status().to_string().c_str());
        CONSENSUS_ASSERT_MSG(false, "damaged snapshot data");
    }
    auto table = MemberTable::decode(data.value().member_table);
    if (!table.is_ok()) {
        LOG_ERROR(kComponent, "snapshot member table is damaged: %s",
                  table.status().to_string().c_str());
        CONSENSUS_ASSERT_MSG(false, "damaged snapshot member table");
    }
    Status restored = store_.restore_snapshot(data.value().store);
    if (!restored.is_ok()) {
        LOG_ERROR(kComponent, "snapshot store is damaged: %s", restored.to_string().c_str());
        CONSENSUS_ASSERT_MSG(false, "damaged snapshot store");
    }
    members_ = std::move(table.value());
    reset(snapshot.metadata.index, snapshot.metadata.term, snapshot.metadata.conf_state);
    LOG_INFO(kComponent, "restored snapshot at index %llu term %llu (%zu members)",
             static_cast<unsigned long long>(snapshot.metadata.index),
             static_cast<unsigned long long>(snapshot.metadata.term), members_.size());
    if (hooks_.on_members_restored) hooks_.on_members_restored();
}

void Applier::apply(const raft::Entry& entry) {
    // Entries at or below the applied index were covered by a snapshot restored in
    // the same Ready; applying them again would replay writes twice.
    if (entry.index <= applied_index_) return;
    auto started = std::chrono::steady_clock::now();
    ++metrics_.proposals_committed;
    if (entry.type == raft::EntryType::kConfChange) {
        apply_conf_change(entry);
    } else if (!entry.data.empty()) {
        apply_normal(entry);
    }
    applied_index_ = entry.index;
    applied_term_ = entry.term;
    ++metrics_.proposals_applied;
    std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
    metrics_.apply_seconds.observe(took.count());
}

void Applier::apply_normal(const raft::Entry& entry) {
    auto decoded = decode_node_entry(entry.data);
    if (!decoded.is_ok()) {
        LOG_ERROR(kComponent, "skipping damaged entry %llu: %s",
                  static_cast<unsigned long long>(entry.index),
                  decoded.status().to_string().c_str());
        return;
    }
    NodeEntry& node_entry = decoded.value();
    Outcome outcome;
    outcome.raft_index = entry.index;
    outcome.raft_term = entry.term;
    outcome.member_id = node_entry.member.id;
    switch (node_entry.kind) {
        case NodeEntryKind::kKvCommand:
            apply_kv_command(entry, node_entry.kv_command);
            return;
        case NodeEntryKind::kMemberAttributes:
            if (members_.set_attributes(node_entry.member.id, node_entry.member.name,
                                        node_entry.member.client_urls)) {
                LOG_INFO(kComponent, "member %llx published name %s",
                         static_cast<unsigned long long>(node_entry.member.id),
                         node_entry.member.name.c_str());
            }
            break;
        case NodeEntryKind::kMemberPeerUrls:
            if (members_.set_peer_urls(node_entry.member.id, node_entry.member.peer_urls)) {
                LOG_INFO(kComponent, "member %llx changed its peer URLs",
                         static_cast<unsigned long long>(node_entry.member.id));
                const service::Member* member = members_.find(node_entry.member.id);
                if (hooks_.on_member_changed && member != nullptr) {
                    hooks_.on_member_changed(*member);
                }
            }
            break;
    }
    if (node_entry.request_id != 0) pending_.complete(node_entry.request_id, outcome);
}

void Applier::apply_kv_command(const raft::Entry& entry, const std::string& bytes) {
    auto command = kv::decode_command(bytes);
    if (!command.is_ok()) {
        LOG_ERROR(kComponent, "skipping damaged kv command at entry %llu: %s",
                  static_cast<unsigned long long>(entry.index),
                  command.status().to_string().c_str());
        return;
    }
    const std::uint64_t request_id = command.value().request_id;
    // The decoded command is not needed afterwards, so its value moves into the store.
    kv::ApplyResult result = store_.apply(std::move(command.value()));
    if (request_id == 0) return;
    Outcome outcome;
    outcome.error = std::move(result.error);
    outcome.event = std::move(result.event);
    outcome.etcd_index = result.etcd_index;
    outcome.v3 = std::move(result.v3);
    outcome.raft_index = entry.index;
    outcome.raft_term = entry.term;
    pending_.complete(request_id, std::move(outcome));
}

void Applier::apply_conf_change(const raft::Entry& entry) {
    auto change = raft::decode_conf_change(entry.data);
    if (!change.is_ok()) {
        LOG_ERROR(kComponent, "skipping damaged conf change at entry %llu: %s",
                  static_cast<unsigned long long>(entry.index),
                  change.status().to_string().c_str());
        return;
    }
    if (hooks_.apply_conf_change) conf_state_ = hooks_.apply_conf_change(change.value());
    ConfChangeContext context;
    if (!change.value().context.empty()) {
        auto decoded = decode_conf_change_context(change.value().context);
        if (decoded.is_ok()) context = std::move(decoded.value());
    }
    for (const raft::ConfChangeSingle& single : change.value().changes) {
        if (single.type == raft::ConfChangeType::kRemoveNode) {
            members_.remove(single.node_id);
            LOG_INFO(kComponent, "removed member %llx from the cluster",
                     static_cast<unsigned long long>(single.node_id));
            if (hooks_.on_member_removed) hooks_.on_member_removed(single.node_id);
            continue;
        }
        service::Member member = context.member;
        member.id = single.node_id;
        member.is_learner = single.type == raft::ConfChangeType::kAddLearnerNode;
        if (const service::Member* known = members_.find(single.node_id)) {
            // Promoting a learner keeps what the member already published.
            if (member.peer_urls.empty()) member.peer_urls = known->peer_urls;
            member.name = known->name;
            member.client_urls = known->client_urls;
        }
        members_.add(member);
        LOG_INFO(kComponent, "added member %llx to the cluster",
                 static_cast<unsigned long long>(single.node_id));
        if (hooks_.on_member_changed) hooks_.on_member_changed(member);
    }
    if (context.request_id != 0) {
        Outcome outcome;
        outcome.raft_index = entry.index;
        outcome.raft_term = entry.term;
        outcome.member_id = context.member.id;
        pending_.complete(context.request_id, std::move(outcome));
    }
}

void Applier::add_read_states(const std::vector<raft::ReadState>& read_states) {
    for (const raft::ReadState& read_state : read_states) reads_.add(read_state);
    release_reads();
}

void Applier::release_reads() {
    if (reads_.size() == 0) return;
    for (std::uint64_t request_id : reads_.take_ready(applied_index_)) {
        Outcome outcome;
        outcome.raft_index = applied_index_;
        outcome.raft_term = applied_term_;
        pending_.complete(request_id, std::move(outcome));
    }
}

}  // namespace consensus::node
