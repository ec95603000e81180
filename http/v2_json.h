#pragma once
/// JSON rendering of the v2 keys API: events, nodes and errors, byte for byte as
/// etcd 3.4 writes them [etcd: server/etcdserver/api/v2store/node_extern.go, event.go;
/// server/etcdserver/api/v2error/error.go].
///
/// Node fields, in this order, each left out under Go's `omitempty` rule:
///   key (absent for the root), value (absent for dirs and deleted nodes), dir (only
///   when true), expiration (RFC 3339 nanoseconds, UTC), ttl (absent when 0 or unset),
///   nodes (absent when empty), modifiedIndex, createdIndex (absent when 0, so the
///   root has none).
/// Event fields: action, node, prevNode. Error fields: errorCode, message, cause
/// (absent when empty, as Go's `omitempty`), index.
/// Bodies written through Go's json.Encoder (events, errors) end with "\n".

#include <string>

#include "consensus/service.h"

namespace consensus::http {

/// The node object without a trailing newline.
std::string render_v2_node(const service::V2Node& node);

/// An event body as writeKeyEvent sends it, with the trailing newline. When
/// `no_value_on_success` is set and the action is set, compareAndSwap, create or
/// update, node and prevNode are dropped ({"action":"set"}).
std::string render_v2_event(const service::V2Event& event, bool no_value_on_success = false);

/// An error body as v2error.Error.WriteTo sends it, with the trailing newline. The
/// message comes from errors.h for the code.
std::string render_v2_error(const service::V2Error& error);

}  // namespace consensus::http
