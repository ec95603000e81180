#pragma once
/// The v3 Cluster and Maintenance calls the gateway serves
/// [etcd: server/etcdserver/api/v3rpc/member.go, maintenance.go]:
///   POST /v3/cluster/member/list: the members with decimal IDs; its header has no
///        revision.
///   POST /v3/maintenance/status: version, sizes, leader and Raft indexes, with the
///        header at the current revision.
///   POST /v3/maintenance/alarm: this server raises no alarms, so every action
///        answers {} with no header, as etcd does when no alarm is set (its alarm
///        answer never fills a header).
///   POST /v3/maintenance/defragment: nothing to compact in this store's layout, so it
///        answers {} as etcd does after defragmenting (no header either).
/// Each decodes the body first (400 code 3 when it does not decode).

#include "consensus/service.h"
#include "http/exchange.h"
#include "http/request.h"

namespace consensus::http {

void serve_v3_member_list(service::Service& service, const Request& request,
                          const ExchangePtr& exchange);
void serve_v3_status(service::Service& service, const Request& request,
                     const ExchangePtr& exchange);
void serve_v3_alarm(const Request& request, const ExchangePtr& exchange);
void serve_v3_defragment(const Request& request, const ExchangePtr& exchange);

}  // namespace consensus::http
