#include "kv/v3_keyspace.h"

#include <algorithm>
#include <string>
#include <tuple>
#include <utility>

#include "consensus/assert.h"
#include "kv/codec.h"
#include "kv/v3_errors.h"

namespace consensus::kv {
namespace {

/// Log bytes of a spilled put before its value: create_revision, version, lease.
constexpr std::uint32_t kSpilledPutHeadBytes = 24;
/// A compaction rewrites the log only past this much dropped data, so a small store
/// never rewrites.
constexpr std::uint64_t kLogRewriteDroppedBytesMin = 16 * 1024 * 1024;

/// The index in `history` (older then latest) of the last record with
/// mod_revision <= at_revision, or -1.
std::ptrdiff_t last_at_or_below(const V3History& history, std::int64_t at_revision) {
    if (history.latest.mod_revision <= at_revision) {
        return static_cast<std::ptrdiff_t>(history.older.size());
    }
    // A hot key may hold thousands of records: binary search on the ordered revisions.
    const auto after = std::upper_bound(history.older.begin(), history.older.end(), at_revision,
                                        [](std::int64_t revision, const V3SpilledRecord& record) {
                                            return revision < record.mod_revision;
                                        });
    return (after - history.older.begin()) - 1;
}

bool is_tombstone_at(const V3History& history, std::size_t index) {
    return index == history.older.size() ? history.latest.is_tombstone
                                         : history.older[index].is_tombstone();
}

std::int64_t record_bytes(std::string_view key, const V3Record& record) {
    return static_cast<std::int64_t>(key.size() + record.value.size());
}

std::int64_t record_bytes(std::string_view key, const V3SpilledRecord& record) {
    const std::uint32_t value_bytes =
        record.is_tombstone() ? 0 : record.length - kSpilledPutHeadBytes;
    return static_cast<std::int64_t>(key.size() + value_bytes);
}

Status invariant_error(const std::string& key, const char* what) {
    return Status(StatusCode::kInternal, "v3 keyspace: key \"" + key + "\": " + what);
}

}  // namespace

void V3Keyspace::restore_revisions(std::int64_t revision, std::int64_t compact_revision) {
    revision_ = revision;
    compact_revision_ = compact_revision;
}

void V3Keyspace::restore_history(std::string key, std::vector<V3Record> records) {
    CONSENSUS_ASSERT(!records.empty());
    CONSENSUS_ASSERT(keys_.empty() || keys_.rbegin()->first < key);
    V3History& history = keys_.emplace_hint(keys_.end(), std::move(key), V3History{})->second;
    const std::string& stored_key = keys_.rbegin()->first;
    history.older.reserve(records.size() - 1);
    for (V3Record& record : records) {
        size_bytes_ += record_bytes(stored_key, record);
        if (&record != &records.front()) spill_latest(&history);
        history.latest = std::move(record);
    }
}

Status V3Keyspace::check_readable(std::int64_t revision) const {
    // [etcd: server/mvcc/kvstore_txn.go rangeKeys] the future check comes first.
    if (revision > revision_) return v3_future_revision_error();
    if (revision < compact_revision_) return v3_compacted_error();
    return Status::ok();
}

void V3Keyspace::spill_latest(V3History* history) {
    const V3Record& latest = history->latest;
    V3SpilledRecord spilled;
    spilled.mod_revision = latest.mod_revision;
    spilled.sub = latest.sub;
    if (!latest.is_tombstone) {
        CONSENSUS_ASSERT(latest.value.size() <= UINT32_MAX - kSpilledPutHeadBytes);
        // The head is built in a reused buffer: a spill happens on every overwrite.
        spill_head_.clear();
        detail::ByteWriter head(std::move(spill_head_));
        head.put_i64(latest.create_revision);
        head.put_i64(latest.version);
        head.put_i64(latest.lease);
        spill_head_ = head.take();
        spilled.offset = log_.append(spill_head_, latest.value);
        spilled.length = static_cast<std::uint32_t>(kSpilledPutHeadBytes + latest.value.size());
        log_live_bytes_ += spilled.length;
    }
    history->older.push_back(spilled);
}

void V3Keyspace::read_spilled(const V3SpilledRecord& spilled, V3Record* record) const {
    record->mod_revision = spilled.mod_revision;
    record->sub = spilled.sub;
    record->is_tombstone = spilled.is_tombstone();
    if (record->is_tombstone) {
        record->create_revision = 0;
        record->version = 0;
        record->lease = 0;
        record->value.clear();
        return;
    }
    log_.read(spilled.offset, spilled.length, &record->value);
    detail::ByteReader head(std::string_view(record->value).substr(0, kSpilledPutHeadBytes));
    record->create_revision = head.get_i64();
    record->version = head.get_i64();
    record->lease = head.get_i64();
    CONSENSUS_ASSERT(head.finished_cleanly());
    record->value.erase(0, kSpilledPutHeadBytes);
}

const V3Record* V3Keyspace::record_in(const V3History& history, std::size_t index) const {
    if (index == history.older.size()) return &history.latest;
    read_spilled(history.older[index], &read_records_.emplace_back());
    return &read_records_.back();
}

const V3Record* V3Keyspace::find(std::string_view key, std::int64_t at_revision) const {
    const auto it = keys_.find(key);
    if (it == keys_.end()) return nullptr;
    const std::ptrdiff_t index = last_at_or_below(it->second, at_revision);
    if (index < 0 || is_tombstone_at(it->second, static_cast<std::size_t>(index))) return nullptr;
    return record_in(it->second, static_cast<std::size_t>(index));
}

const V3Record* V3Keyspace::latest_at(const V3History& history, std::int64_t at_revision) const {
    const std::ptrdiff_t index = last_at_or_below(history, at_revision);
    return index < 0 ? nullptr : record_in(history, static_cast<std::size_t>(index));
}

V3History& V3Keyspace::history_for_write(std::string_view key, std::string_view* stored_key,
                                         bool* existed) {
    auto it = keys_.find(key);
    *existed = it != keys_.end();
    if (*existed) {
        spill_latest(&it->second);
    } else {
        it = keys_.emplace(std::string(key), V3History{}).first;
    }
    *stored_key = it->first;
    return it->second;
}

std::string_view V3Keyspace::put(std::string_view key, std::string value, std::int64_t lease,
                                 std::int64_t revision, std::uint32_t sub) {
    std::string_view stored_key;
    bool existed = false;
    V3History& history = history_for_write(key, &stored_key, &existed);
    V3Record record;
    record.mod_revision = revision;
    record.sub = sub;
    record.lease = lease;
    record.value = std::move(value);
    if (existed) {
        // Spilling copied the previous record to the log; it is still whole here.
        const V3Record& last = history.latest;
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
    history.latest = std::move(record);
    return stored_key;
}

std::string_view V3Keyspace::remove(std::string_view key, std::int64_t revision,
                                    std::uint32_t sub) {
    std::string_view stored_key;
    bool existed = false;
    V3History& history = history_for_write(key, &stored_key, &existed);
    CONSENSUS_ASSERT(existed && !history.latest.is_tombstone);
    CONSENSUS_ASSERT(std::tie(history.latest.mod_revision, history.latest.sub) <
                     std::tie(revision, sub));
    V3Record tombstone;
    tombstone.mod_revision = revision;
    tombstone.sub = sub;
    tombstone.is_tombstone = true;
    size_bytes_ += record_bytes(stored_key, tombstone);
    history.latest = std::move(tombstone);
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
        std::size_t drop = index < 0 ? 0 : static_cast<std::size_t>(index);
        if (index >= 0 && is_tombstone_at(history, drop)) ++drop;
        const std::size_t dropped_older = std::min(drop, history.older.size());
        for (std::size_t i = 0; i < dropped_older; ++i) {
            size_bytes_ -= record_bytes(it->first, history.older[i]);
            log_live_bytes_ -= history.older[i].length;
        }
        if (drop == history.size()) {
            size_bytes_ -= record_bytes(it->first, history.latest);
            it = keys_.erase(it);
            continue;
        }
        if (dropped_older > 0) {
            history.older.erase(history.older.begin(),
                                history.older.begin() + static_cast<std::ptrdiff_t>(dropped_older));
            history.older.shrink_to_fit();
        }
        ++it;
    }
    rewrite_log_if_mostly_dropped();
    return Status::ok();
}

void V3Keyspace::rewrite_log_if_mostly_dropped() {
    const std::uint64_t dropped = log_.size() - log_live_bytes_;
    if (dropped < kLogRewriteDroppedBytesMin || dropped < log_live_bytes_) return;
    // The new log is opened where the old one is; that worked once, so a failure now
    // is the environment failing (as a failed write to the log would be).
    Result<V3HistoryLog> opened = log_.open_another();
    CONSENSUS_ASSERT_MSG(opened.is_ok(), opened.status().to_string().c_str());
    V3HistoryLog rewritten = std::move(opened.value());
    std::string bytes;
    for (auto& [key, history] : keys_) {
        for (V3SpilledRecord& spilled : history.older) {
            if (spilled.is_tombstone()) continue;
            log_.read(spilled.offset, spilled.length, &bytes);
            spilled.offset = rewritten.append(bytes);
        }
    }
    log_ = std::move(rewritten);
}

const V3Record* V3Keyspace::record_at(std::string_view key, std::int64_t revision,
                                      std::uint32_t sub) const {
    const auto it = keys_.find(key);
    if (it == keys_.end()) return nullptr;
    const V3History& history = it->second;
    // Called for the changes of the newest revision: search from the back.
    if (history.latest.mod_revision == revision && history.latest.sub == sub) {
        return &history.latest;
    }
    for (std::size_t i = history.older.size(); i-- > 0;) {
        const V3SpilledRecord& record = history.older[i];
        if (record.mod_revision == revision && record.sub == sub) return record_in(history, i);
        if (record.mod_revision < revision) break;
    }
    return nullptr;
}

std::vector<service::v3::Event> V3Keyspace::events_since(const V3KeyRange& range,
                                                         std::int64_t from_revision) const {
    struct Change {
        std::int64_t revision;
        std::uint32_t sub;
        const std::string* key;
        const V3History* history;
        std::size_t index;
    };
    std::vector<Change> changes;
    for (auto it = keys_.lower_bound(range.key); it != keys_.end(); ++it) {
        if (range.is_past_end(it->first)) break;
        const V3History& history = it->second;
        const std::ptrdiff_t before = last_at_or_below(history, from_revision - 1);
        for (std::size_t i = static_cast<std::size_t>(before + 1); i < history.older.size(); ++i) {
            changes.push_back(Change{history.older[i].mod_revision, history.older[i].sub,
                                     &it->first, &history, i});
        }
        if (history.latest.mod_revision >= from_revision) {
            changes.push_back(Change{history.latest.mod_revision, history.latest.sub, &it->first,
                                     &history, history.older.size()});
        }
    }
    std::sort(changes.begin(), changes.end(), [](const Change& a, const Change& b) {
        return std::tie(a.revision, a.sub) < std::tie(b.revision, b.sub);
    });
    std::vector<service::v3::Event> events;
    events.reserve(changes.size());
    V3Record older;
    for (const Change& change : changes) {
        const V3History& history = *change.history;
        if (change.index == history.older.size()) {
            events.push_back(to_event(*change.key, history.latest));
        } else {
            read_spilled(history.older[change.index], &older);
            events.push_back(to_event(*change.key, older));
        }
    }
    return events;
}

Status V3Keyspace::check_invariants() const {
    if (revision_ < 1) return Status(StatusCode::kInternal, "v3 keyspace: revision below 1");
    if (compact_revision_ < 0 || compact_revision_ > revision_) {
        return Status(StatusCode::kInternal, "v3 keyspace: compact revision out of bounds");
    }
    std::int64_t bytes = 0;
    std::uint64_t log_bytes = 0;
    for (const auto& [key, history] : keys_) {
        for (const V3SpilledRecord& spilled : history.older) log_bytes += spilled.length;
        Status status = Status::ok();
        bool first = true;
        V3Record previous;
        for_each_record(history, [&](const V3Record& record) {
            if (!status.is_ok()) return;
            bytes += record_bytes(key, record);
            status = check_record(key, first ? nullptr : &previous, record);
            first = false;
            previous.mod_revision = record.mod_revision;
            previous.create_revision = record.create_revision;
            previous.version = record.version;
            previous.sub = record.sub;
            previous.is_tombstone = record.is_tombstone;
        });
        if (!status.is_ok()) return status;
    }
    if (bytes != size_bytes_) return Status(StatusCode::kInternal, "v3 keyspace: size mismatch");
    if (log_bytes != log_live_bytes_ || log_live_bytes_ > log_.size()) {
        return Status(StatusCode::kInternal, "v3 keyspace: history log size mismatch");
    }
    return Status::ok();
}

Status V3Keyspace::check_record(const std::string& key, const V3Record* previous,
                                const V3Record& record) const {
    if (previous == nullptr && record.is_tombstone) {
        return invariant_error(key, "starts with a tombstone");
    }
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
    if (previous == nullptr) return Status::ok();
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
