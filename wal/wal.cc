#include "wal/wal.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <utility>

#include <leveldb/db.h>
#include <leveldb/env.h>
#include <leveldb/iterator.h>
#include <leveldb/options.h>
#include <leveldb/write_batch.h>

#include "consensus/little_endian.h"
#include "consensus/log.h"
#include "wal/codec.h"
#include "wal/crc32c.h"
#include "wal/unmapped_env.h"

namespace consensus::wal {
namespace {

constexpr char kComponent[] = "wal";
constexpr char kSnapshotMagic[] = "CSNP";
constexpr std::size_t kSnapshotMagicBytes = 4;
/// Bytes read from a snapshot file per call, so a huge payload is read in steps.
constexpr std::size_t kSnapshotReadChunkBytes = 1024 * 1024;

std::string wal_dir_of(const std::string& data_dir) {
    return data_dir + "/wal";
}
std::string init_dir_of(const std::string& data_dir) {
    return data_dir + "/wal.init";
}
std::string snap_dir_of(const std::string& data_dir) {
    return data_dir + "/snap";
}

std::string hex16(std::uint64_t value) {
    char buffer[17];
    std::snprintf(buffer, sizeof(buffer), "%016" PRIx64, value);
    return buffer;
}

std::string describe(const Identity& identity) {
    return "cluster " + hex16(identity.cluster_id) + " member " + hex16(identity.member_id);
}

leveldb::Options make_leveldb_options(const Options& options, leveldb::Env* env, bool create) {
    leveldb::Options result;
    result.env = env;
    result.create_if_missing = create;
    result.error_if_exists = create;
    // Refuse a damaged LevelDB log or table instead of skipping what it cannot read:
    // skipping would silently drop acknowledged entries.
    result.paranoid_checks = true;
    result.write_buffer_size = options.leveldb_write_buffer_bytes;
    // Every open table holds a descriptor (unmapped_env.h). LevelDB keeps up to this
    // many minus ten open; a member's log fits in far fewer tables than that, and a
    // table beyond it is reopened when read.
    result.max_open_files = kLevelDbOpenFilesMax;
    return result;
}

leveldb::ReadOptions verified_reads() {
    leveldb::ReadOptions options;
    options.verify_checksums = true;
    // Entries are read from LevelDB once, in order (a follower catching up, recovery),
    // and the entry cache holds the recent ones: keeping the blocks in LevelDB's block
    // cache as well would only grow the member's memory by up to 8 MiB.
    options.fill_cache = false;
    return options;
}

/// LevelDB reports damage as Corruption and a failing disk as IOError; anything else
/// it returns on open or read (such as "does not exist") also means the store is not
/// usable as it is, which is corruption from our point of view.
StatusCode code_of(const leveldb::Status& status) {
    return status.IsIOError() ? StatusCode::kIOError : StatusCode::kCorruption;
}

Status sync_dir(const std::string& dir) {
    // A rename is durable only once the directory holding it is synced; otherwise a
    // power loss can bring back the old name after we reported success.
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return Status(StatusCode::kIOError,
                      "cannot open directory " + dir + ": " + std::strerror(errno));
    }
    const int result = ::fsync(fd);
    const int saved_errno = errno;
    ::close(fd);
    if (result != 0) {
        return Status(StatusCode::kIOError,
                      "cannot sync directory " + dir + ": " + std::strerror(saved_errno));
    }
    return Status::ok();
}

std::string entry_name(Index index) {
    return "entry " + std::to_string(index);
}

std::string make_snapshot_header(const raft::Snapshot& snapshot) {
    std::string header(kSnapshotMagic, kSnapshotMagicBytes);
    header.push_back(static_cast<char>(kSnapshotFileVersion));
    header.append(3, '\0');
    put_fixed64(&header, snapshot.metadata.index);
    put_fixed64(&header, snapshot.metadata.term);
    put_fixed64(&header, snapshot.data.size());
    put_fixed32(&header, crc32c(snapshot.data));
    put_fixed32(&header, crc32c(header));
    return header;
}

}  // namespace

Wal::Wal(std::string data_dir, const Options& options)
    : data_dir_(std::move(data_dir)),
      options_(options),
      env_(options.env != nullptr ? options.env : UnmappedReadsEnv::instance()) {}

Wal::~Wal() = default;

bool Wal::exists(const std::string& data_dir) {
    std::error_code error;
    return std::filesystem::is_directory(wal_dir_of(data_dir), error);
}

std::string Wal::snapshot_path(const std::string& data_dir,
                               const raft::SnapshotMetadata& metadata) {
    return snap_dir_of(data_dir) + "/" + hex16(metadata.term) + "-" + hex16(metadata.index) +
           ".snap";
}

Result<std::unique_ptr<Wal>> Wal::open(const std::string& data_dir, const Identity& identity,
                                       const Options& options) {
    std::unique_ptr<Wal> wal(new Wal(data_dir, options));
    if (!exists(data_dir)) {
        Status status = wal->initialise(identity);
        if (!status.is_ok()) return status;
    }
    Status status = wal->load(identity);
    if (!status.is_ok()) return status;
    return Result<std::unique_ptr<Wal>>(std::move(wal));
}

