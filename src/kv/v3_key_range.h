#pragma once
/// etcd's key interval of a v3 request: (key, range_end) names
///   - only `key` when range_end is empty,
///   - every key >= `key` when range_end is the single byte "\0",
///   - [key, range_end) otherwise (empty when range_end <= key)
/// [etcd: api/etcdserverpb/rpc.proto RangeRequest.range_end; server/etcdserver/apply.go
/// mkGteRange]. Keys compare as raw bytes (std::string compares chars as unsigned, like
/// Go's bytes.Compare).

#include <string_view>

namespace consensus::kv {

/// A borrowed (key, range_end) pair; both views must outlive it.
struct V3KeyRange {
    std::string_view key;
    std::string_view range_end;

    bool is_single_key() const { return range_end.empty(); }
    /// range_end "\0": no upper bound.
    bool is_unbounded() const { return range_end == std::string_view("\0", 1); }

    /// Whether `candidate` lies in the interval.
    bool contains(std::string_view candidate) const {
        if (is_single_key()) return candidate == key;
        if (candidate < key) return false;
        return is_unbounded() || candidate < range_end;
    }

    /// Whether every key at or after `candidate` is past the interval (for ordered scans
    /// that start at `key`).
    bool is_past_end(std::string_view candidate) const {
        if (is_single_key()) return candidate != key;
        return !is_unbounded() && candidate >= range_end;
    }
};

}  // namespace consensus::kv
