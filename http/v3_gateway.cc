#include "http/v3_gateway.h"

#include <array>
#include <string>

#include "http/v3_cluster_handlers.h"
#include "http/v3_kv_handler.h"
#include "http/v3_lease_handler.h"
#include "http/v3_watch_handler.h"

namespace consensus::http {
namespace {

constexpr std::string_view kV3Prefix = "/v3/";
constexpr std::string_view kV3BetaPrefix = "/v3beta/";

enum class Route {
    kKv,
    kLease,
    kLeaseKeepAlive,
    kWatch,
    kMemberList,
    kMaintenanceStatus,
    kMaintenanceAlarm,
    kMaintenanceDefragment,
    kUnimplemented,
};

struct RouteEntry {
    std::string_view path;  ///< below "/v3/"
    Route route;
};

/// Every pattern of etcd 3.4's gateway [etcd: api/etcdserverpb/gw/rpc.pb.gw.go,
/// server/etcdserver/api/v3election/v3electionpb/gw, v3lock/v3lockpb/gw].
constexpr std::array kRoutes = {
    RouteEntry{"kv/range", Route::kKv},
    RouteEntry{"kv/put", Route::kKv},
    RouteEntry{"kv/deleterange", Route::kKv},
    RouteEntry{"kv/txn", Route::kKv},
    RouteEntry{"kv/compaction", Route::kKv},
    RouteEntry{"watch", Route::kWatch},
    RouteEntry{"lease/grant", Route::kLease},
    RouteEntry{"lease/revoke", Route::kLease},
    RouteEntry{"kv/lease/revoke", Route::kLease},
    RouteEntry{"lease/keepalive", Route::kLeaseKeepAlive},
    RouteEntry{"lease/timetolive", Route::kLease},
    RouteEntry{"kv/lease/timetolive", Route::kLease},
    RouteEntry{"lease/leases", Route::kLease},
    RouteEntry{"kv/lease/leases", Route::kLease},
    RouteEntry{"cluster/member/list", Route::kMemberList},
    RouteEntry{"cluster/member/add", Route::kUnimplemented},
    RouteEntry{"cluster/member/remove", Route::kUnimplemented},
    RouteEntry{"cluster/member/update", Route::kUnimplemented},
    RouteEntry{"cluster/member/promote", Route::kUnimplemented},
    RouteEntry{"maintenance/status", Route::kMaintenanceStatus},
    RouteEntry{"maintenance/alarm", Route::kMaintenanceAlarm},
    RouteEntry{"maintenance/defragment", Route::kMaintenanceDefragment},
    RouteEntry{"maintenance/hash", Route::kUnimplemented},
    RouteEntry{"maintenance/hashkv", Route::kUnimplemented},
    RouteEntry{"maintenance/snapshot", Route::kUnimplemented},
    RouteEntry{"maintenance/transfer-leadership", Route::kUnimplemented},
    RouteEntry{"auth/enable", Route::kUnimplemented},
    RouteEntry{"auth/disable", Route::kUnimplemented},
    RouteEntry{"auth/authenticate", Route::kUnimplemented},
    RouteEntry{"auth/user/add", Route::kUnimplemented},
    RouteEntry{"auth/user/get", Route::kUnimplemented},
    RouteEntry{"auth/user/list", Route::kUnimplemented},
    RouteEntry{"auth/user/delete", Route::kUnimplemented},
    RouteEntry{"auth/user/changepw", Route::kUnimplemented},
    RouteEntry{"auth/user/grant", Route::kUnimplemented},
    RouteEntry{"auth/user/revoke", Route::kUnimplemented},
    RouteEntry{"auth/role/add", Route::kUnimplemented},
    RouteEntry{"auth/role/get", Route::kUnimplemented},
    RouteEntry{"auth/role/list", Route::kUnimplemented},
    RouteEntry{"auth/role/delete", Route::kUnimplemented},
    RouteEntry{"auth/role/grant", Route::kUnimplemented},
    RouteEntry{"auth/role/revoke", Route::kUnimplemented},
    RouteEntry{"election/campaign", Route::kUnimplemented},
    RouteEntry{"election/proclaim", Route::kUnimplemented},
    RouteEntry{"election/leader", Route::kUnimplemented},
    RouteEntry{"election/observe", Route::kUnimplemented},
    RouteEntry{"election/resign", Route::kUnimplemented},
    RouteEntry{"lock/lock", Route::kUnimplemented},
    RouteEntry{"lock/unlock", Route::kUnimplemented},
};

const RouteEntry* find_route(std::string_view method_path) {
    for (const auto& entry : kRoutes) {
        if (entry.path == method_path) return &entry;
    }
    return nullptr;
}

/// The part after the last '/' ("kv/lease/revoke" -> "revoke").
std::string_view last_part(std::string_view path) {
    std::size_t slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace

bool is_v3_gateway_path(std::string_view path) {
    return path.substr(0, kV3Prefix.size()) == kV3Prefix ||
           path.substr(0, kV3BetaPrefix.size()) == kV3BetaPrefix;
}

Response v3_body_too_large() {
    Response response = v3_error(GrpcCode::kInvalidArgument, kRequestTooLargeMessage);
    response.close_connection = true;
    return response;
}

void serve_v3(service::Service& service, const Request& request, std::string_view path,
              const V3Limits& limits, const ExchangePtr& exchange) {
    std::string_view method_path = path.substr(0, kV3Prefix.size()) == kV3Prefix
                                       ? path.substr(kV3Prefix.size())
                                       : path.substr(kV3BetaPrefix.size());
    const RouteEntry* entry = find_route(method_path);
    if (entry == nullptr) {
        exchange->reply(text_error(404, "Not Found"));
        return;
    }
    if (request.method != "POST") {
        exchange->reply(text_error(405, "Method Not Allowed"));
        return;
    }
    switch (entry->route) {
        case Route::kKv:
            serve_v3_kv(service, last_part(method_path), request, limits, exchange);
            return;
        case Route::kLease:
            serve_v3_lease(service, last_part(method_path), request, exchange);
            return;
        case Route::kLeaseKeepAlive:
            serve_v3_lease_keep_alive(service, request, exchange);
            return;
        case Route::kWatch:
            serve_v3_watch(service, request, exchange);
            return;
        case Route::kMemberList:
            serve_v3_member_list(service, request, exchange);
            return;
        case Route::kMaintenanceStatus:
            serve_v3_status(service, request, exchange);
            return;
        case Route::kMaintenanceAlarm:
            serve_v3_alarm(request, exchange);
            return;
        case Route::kMaintenanceDefragment:
            serve_v3_defragment(request, exchange);
            return;
        case Route::kUnimplemented:
            exchange->reply(
                v3_error(GrpcCode::kUnimplemented,
                         "/v3/" + std::string(method_path) + " is not supported by this server"));
            return;
    }
}

}  // namespace consensus::http