Result<std::unique_ptr<Wal>> Wal::open_existing(const std::string& data_dir,
                                                const Options& options) {
    if (!exists(data_dir)) {
        return Status(StatusCode::kNotFound, "data dir " + data_dir + " holds no WAL");
    }
    std::unique_ptr<Wal> wal(new Wal(data_dir, options));
    Status status = wal->load(std::nullopt);
    if (!status.is_ok()) return status;
    return Result<std::unique_ptr<Wal>>(std::move(wal));
}

Status Wal::initialise(const Identity& identity) {
    namespace fs = std::filesystem;
    std::error_code error;
    const std::string init_dir = init_dir_of(data_dir_);
    fs::create_directories(snap_dir_of(data_dir_), error);
    if (error) return io_error("cannot create directories: " + error.message());
    // A wal.init left behind was never renamed into place, so it never held anything
    // but an identity: rebuilding it loses nothing.
    fs::remove_all(init_dir, error);
    if (error) return io_error("cannot remove " + init_dir + ": " + error.message());
    {
        leveldb::DB* raw = nullptr;
        leveldb::Status status =
            leveldb::DB::Open(make_leveldb_options(options_, env_, true), init_dir, &raw);
        if (!status.ok()) {
            return io_error("cannot create a LevelDB store in " + init_dir + ": " +
                            status.ToString());
        }
        std::unique_ptr<leveldb::DB> db(raw);
        leveldb::WriteOptions write_options;
        write_options.sync = true;
        status = db->Put(write_options, kIdentityKey,
                         frame_record(kIdentityKey, encode_identity(identity)));
        if (!status.ok()) return io_error("cannot stamp the identity: " + status.ToString());
    }
    fs::rename(init_dir, wal_dir_of(data_dir_), error);
    if (error) return io_error("cannot rename " + init_dir + ": " + error.message());
    Status status = sync_dir(data_dir_);
    if (!status.is_ok()) return io_error(status.message());
    LOG_INFO(kComponent, "initialised data dir %s for %s", data_dir_.c_str(),
             describe(identity).c_str());
    return Status::ok();
}

Status Wal::load(const std::optional<Identity>& expected) {
    const std::string wal_dir = wal_dir_of(data_dir_);
    // Without CURRENT, LevelDB would take the dir for an empty store (or create one);
    // either way the log would silently vanish.
    if (!env_->FileExists(wal_dir + "/CURRENT")) {
        return corruption("LevelDB store " + wal_dir + " has no CURRENT file");
    }
    // LevelDB always keeps its current write-ahead .log (an empty one after a clean
    // shutdown). Without it LevelDB would open quietly and lose every write since its
    // last table flush, so its absence is damage.
    std::vector<std::string> names;
    leveldb::Status listed = env_->GetChildren(wal_dir, &names);
    if (!listed.ok()) return io_error("cannot list " + wal_dir + ": " + listed.ToString());
    const bool has_log = std::any_of(names.begin(), names.end(), [](const std::string& name) {
        return name.size() > 4 && name.compare(name.size() - 4, 4, ".log") == 0;
    });
    if (!has_log) return corruption("LevelDB store " + wal_dir + " has no .log file");
    leveldb::DB* raw = nullptr;
    leveldb::Status opened =
        leveldb::DB::Open(make_leveldb_options(options_, env_, false), wal_dir, &raw);
    if (!opened.ok()) {
        return Status(code_of(opened), "WAL in data dir " + data_dir_ +
                                           ": cannot open LevelDB store: " + opened.ToString());
    }
    db_.reset(raw);
    Status status = rename_legacy_keys();
    if (!status.is_ok()) return status;
    status = load_records();
    if (!status.is_ok()) return status;
    if (expected.has_value() && !(*expected == identity_)) {
        return Status(StatusCode::kFailedPrecondition, "data dir " + data_dir_ + " belongs to " +
                                                           describe(identity_) + ", expected " +
                                                           describe(*expected));
    }
    status = load_entries();
    if (!status.is_ok()) return status;
    status = check_loaded_state();
    if (!status.is_ok()) return status;
    if (snapshot_metadata_.index > 0) {
        Result<std::string> data = read_snapshot_file(snapshot_metadata_);
        if (!data.is_ok()) return data.status();
    }
    remove_stray_snapshot_files();
    LOG_INFO(kComponent,
             "recovered data dir %s: %s, term %" PRIu64 ", commit %" PRIu64 ", snapshot %" PRIu64
             ", entries (%" PRIu64 ", %" PRIu64 "]",
             data_dir_.c_str(), describe(identity_).c_str(), hard_state_.term, hard_state_.commit,
             snapshot_metadata_.index, log_start_.index, last_index_);
    return Status::ok();
}

