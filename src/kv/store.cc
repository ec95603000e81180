#include "kv/store.h"

#include <cstdint>
#include <utility>

#include "consensus/assert.h"
#include "kv/snapshot.h"

namespace consensus::kv {

std::optional<std::int64_t> expiration_for(std::optional<std::uint64_t> ttl_seconds,
                                           std::int64_t now_unix_nanos) {
    constexpr std::int64_t kNanosPerSecond = 1'000'000'000;
    if (!ttl_seconds || *ttl_seconds == 0) return std::nullopt;
    // http/ bounds ttl, but a command is input like any other: overflow saturates
    // instead of wrapping into the past.
    if (*ttl_seconds > static_cast<std::uint64_t>(INT64_MAX / kNanosPerSecond)) {
        return INT64_MAX;
    }
    const std::int64_t ttl_nanos = static_cast<std::int64_t>(*ttl_seconds) * kNanosPerSecond;
    std::int64_t expire = 0;
    if (__builtin_add_overflow(now_unix_nanos, ttl_nanos, &expire)) return INT64_MAX;
    return expire;
}

ApplyResult Store::apply(const Command& command) {
    return apply_command(command, command.request.value.value_or(std::string()));
}

ApplyResult Store::apply(Command&& command) {
    // A value is often hundreds of bytes; the decoded command is thrown away after
    // apply, so the store can take the value's buffer.
    std::string value = std::move(command.request.value).value_or(std::string());
    return apply_command(command, std::move(value));
}

ApplyResult Store::apply_command(const Command& command, std::string v2_value) {
    // Stream watches that started in the past get their backlog before this command's
    // events, whatever the command is.
    v2_.catch_up_stream_watchers();
    V2Outcome outcome;
    switch (command.kind) {
        case Command::Kind::kV2Write:
            outcome = apply_write(command.request, std::move(v2_value), command.now_unix_nanos);
            break;
        case Command::Kind::kV2QuorumGet:
            outcome = v2_.get(command.request.key, command.request.recursive,
                              command.request.sorted, command.now_unix_nanos);
            v2_.count_get(!outcome.error.has_value());
            break;
        case Command::Kind::kV2ExpireSync:
            v2_.delete_expired_keys(command.now_unix_nanos);
            break;
        case Command::Kind::kNoop:
            break;
        case Command::Kind::kV3Txn:
        case Command::Kind::kV3Compact:
        case Command::Kind::kV3LeaseGrant:
        case Command::Kind::kV3LeaseRevoke:
        case Command::Kind::kV3LeaseRenew:
        case Command::Kind::kV3LeaseExpireSync: {
            ApplyResult result;
            result.etcd_index = v2_.current_index();
            result.v3 = apply_v3(command);
            return result;
        }
    }
    return ApplyResult{std::move(outcome.error), std::move(outcome.event), v2_.current_index(),
                       V3ApplyResult{}};
}

V3ApplyResult Store::apply_v3(const Command& command) {
    switch (command.kind) {
        case Command::Kind::kV3Txn:
            return v3_.apply_txn(command.v3_txn, command.v3_op);
        case Command::Kind::kV3Compact:
            return v3_.compact(command.v3_revision);
        case Command::Kind::kV3LeaseGrant:
            return v3_.grant_lease(command.v3_lease_id, command.v3_lease_ttl,
                                   command.now_unix_nanos);
        case Command::Kind::kV3LeaseRevoke:
            return v3_.revoke_lease(command.v3_lease_id);
        case Command::Kind::kV3LeaseRenew:
            return v3_.renew_lease(command.v3_lease_id, command.now_unix_nanos);
        case Command::Kind::kV3LeaseExpireSync:
            return v3_.expire_leases(command.now_unix_nanos);
        default:
            CONSENSUS_UNREACHABLE();
    }
}

V2Outcome Store::apply_write(const service::V2Request& request, std::string value,
                             std::int64_t now_unix_nanos) {
    using service::V2Method;
    const V2TtlOptions ttl{expiration_for(request.ttl, now_unix_nanos), request.refresh};
    const std::string prev_value = request.prev_value.value_or(std::string());
    // [etcd: server/etcdserver/apply_v2.go] an empty prevValue and prevIndex 0 are
    // "no condition".
    const bool has_condition = request.prev_index > 0 || !prev_value.empty();
    switch (request.method) {
        case V2Method::kPut:
            if (request.prev_exist) {
                if (!*request.prev_exist) {
                    return v2_.create(request.key, request.dir, std::move(value), false, ttl,
                                      now_unix_nanos);
                }
                if (!has_condition) {
                    return v2_.update(request.key, std::move(value), ttl, now_unix_nanos);
                }
            }
            if (has_condition) {
                return v2_.compare_and_swap(request.key, prev_value, request.prev_index,
                                            std::move(value), ttl, now_unix_nanos);
            }
            return v2_.set(request.key, request.dir, std::move(value), ttl, now_unix_nanos);
        case V2Method::kPost:
            return v2_.create(request.key, request.dir, std::move(value), true, ttl,
                              now_unix_nanos);
        case V2Method::kDelete:
            if (has_condition) {
                return v2_.compare_and_delete(request.key, prev_value, request.prev_index,
                                              now_unix_nanos);
            }
            return v2_.remove(request.key, request.dir, request.recursive, now_unix_nanos);
        case V2Method::kGet: {
            V2Outcome outcome =
                v2_.get(request.key, request.recursive, request.sorted, now_unix_nanos);
            v2_.count_get(!outcome.error.has_value());
            return outcome;
        }
    }
    return V2Outcome{};
}

service::V2Result Store::get(const service::V2Request& request, std::int64_t now_unix_nanos) {
    V2Outcome outcome = v2_.get(request.key, request.recursive, request.sorted, now_unix_nanos);
    service::V2Result result;
    result.error = std::move(outcome.error);
    result.event = std::move(outcome.event);
    result.headers.etcd_index = v2_.current_index();
    return result;
}

Store::WatchStart Store::watch(const service::V2Request& request, service::V2WatchSink sink) {
    V2WatchOutcome outcome = v2_.watch(request.key, request.recursive, request.stream,
                                       request.wait_index, std::move(sink));
    return WatchStart{std::move(outcome.error), outcome.watch_id, outcome.etcd_index,
                      std::move(outcome.immediate)};
}

void Store::cancel_watch(std::uint64_t watch_id) {
    v2_.cancel_watch(watch_id);
}

void Store::close_all_watches() {
    v2_.close_all_watches();
}

std::optional<std::int64_t> Store::next_expiration_unix_nanos() const {
    return v2_.next_expiration_unix_nanos();
}

bool Store::has_expired(std::int64_t now_unix_nanos) const {
    const std::optional<std::int64_t> next = v2_.next_expiration_unix_nanos();
    return next.has_value() && *next <= now_unix_nanos;
}

Result<service::v3::RangeResponse> Store::v3_range(const service::v3::RangeRequest& request) const {
    return v3_.range(request);
}

std::int64_t Store::v3_revision() const {
    return v3_.state().keyspace.revision();
}

std::int64_t Store::v3_compact_revision() const {
    return v3_.state().keyspace.compact_revision();
}

service::v3::LeaseTimeToLiveResponse Store::v3_lease_time_to_live(
    const service::v3::LeaseTimeToLiveRequest& request, std::int64_t now_unix_nanos) const {
    return v3_.lease_time_to_live(request, now_unix_nanos);
}

service::v3::LeaseLeasesResponse Store::v3_leases() const {
    return v3_.leases();
}

bool Store::v3_lease_exists(std::int64_t lease_id) const {
    return v3_.state().leases.exists(lease_id);
}

std::optional<std::int64_t> Store::v3_next_lease_expiry_unix_nanos() const {
    return v3_.state().leases.next_expiry_unix_nanos();
}

bool Store::v3_has_expired_lease(std::int64_t now_unix_nanos) const {
    const std::optional<std::int64_t> next = v3_.state().leases.next_expiry_unix_nanos();
    return next.has_value() && *next <= now_unix_nanos;
}

V3WatchStart Store::v3_watch(const service::v3::WatchCreateRequest& request,
                             V3WatchCallback on_events) {
    V3WatchRegistration registration = v3_.watch(request, std::move(on_events));
    V3WatchStart start;
    start.status = std::move(registration.status);
    start.watch_id = registration.watch_id;
    start.compact_revision = registration.compact_revision;
    start.backlog = std::move(registration.backlog);
    start.revision = v3_revision();
    return start;
}

void Store::v3_cancel_watch(std::uint64_t watch_id) {
    v3_.cancel_watch(watch_id);
}

std::int64_t Store::v3_size_bytes() const {
    return v3_.state().keyspace.size_bytes();
}

std::uint64_t Store::v3_history_log_bytes() const {
    return v3_.state().keyspace.history_log_bytes();
}

Revision Store::current_index() const {
    return v2_.current_index();
}

service::StoreStats Store::stats() const {
    return v2_.stats();
}

void Store::count_get(bool success) {
    v2_.count_get(success);
}

void Store::append_snapshot(std::string* out) const {
    kv::append_snapshot(v2_.state(), v3_.state(), out);
}

std::string Store::save_snapshot() const {
    return encode_snapshot(v2_.state(), v3_.state());
}

Status Store::keep_v3_history_in(const std::string& dir, std::size_t flush_bytes) {
    Result<V3HistoryLog> log = V3HistoryLog::open(dir, flush_bytes);
    if (!log.is_ok()) return log.status();
    v3_.use_history_log(std::move(log.value()));
    return Status::ok();
}

Status Store::restore_snapshot(std::string_view bytes) {
    Result<V3HistoryLog> log = v3_.open_another_history_log();
    if (!log.is_ok()) return log.status();
    Result<SnapshotState> state = decode_snapshot(bytes, std::move(log.value()));
    if (!state.is_ok()) return state.status();
    v2_.replace_state(std::move(state.value().v2));
    v3_.replace_state(std::move(state.value().v3));
    return Status::ok();
}

Status Store::check_invariants() const {
    const Status v2 = v2_.check_invariants();
    if (!v2.is_ok()) return v2;
    return v3_.state().check_invariants();
}

}  // namespace consensus::kv
