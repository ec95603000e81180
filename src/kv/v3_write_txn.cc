#include "kv/v3_write_txn.h"

#include <limits>
#include <utility>

#include "consensus/assert.h"

namespace consensus::kv {

V3WriteTxn::V3WriteTxn(V3Keyspace& keyspace, V3Leases& leases)
    : keyspace_(keyspace), leases_(leases), begin_revision_(keyspace.revision()) {}

std::int64_t V3WriteTxn::read_revision() const {
    return changes_.empty() ? begin_revision_ : begin_revision_ + 1;
}

std::uint32_t V3WriteTxn::next_sub() const {
    CONSENSUS_ASSERT(changes_.size() < std::numeric_limits<std::uint32_t>::max());
    return static_cast<std::uint32_t>(changes_.size());
}

std::int64_t V3WriteTxn::put(std::string_view key, std::string value, std::int64_t lease) {
    CONSENSUS_ASSERT(!ended_);
    const std::int64_t revision = begin_revision_ + 1;
    const V3Record* current = keyspace_.find(key, read_revision());
    const std::int64_t old_lease = current == nullptr ? 0 : current->lease;
    const std::uint32_t sub = next_sub();
    const std::string_view stored_key = keyspace_.put(key, std::move(value), lease, revision, sub);
    changes_.push_back(V3Change{stored_key, sub});
    // Detach before attach: a put that keeps the same lease leaves the key attached.
    if (old_lease != 0) leases_.detach(old_lease, stored_key);
    if (lease != 0) leases_.attach(lease, stored_key);
    return revision;
}

std::int64_t V3WriteTxn::delete_range(const V3KeyRange& range, std::int64_t* revision) {
    CONSENSUS_ASSERT(!ended_);
    // Collect first: removing appends to the histories being visited.
    struct Victim {
        std::string_view key;
        std::int64_t lease;
    };
    std::vector<Victim> victims;
    keyspace_.visit_range(range, read_revision(),
                          [&victims](const std::string& key, const V3Record& record) {
                              victims.push_back(Victim{key, record.lease});
                              return true;
                          });
    for (const Victim& victim : victims) {
        const std::uint32_t sub = next_sub();
        keyspace_.remove(victim.key, begin_revision_ + 1, sub);
        changes_.push_back(V3Change{victim.key, sub});
        if (victim.lease != 0) leases_.detach(victim.lease, victim.key);
    }
    // [etcd: server/mvcc/kvstore_txn.go DeleteRange] a delete that matched nothing still
    // reports begin + 1 when an earlier op of the same transaction changed something.
    *revision = changes_.empty() ? begin_revision_ : begin_revision_ + 1;
    return static_cast<std::int64_t>(victims.size());
}

std::vector<V3Change> V3WriteTxn::end() {
    CONSENSUS_ASSERT(!ended_);
    ended_ = true;
    if (!changes_.empty()) keyspace_.advance_revision(begin_revision_ + 1);
    return std::move(changes_);
}

}  // namespace consensus::kv