Status Wal::rename_legacy_keys() {
    leveldb::WriteBatch batch;
    bool renamed = false;
    for (const RenamedKey& key : kLegacyMetadataKeys) {
        std::string value;
        leveldb::Status status = db_->Get(verified_reads(), key.legacy, &value);
        if (status.IsNotFound()) continue;
        if (!status.ok()) {
            return Status(code_of(status), "WAL in data dir " + data_dir_ + ": record \"" +
                                               key.legacy + "\": " + status.ToString());
        }
        // The checksum covers the key, so the record is checked under its old name and
        // framed again under the new one.
        Result<std::string_view> payload = unframe_record(key.legacy, value);
        if (!payload.is_ok()) {
            return corruption(std::string("record \"") + key.legacy +
                              "\": " + payload.status().message());
        }
        batch.Put(key.current, frame_record(key.current, payload.value()));
        batch.Delete(key.legacy);
        renamed = true;
    }
    if (!renamed) return Status::ok();
    leveldb::WriteOptions write_options;
    write_options.sync = true;
    leveldb::Status status = db_->Write(write_options, &batch);
    if (!status.ok()) return io_error("renaming the metadata keys failed: " + status.ToString());
    LOG_INFO(kComponent, "renamed the metadata records of data dir %s to the current key layout",
             data_dir_.c_str());
    return Status::ok();
}

Status Wal::load_records() {
    auto read = [this](const char* key, const char* name, std::string* payload) -> Result<bool> {
        std::string value;
        leveldb::Status status = db_->Get(verified_reads(), key, &value);
        if (status.IsNotFound()) return false;
        if (!status.ok()) {
            return Status(code_of(status),
                          "WAL in data dir " + data_dir_ + ": " + name + ": " + status.ToString());
        }
        Result<std::string_view> unframed = unframe_record(key, value);
        if (!unframed.is_ok())
            return corruption(std::string(name) + ": " + unframed.status().message());
        payload->assign(unframed.value());
        return true;
    };
    std::string payload;
    Result<bool> found = read(kIdentityKey, "identity record", &payload);
    if (!found.is_ok()) return found.status();
    if (!found.value()) return corruption("identity record is missing");
    Result<Identity> identity = decode_identity(payload);
    if (!identity.is_ok()) return corruption(identity.status().message());
    identity_ = identity.value();

    found = read(kHardStateKey, "hard state", &payload);
    if (!found.is_ok()) return found.status();
    if (found.value()) {
        Result<raft::HardState> hard_state = decode_hard_state(payload);
        if (!hard_state.is_ok()) return corruption("hard state: " + hard_state.status().message());
        hard_state_ = hard_state.value();
    }
    found = read(kSnapshotKey, "snapshot metadata", &payload);
    if (!found.is_ok()) return found.status();
    if (found.value()) {
        Result<raft::SnapshotMetadata> metadata = decode_snapshot_metadata(payload);
        if (!metadata.is_ok()) {
            return corruption("snapshot metadata: " + metadata.status().message());
        }
        snapshot_metadata_ = metadata.value();
    }
    found = read(kLogStartKey, "log start", &payload);
    if (!found.is_ok()) return found.status();
    if (found.value()) {
        Result<LogStart> log_start = decode_log_start(payload);
        if (!log_start.is_ok()) return corruption(log_start.status().message());
        log_start_ = log_start.value();
    }
    return Status::ok();
}

Status Wal::load_entries() {
    std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(verified_reads()));
    Index index = 0;
    it->Seek(std::string(1, kEntryPrefix));
    lowest_stored_index_ = log_start_.index + 1;
    if (it->Valid() &&
        parse_entry_key(std::string_view(it->key().data(), it->key().size()), &index)) {
        lowest_stored_index_ = std::min(index, lowest_stored_index_);
    }
    Index expected = log_start_.index + 1;
    Term previous_term = log_start_.term;
    for (it->Seek(entry_key(expected)); it->Valid(); it->Next(), ++expected) {
        // Views into the iterator's buffers, valid until it->Next().
        const std::string_view key(it->key().data(), it->key().size());
        const std::string_view value(it->value().data(), it->value().size());
        if (!parse_entry_key(key, &index)) {
            if (!key.empty() && key[0] == kEntryPrefix) {
                return corruption("malformed entry key after " + entry_name(expected - 1));
            }
            break;
        }
        if (index != expected) {
            // A table LevelDB cannot read drops out of the iteration and shows up as a
            // gap; its own error, when it has one, says more than the gap does.
            if (!it->status().ok()) break;
            return corruption(entry_name(expected) + " is missing (the next stored entry is " +
                              std::to_string(index) + ")");
        }
        Result<std::string_view> payload = unframe_record(key, value);
        if (!payload.is_ok()) {
            return corruption(entry_name(index) + ": " + payload.status().message());
        }
        Result<raft::Entry> entry = decode_entry(payload.value());
        if (!entry.is_ok()) return corruption(entry_name(index) + ": " + entry.status().message());
        if (entry.value().index != index) {
            return corruption(entry_name(index) + ": record holds entry " +
                              std::to_string(entry.value().index));
        }
        if (entry.value().term < previous_term || entry.value().term == 0) {
            return corruption(entry_name(index) + ": term " + std::to_string(entry.value().term) +
                              " is below the previous entry's term " +
                              std::to_string(previous_term));
        }
        previous_term = entry.value().term;
        if (term_runs_.empty() || term_runs_.back().term != previous_term) {
            term_runs_.push_back(TermRun{index, previous_term});
        }
        cache_push(std::move(entry.value()));
    }
    if (!it->status().ok()) {
        return Status(code_of(it->status()),
                      "WAL in data dir " + data_dir_ + ": reading the entries after " +
                          entry_name(expected - 1) + ": " + it->status().ToString());
    }
    last_index_ = expected - 1;
    return Status::ok();
}

