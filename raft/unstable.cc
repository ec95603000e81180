#include "raft/unstable.h"

#include "consensus/assert.h"

namespace consensus::raft {

std::optional<Index> Unstable::maybe_first_index() const {
    if (snapshot_) return snapshot_->metadata.index + 1;
    return std::nullopt;
}

std::optional<Index> Unstable::maybe_last_index() const {
    if (!entries_.empty()) return offset_ + entries_.size() - 1;
    if (snapshot_) return snapshot_->metadata.index;
    return std::nullopt;
}

std::optional<Term> Unstable::maybe_term(Index i) const {
    if (i < offset_) {
        if (snapshot_ && snapshot_->metadata.index == i) return snapshot_->metadata.term;
        return std::nullopt;
    }
    std::optional<Index> last = maybe_last_index();
    if (!last || i > *last) return std::nullopt;
    return entries_[i - offset_].term;
}

void Unstable::stable_to(Index index, Term term) {
    std::optional<Term> current = maybe_term(index);
    // Only drop the prefix if it is still the one that was persisted: if a new
    // leader's entries replaced entry `index` after the Ready was taken, the
    // replacement is not durable yet and must stay unstable.
    if (!current || *current != term || index < offset_) return;
    entries_.erase(entries_.begin(),
                   entries_.begin() + static_cast<std::ptrdiff_t>(index + 1 - offset_));
    offset_ = index + 1;
}

void Unstable::stable_snapshot_to(Index index) {
    if (snapshot_ && snapshot_->metadata.index == index) snapshot_.reset();
}

void Unstable::restore(const Snapshot& snapshot) {
    offset_ = snapshot.metadata.index + 1;
    entries_.clear();
    snapshot_ = snapshot;
}

void Unstable::truncate_and_append(const std::vector<Entry>& entries) {
    if (entries.empty()) return;
    Index after = entries[0].index;
    if (after == offset_ + entries_.size()) {
        // The common case: the new entries directly follow the unstable ones.
    } else if (after <= offset_) {
        // The new entries replace all unstable ones (and the stable suffix from
        // `after`, which the driver overwrites when it persists them).
        offset_ = after;
        entries_.clear();
    } else {
        CONSENSUS_ASSERT_MSG(after < offset_ + entries_.size(), "gap in unstable entries");
        entries_.resize(after - offset_);
    }
    entries_.insert(entries_.end(), entries.begin(), entries.end());
}

std::vector<Entry> Unstable::slice(Index low, Index high) const {
    CONSENSUS_ASSERT(offset_ <= low);
    CONSENSUS_ASSERT(low <= high);
    CONSENSUS_ASSERT(high <= offset_ + entries_.size());
    return std::vector<Entry>(entries_.begin() + static_cast<std::ptrdiff_t>(low - offset_),
                              entries_.begin() + static_cast<std::ptrdiff_t>(high - offset_));
}

}  // namespace consensus::raft
