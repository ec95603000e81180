#pragma once
/// One write transaction on the v3 keyspace, as etcd's storeTxnWrite
/// [etcd: server/mvcc/kvstore_txn.go]: every change it makes is stamped with the
/// revision after the one it began at (begin + 1) and a sub revision counting its
/// changes, and the keyspace's revision moves to begin + 1 at end() only if something
/// changed. Reads inside it see its own earlier changes.
///
/// It also keeps the lease table in step with the keyspace: a put detaches the key
/// from its old lease and attaches it to the new one, a delete detaches it
/// [etcd: server/mvcc/kvstore_txn.go put, delete].
///
/// Lifetime: a stack object inside one apply; the keyspace and leases outlive it.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kv/v3_key_range.h"
#include "kv/v3_keyspace.h"
#include "kv/v3_leases.h"

namespace consensus::kv {

/// A change made by a write transaction: the key (a view into the keyspace's map, valid
/// until the next compaction or restore) and its sub revision. The record is
/// keyspace.record_at(key, revision, sub).
struct V3Change {
    std::string_view key;
    std::uint32_t sub = 0;
};

class V3WriteTxn {
public:
    V3WriteTxn(V3Keyspace& keyspace, V3Leases& leases);
    V3WriteTxn(const V3WriteTxn&) = delete;
    V3WriteTxn& operator=(const V3WriteTxn&) = delete;

    /// The revision the transaction began at.
    std::int64_t begin_revision() const { return begin_revision_; }
    /// The revision reads inside the transaction see: begin, or begin + 1 once
    /// something changed (etcd's storeTxnWrite.Range).
    std::int64_t read_revision() const;
    /// Whether anything changed so far.
    bool has_changes() const { return !changes_.empty(); }

    /// Writes `key` = value with `lease` (0: none) and returns the revision it carries
    /// (begin + 1).
    std::int64_t put(std::string_view key, std::string value, std::int64_t lease);

    /// Deletes every key of `range` live at read_revision(). Returns the number deleted;
    /// `revision` gets what etcd's DeleteRange reports: begin + 1 if this or an earlier
    /// op changed something, else begin.
    std::int64_t delete_range(const V3KeyRange& range, std::int64_t* revision);

    /// Ends the transaction: advances the keyspace's revision if anything changed and
    /// returns the changes in sub-revision order. Call once.
    std::vector<V3Change> end();

private:
    std::uint32_t next_sub() const;

    V3Keyspace& keyspace_;
    V3Leases& leases_;
    std::int64_t begin_revision_;
    std::vector<V3Change> changes_;
    bool ended_ = false;
};

}  // namespace consensus::kv
