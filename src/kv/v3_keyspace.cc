#include "kv/v3_keyspace.h"

#include <algorithm>
#include <string>
#include <tuple>
#include <utility>

#include "consensus/assert.h"
#include "kv/v3_errors.h"

namespace consensus::kv {
namespace {

/// The index of the last record with mod_revision <= at_revision, or -1.
std::ptrdiff_t last_at_or_below(const V3History& history, std::int64_t at_revision) {
    // Histories are short for most keys, but a hot key may hold thousands of records:
    // binary search on the ordered mod_revisions.
    const auto after = std::upper_bound(history.begin(), history.end(), at_revision,
                                        [](std::int64_t revision, const V3Record& record) {
                                            return revision < record.mod_revision;
                                        });
    return (after - history.begin()) - 1;
}

std::int64_t record_bytes(std::string_view key, const V3Record& record) {
    return static_cast<std::int64_t>(key.size() + record.value.size());
}

Status invariant_error(const std::string& key, const char* what) {
    return Status(StatusCode::kInternal, "v3 keyspace: key \"" + key + "\": " + what);
}

}  // namespace

V3Keyspace V3Keyspace::from_parts(V3KeyMap keys, std::int64_t revision,
                                  std::int64_t compact_revision) {
    V3Keyspace keyspace;
    keyspace.keys_ = std::move(keys);
    keyspace.revision_ = revision;
    keyspace.compact_revision_ = compact_revision;
    for (const auto& [key, history] : keyspace.keys_) {
        for (const V3Record& record : history) keyspace.size_bytes_ += record_bytes(key, record);
    }
    return keyspace;
}

Status V3Keyspace::check_readable(std::int64_t revision) const {
    // [etcd: server/mvcc/kvstore_txn.go rangeKeys] the future check comes first.
    if (revision > revision_) return v3_future_revision_error();
    if (revision < compact_revision_) return v3_compacted_error();
    return Status::ok();
}

const V3Record* V3Keyspace::find(std::string_view key, std::int64_t at_revision) const {
    const auto it = keys_.find(key);
    if (it == keys_.end()) return nullptr;
    const std::ptrdiff_t index = last_at_or_below(it->second, at_revision);
    if (index < 0) return nullptr;
    const V3Record& record = it->second[static_cast<std::size_t>(index)];
    return record.is_tombstone ? nullptr : &record;
}

const V3Record* V3Keyspace::latest_at(const V3History& history, std::int64_t at_revision) {
    const std::ptrdiff_t index = last_at_or_below(history, at_revision);
    return index < 0 ? nullptr : &history[static_cast<std::size_t>(index)];
}

V3History& V3Keyspace::history_for_write(std::string_view key, std::string_view* stored_key) {
    auto it = keys_.find(key);
    if (it == keys_.end()) it = keys_.emplace(std::string(key), V3History{}).first;
    *stored_key = it->first;
    return it->second;
}

std::string_view V3Keyspace::put(std::string_view key, std::string value, std::int64_t lease,
                                 std::int64_t revision, std::uint32_t sub) {
    std::string_view stored_key;
    V3History& history = history_for_write(key, &stored_key);
    V3Record record;
    record.mod_revision = revision;
    record.sub = sub;
    record.lease = lease;
    record.value = std::move(value);
    if (!history.empty()) {
        const V3Record& last = history.back();
        CONSENSUS_ASSERT(std::tie(last.mod_revision, last.sub) < std::tie(revision, sub));
        if (!last.is_tombstone) {
            record.create_revision = last.create_revision;
            record.version = last.version + 1;
        }
    }
    if (record.version == 0) {
        // [etcd: server/mvcc/kvstore_txn.go put] a key that is not live starts a new
        // generation: created now, version 1.
        record.create_revision = revision;
        record.version = 1;
    }
    size_bytes_ += record_bytes(stored_key, record);
    history.push_back(std::move(record));
    return stored_key;
}

std::string_view V3Keyspace::remove(std::string_view key, std::int64_t revision,
                                    std::uint32_t sub) {
    std::string_view stored_key;
    V3History& history = history_for_write(key, &stored_key);
    CONSENSUS_ASSERT(!history.empty() && !history.back().is_tombstone);
    CONSENSUS_ASSERT(std::tie(history.back().mod_revision, history.back().sub) <
                     std::tie(revision, sub));
    V3Record tombstone;
    tombstone.mod_revision = revision;
    tombstone.sub = sub;
    tombstone.is_tombstone = true;
    size_bytes_ += record_bytes(stored_key, tombstone);
    history.push_back(std::move(tombstone));
    return stored_key;
}

void V3Keyspace::advance_revision(std::int64_t revision) {
    CONSENSUS_ASSERT(revision >= revision_);
    revision_ = revision;
}

Status V3Keyspace::compact(std::int64_t revision) {
    // [etcd: server/mvcc/kvstore.go updateCompactRev] at or below the current compact
    // revision is "compacted", then above the current revision is "future".
    if (revision <= compact_revision_) return v3_compacted_error();
    if (revision > revision_) return v3_future_revision_error();
    compact_revision_ = revision;
    for (auto it = keys_.begin(); it != keys_.end();) {
        V3History& history = it->second;
        const std::ptrdiff_t index = last_at_or_below(history, revision);
        // Keep the latest record at or below the compact revision, so a read at exactly
        // that revision still works; a tombstone there ends the generation, and etcd
        // drops it too [etcd: server/mvcc/key_index.go compact].
        std::ptrdiff_t drop = index;
        if (index >= 0 && history[static_cast<std::size_t>(index)].is_tombstone) drop = index + 1;
        if (drop > 0) {
            for (std::ptrdiff_t i = 0; i < drop; ++i) {
                size_bytes_ -= record_bytes(it->first, history[static_cast<std::size_t>(i)]);
            }
            history.erase(history.begin(), history.begin() + drop);
        }
        if (history.empty()) {
            it = keys_.erase(it);
        } else {
            if (drop > 0) history.shrink_to_fit();
            ++it;
        }
    }
    return Status::ok();
}

const V3Record* V3Keyspace::record_at(std::string_view key, std::int64_t revision,
                                      std::uint32_t sub) const {
    const auto it = keys_.find(key);
    if (it == keys_.end()) return nullptr;
    // Called for the changes of the newest revision: search from the back.
    for (auto record = it->second.rbegin(); record != it->second.rend(); ++record) {
        if (record->mod_revision == revision && record->sub == sub) return &*record;
        if (record->mod_revision < revision) break;
    }
    return nullptr;
}

std::vector<service::v3::Event> V3Keyspace::events_since(const V3KeyRange& range,
                                                         std::int64_t from_revision) const {
    struct Change {
        std::int64_t revision;
        std::uint32_t sub;
        const std::string* key;
        const V3Record* record;
    };
    std::vector<Change> changes;
    for (auto it = keys_.lower_bound(range.key); it != keys_.end(); ++it) {
        if (range.is_past_end(it->first)) break;
        const V3History& history = it->second;
        const std::ptrdiff_t before = last_at_or_below(history, from_revision - 1);
        for (std::size_t i = static_cast<std::size_t>(before + 1); i < history.size(); ++i) {
            changes.push_back(
                Change{history[i].mod_revision, history[i].sub, &it->first, &history[i]});
        }
    }
    std::sort(changes.begin(), changes.end(), [](const Change& a, const Change& b) {
        return std::tie(a.revision, a.sub) < std::tie(b.revision, b.sub);
    });
    std::vector<service::v3::Event> events;
    events.reserve(changes.size());
    for (const Change& change : changes) events.push_back(to_event(*change.key, *change.record));
    return events;
}

Status V3Keyspace::check_invariants() const {
    if (revision_ < 1) return Status(StatusCode::kInternal, "v3 keyspace: revision below 1");
    if (compact_revision_ < 0 || compact_revision_ > revision_) {
        return Status(StatusCode::kInternal, "v3 keyspace: compact revision out of bounds");
    }
    std::int64_t bytes = 0;
    for (const auto& [key, history] : keys_) {
        if (history.empty()) return invariant_error(key, "empty history");
        if (history.front().is_tombstone) return invariant_error(key, "starts with a tombstone");
        const V3Record* previous = nullptr;
        for (const V3Record& record : history) {
            bytes += record_bytes(key, record);
            if (record.mod_revision < 1 || record.mod_revision > revision_) {
                return invariant_error(key, "mod_revision out of bounds");
            }
            if (record.is_tombstone) {
                if (record.create_revision != 0 || record.version != 0 || record.lease != 0 ||
                    !record.value.empty()) {
                    return invariant_error(key, "tombstone with content");
                }
            } else if (record.create_revision < 1 || record.create_revision > record.mod_revision ||
                       record.version < 1) {
                return invariant_error(key, "put with bad create_revision or version");
            }
            if (previous != nullptr) {
                if (std::tie(previous->mod_revision, previous->sub) >=
                    std::tie(record.mod_revision, record.sub)) {
                    return invariant_error(key, "revisions not increasing");
                }
                if (previous->is_tombstone && record.is_tombstone) {
                    return invariant_error(key, "two tombstones in a row");
                }
                const bool new_generation = previous->is_tombstone;
                if (!record.is_tombstone && new_generation &&
                    (record.version != 1 || record.create_revision != record.mod_revision)) {
                    return invariant_error(key, "generation does not start at version 1");
                }
                if (!record.is_tombstone && !new_generation &&
                    (record.version != previous->version + 1 ||
                     record.create_revision != previous->create_revision)) {
                    return invariant_error(key, "version does not count up in its generation");
                }
            }
            previous = &record;
        }
    }
    if (bytes != size_bytes_) return Status(StatusCode::kInternal, "v3 keyspace: size mismatch");
    return Status::ok();
}

service::v3::KeyValue to_key_value(std::string_view key, const V3Record& record, bool with_value) {
    service::v3::KeyValue kv;
    kv.key = std::string(key);
    kv.create_revision = record.create_revision;
    kv.mod_revision = record.mod_revision;
    kv.version = record.version;
    if (with_value) kv.value = record.value;
    kv.lease = record.lease;
    return kv;
}

service::v3::Event to_event(std::string_view key, const V3Record& record) {
    service::v3::Event event;
    if (record.is_tombstone) {
        event.type = service::v3::Event::Type::kDelete;
        event.kv.key = std::string(key);
        event.kv.mod_revision = record.mod_revision;
    } else {
        event.type = service::v3::Event::Type::kPut;
        event.kv = to_key_value(key, record);
    }
    return event;
}

}  // namespace consensus::kv
