#pragma once
/// Helpers shared by the v3 kv tests: request builders and a harness that applies kV3
/// commands through the real command codec (encoded and decoded first, as a follower
/// would receive them), plus a recorder for v3 watch callbacks.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "consensus/v3.h"
#include "kv/command.h"
#include "kv/store.h"
#include "kv_test_support.h"

namespace consensus::kv::test {

namespace v3 = service::v3;

inline v3::RequestOp put_op(std::string key, std::string value, std::int64_t lease = 0) {
    v3::RequestOp op;
    op.kind = v3::RequestOp::Kind::kPut;
    op.put.key = std::move(key);
    op.put.value = std::move(value);
    op.put.lease = lease;
    return op;
}

inline v3::RequestOp range_op(std::string key, std::string range_end = {}) {
    v3::RequestOp op;
    op.kind = v3::RequestOp::Kind::kRange;
    op.range.key = std::move(key);
    op.range.range_end = std::move(range_end);
    return op;
}

inline v3::RequestOp delete_op(std::string key, std::string range_end = {}, bool prev_kv = false) {
    v3::RequestOp op;
    op.kind = v3::RequestOp::Kind::kDeleteRange;
    op.delete_range.key = std::move(key);
    op.delete_range.range_end = std::move(range_end);
    op.delete_range.prev_kv = prev_kv;
    return op;
}

inline v3::RequestOp txn_op(v3::TxnRequest txn) {
    v3::RequestOp op;
    op.kind = v3::RequestOp::Kind::kTxn;
    op.txn.push_back(std::move(txn));
    return op;
}

inline v3::Compare compare_number(std::string key, v3::Compare::Target target,
                                  v3::Compare::Result result, std::int64_t number) {
    v3::Compare compare;
    compare.key = std::move(key);
    compare.target = target;
    compare.result = result;
    compare.target_number = number;
    return compare;
}

inline v3::Compare compare_value(std::string key, v3::Compare::Result result, std::string value) {
    v3::Compare compare;
    compare.key = std::move(key);
    compare.target = v3::Compare::Target::kValue;
    compare.result = result;
    compare.target_value = std::move(value);
    return compare;
}

/// Applies `command` through the codec.
inline V3ApplyResult apply_v3(Store& store, const Command& command) {
    Result<Command> decoded = decode_command(encode_command(command));
    REQUIRE(decoded.is_ok());
    return store.apply(decoded.value()).v3;
}

inline Command v3_command(Command::Kind kind, std::int64_t now = kNow) {
    Command command;
    command.kind = kind;
    command.request_id = 9;
    command.now_unix_nanos = now;
    return command;
}

inline V3ApplyResult v3_txn(Store& store, v3::TxnRequest txn,
                            v3::RequestOp::Kind op = v3::RequestOp::Kind::kTxn) {
    Command command = v3_command(Command::Kind::kV3Txn);
    command.v3_txn = std::move(txn);
    command.v3_op = op;
    return apply_v3(store, command);
}

/// A client's put: a txn of one unconditional put.
inline V3ApplyResult v3_put(Store& store, v3::PutRequest put) {
    v3::RequestOp op;
    op.kind = v3::RequestOp::Kind::kPut;
    op.put = std::move(put);
    v3::TxnRequest txn;
    txn.success.push_back(std::move(op));
    return v3_txn(store, std::move(txn), v3::RequestOp::Kind::kPut);
}

inline V3ApplyResult v3_put(Store& store, std::string key, std::string value,
                            std::int64_t lease = 0) {
    v3::PutRequest put;
    put.key = std::move(key);
    put.value = std::move(value);
    put.lease = lease;
    return v3_put(store, std::move(put));
}

/// A client's delete_range: a txn of one unconditional delete.
inline V3ApplyResult v3_delete(Store& store, std::string key, std::string range_end = {},
                               bool prev_kv = false) {
    v3::TxnRequest txn;
    txn.success.push_back(delete_op(std::move(key), std::move(range_end), prev_kv));
    return v3_txn(store, std::move(txn), v3::RequestOp::Kind::kDeleteRange);
}

inline V3ApplyResult v3_compact(Store& store, std::int64_t revision) {
    Command command = v3_command(Command::Kind::kV3Compact);
    command.v3_revision = revision;
    return apply_v3(store, command);
}

inline V3ApplyResult v3_grant(Store& store, std::int64_t id, std::int64_t ttl,
                              std::int64_t now = kNow) {
    Command command = v3_command(Command::Kind::kV3LeaseGrant, now);
    command.v3_lease_id = id;
    command.v3_lease_ttl = ttl;
    return apply_v3(store, command);
}

inline V3ApplyResult v3_revoke(Store& store, std::int64_t id) {
    Command command = v3_command(Command::Kind::kV3LeaseRevoke);
    command.v3_lease_id = id;
    return apply_v3(store, command);
}

inline V3ApplyResult v3_renew(Store& store, std::int64_t id, std::int64_t now) {
    Command command = v3_command(Command::Kind::kV3LeaseRenew, now);
    command.v3_lease_id = id;
    return apply_v3(store, command);
}

inline V3ApplyResult v3_expire(Store& store, std::int64_t now) {
    return apply_v3(store, v3_command(Command::Kind::kV3LeaseExpireSync, now));
}

inline v3::RangeRequest range_request(std::string key, std::string range_end = {}) {
    v3::RangeRequest request;
    request.key = std::move(key);
    request.range_end = std::move(range_end);
    return request;
}

/// A range that must succeed.
inline v3::RangeResponse v3_get(const Store& store, const v3::RangeRequest& request) {
    Result<v3::RangeResponse> response = store.v3_range(request);
    REQUIRE(response.is_ok());
    return response.value();
}

inline v3::RangeResponse v3_get(const Store& store, std::string key, std::string range_end = {}) {
    return v3_get(store, range_request(std::move(key), std::move(range_end)));
}

/// The keys of a range answer, in order.
inline std::vector<std::string> keys_of(const std::vector<v3::KeyValue>& kvs) {
    std::vector<std::string> keys;
    for (const v3::KeyValue& kv : kvs) keys.push_back(kv.key);
    return keys;
}

/// Records the calls of a v3 watch callback.
struct V3WatchLog {
    std::vector<std::vector<v3::Event>> batches;
    std::vector<std::int64_t> revisions;

    V3WatchCallback callback() {
        return [this](const std::vector<v3::Event>& events, std::int64_t revision) {
            batches.push_back(events);
            revisions.push_back(revision);
        };
    }
};

inline v3::WatchCreateRequest watch_request(std::string key, std::string range_end = {},
                                            std::int64_t start_revision = 0) {
    v3::WatchCreateRequest request;
    request.key = std::move(key);
    request.range_end = std::move(range_end);
    request.start_revision = start_revision;
    return request;
}

/// The "\0" range_end: every key from `key` on.
inline std::string all_from() {
    return std::string(1, '\0');
}

}  // namespace consensus::kv::test
