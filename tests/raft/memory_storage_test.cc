#include "raft/memory_storage.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace consensus::raft {
namespace {

Entry entry(Index index, Term term, std::string data = {}) {
    return Entry{term, index, EntryType::kNormal, std::move(data)};
}

// Storage holding a snapshot at 3 (term 3) and entries 4 and 5 (terms 4 and 5), as
// in etcd raft's storage_test.go.
void fill(MemoryStorage* storage) {
    Snapshot snapshot;
    snapshot.metadata.index = 3;
    snapshot.metadata.term = 3;
    REQUIRE(storage->apply_snapshot(snapshot).is_ok());
    REQUIRE(storage->append({entry(4, 4), entry(5, 5)}).is_ok());
}

TEST_CASE("MemoryStorage: term answers from the snapshot index to the last index", "[raft]") {
    MemoryStorage storage;
    fill(&storage);
    struct Case {
        Index index;
        bool ok;
        Term term;
        const char* error;
    };
    std::vector<Case> cases = {
        {2, false, 0, "compacted"},   {3, true, 3, ""}, {4, true, 4, ""}, {5, true, 5, ""},
        {6, false, 0, "unavailable"},
    };
    for (const Case& c : cases) {
        INFO("index " << c.index);
        Result<Term> term = storage.term(c.index);
        REQUIRE(term.is_ok() == c.ok);
        if (c.ok) {
            CHECK(term.value() == c.term);
        } else {
            CHECK(term.status().message() == c.error);
        }
    }
}

TEST_CASE("MemoryStorage: entries are limited by range and bytes when read", "[raft]") {
    MemoryStorage storage;
    fill(&storage);
    REQUIRE(storage.append({entry(6, 6, "ab")}).is_ok());
    REQUIRE(storage.append({entry(4, 4, "ab"), entry(5, 5, "ab"), entry(6, 6, "ab")}).is_ok());
    struct Case {
        Index low;
        Index high;
        std::uint64_t max_bytes;
        std::size_t count;
        const char* error;
    };
    std::vector<Case> cases = {
        {2, 6, UINT64_MAX, 0, "compacted"},
        {3, 4, UINT64_MAX, 0, "compacted"},
        {4, 5, UINT64_MAX, 1, ""},
        {4, 7, UINT64_MAX, 3, ""},
        {4, 8, UINT64_MAX, 0, "unavailable"},
        // The byte limit keeps whole entries, but always at least one.
        {4, 7, 0, 1, ""},
        {4, 7, 2, 1, ""},
        {4, 7, 4, 2, ""},
        {4, 7, 5, 2, ""},
        {4, 7, 6, 3, ""},
    };
    for (const Case& c : cases) {
        INFO("[" << c.low << ", " << c.high << ") max " << c.max_bytes);
        auto result = storage.entries(c.low, c.high, c.max_bytes);
        if (c.error[0] != '\0') {
            REQUIRE_FALSE(result.is_ok());
            CHECK(result.status().message() == c.error);
        } else {
            REQUIRE(result.is_ok());
            CHECK(result.value().size() == c.count);
        }
    }
}

TEST_CASE("MemoryStorage: append replaces the conflicting suffix when entries overlap", "[raft]") {
    struct Case {
        std::vector<Entry> append;
        bool ok;
        std::vector<Term> terms;
    };
    std::vector<Case> cases = {
        {{entry(4, 4), entry(5, 5)}, true, {3, 4, 5}},
        {{entry(4, 4), entry(5, 6), entry(6, 6)}, true, {3, 4, 6, 6}},
        {{entry(4, 4), entry(5, 5), entry(6, 5)}, true, {3, 4, 5, 5}},
        // Entries below the snapshot are skipped.
        {{entry(2, 3), entry(3, 3), entry(4, 5)}, true, {3, 5}},
        {{entry(5, 5)}, true, {3, 4, 5}},
        {{entry(6, 5)}, true, {3, 4, 5, 5}},
        // A gap is refused.
        {{entry(7, 5)}, false, {3, 4, 5}},
    };
    for (std::size_t i = 0; i < cases.size(); ++i) {
        INFO("case " << i);
        MemoryStorage storage;
        fill(&storage);
        Status status = storage.append(cases[i].append);
        CHECK(status.is_ok() == cases[i].ok);
        std::vector<Term> terms;
        for (Index index = storage.first_index() - 1; index <= storage.last_index(); ++index) {
            terms.push_back(storage.term(index).value());
        }
        CHECK(terms == cases[i].terms);
    }
}

TEST_CASE("MemoryStorage: compact keeps the compacted index as dummy when in range", "[raft]") {
    struct Case {
        Index compact;
        bool ok;
        Index first;
    };
    std::vector<Case> cases = {
        {2, false, 4}, {3, false, 4}, {4, true, 5}, {5, true, 6}, {6, false, 4}};
    for (const Case& c : cases) {
        INFO("compact " << c.compact);
        MemoryStorage storage;
        fill(&storage);
        CHECK(storage.compact(c.compact).is_ok() == c.ok);
        CHECK(storage.first_index() == c.first);
        CHECK(storage.last_index() == 5);
        CHECK(storage.term(c.first - 1).is_ok());
    }
}

TEST_CASE("MemoryStorage: create_snapshot records index, term and conf state when newer",
          "[raft]") {
    MemoryStorage storage;
    fill(&storage);
    ConfState conf;
    conf.voters = {1, 2, 3};
    CHECK(storage.create_snapshot(3, conf, "old").status().code() ==
          StatusCode::kFailedPrecondition);
    CHECK(storage.create_snapshot(6, conf, "far").status().code() == StatusCode::kOutOfRange);
    auto snapshot = storage.create_snapshot(5, conf, "data");
    REQUIRE(snapshot.is_ok());
    CHECK(snapshot.value().metadata.index == 5);
    CHECK(snapshot.value().metadata.term == 5);
    CHECK(snapshot.value().metadata.conf_state == conf);
    CHECK(storage.snapshot().value().data == "data");
    CHECK(storage.initial_state().value().conf_state == conf);
}

TEST_CASE("MemoryStorage: apply_snapshot refuses an older snapshot and resets the log", "[raft]") {
    MemoryStorage storage;
    Snapshot snapshot;
    snapshot.metadata.index = 4;
    snapshot.metadata.term = 4;
    REQUIRE(storage.apply_snapshot(snapshot).is_ok());
    CHECK(storage.first_index() == 5);
    CHECK(storage.last_index() == 4);
    snapshot.metadata.index = 3;
    CHECK(storage.apply_snapshot(snapshot).code() == StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace consensus::raft