Status Wal::check_loaded_state() const {
    const Index snapshot_index = snapshot_metadata_.index;
    if (snapshot_index < log_start_.index) {
        return corruption("snapshot metadata: index " + std::to_string(snapshot_index) +
                          " is below the log start " + std::to_string(log_start_.index));
    }
    if (snapshot_index > last_index_) {
        return corruption("snapshot metadata: index " + std::to_string(snapshot_index) +
                          " is beyond the last entry " + std::to_string(last_index_));
    }
    const Term expected_term =
        snapshot_index == log_start_.index ? log_start_.term : term_in_runs(snapshot_index);
    if (snapshot_index > 0 && snapshot_metadata_.term != expected_term) {
        return corruption("snapshot metadata: term " + std::to_string(snapshot_metadata_.term) +
                          " differs from the term " + std::to_string(expected_term) + " of " +
                          entry_name(snapshot_index));
    }
    if (hard_state_.commit > last_index_) {
        return corruption("hard state: commit " + std::to_string(hard_state_.commit) +
                          " is beyond the last entry " + std::to_string(last_index_));
    }
    return Status::ok();
}

void Wal::remove_stray_snapshot_files() {
    const std::string snap_dir = snap_dir_of(data_dir_);
    std::vector<std::string> names;
    if (!env_->GetChildren(snap_dir, &names).ok()) {
        (void)env_->CreateDir(snap_dir);
        return;
    }
    const std::string current =
        snapshot_metadata_.index > 0 ? snapshot_path(data_dir_, snapshot_metadata_) : "";
    for (const std::string& name : names) {
        const std::string path = snap_dir + "/" + name;
        if (name == "." || name == ".." || path == current) continue;
        // Either a temporary file of an interrupted save_snapshot() or a snapshot whose
        // metadata record never became durable (or was superseded): none is in force.
        LOG_INFO(kComponent, "removing stray snapshot file %s", path.c_str());
        (void)env_->RemoveFile(path);
    }
}

Status Wal::save(const std::optional<raft::HardState>& hard_state,
                 const std::vector<raft::Entry>& entries, bool sync) {
    auto prepared = prepare_save(hard_state, entries, sync);
    if (!prepared.is_ok()) return prepared.status();
    Status written = write_prepared(prepared.value());
    return finish_save(std::move(prepared.value()), written);
}

Result<PreparedSave> Wal::prepare_save(const std::optional<raft::HardState>& hard_state,
                                       std::vector<raft::Entry> entries, bool sync) const {
    if (is_failed()) return failure_;
    PreparedSave prepared;
    if (!hard_state.has_value() && entries.empty()) return prepared;
    Status checked = check_save(hard_state, entries);
    if (!checked.is_ok()) return checked;
    const Index new_last = entries.empty() ? last_index_ : entries.back().index;
    prepared.hard_state = hard_state;
    prepared.entries = std::move(entries);
    prepared.sync = sync;
    prepared.replaced_after = new_last;
    prepared.replaced_last = std::max(new_last, last_index_);
    return prepared;
}

Status Wal::write_prepared(const PreparedSave& prepared) const {
    if (prepared.is_empty()) return Status::ok();
    leveldb::WriteBatch batch;
    // The new run overwrites keys it shares with the stored log; stored entries past
    // its end belong to the replaced suffix and go in the same batch [Raft §5.3].
    for (Index index = prepared.replaced_after + 1; index <= prepared.replaced_last; ++index) {
        batch.Delete(entry_key(index));
    }
    std::string key;
    std::string record;
    for (const raft::Entry& entry : prepared.entries) {
        key = entry_key(entry.index);
        record = frame_record(key, encode_entry(entry));
        batch.Put(key, record);
    }
    if (prepared.hard_state.has_value()) {
        batch.Put(kHardStateKey,
                  frame_record(kHardStateKey, encode_hard_state(*prepared.hard_state)));
    }
    leveldb::WriteOptions write_options;
    write_options.sync = prepared.sync;
    leveldb::Status status = db_->Write(write_options, &batch);
    if (status.ok()) return Status::ok();
    std::string what = "saving the hard state";
    if (!prepared.entries.empty()) {
        what = "saving entries [" + std::to_string(prepared.entries.front().index) + ", " +
               std::to_string(prepared.entries.back().index) + "]" +
               (prepared.hard_state.has_value() ? " and the hard state" : "");
    }
    return io_error(what + " failed: " + status.ToString());
}

