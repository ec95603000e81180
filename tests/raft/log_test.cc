#include "raft/log.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "raft/memory_storage.h"
#include "raft/unstable.h"

namespace consensus::raft {
namespace {

Entry entry(Index index, Term term, std::string data = {}) {
    return Entry{term, index, EntryType::kNormal, std::move(data)};
}

std::vector<Entry> entries_with_terms(Index first, const std::vector<Term>& terms) {
    std::vector<Entry> result;
    for (std::size_t i = 0; i < terms.size(); ++i) result.push_back(entry(first + i, terms[i]));
    return result;
}

TEST_CASE("Unstable: stable_to drops the prefix only when the term still matches", "[raft]") {
    struct Case {
        Index index;
        Term term;
        Index offset;
        std::size_t left;
    };
    std::vector<Case> cases = {
        {5, 1, 6, 1},  // persisted the first entry
        {6, 1, 7, 0},  // persisted both
        {6, 2, 5, 2},  // entry 6 was replaced since; keep everything
        {4, 1, 5, 2},  // below the unstable range
        {7, 1, 5, 2},  // beyond it
    };
    for (const Case& c : cases) {
        INFO("stable_to(" << c.index << ", " << c.term << ")");
        Unstable unstable(5);
        unstable.truncate_and_append({entry(5, 1), entry(6, 1)});
        unstable.stable_to(c.index, c.term);
        CHECK(unstable.offset() == c.offset);
        CHECK(unstable.entries().size() == c.left);
    }
}

TEST_CASE("Unstable: truncate_and_append replaces from the first new index when it overlaps",
          "[raft]") {
    struct Case {
        std::vector<Entry> append;
        Index offset;
        std::vector<Term> terms;
    };
    std::vector<Case> cases = {
        {{entry(7, 1)}, 5, {1, 1, 1}},  // directly after
        {{entry(6, 2)}, 5, {1, 2}},     // replace the tail
        {{entry(5, 2), entry(6, 2)}, 5, {2, 2}},
        {{entry(4, 2)}, 4, {2}},  // before the unstable range
    };
    for (std::size_t i = 0; i < cases.size(); ++i) {
        INFO("case " << i);
        Unstable unstable(5);
        unstable.truncate_and_append({entry(5, 1), entry(6, 1)});
        unstable.truncate_and_append(cases[i].append);
        CHECK(unstable.offset() == cases[i].offset);
        std::vector<Term> terms;
        for (const Entry& e : unstable.entries()) terms.push_back(e.term);
        CHECK(terms == cases[i].terms);
    }
}

TEST_CASE("Unstable: a restored snapshot answers first, last and its term", "[raft]") {
    Unstable unstable(5);
    unstable.truncate_and_append({entry(5, 1)});
    Snapshot snapshot;
    snapshot.metadata.index = 9;
    snapshot.metadata.term = 3;
    unstable.restore(snapshot);
    CHECK(unstable.maybe_first_index() == std::optional<Index>(10));
    CHECK(unstable.maybe_last_index() == std::optional<Index>(9));
    CHECK(unstable.maybe_term(9) == std::optional<Term>(3));
    CHECK_FALSE(unstable.maybe_term(5).has_value());
    unstable.stable_snapshot_to(9);
    CHECK_FALSE(unstable.snapshot().has_value());
}

TEST_CASE("RaftLog: find_conflict returns the first mismatching index when entries differ",
          "[raft]") {
    MemoryStorage storage;
    RaftLog log(&storage, UINT64_MAX);
    log.append(entries_with_terms(1, {1, 2, 3}));
    struct Case {
        std::vector<Entry> entries;
        Index conflict;
    };
    std::vector<Case> cases = {
        {{}, 0},
        {entries_with_terms(1, {1, 2, 3}), 0},
        {entries_with_terms(2, {2, 3}), 0},
        {entries_with_terms(3, {3}), 0},
        {entries_with_terms(1, {1, 2, 3, 4, 4}), 4},
        {entries_with_terms(3, {3, 4, 4}), 4},
        {entries_with_terms(1, {4, 4}), 1},
        {entries_with_terms(2, {1, 4, 4}), 2},
        {entries_with_terms(3, {1, 2, 4, 4}), 3},
    };
    for (std::size_t i = 0; i < cases.size(); ++i) {
        INFO("case " << i);
        CHECK(log.find_conflict(cases[i].entries) == cases[i].conflict);
    }
}

TEST_CASE("RaftLog: maybe_append applies the AppendEntries receiver rules", "[raft]") {
    // Log [1:1, 2:2, 3:3], committed 1 (etcd raft log_test.go TestLogMaybeAppend).
    struct Case {
        Index index;
        Term log_term;
        Index commit;
        std::vector<Entry> entries;
        std::optional<Index> last_new;
        Index committed;
        Term term_at_last;
    };
    std::vector<Case> cases = {
        // Consistency check fails: wrong term, or index beyond the log.
        {3, 2, 3, entries_with_terms(4, {4}), std::nullopt, 1, 0},
        {4, 3, 3, entries_with_terms(5, {4}), std::nullopt, 1, 0},
        // Matches at the end: commit up to min(commit, last new).
        {3, 3, 3, {}, 3, 3, 3},
        {3, 3, 4, {}, 3, 3, 3},
        {3, 3, 2, {}, 3, 2, 3},
        {3, 3, 4, entries_with_terms(4, {4}), 4, 4, 4},
        {3, 3, 3, entries_with_terms(4, {4}), 4, 3, 4},
        {3, 3, 4, entries_with_terms(4, {4, 4}), 5, 4, 4},
        // Matches in the middle: an existing matching suffix is kept.
        {2, 2, 3, entries_with_terms(3, {3}), 3, 3, 3},
        // Conflict: the suffix from the conflict is replaced.
        {2, 2, 3, entries_with_terms(3, {4}), 3, 3, 4},
        {1, 1, 3, entries_with_terms(2, {4}), 2, 2, 4},
    };
    for (std::size_t i = 0; i < cases.size(); ++i) {
        INFO("case " << i);
        const Case& c = cases[i];
        MemoryStorage storage;
        RaftLog log(&storage, UINT64_MAX);
        log.append(entries_with_terms(1, {1, 2, 3}));
        log.commit_to(1);
        std::optional<Index> last_new = log.maybe_append(c.index, c.log_term, c.commit, c.entries);
        CHECK(last_new == c.last_new);
        CHECK(log.committed() == c.committed);
        if (last_new) CHECK(log.term_or_zero(*last_new) == c.term_at_last);
    }
}

TEST_CASE("RaftLog: is_up_to_date compares last term then length", "[raft]") {
    MemoryStorage storage;
    RaftLog log(&storage, UINT64_MAX);
    log.append(entries_with_terms(1, {1, 2, 3}));
    struct Case {
        Index last;
        Term term;
        bool up_to_date;
    };
    std::vector<Case> cases = {
        {2, 4, true},  {3, 4, true},  {4, 4, true},   // higher term wins
        {2, 2, false}, {3, 2, false}, {4, 2, false},  // lower term loses
        {2, 3, false}, {3, 3, true},  {4, 3, true},   // same term: longer or equal wins
    };
    for (const Case& c : cases) {
        INFO("last " << c.last << " term " << c.term);
        CHECK(log.is_up_to_date(c.last, c.term) == c.up_to_date);
    }
}

TEST_CASE("RaftLog: find_conflict_by_term skips entries of higher terms", "[raft]") {
    MemoryStorage storage;
    RaftLog log(&storage, UINT64_MAX);
    // Terms by index 1..7: 1 1 2 2 4 4 4.
    log.append(entries_with_terms(1, {1, 1, 2, 2, 4, 4, 4}));
    struct Case {
        Index index;
        Term term;
        Index want_index;
        Term want_term;
    };
    std::vector<Case> cases = {
        {7, 4, 7, 4}, {7, 3, 4, 2}, {7, 2, 4, 2}, {7, 1, 2, 1}, {7, 0, 0, 0}, {3, 1, 2, 1},
    };
    for (const Case& c : cases) {
        INFO("index " << c.index << " term " << c.term);
        auto [index, term] = log.find_conflict_by_term(c.index, c.term);
        CHECK(index == c.want_index);
        CHECK(term == c.want_term);
    }
}

TEST_CASE("RaftLog: next_committed_entries is bounded by bytes when many are committed", "[raft]") {
    MemoryStorage storage;
    RaftLog log(&storage, 10);
    std::vector<Entry> entries;
    for (Index i = 1; i <= 5; ++i) entries.push_back(entry(i, 1, "xxxx"));
    log.append(entries);
    log.commit_to(5);
    std::vector<Entry> first = log.next_committed_entries();
    REQUIRE(first.size() == 2);  // 4 + 4 <= 10 < 12
    log.applied_to(first.back().index);
    CHECK(log.next_committed_entries().front().index == 3);
    log.applied_to(5);
    CHECK_FALSE(log.has_next_committed_entries());
}

TEST_CASE("RaftLog: maybe_commit commits only entries of the given term", "[raft]") {
    MemoryStorage storage;
    RaftLog log(&storage, UINT64_MAX);
    log.append(entries_with_terms(1, {1, 2, 2}));
    CHECK_FALSE(log.maybe_commit(1, 2));  // entry 1 is from term 1 [Raft §5.4.2]
    CHECK(log.committed() == 0);
    CHECK(log.maybe_commit(3, 2));
    CHECK(log.committed() == 3);
    CHECK_FALSE(log.maybe_commit(2, 2));  // never backwards
}

TEST_CASE("RaftLog: slice spans storage and unstable entries when both hold some", "[raft]") {
    MemoryStorage storage;
    REQUIRE(storage.append(entries_with_terms(1, {1, 1, 1})).is_ok());
    RaftLog log(&storage, UINT64_MAX);
    log.append(entries_with_terms(4, {2, 2}));
    auto all = log.slice(1, 6, UINT64_MAX);
    REQUIRE(all.is_ok());
    CHECK(all.value() == entries_with_terms(1, {1, 1, 1, 2, 2}));
    CHECK(log.stable_last_index() == 3);
    REQUIRE(storage.append(entries_with_terms(4, {2, 2})).is_ok());
    log.stable_to(5, 2);
    CHECK(log.stable_last_index() == 5);
    REQUIRE(storage.compact(2).is_ok());
    CHECK(log.slice(1, 3, UINT64_MAX).status().message() == "compacted");
}

TEST_CASE("RaftLog: restore moves commit to the snapshot and empties the log", "[raft]") {
    MemoryStorage storage;
    RaftLog log(&storage, UINT64_MAX);
    log.append(entries_with_terms(1, {1, 1}));
    Snapshot snapshot;
    snapshot.metadata.index = 10;
    snapshot.metadata.term = 3;
    log.restore(snapshot);
    CHECK(log.committed() == 10);
    CHECK(log.first_index() == 11);
    CHECK(log.last_index() == 10);
    CHECK(log.last_term() == 3);
    CHECK(log.stable_last_index() == 0);
    CHECK_FALSE(log.has_next_committed_entries());
}

}  // namespace
}  // namespace consensus::raft
