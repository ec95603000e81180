#include "raft/memory_storage.h"

#include <utility>

namespace consensus::raft {
namespace {

Status compacted() {
    return Status(StatusCode::kOutOfRange, "compacted");
}
Status unavailable() {
    return Status(StatusCode::kOutOfRange, "unavailable");
}
Status out_of_date() {
    return Status(StatusCode::kFailedPrecondition, "snapshot out of date");
}

}  // namespace

MemoryStorage::MemoryStorage() : entries_(1) {}

Result<InitialState> MemoryStorage::initial_state() const {
    return InitialState{hard_state_, snapshot_.metadata.conf_state};
}

Result<std::vector<Entry>> MemoryStorage::entries(Index low, Index high,
                                                  std::uint64_t max_bytes) const {
    if (low <= offset()) return compacted();
    if (high > last_index() + 1) return unavailable();
    if (low >= high) return std::vector<Entry>{};
    std::vector<Entry> result(entries_.begin() + static_cast<std::ptrdiff_t>(low - offset()),
                              entries_.begin() + static_cast<std::ptrdiff_t>(high - offset()));
    limit_entries_bytes(&result, max_bytes);
    return result;
}

Result<Term> MemoryStorage::term(Index i) const {
    if (i < offset()) return compacted();
    if (i - offset() >= entries_.size()) return unavailable();
    return entries_[i - offset()].term;
}

Index MemoryStorage::first_index() const {
    return offset() + 1;
}

Index MemoryStorage::last_index() const {
    return offset() + entries_.size() - 1;
}

Result<Snapshot> MemoryStorage::snapshot() const {
    return snapshot_;
}

void MemoryStorage::set_hard_state(const HardState& hard_state) {
    hard_state_ = hard_state;
}

void MemoryStorage::set_conf_state(const ConfState& conf_state) {
    snapshot_.metadata.conf_state = conf_state;
}

Status MemoryStorage::apply_snapshot(const Snapshot& snapshot) {
    if (snapshot_.metadata.index >= snapshot.metadata.index) return out_of_date();
    snapshot_ = snapshot;
    entries_.assign(1,
                    Entry{snapshot.metadata.term, snapshot.metadata.index, EntryType::kNormal, {}});
    return Status::ok();
}

Result<Snapshot> MemoryStorage::create_snapshot(Index index, const ConfState& conf_state,
                                                std::string data) {
    if (index <= snapshot_.metadata.index) return out_of_date();
    if (index > last_index()) {
        return Status(StatusCode::kOutOfRange, "snapshot index is beyond the last index");
    }
    snapshot_.metadata.index = index;
    snapshot_.metadata.term = entries_[index - offset()].term;
    snapshot_.metadata.conf_state = conf_state;
    snapshot_.data = std::move(data);
    return snapshot_;
}

Status MemoryStorage::compact(Index compact_index) {
    if (compact_index <= offset()) return compacted();
    if (compact_index > last_index()) {
        return Status(StatusCode::kOutOfRange, "compact index is beyond the last index");
    }
    // The entry at compact_index stays as the new dummy: its term answers the
    // AppendEntries consistency check for the first retained entry [Raft §5.3].
    Entry dummy{entries_[compact_index - offset()].term, compact_index, EntryType::kNormal, {}};
    std::vector<Entry> kept;
    kept.reserve(last_index() - compact_index + 1);
    kept.push_back(std::move(dummy));
    kept.insert(kept.end(),
                std::make_move_iterator(entries_.begin() +
                                        static_cast<std::ptrdiff_t>(compact_index - offset() + 1)),
                std::make_move_iterator(entries_.end()));
    entries_ = std::move(kept);
    return Status::ok();
}

Status MemoryStorage::append(std::vector<Entry> entries) {
    if (entries.empty()) return Status::ok();
    Index first = first_index();
    Index last_new = entries.back().index;
    // Entries at or below the snapshot are already covered by it; a late Ready from
    // before the snapshot must not resurrect them.
    if (last_new < first) return Status::ok();
    if (entries[0].index < first) {
        entries.erase(entries.begin(),
                      entries.begin() + static_cast<std::ptrdiff_t>(first - entries[0].index));
    }
    if (entries[0].index > last_index() + 1) {
        return Status(StatusCode::kOutOfRange, "missing log entry");
    }
    // Discard the conflicting suffix: the new entries replace everything from their
    // first index on [Raft §5.3, "delete the existing entry and all that follow it"].
    entries_.resize(entries[0].index - offset());
    entries_.insert(entries_.end(), std::make_move_iterator(entries.begin()),
                    std::make_move_iterator(entries.end()));
    return Status::ok();
}

}  // namespace consensus::raft