Status Wal::finish_save(PreparedSave prepared, const Status& written) {
    if (!written.is_ok()) return fail(written);
    if (prepared.is_empty()) return Status::ok();
    // A write to the Wal between prepare and finish would make the deletions and the
    // in-memory update below describe a log that is no longer the stored one.
    CONSENSUS_ASSERT(prepared.replaced_last == std::max(prepared.replaced_after, last_index_));
    append_in_memory(std::move(prepared.entries));
    if (prepared.hard_state.has_value()) hard_state_ = *prepared.hard_state;
    return Status::ok();
}

Status Wal::check_save(const std::optional<raft::HardState>& hard_state,
                       const std::vector<raft::Entry>& entries) const {
    Index new_last = last_index_;
    if (!entries.empty()) {
        const Index first = entries.front().index;
        if (first <= snapshot_metadata_.index) {
            return Status(StatusCode::kInvalidArgument,
                          entry_name(first) + " is covered by the snapshot at index " +
                              std::to_string(snapshot_metadata_.index));
        }
        if (first > last_index_ + 1) {
            return Status(StatusCode::kInvalidArgument,
                          entry_name(first) + " would leave a gap after the last entry " +
                              std::to_string(last_index_));
        }
        Term previous_term =
            first - 1 == log_start_.index ? log_start_.term : term_in_runs(first - 1);
        for (std::size_t i = 0; i < entries.size(); ++i) {
            const raft::Entry& entry = entries[i];
            if (entry.index != first + i) {
                return Status(StatusCode::kInvalidArgument,
                              "entries are not contiguous: " + entry_name(entry.index) +
                                  " follows " + entry_name(first + i - 1));
            }
            if (entry.term == 0 || entry.term < previous_term) {
                return Status(StatusCode::kInvalidArgument,
                              entry_name(entry.index) + " has term " + std::to_string(entry.term) +
                                  " below the previous term " + std::to_string(previous_term));
            }
            previous_term = entry.term;
        }
        new_last = entries.back().index;
    }
    // Recovery refuses a commit beyond the log (check_loaded_state), so writing one
    // would make the data dir unopenable.
    if (hard_state.has_value() && hard_state->commit > new_last) {
        return Status(StatusCode::kInvalidArgument,
                      "hard state commit " + std::to_string(hard_state->commit) +
                          " is beyond the last entry " + std::to_string(new_last));
    }
    return Status::ok();
}

Status Wal::save_snapshot(const raft::Snapshot& snapshot) {
    if (is_failed()) return failure_;
    const raft::SnapshotMetadata& metadata = snapshot.metadata;
    if (metadata.index <= snapshot_metadata_.index) {
        return Status(StatusCode::kFailedPrecondition,
                      "snapshot at index " + std::to_string(metadata.index) +
                          " is not newer than the current snapshot at index " +
                          std::to_string(snapshot_metadata_.index));
    }
    if (metadata.term == 0) {
        return Status(StatusCode::kInvalidArgument, "snapshot has term 0");
    }
    // [Raft §7]: "If existing log entry has same index and term as snapshot's last
    // included entry, retain log entries following it"; otherwise the log is stale or
    // conflicting and the snapshot replaces it entirely.
    const bool keep_log =
        metadata.index <= last_index_ && term_in_runs(metadata.index) == metadata.term;
    Status status = write_snapshot_file(snapshot);
    if (!status.is_ok()) return fail(status);

    leveldb::WriteBatch batch;
    batch.Put(kSnapshotKey, frame_record(kSnapshotKey, encode_snapshot_metadata(metadata)));
    if (!keep_log) {
        const LogStart log_start{metadata.index, metadata.term};
        batch.Put(kLogStartKey, frame_record(kLogStartKey, encode_log_start(log_start)));
        // Entries below the new log start become garbage for compact(); entries after
        // it must go now, or a restart would append them to the snapshot.
        for (Index index = std::max(metadata.index, log_start_.index) + 1; index <= last_index_;
             ++index) {
            batch.Delete(entry_key(index));
        }
    }
    leveldb::WriteOptions write_options;
    write_options.sync = true;
    leveldb::Status written = db_->Write(write_options, &batch);
    if (!written.ok()) {
        return fail(io_error("saving snapshot metadata at index " + std::to_string(metadata.index) +
                             " failed: " + written.ToString()));
    }
    const std::string old_path =
        snapshot_metadata_.index > 0 ? snapshot_path(data_dir_, snapshot_metadata_) : std::string();
    snapshot_metadata_ = metadata;
    if (!keep_log) {
        term_runs_.clear();
        cache_.clear();
        cache_bytes_ = 0;
        log_start_ = LogStart{metadata.index, metadata.term};
        last_index_ = metadata.index;
    }
    if (!old_path.empty() && !env_->RemoveFile(old_path).ok()) {
        LOG_WARN(kComponent, "cannot remove old snapshot file %s; it goes on the next open",
                 old_path.c_str());
    }
    LOG_INFO(kComponent, "saved snapshot at index %" PRIu64 " term %" PRIu64 " (%s log)",
             metadata.index, metadata.term, keep_log ? "kept the" : "replaced the");
    return Status::ok();
}

