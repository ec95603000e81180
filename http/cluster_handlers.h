#pragma once
/// Handlers for everything besides the keys API: /v2/members, /v2/stats/*,
/// /v2/machines, /version, /health and /metrics, answering as etcd 3.4 does
/// [etcd: server/etcdserver/api/v2http/client.go membersHandler, statsHandler,
/// machinesHandler; api/etcdhttp/base.go, metrics.go].
///
/// Each function checks the method itself (405 with etcd's Allow list) and answers
/// through `exchange`, later for the member changes. `service` must outlive every
/// exchange it serves.

#include <string>
#include <string_view>
#include <vector>

#include "consensus/service.h"
#include "http/exchange.h"
#include "http/request.h"

namespace consensus::http {

/// The version pair this server reports: etcd 3.4 compatibility.
inline constexpr std::string_view kEtcdServerVersion = "3.4.23";
inline constexpr std::string_view kEtcdClusterVersion = "3.4.0";

/// /v2/members and below. `sub_path` is the decoded path after "/v2/members" ("",
/// "/", "/leader", "/<hex id>"). GET lists members or the leader; POST adds a member
/// ({"peerURLs": [...]}, 201 with the member); DELETE /<id> removes one (204); PUT
/// /<id> changes its peer URLs (204). Errors: 400 bad JSON or URLs, 404 unknown
/// member, 409 duplicate peer URL, 415 wrong Content-Type, 500 other failures, 503
/// for the leader during an election.
void serve_members(service::Service& service, const Request& request, std::string_view sub_path,
                   const ExchangePtr& exchange);

/// /v2/stats/self, /v2/stats/leader (403 on a follower), /v2/stats/store.
void serve_stats_self(service::Service& service, const Request& request,
                      const ExchangePtr& exchange);
void serve_stats_leader(service::Service& service, const Request& request,
                        const ExchangePtr& exchange);
void serve_stats_store(service::Service& service, const Request& request,
                       const ExchangePtr& exchange);

/// /version: {"etcdserver":"3.4.23","etcdcluster":"3.4.0"}; GET only.
void serve_version(const Request& request, const ExchangePtr& exchange);

/// /health: {"health":"true"} as text/plain, or 503 {"health":"false"} when the
/// member is unhealthy; GET only.
void serve_health(service::Service& service, const Request& request, const ExchangePtr& exchange);

/// /v2/machines: the client URLs joined by ", " as text/plain; GET and HEAD.
void serve_machines(const std::vector<std::string>& client_urls, const Request& request,
                    const ExchangePtr& exchange);

/// /metrics: the member's Prometheus text, any method (as promhttp).
void serve_metrics(service::Service& service, const Request& request, const ExchangePtr& exchange);

/// The member object of etcd's v2 members API:
/// {"id":"<hex>","name":...,"peerURLs":[...],"clientURLs":[...]}.
std::string render_member(const service::Member& member);

/// Validates peer URLs as etcd's types.NewURLs: at least one; scheme http, https,
/// unix or unixs; a host:port; no path. Returns etcd's error text, or "" when valid.
std::string validate_peer_urls(const std::vector<std::string>& urls);

}  // namespace consensus::http
