#pragma once
/// Path checks shared by the HTTP front end (Go's path.Clean for routing) and the v2
/// store (keys cleaned as etcd cleans them): both skip cleaning a path that is clean.

#include <string_view>

namespace consensus {

/// True when `path` is rooted and already clean in Go's path.Clean sense: no empty,
/// "." or ".." element and no trailing slash (or "/" itself). Decided without building
/// the cleaned path. False for a path that does not start with '/'.
bool is_clean_path(std::string_view path);

}  // namespace consensus