Status Wal::write_snapshot_file(const raft::Snapshot& snapshot) {
    const std::string snap_dir = snap_dir_of(data_dir_);
    const std::string path = snapshot_path(data_dir_, snapshot.metadata);
    const std::string temporary = path + ".tmp";
    (void)env_->CreateDir(snap_dir);
    leveldb::WritableFile* raw = nullptr;
    leveldb::Status status = env_->NewWritableFile(temporary, &raw);
    if (!status.ok()) return io_error("cannot create " + temporary + ": " + status.ToString());
    std::unique_ptr<leveldb::WritableFile> file(raw);
    status = file->Append(make_snapshot_header(snapshot));
    if (status.ok()) status = file->Append(snapshot.data);
    if (status.ok()) status = file->Sync();
    if (status.ok()) status = file->Close();
    if (status.ok()) status = env_->RenameFile(temporary, path);
    if (!status.ok()) {
        (void)env_->RemoveFile(temporary);
        return io_error("writing snapshot file " + path + " failed: " + status.ToString());
    }
    Status synced = sync_dir(snap_dir);
    if (!synced.is_ok()) return io_error(synced.message());
    return Status::ok();
}

Result<std::string> Wal::read_snapshot_file(const raft::SnapshotMetadata& metadata) const {
    const std::string path = snapshot_path(data_dir_, metadata);
    const std::string name = "snapshot file " + path;
    if (!env_->FileExists(path)) return corruption(name + " is missing");
    std::uint64_t size = 0;
    leveldb::Status status = env_->GetFileSize(path, &size);
    if (!status.ok()) return io_error(name + ": " + status.ToString());
    if (size < kSnapshotHeaderBytes) {
        return corruption(name + " is truncated: " + std::to_string(size) +
                          " bytes, less than its header");
    }
    leveldb::SequentialFile* raw = nullptr;
    status = env_->NewSequentialFile(path, &raw);
    if (!status.ok()) return io_error(name + ": " + status.ToString());
    std::unique_ptr<leveldb::SequentialFile> file(raw);
    std::string contents;
    std::string scratch(kSnapshotReadChunkBytes, '\0');
    while (contents.size() < size) {
        leveldb::Slice chunk;
        const std::size_t want = static_cast<std::size_t>(
            std::min<std::uint64_t>(size - contents.size(), kSnapshotReadChunkBytes));
        status = file->Read(want, &chunk, scratch.data());
        if (!status.ok()) return io_error(name + ": " + status.ToString());
        if (chunk.empty()) break;
        contents.append(chunk.data(), chunk.size());
    }
    const std::string_view header(contents.data(), kSnapshotHeaderBytes);
    if (header.substr(0, kSnapshotMagicBytes) != kSnapshotMagic ||
        static_cast<std::uint8_t>(header[kSnapshotMagicBytes]) != kSnapshotFileVersion) {
        return corruption(name + " has a bad magic number or version");
    }
    if (get_fixed32(header.substr(36)) != crc32c(header.substr(0, 36))) {
        return corruption(name + ": header checksum mismatch");
    }
    if (get_fixed64(header.substr(8)) != metadata.index ||
        get_fixed64(header.substr(16)) != metadata.term) {
        return corruption(name + " holds another snapshot than its metadata record");
    }
    const std::uint64_t data_bytes = get_fixed64(header.substr(24));
    if (contents.size() != kSnapshotHeaderBytes + data_bytes) {
        return corruption(name + " is truncated or extended: header says " +
                          std::to_string(data_bytes) + " payload bytes, file has " +
                          std::to_string(contents.size() - kSnapshotHeaderBytes));
    }
    std::string data = contents.substr(kSnapshotHeaderBytes);
    if (crc32c(data) != get_fixed32(header.substr(32))) {
        return corruption(name + ": payload checksum mismatch");
    }
    return data;
}

Status Wal::compact(Index index) {
    Status released = release(index);
    if (!released.is_ok()) return released;
    return delete_garbage(kCompactEntriesPerCallMax, false);
}

Status Wal::collect_garbage(std::size_t entries_max) {
    if (is_failed()) return failure_;
    return delete_garbage(entries_max, false);
}

Status Wal::collect_garbage_apart(std::size_t entries_max) {
    if (is_failed()) return failure_;
    return delete_garbage(entries_max, true);
}

void Wal::flush_memtable() const {
    // LevelDB has no flush call; CompactRange does flush the memtable first, and over
    // a range past every key (keys.h: all keys are letters) it compacts nothing else.
    const std::string past_every_key(1, '\xff');
    const leveldb::Slice past(past_every_key);
    // A failed flush is LevelDB's background error, which fails the next write.
    db_->CompactRange(&past, &past);
}

