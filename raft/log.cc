#include "raft/log.h"

#include <algorithm>

#include "consensus/assert.h"
#include "consensus/log.h"

namespace consensus::raft {

RaftLog::RaftLog(const Storage* storage, std::uint64_t max_applying_bytes)
    : storage_(storage),
      unstable_(storage->last_index() + 1),
      max_applying_bytes_(max_applying_bytes) {
    // Everything up to the snapshot is committed and applied by definition.
    committed_ = storage->first_index() - 1;
    applied_ = committed_;
}

std::optional<Index> RaftLog::maybe_append(Index index, Term log_term, Index committed,
                                           const std::vector<Entry>& entries) {
    if (!match_term(index, log_term)) return std::nullopt;
    Index last_new = index + entries.size();
    Index conflict = find_conflict(entries);
    if (conflict != 0) {
        // A conflicting entry at or below commit would mean two different entries
        // were committed at one index: Log Matching is broken, so stop [Raft §5.4].
        CONSENSUS_ASSERT_MSG(conflict > committed_, "entry conflicts with a committed entry");
        std::vector<Entry> fresh(
            entries.begin() + static_cast<std::ptrdiff_t>(conflict - index - 1), entries.end());
        append(fresh);
    }
    // Commit only what this leader has shown us to match: the leader's commit may be
    // beyond the entries in this message, and our suffix past last_new may still be
    // stale [Raft Figure 2, AppendEntries step 5].
    commit_to(std::min(committed, last_new));
    return last_new;
}

Index RaftLog::append(const std::vector<Entry>& entries) {
    if (entries.empty()) return last_index();
    CONSENSUS_ASSERT_MSG(entries[0].index > committed_, "append would overwrite committed entries");
    unstable_.truncate_and_append(entries);
    return last_index();
}

Index RaftLog::find_conflict(const std::vector<Entry>& entries) const {
    for (const Entry& entry : entries) {
        if (!match_term(entry.index, entry.term)) return entry.index;
    }
    return 0;
}

std::pair<Index, Term> RaftLog::find_conflict_by_term(Index index, Term term) const {
    for (; index > 0; --index) {
        Result<Term> our = this->term(index);
        // An unknown term (compacted) cannot be compared; let the leader probe there.
        if (!our.is_ok()) return {index, 0};
        if (our.value() <= term) return {index, our.value()};
    }
    return {0, 0};
}

std::vector<Entry> RaftLog::next_committed_entries() const {
    if (unstable_.snapshot()) return {};
    Index low = std::max(applied_ + 1, first_index());
    Index high = committed_ + 1;
    if (low >= high) return {};
    Result<std::vector<Entry>> result = slice(low, high, max_applying_bytes_);
    CONSENSUS_ASSERT_MSG(result.is_ok(), "committed entries are unavailable");
    return std::move(result.value());
}

bool RaftLog::has_next_committed_entries() const {
    if (unstable_.snapshot()) return false;
    return committed_ + 1 > std::max(applied_ + 1, first_index());
}

Result<Snapshot> RaftLog::snapshot() const {
    if (unstable_.snapshot()) return *unstable_.snapshot();
    return storage_->snapshot();
}

Index RaftLog::first_index() const {
    if (std::optional<Index> index = unstable_.maybe_first_index()) return *index;
    return storage_->first_index();
}

Index RaftLog::last_index() const {
    if (std::optional<Index> index = unstable_.maybe_last_index()) return *index;
    return storage_->last_index();
}

Index RaftLog::stable_last_index() const {
    if (unstable_.snapshot()) return 0;
    // Stored entries at or after the unstable offset are being replaced, so only
    // those before it match this log.
    return std::min(storage_->last_index(), unstable_.offset() - 1);
}

Term RaftLog::last_term() const {
    Result<Term> result = term(last_index());
    CONSENSUS_ASSERT_MSG(result.is_ok(), "term of the last entry is unavailable");
    return result.value();
}

Result<Term> RaftLog::term(Index i) const {
    Index dummy = first_index() - 1;
    if (i < dummy || i > last_index()) return Term{0};
    if (std::optional<Term> unstable_term = unstable_.maybe_term(i)) return *unstable_term;
    return storage_->term(i);
}

Term RaftLog::term_or_zero(Index i) const {
    Result<Term> result = term(i);
    return result.is_ok() ? result.value() : 0;
}

bool RaftLog::match_term(Index i, Term term) const {
    Result<Term> result = this->term(i);
    return result.is_ok() && result.value() == term;
}

bool RaftLog::is_up_to_date(Index last, Term term) const {
    // Compare last terms first, then lengths [Raft §5.4.1].
    Term our_term = last_term();
    return term > our_term || (term == our_term && last >= last_index());
}

Result<std::vector<Entry>> RaftLog::entries(Index i, std::uint64_t max_bytes) const {
    if (i > last_index()) return std::vector<Entry>{};
    return slice(i, last_index() + 1, max_bytes);
}

Result<std::vector<Entry>> RaftLog::slice(Index low, Index high, std::uint64_t max_bytes) const {
    CONSENSUS_ASSERT(low <= high);
    if (low < first_index()) return Status(StatusCode::kOutOfRange, "compacted");
    CONSENSUS_ASSERT_MSG(high <= last_index() + 1, "slice beyond the last index");
    std::vector<Entry> result;
    if (low == high) return result;
    Index unstable_offset = unstable_.offset();
    if (low < unstable_offset) {
        Result<std::vector<Entry>> stored =
            storage_->entries(low, std::min(high, unstable_offset), max_bytes);
        if (!stored.is_ok()) return stored.status();
        result = std::move(stored.value());
        // Storage stopped early because of the byte limit: the unstable part would
        // exceed it too.
        if (result.size() < std::min(high, unstable_offset) - low) return result;
    }
    if (high > unstable_offset) {
        std::vector<Entry> tail = unstable_.slice(std::max(low, unstable_offset), high);
        result.insert(result.end(), tail.begin(), tail.end());
    }
    limit_entries_bytes(&result, max_bytes);
    return result;
}

std::vector<Entry> RaftLog::all_entries() const {
    Result<std::vector<Entry>> result = entries(first_index(), UINT64_MAX);
    CONSENSUS_ASSERT(result.is_ok());
    return std::move(result.value());
}

bool RaftLog::maybe_commit(Index max_index, Term term) {
    // Only an entry of the current term is committed by counting replicas; earlier
    // ones commit indirectly with it [Raft §5.4.2, Figure 8].
    if (max_index > committed_ && term_or_zero(max_index) == term) {
        commit_to(max_index);
        return true;
    }
    return false;
}

void RaftLog::commit_to(Index to_commit) {
    if (to_commit <= committed_) return;  // commit never decreases
    CONSENSUS_ASSERT_MSG(to_commit <= last_index(), "commit index beyond the last index");
    committed_ = to_commit;
}

void RaftLog::applied_to(Index index) {
    if (index == 0) return;
    CONSENSUS_ASSERT_MSG(index <= committed_, "applied beyond commit");
    CONSENSUS_ASSERT_MSG(index >= applied_, "applied moved backwards");
    applied_ = index;
}

void RaftLog::restore(const Snapshot& snapshot) {
    committed_ = snapshot.metadata.index;
    unstable_.restore(snapshot);
}

}  // namespace consensus::raft
