// The v3 keyspace against a naive model that keeps a full copy of the keyspace at every
// revision: seeded random writes, deletes, txns and compactions, then ranges at random
// revisions over random intervals and watch backlogs from random start revisions must
// agree with the model, the invariants must hold, and a snapshot must restore to the
// same store.

#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "kv/store.h"
#include "support/temp_dir.h"
#include "v3_test_support.h"

namespace consensus::kv::test {
namespace {

using consensus::testing::TempDir;

/// The naive keyspace: state[r] is the whole keyspace at revision r.
struct Model {
    using Keyspace = std::map<std::string, v3::KeyValue>;
    std::vector<Keyspace> states{Keyspace{}, Keyspace{}};  // revisions 0 (unused) and 1
    std::vector<v3::Event> events;                         // every change, in order
    std::int64_t compact_revision = 0;

    std::int64_t revision() const { return static_cast<std::int64_t>(states.size()) - 1; }

    /// Applies one write txn of distinct-key puts and deletes (delete: value unset).
    void apply(const std::vector<std::pair<std::string, std::optional<std::string>>>& ops) {
        Keyspace next = states.back();
        const std::int64_t revision = this->revision() + 1;
        std::vector<v3::Event> changes;
        for (const auto& [key, value] : ops) {
            const auto current = next.find(key);
            v3::Event event;
            if (value) {
                v3::KeyValue kv;
                kv.key = key;
                kv.value = *value;
                kv.mod_revision = revision;
                kv.create_revision =
                    current == next.end() ? revision : current->second.create_revision;
                kv.version = current == next.end() ? 1 : current->second.version + 1;
                next[key] = kv;
                event.kv = kv;
            } else {
                if (current == next.end()) continue;
                next.erase(current);
                event.type = v3::Event::Type::kDelete;
                event.kv.key = key;
                event.kv.mod_revision = revision;
            }
            changes.push_back(event);
        }
        if (changes.empty()) return;
        states.push_back(std::move(next));
        events.insert(events.end(), changes.begin(), changes.end());
    }
};

const std::vector<std::string> kKeys = {"a", "ab", "b", "b\xff", "c", std::string("c\0", 2), "d"};

std::string pick(std::mt19937_64& random, const std::vector<std::string>& from) {
    return from[random() % from.size()];
}

std::string random_range_end(std::mt19937_64& random) {
    switch (random() % 4) {
        case 0:
            return {};
        case 1:
            return all_from();
        default:
            return pick(random, kKeys);
    }
}

void check_range(const Store& store, const Model& model, std::mt19937_64& random) {
    const std::string key = random() % 5 == 0 ? std::string() : pick(random, kKeys);
    const std::string range_end = key.empty() ? all_from() : random_range_end(random);
    const std::int64_t revision =
        static_cast<std::int64_t>(random() % static_cast<std::uint64_t>(model.revision() + 1));
    v3::RangeRequest request = range_request(key, range_end);
    request.revision = revision;
    INFO("range [" << key << ", " << range_end << ") at " << revision);
    const Result<v3::RangeResponse> response = store.v3_range(request);
    const std::int64_t read_at = revision == 0 ? model.revision() : revision;
    if (read_at < model.compact_revision) {
        REQUIRE_FALSE(response.is_ok());
        CHECK(response.status().message() ==
              "etcdserver: mvcc: required revision has been compacted");
        return;
    }
    REQUIRE(response.is_ok());
    std::vector<v3::KeyValue> expected;
    const V3KeyRange range{key, range_end};
    for (const auto& [candidate, kv] : model.states[static_cast<std::size_t>(read_at)]) {
        if (range.contains(candidate)) expected.push_back(kv);
    }
    const std::vector<v3::KeyValue>& actual = response.value().kvs;
    REQUIRE(keys_of(actual) == keys_of(expected));
    CHECK(response.value().count == static_cast<std::int64_t>(expected.size()));
    for (std::size_t i = 0; i < expected.size(); ++i) {
        CHECK(actual[i].value == expected[i].value);
        CHECK(actual[i].version == expected[i].version);
        CHECK(actual[i].create_revision == expected[i].create_revision);
        CHECK(actual[i].mod_revision == expected[i].mod_revision);
    }
}

void check_backlog(Store& store, const Model& model, std::mt19937_64& random) {
    const std::string key = pick(random, kKeys);
    const std::string range_end = random_range_end(random);
    const std::int64_t start =
        1 + static_cast<std::int64_t>(random() % static_cast<std::uint64_t>(model.revision()));
    if (!range_end.empty() && range_end != all_from() && range_end <= key) return;
    INFO("watch [" << key << ", " << range_end << ") from " << start);
    V3WatchLog log;
    const V3WatchStart watch = store.v3_watch(watch_request(key, range_end, start), log.callback());
    store.v3_cancel_watch(watch.watch_id);
    if (start < model.compact_revision) {
        CHECK(watch.compact_revision == model.compact_revision);
        return;
    }
    // At the compact revision only the puts that are still each key's state survive;
    // deletes there were dropped with their generation.
    std::vector<v3::Event> expected;
    const V3KeyRange range{key, range_end};
    for (const v3::Event& event : model.events) {
        if (event.kv.mod_revision < start || !range.contains(event.kv.key)) continue;
        if (event.kv.mod_revision == model.compact_revision &&
            event.type == v3::Event::Type::kDelete) {
            continue;
        }
        expected.push_back(event);
    }
    REQUIRE(watch.backlog.size() == expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        CHECK(watch.backlog[i].type == expected[i].type);
        CHECK(watch.backlog[i].kv.key == expected[i].kv.key);
        CHECK(watch.backlog[i].kv.mod_revision == expected[i].kv.mod_revision);
        CHECK(watch.backlog[i].kv.version == expected[i].kv.version);
    }
}

TEST_CASE("v3 keyspace property: ranges and backlogs match a full-copy model", "[kv]") {
    const std::uint64_t seed = GENERATE(1, 2, 3, 4, 5, 6, 7, 8);
    // The history log in memory, or in a file written on every append, so that every
    // read of an older record is a read of the file.
    const bool history_in_file = GENERATE(false, true);
    INFO("seed " << seed << (history_in_file ? ", history in a file" : ", history in memory"));
    std::mt19937_64 random(seed);
    TempDir dir;
    REQUIRE_FALSE(dir.path().empty());
    Store store;
    if (history_in_file) REQUIRE(store.keep_v3_history_in(dir.path(), 1).is_ok());
    Model model;
    for (int step = 0; step < 300; ++step) {
        const std::uint64_t choice = random() % 10;
        if (choice < 7) {
            // A txn of 1..3 ops on distinct keys (as validation guarantees).
            std::vector<std::pair<std::string, std::optional<std::string>>> ops;
            v3::TxnRequest txn;
            const std::uint64_t count = 1 + random() % 3;
            for (std::uint64_t i = 0; i < count; ++i) {
                const std::string key = pick(random, kKeys);
                bool duplicate = false;
                for (const auto& op : ops) duplicate = duplicate || op.first == key;
                if (duplicate) continue;
                if (random() % 3 == 0) {
                    ops.emplace_back(key, std::nullopt);
                    txn.success.push_back(delete_op(key));
                } else {
                    const std::string value = std::to_string(random() % 100);
                    ops.emplace_back(key, value);
                    txn.success.push_back(put_op(key, value));
                }
            }
            const V3ApplyResult result = v3_txn(store, txn);
            REQUIRE(result.status.is_ok());
            model.apply(ops);
        } else if (choice < 8 && model.revision() > model.compact_revision) {
            const std::int64_t target =
                model.compact_revision + 1 +
                static_cast<std::int64_t>(
                    random() %
                    static_cast<std::uint64_t>(model.revision() - model.compact_revision));
            REQUIRE(v3_compact(store, target).status.is_ok());
            model.compact_revision = target;
        } else {
            check_range(store, model, random);
            check_backlog(store, model, random);
        }
        REQUIRE(store.v3_revision() == model.revision());
        const Status invariants = store.check_invariants();
        INFO(invariants.to_string());
        REQUIRE(invariants.is_ok());
        if (step % 50 == 49) {
            Store restored;
            if (history_in_file) REQUIRE(restored.keep_v3_history_in(dir.path(), 1).is_ok());
            REQUIRE(restored.restore_snapshot(store.save_snapshot()).is_ok());
            CHECK(restored.save_snapshot() == store.save_snapshot());
        }
    }
}

}  // namespace
}  // namespace consensus::kv::test