Status Wal::release(Index index) {
    if (is_failed()) return failure_;
    if (index > snapshot_metadata_.index) {
        return Status(StatusCode::kFailedPrecondition,
                      "cannot compact to index " + std::to_string(index) +
                          ": entries after the snapshot at index " +
                          std::to_string(snapshot_metadata_.index) + " must be kept");
    }
    if (index > log_start_.index) {
        const LogStart log_start{index, term_in_runs(index)};
        leveldb::WriteOptions write_options;
        // Synced before any entry is deleted: if the deletes reached the disk but the
        // new log start did not, recovery would find a gap after the old log start.
        write_options.sync = true;
        leveldb::Status status = db_->Put(write_options, kLogStartKey,
                                          frame_record(kLogStartKey, encode_log_start(log_start)));
        if (!status.ok()) {
            return fail(io_error("saving the log start " + std::to_string(index) +
                                 " failed: " + status.ToString()));
        }
        release_in_memory(index);
    }
    return Status::ok();
}

Status Wal::delete_garbage(std::size_t entries_max, bool apart) {
    if (!has_garbage()) return Status::ok();
    GarbageRun run = plan_garbage_run(entries_max, apart);
    const Status deleted = delete_garbage_run(&run);
    return finish_garbage_run(run, deleted);
}

GarbageRun Wal::plan_garbage_run(std::size_t entries_max, bool apart) const {
    GarbageRun run;
    run.lowest_stored = lowest_stored_index_;
    run.log_start = log_start_.index;
    run.entries_max = entries_max;
    run.apart = apart;
    run.next_lowest_stored = lowest_stored_index_;
    return run;
}

Status Wal::delete_garbage_run(GarbageRun* run) const {
    if (run->lowest_stored > run->log_start || run->entries_max == 0) return Status::ok();
    if (run->apart) flush_memtable();
    // One seek finds the first released entry still stored (a replaced log leaves a
    // gap up to the new log start); from there the entries are deleted by key rather
    // than read one by one, which would pull their old tables back into memory.
    Index first = 0;
    {
        std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(verified_reads()));
        it->Seek(entry_key(run->lowest_stored));
        if (!it->status().ok()) {
            return Status(code_of(it->status()),
                          "WAL in data dir " + data_dir_ +
                              ": reading released entries: " + it->status().ToString());
        }
        if (!it->Valid() ||
            !parse_entry_key(std::string_view(it->key().data(), it->key().size()), &first) ||
            first > run->log_start) {
            run->next_lowest_stored = run->log_start + 1;
            return Status::ok();
        }
    }
    const Index last = run->log_start - first < run->entries_max
                           ? run->log_start
                           : first + static_cast<Index>(run->entries_max) - 1;
    leveldb::WriteBatch batch;
    for (Index index = first; index <= last; ++index) {
        batch.Delete(entry_key(index));
        if ((index - first + 1) % kCompactBatchEntriesMax != 0 && index != last) continue;
        // Unsynced: losing these deletes in a crash leaves garbage the next call
        // removes again, never a gap.
        leveldb::Status status = db_->Write(leveldb::WriteOptions(), &batch);
        batch.Clear();
        if (!status.ok()) return io_error("deleting released entries failed: " + status.ToString());
    }
    if (run->apart) flush_memtable();
    run->next_lowest_stored = last + 1;
    return Status::ok();
}

Status Wal::finish_garbage_run(const GarbageRun& run, const Status& deleted) {
    if (deleted.code() == StatusCode::kIOError) return fail(deleted);
    if (!deleted.is_ok()) return deleted;
    // Only ever forward: the log start moves only forward, and nothing below it is
    // written again (a replaced log's new entries lie past the snapshot).
    lowest_stored_index_ = std::max(lowest_stored_index_, run.next_lowest_stored);
    return Status::ok();
}

Result<raft::InitialState> Wal::initial_state() const {
    return raft::InitialState{hard_state_, snapshot_metadata_.conf_state};
}

Result<std::vector<raft::Entry>> Wal::entries(Index low, Index high,
                                              std::uint64_t max_bytes) const {
    if (low > high) {
        return Status(StatusCode::kInvalidArgument,
                      "entries: low " + std::to_string(low) + " > high " + std::to_string(high));
    }
    if (low <= log_start_.index) return Status(StatusCode::kOutOfRange, "compacted");
    if (high > last_index_ + 1) return Status(StatusCode::kOutOfRange, "unavailable");
    std::vector<raft::Entry> out;
    std::uint64_t bytes = 0;
    const Index cache_first = cache_.empty() ? last_index_ + 1 : cache_.front().index;
    if (low < cache_first) {
        const Index disk_high = std::min(high, cache_first);
        Status status = read_entries_from_disk(low, disk_high, max_bytes, &bytes, &out);
        if (!status.is_ok()) return status;
        if (out.size() < disk_high - low) return out;
    }
    for (Index index = std::max(low, cache_first); index < high; ++index) {
        const raft::Entry& entry = cache_[index - cache_first];
        if (!out.empty() && bytes + entry.data.size() > max_bytes) break;
        bytes += entry.data.size();
        out.push_back(entry);
    }
    return out;
}

