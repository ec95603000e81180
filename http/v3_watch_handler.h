#pragma once
/// The v3 Watch service over the JSON gateway: POST /v3/watch
/// [etcd: api/etcdserverpb/gw/rpc.pb.gw.go request_Watch_Watch_0;
/// server/etcdserver/api/v3rpc/watch.go recvLoop and sendLoop; server/mvcc/
/// watcher.go watchStream.Watch].
///
/// The body holds one or more WatchRequests, handled in order:
///   - create_request: the stream's next free id (0, 1, 2, ... or the id the client
///     chose) and {"header","watch_id","created":true}; then the events from a past
///     start_revision as one message, or, for a compacted start_revision,
///     {"canceled":true,"compact_revision":N} with a header without revision. A
///     duplicate id or an empty range answers created and canceled with the reason
///     and watch_id -1.
///   - cancel_request: {"header","watch_id","canceled":true}; nothing for an id the
///     stream does not have.
///   - progress_request: a header-only message with watch_id -1.
/// Live events follow as {"header","watch_id","events"}, filtered by NOPUT/NODELETE
/// (nothing is sent when every event of a revision is filtered out). A first request
/// that does not decode answers 500 code 2; a later one stops the reading of the
/// body. The stream never ends by itself; when the client leaves every watch of the
/// stream is cancelled. `service` must outlive every exchange it serves.

#include "consensus/service.h"
#include "http/exchange.h"
#include "http/request.h"

namespace consensus::http {

void serve_v3_watch(service::Service& service, const Request& request, const ExchangePtr& exchange);

}  // namespace consensus::http
