#include "http/v3_responses.h"

#include <string_view>

#include "http/base64.h"
#include "http/go_json.h"

namespace consensus::http {
namespace {

/// Builds one JSON object field by field, leaving zero values out as jsonpb does.
class ObjectWriter {
public:
    void raw(std::string_view name, std::string_view json) {
        out_ += first_ ? "" : ",";
        first_ = false;
        out_ += '"';
        out_ += name;
        out_ += "\":";
        out_ += json;
    }
    void int64(std::string_view name, std::int64_t value) {
        if (value != 0) raw(name, "\"" + std::to_string(value) + "\"");
    }
    void uint64(std::string_view name, std::uint64_t value) {
        if (value != 0) raw(name, "\"" + std::to_string(value) + "\"");
    }
    void boolean(std::string_view name, bool value) {
        if (value) raw(name, "true");
    }
    void bytes(std::string_view name, std::string_view value) {
        if (!value.empty()) raw(name, "\"" + base64_encode(value) + "\"");
    }
    void string(std::string_view name, std::string_view value) {
        if (!value.empty()) raw(name, go_json_quote(value));
    }
    /// A repeated field of already printed elements; nothing when empty.
    void list(std::string_view name, const std::vector<std::string>& elements) {
        if (elements.empty()) return;
        std::string json = "[";
        for (std::size_t i = 0; i < elements.size(); ++i) {
            if (i != 0) json += ",";
            json += elements[i];
        }
        raw(name, json + "]");
    }
    std::string finish() { return out_ + "}"; }

private:
    std::string out_ = "{";
    bool first_ = true;
};

std::vector<std::string> key_values_json(const std::vector<v3::KeyValue>& kvs) {
    std::vector<std::string> out;
    out.reserve(kvs.size());
    for (const auto& kv : kvs) out.push_back(key_value_json(kv));
    return out;
}

v3::ResponseHeader revision_only(std::int64_t revision) {
    v3::ResponseHeader header;
    header.revision = revision;
    return header;
}

std::string response_op_json(const v3::ResponseOp& op) {
    ObjectWriter writer;
    switch (op.kind) {
        case v3::RequestOp::Kind::kRange:
            writer.raw("response_range", range_response_json(op.range, revision_only(op.revision)));
            break;
        case v3::RequestOp::Kind::kPut:
            writer.raw("response_put", put_response_json(op.put, revision_only(op.revision)));
            break;
        case v3::RequestOp::Kind::kDeleteRange:
            writer.raw("response_delete_range",
                       delete_range_response_json(op.delete_range, revision_only(op.revision)));
            break;
        case v3::RequestOp::Kind::kTxn: {
            v3::TxnResponse empty;
            const v3::TxnResponse& nested = op.txn.empty() ? empty : op.txn.front();
            writer.raw("response_txn", txn_response_json(nested, v3::ResponseHeader{}));
            break;
        }
    }
    return writer.finish();
}

}  // namespace

std::string header_json(const v3::ResponseHeader& header) {
    ObjectWriter writer;
    writer.uint64("cluster_id", header.cluster_id);
    writer.uint64("member_id", header.member_id);
    writer.int64("revision", header.revision);
    writer.uint64("raft_term", header.raft_term);
    return writer.finish();
}

std::string key_value_json(const v3::KeyValue& kv) {
    ObjectWriter writer;
    writer.bytes("key", kv.key);
    writer.int64("create_revision", kv.create_revision);
    writer.int64("mod_revision", kv.mod_revision);
    writer.int64("version", kv.version);
    writer.bytes("value", kv.value);
    writer.int64("lease", kv.lease);
    return writer.finish();
}

std::string event_json(const v3::Event& event) {
    ObjectWriter writer;
    if (event.type == v3::Event::Type::kDelete) writer.raw("type", "\"DELETE\"");
    writer.raw("kv", key_value_json(event.kv));
    if (event.prev_kv) writer.raw("prev_kv", key_value_json(*event.prev_kv));
    return writer.finish();
}

std::string range_response_json(const v3::RangeResponse& response,
                                const v3::ResponseHeader& header) {
    ObjectWriter writer;
    writer.raw("header", header_json(header));
    writer.list("kvs", key_values_json(response.kvs));
    writer.boolean("more", response.more);
    writer.int64("count", response.count);
    return writer.finish();
}

std::string put_response_json(const v3::PutResponse& response, const v3::ResponseHeader& header) {
    ObjectWriter writer;
    writer.raw("header", header_json(header));
    if (response.prev_kv) writer.raw("prev_kv", key_value_json(*response.prev_kv));
    return writer.finish();
}

std::string delete_range_response_json(const v3::DeleteRangeResponse& response,
                                       const v3::ResponseHeader& header) {
    ObjectWriter writer;
    writer.raw("header", header_json(header));
    writer.int64("deleted", response.deleted);
    writer.list("prev_kvs", key_values_json(response.prev_kvs));
    return writer.finish();
}

std::string txn_response_json(const v3::TxnResponse& response, const v3::ResponseHeader& header) {
    ObjectWriter writer;
    writer.raw("header", header_json(header));
    writer.boolean("succeeded", response.succeeded);
    std::vector<std::string> responses;
    responses.reserve(response.responses.size());
    for (const auto& op : response.responses) responses.push_back(response_op_json(op));
    writer.list("responses", responses);
    return writer.finish();
}

std::string header_only_json(const v3::ResponseHeader& header) {
    ObjectWriter writer;
    writer.raw("header", header_json(header));
    return writer.finish();
}

std::string lease_grant_response_json(const v3::LeaseGrantResponse& response,
                                      const v3::ResponseHeader& header) {
    ObjectWriter writer;
    writer.raw("header", header_json(header));
    writer.int64("ID", response.id);
    writer.int64("TTL", response.ttl);
    return writer.finish();
}

std::string lease_time_to_live_response_json(const v3::LeaseTimeToLiveResponse& response,
                                             const v3::ResponseHeader& header) {
    ObjectWriter writer;
    writer.raw("header", header_json(header));
    writer.int64("ID", response.id);
    writer.int64("TTL", response.ttl);
    writer.int64("grantedTTL", response.granted_ttl);
    std::vector<std::string> keys;
    keys.reserve(response.keys.size());
    for (const auto& key : response.keys) keys.push_back("\"" + base64_encode(key) + "\"");
    writer.list("keys", keys);
    return writer.finish();
}

std::string lease_leases_response_json(const v3::LeaseLeasesResponse& response,
                                       const v3::ResponseHeader& header) {
    ObjectWriter writer;
    writer.raw("header", header_json(header));
    std::vector<std::string> leases;
    leases.reserve(response.ids.size());
    for (std::int64_t id : response.ids) {
        ObjectWriter lease;
        lease.int64("ID", id);
        leases.push_back(lease.finish());
    }
    writer.list("leases", leases);
    return writer.finish();
}

std::string lease_keep_alive_response_json(const v3::LeaseKeepAliveResponse& response,
                                           const v3::ResponseHeader& header) {
    ObjectWriter writer;
    writer.raw("header", header_json(header));
    writer.int64("ID", response.id);
    writer.int64("TTL", response.ttl);
    return writer.finish();
}

std::string watch_response_json(const WatchMessage& message) {
    ObjectWriter writer;
    writer.raw("header", header_json(message.header));
    writer.int64("watch_id", message.watch_id);
    writer.boolean("created", message.created);
    writer.boolean("canceled", message.canceled);
    writer.int64("compact_revision", message.compact_revision);
    writer.string("cancel_reason", message.cancel_reason);
    std::vector<std::string> events;
    events.reserve(message.events.size());
    for (const auto& event : message.events) events.push_back(event_json(event));
    writer.list("events", events);
    return writer.finish();
}

std::string stream_result_line(const std::string& message_json) {
    return "{\"result\":" + message_json + "}\n";
}

std::string status_response_json(const v3::StatusResponse& response,
                                 const v3::ResponseHeader& header) {
    ObjectWriter writer;
    writer.raw("header", header_json(header));
    writer.string("version", response.version);
    writer.int64("dbSize", response.db_size);
    writer.uint64("leader", response.leader);
    writer.uint64("raftIndex", response.raft_index);
    writer.uint64("raftTerm", response.raft_term);
    writer.uint64("raftAppliedIndex", response.raft_applied_index);
    writer.int64("dbSizeInUse", response.db_size_in_use);
    writer.boolean("isLearner", response.is_learner);
    return writer.finish();
}

std::string member_list_response_json(const service::ClusterInfo& info) {
    v3::ResponseHeader header;
    header.cluster_id = info.cluster_id;
    header.member_id = info.member_id;
    header.raft_term = info.raft_term;
    ObjectWriter writer;
    writer.raw("header", header_json(header));
    std::vector<std::string> members;
    for (const auto& member : info.members) {
        ObjectWriter entry;
        entry.uint64("ID", member.id);
        entry.string("name", member.name);
        std::vector<std::string> peer_urls;
        for (const auto& url : member.peer_urls) peer_urls.push_back(go_json_quote(url));
        entry.list("peerURLs", peer_urls);
        std::vector<std::string> client_urls;
        for (const auto& url : member.client_urls) client_urls.push_back(go_json_quote(url));
        entry.list("clientURLs", client_urls);
        entry.boolean("isLearner", member.is_learner);
        members.push_back(entry.finish());
    }
    writer.list("members", members);
    return writer.finish();
}

std::string error_json(int grpc_code, const std::string& message) {
    std::string quoted = go_json_quote(message);
    return "{\"error\":" + quoted + ",\"code\":" + std::to_string(grpc_code) +
           ",\"message\":" + quoted + "}";
}

}  // namespace consensus::http