Status Wal::read_entries_from_disk(Index low, Index high, std::uint64_t max_bytes,
                                   std::uint64_t* bytes, std::vector<raft::Entry>* out) const {
    std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(verified_reads()));
    it->Seek(entry_key(low));
    Index index = 0;
    for (Index expected = low; expected < high; ++expected, it->Next()) {
        if (!it->Valid() ||
            !parse_entry_key(std::string_view(it->key().data(), it->key().size()), &index) ||
            index != expected) {
            if (!it->status().ok()) {
                return Status(code_of(it->status()), "WAL in data dir " + data_dir_ + ": " +
                                                         entry_name(expected) + ": " +
                                                         it->status().ToString());
            }
            return corruption(entry_name(expected) + " is missing from LevelDB");
        }
        const std::string_view key(it->key().data(), it->key().size());
        const std::string_view value(it->value().data(), it->value().size());
        Result<std::string_view> payload = unframe_record(key, value);
        if (!payload.is_ok()) {
            return corruption(entry_name(expected) + ": " + payload.status().message());
        }
        Result<raft::Entry> entry = decode_entry(payload.value());
        if (!entry.is_ok()) {
            return corruption(entry_name(expected) + ": " + entry.status().message());
        }
        if (entry.value().index != expected) {
            return corruption(entry_name(expected) + ": record holds entry " +
                              std::to_string(entry.value().index));
        }
        if (!out->empty() && *bytes + entry.value().data.size() > max_bytes) break;
        *bytes += entry.value().data.size();
        out->push_back(std::move(entry.value()));
    }
    return Status::ok();
}

Result<Term> Wal::term(Index i) const {
    if (i < log_start_.index) return Status(StatusCode::kOutOfRange, "compacted");
    if (i > last_index_) return Status(StatusCode::kOutOfRange, "unavailable");
    if (i == log_start_.index) return log_start_.term;
    return term_in_runs(i);
}

Result<raft::Snapshot> Wal::snapshot() const {
    if (snapshot_metadata_.index == 0) return raft::Snapshot{};
    Result<std::string> data = read_snapshot_file(snapshot_metadata_);
    if (!data.is_ok()) return data.status();
    return raft::Snapshot{snapshot_metadata_, std::move(data.value())};
}

void Wal::append_in_memory(std::vector<raft::Entry> entries) {
    if (entries.empty()) return;
    const Index first = entries.front().index;
    while (!term_runs_.empty() && term_runs_.back().first >= first) term_runs_.pop_back();
    while (!cache_.empty() && cache_.back().index >= first) {
        cache_bytes_ -= cache_.back().data.size();
        cache_.pop_back();
    }
    const Index new_last = entries.back().index;
    for (raft::Entry& entry : entries) {
        if (term_runs_.empty() || term_runs_.back().term != entry.term) {
            term_runs_.push_back(TermRun{entry.index, entry.term});
        }
        cache_push(std::move(entry));
    }
    last_index_ = new_last;
}

void Wal::cache_push(raft::Entry entry) {
    cache_bytes_ += entry.data.size();
    cache_.push_back(std::move(entry));
    while (!cache_.empty() && (cache_.size() > options_.cache_entries_max ||
                               cache_bytes_ > options_.cache_bytes_max)) {
        cache_bytes_ -= cache_.front().data.size();
        cache_.pop_front();
    }
}

void Wal::release_in_memory(Index index) {
    CONSENSUS_ASSERT(index > log_start_.index && index <= last_index_);
    log_start_ = LogStart{index, term_in_runs(index)};
    if (index == last_index_) {
        term_runs_.clear();
    } else {
        // The run holding index + 1 becomes the first run and starts there.
        auto holder =
            std::upper_bound(term_runs_.begin(), term_runs_.end(), index + 1,
                             [](Index value, const TermRun& run) { return value < run.first; }) -
            1;
        term_runs_.erase(term_runs_.begin(), holder);
        term_runs_.front().first = index + 1;
    }
    while (!cache_.empty() && cache_.front().index <= index) {
        cache_bytes_ -= cache_.front().data.size();
        cache_.pop_front();
    }
}

Term Wal::term_in_runs(Index index) const {
    CONSENSUS_ASSERT(index > log_start_.index && index <= last_index_);
    auto after =
        std::upper_bound(term_runs_.begin(), term_runs_.end(), index,
                         [](Index value, const TermRun& run) { return value < run.first; });
    CONSENSUS_ASSERT(after != term_runs_.begin());
    return (after - 1)->term;
}

Status Wal::corruption(const std::string& what) const {
    return Status(StatusCode::kCorruption, "WAL in data dir " + data_dir_ + ": " + what);
}

Status Wal::io_error(const std::string& what) const {
    return Status(StatusCode::kIOError, "WAL in data dir " + data_dir_ + ": " + what);
}

Status Wal::fail(Status status) {
    failure_ = Status(status.code(),
                      status.message() + " (the WAL refuses further writes; restart the member)");
    LOG_ERROR(kComponent, "%s", status.message().c_str());
    return status;
}

}  // namespace consensus::wal
