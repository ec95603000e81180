#pragma once
/// The etcd versions this server answers as, so etcd clients and tools that check the
/// server version (/version, /v3/maintenance/status) accept it.

#include <string_view>

namespace consensus {

/// The etcd server release whose HTTP API is served ("etcdserver" in /version).
inline constexpr std::string_view kEtcdServerVersion = "3.4.23";
/// The cluster version ("etcdcluster" in /version).
inline constexpr std::string_view kEtcdClusterVersion = "3.4.0";

}  // namespace consensus
