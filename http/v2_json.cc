#include "http/v2_json.h"

#include "consensus/errors.h"
#include "http/go_json.h"

namespace consensus::http {
namespace {

/// Appends `"name":` with the separating comma when the object already has a field.
void begin_field(std::string* out, const char* name) {
    if (out->back() != '{') out->push_back(',');
    out->push_back('"');
    out->append(name);
    out->append("\":");
}

void append_node(std::string* out, const service::V2Node& node) {
    out->push_back('{');
    if (!node.is_root && !node.key.empty()) {
        begin_field(out, "key");
        append_go_json_quoted(out, node.key);
    }
    if (node.value.has_value() && !node.dir) {
        begin_field(out, "value");
        append_go_json_quoted(out, *node.value);
    }
    if (node.dir) {
        begin_field(out, "dir");
        out->append("true");
    }
    if (node.expiration_unix_nanos.has_value()) {
        begin_field(out, "expiration");
        append_go_json_quoted(out, rfc3339_nano(*node.expiration_unix_nanos));
    }
    if (node.ttl.has_value() && *node.ttl != 0) {
        begin_field(out, "ttl");
        out->append(std::to_string(*node.ttl));
    }
    if (!node.nodes.empty()) {
        begin_field(out, "nodes");
        out->push_back('[');
        for (std::size_t i = 0; i < node.nodes.size(); ++i) {
            if (i != 0) out->push_back(',');
            append_node(out, node.nodes[i]);
        }
        out->push_back(']');
    }
    if (!node.is_root && node.modified_index != 0) {
        begin_field(out, "modifiedIndex");
        out->append(std::to_string(node.modified_index));
    }
    if (!node.is_root && node.created_index != 0) {
        begin_field(out, "createdIndex");
        out->append(std::to_string(node.created_index));
    }
    out->push_back('}');
}

bool is_write_action(const std::string& action) {
    // [etcd: v2http/client.go writeKeyEvent] trims only these four actions; a delete
    // keeps its body even with noValueOnSuccess (the corpus records this).
    return action == "set" || action == "compareAndSwap" || action == "create" ||
           action == "update";
}

}  // namespace

std::string render_v2_node(const service::V2Node& node) {
    std::string out;
    append_node(&out, node);
    return out;
}

std::string render_v2_event(const service::V2Event& event, bool no_value_on_success) {
    std::string out;
    // One allocation for the common body: two nodes' keys and values plus the fields
    // (a set that replaced a value has about 200 bytes of names, quotes and indexes;
    // 160 made every such answer grow its buffer once, copying it).
    auto node_bytes = [](const service::V2Node& node) {
        return node.key.size() + (node.value.has_value() ? node.value->size() : 0);
    };
    std::size_t estimate = 256 + node_bytes(event.node);
    if (event.prev_node.has_value()) estimate += node_bytes(*event.prev_node);
    out.reserve(estimate);
    out += "{\"action\":";
    append_go_json_quoted(&out, event.action);
    if (!(no_value_on_success && is_write_action(event.action))) {
        out += ",\"node\":";
        append_node(&out, event.node);
        if (event.prev_node.has_value()) {
            out += ",\"prevNode\":";
            append_node(&out, *event.prev_node);
        }
    }
    out += "}\n";
    return out;
}

std::string render_v2_error(const service::V2Error& error) {
    std::string out = "{\"errorCode\":" + std::to_string(error.error_code);
    out += ",\"message\":" + go_json_quote(errors::v2_message(error.error_code));
    if (!error.cause.empty()) out += ",\"cause\":" + go_json_quote(error.cause);
    out += ",\"index\":" + std::to_string(error.index) + "}\n";
    return out;
}

}  // namespace consensus::http
