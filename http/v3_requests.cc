#include "http/v3_requests.h"

#include <utility>

#include "http/proto_json.h"

namespace consensus::http {
namespace {

// Enum names by number, as rpc.proto declares them.
const EnumType kSortOrder{"etcdserverpb.RangeRequest_SortOrder", {"NONE", "ASCEND", "DESCEND"}};
const EnumType kSortTarget{"etcdserverpb.RangeRequest_SortTarget",
                           {"KEY", "VERSION", "CREATE", "MOD", "VALUE"}};
const EnumType kCompareResult{"etcdserverpb.Compare_CompareResult",
                              {"EQUAL", "GREATER", "LESS", "NOT_EQUAL"}};
const EnumType kCompareTarget{"etcdserverpb.Compare_CompareTarget",
                              {"VERSION", "CREATE", "MOD", "VALUE", "LEASE"}};
const EnumType kFilterType{"etcdserverpb.WatchCreateRequest_FilterType", {"NOPUT", "NODELETE"}};
const EnumType kAlarmAction{"etcdserverpb.AlarmRequest_AlarmAction",
                            {"GET", "ACTIVATE", "DEACTIVATE"}};
const EnumType kAlarmType{"etcdserverpb.AlarmType", {"NONE", "NOSPACE", "CORRUPT"}};

Status invalid(std::string message) {
    return Status(StatusCode::kInvalidArgument, std::move(message));
}

void read_range_fields(MessageReader& reader, v3::RangeRequest* request) {
    reader.read_bytes("key", &request->key);
    reader.read_bytes("range_end", &request->range_end);
    reader.read_int64("limit", &request->limit);
    reader.read_int64("revision", &request->revision);
    int sort_order = 0;
    int sort_target = 0;
    reader.read_enum("sort_order", kSortOrder, &sort_order);
    reader.read_enum("sort_target", kSortTarget, &sort_target);
    // etcd sorts only for the orders it knows; an unknown number sorts like NONE
    // [etcd: server/etcdserver/apply.go Range], and an unknown target like KEY.
    if (sort_order >= 0 && sort_order <= 2) {
        request->sort_order = static_cast<v3::SortOrder>(sort_order);
    }
    if (sort_target >= 0 && sort_target <= 4) {
        request->sort_target = static_cast<v3::SortTarget>(sort_target);
    }
    reader.read_bool("serializable", &request->serializable);
    reader.read_bool("keys_only", &request->keys_only);
    reader.read_bool("count_only", &request->count_only);
    reader.read_int64("min_mod_revision", &request->min_mod_revision);
    reader.read_int64("max_mod_revision", &request->max_mod_revision);
    reader.read_int64("min_create_revision", &request->min_create_revision);
    reader.read_int64("max_create_revision", &request->max_create_revision);
}

void read_put_fields(MessageReader& reader, v3::PutRequest* request) {
    reader.read_bytes("key", &request->key);
    reader.read_bytes("value", &request->value);
    reader.read_int64("lease", &request->lease);
    reader.read_bool("prev_kv", &request->prev_kv);
    reader.read_bool("ignore_value", &request->ignore_value);
    reader.read_bool("ignore_lease", &request->ignore_lease);
}

void read_delete_range_fields(MessageReader& reader, v3::DeleteRangeRequest* request) {
    reader.read_bytes("key", &request->key);
    reader.read_bytes("range_end", &request->range_end);
    reader.read_bool("prev_kv", &request->prev_kv);
}

/// etcdserverpb.Compare. The target_union oneof holds whichever of version,
/// create_revision, mod_revision, value or lease the body named; etcd reads the member
/// matching `target` with a Get accessor, which yields zero for any other member
/// [etcd: server/mvcc txn compare via pb.Compare.GetVersion() etc.].
Status read_compare(const nlohmann::json& value, v3::Compare* compare) {
    MessageReader reader(value);
    int result = 0;
    int target = 0;
    reader.read_enum("result", kCompareResult, &result);
    reader.read_enum("target", kCompareTarget, &target);
    reader.read_bytes("key", &compare->key);
    reader.read_bytes("range_end", &compare->range_end);
    std::int64_t numbers[5] = {0, 0, 0, 0, 0};
    static const char* const kNumberMembers[] = {"version", "create_revision", "mod_revision",
                                                 nullptr, "lease"};
    for (int member = 0; member < 5; ++member) {
        if (kNumberMembers[member] != nullptr) {
            reader.read_int64(kNumberMembers[member], &numbers[member]);
        }
    }
    std::string value_member;
    reader.read_bytes("value", &value_member);
    if (target >= 0 && target <= 4) compare->target_number = numbers[target];
    if (target == 3) compare->target_value = std::move(value_member);
    if (!reader.is_ok()) return reader.status();
    if (result < 0 || result > 3) {
        return invalid("unsupported compare result " + std::to_string(result));
    }
    if (target < 0 || target > 4) {
        return invalid("unsupported compare target " + std::to_string(target));
    }
    compare->result = static_cast<v3::Compare::Result>(result);
    compare->target = static_cast<v3::Compare::Target>(target);
    return Status::ok();
}

Status read_txn(const nlohmann::json& value, v3::TxnRequest* txn, bool* has_empty_op, int depth);

/// etcdserverpb.RequestOp: the first of request_range, request_put,
/// request_delete_range and request_txn that is present.
Status read_request_op(const nlohmann::json& value, v3::RequestOp* op, bool* has_empty_op,
                       int depth) {
    MessageReader reader(value);
    if (const nlohmann::json* range = reader.message("request_range")) {
        op->kind = v3::RequestOp::Kind::kRange;
        MessageReader inner(*range);
        read_range_fields(inner, &op->range);
        return inner.status();
    }
    if (const nlohmann::json* put = reader.message("request_put")) {
        op->kind = v3::RequestOp::Kind::kPut;
        MessageReader inner(*put);
        read_put_fields(inner, &op->put);
        return inner.status();
    }
    if (const nlohmann::json* del = reader.message("request_delete_range")) {
        op->kind = v3::RequestOp::Kind::kDeleteRange;
        MessageReader inner(*del);
        read_delete_range_fields(inner, &op->delete_range);
        return inner.status();
    }
    if (const nlohmann::json* nested = reader.message("request_txn")) {
        op->kind = v3::RequestOp::Kind::kTxn;
        op->txn.emplace_back();
        return read_txn(*nested, &op->txn.back(), has_empty_op, depth + 1);
    }
    if (reader.is_ok()) *has_empty_op = true;
    return reader.status();
}

Status read_ops(MessageReader& reader, std::string_view name, std::vector<v3::RequestOp>* ops,
                bool* has_empty_op, int depth) {
    for (const nlohmann::json* element : reader.repeated(name)) {
        ops->emplace_back();
        Status status = read_request_op(*element, &ops->back(), has_empty_op, depth);
        if (!status.is_ok()) return status;
    }
    return reader.status();
}

/// Nesting deeper than this is refused before it can exhaust the stack; etcd's own
/// limit is the gRPC message size, far beyond any real use of nested txns.
constexpr int kTxnDepthMax = 64;

Status read_txn(const nlohmann::json& value, v3::TxnRequest* txn, bool* has_empty_op, int depth) {
    if (depth > kTxnDepthMax) return invalid("txn nested deeper than 64 levels");
    MessageReader reader(value);
    for (const nlohmann::json* element : reader.repeated("compare")) {
        txn->compare.emplace_back();
        Status status = read_compare(*element, &txn->compare.back());
        if (!status.is_ok()) return status;
    }
    if (!reader.is_ok()) return reader.status();
    Status status = read_ops(reader, "success", &txn->success, has_empty_op, depth);
    if (!status.is_ok()) return status;
    return read_ops(reader, "failure", &txn->failure, has_empty_op, depth);
}

template <typename T>
Result<T> finish(const MessageReader& reader, T request) {
    if (!reader.is_ok()) return reader.status();
    return request;
}

}  // namespace

Result<v3::RangeRequest> parse_range_request(const nlohmann::json& value) {
    MessageReader reader(value);
    v3::RangeRequest request;
    read_range_fields(reader, &request);
    return finish(reader, std::move(request));
}

Result<v3::PutRequest> parse_put_request(const nlohmann::json& value) {
    MessageReader reader(value);
    v3::PutRequest request;
    read_put_fields(reader, &request);
    return finish(reader, std::move(request));
}

Result<v3::DeleteRangeRequest> parse_delete_range_request(const nlohmann::json& value) {
    MessageReader reader(value);
    v3::DeleteRangeRequest request;
    read_delete_range_fields(reader, &request);
    return finish(reader, std::move(request));
}

Result<v3::CompactionRequest> parse_compaction_request(const nlohmann::json& value) {
    MessageReader reader(value);
    v3::CompactionRequest request;
    reader.read_int64("revision", &request.revision);
    reader.read_bool("physical", &request.physical);
    return finish(reader, std::move(request));
}

Result<ParsedTxn> parse_txn_request(const nlohmann::json& value) {
    ParsedTxn parsed;
    Status status = read_txn(value, &parsed.request, &parsed.has_empty_op, 0);
    if (!status.is_ok()) return status;
    return parsed;
}

Result<v3::LeaseGrantRequest> parse_lease_grant_request(const nlohmann::json& value) {
    MessageReader reader(value);
    v3::LeaseGrantRequest request;
    reader.read_int64("TTL", &request.ttl);
    reader.read_int64("ID", &request.id);
    return finish(reader, std::move(request));
}

Result<v3::LeaseRevokeRequest> parse_lease_revoke_request(const nlohmann::json& value) {
    MessageReader reader(value);
    v3::LeaseRevokeRequest request;
    reader.read_int64("ID", &request.id);
    return finish(reader, std::move(request));
}

Result<v3::LeaseTimeToLiveRequest> parse_lease_time_to_live_request(const nlohmann::json& value) {
    MessageReader reader(value);
    v3::LeaseTimeToLiveRequest request;
    reader.read_int64("ID", &request.id);
    reader.read_bool("keys", &request.keys);
    return finish(reader, std::move(request));
}

Result<v3::LeaseKeepAliveRequest> parse_lease_keep_alive_request(const nlohmann::json& value) {
    MessageReader reader(value);
    v3::LeaseKeepAliveRequest request;
    reader.read_int64("ID", &request.id);
    return finish(reader, std::move(request));
}

Result<WatchRequest> parse_watch_request(const nlohmann::json& value) {
    MessageReader reader(value);
    WatchRequest request;
    if (const nlohmann::json* create = reader.message("create_request")) {
        request.kind = WatchRequest::Kind::kCreate;
        MessageReader inner(*create);
        v3::WatchCreateRequest& out = request.create;
        inner.read_bytes("key", &out.key);
        inner.read_bytes("range_end", &out.range_end);
        inner.read_int64("start_revision", &out.start_revision);
        inner.read_bool("progress_notify", &out.progress_notify);
        std::vector<int> filters;
        inner.read_repeated_enum("filters", kFilterType, &filters);
        for (int filter : filters) {
            if (filter == 0) out.no_put = true;
            if (filter == 1) out.no_delete = true;
        }
        inner.read_bool("prev_kv", &out.prev_kv);
        inner.read_int64("watch_id", &out.watch_id);
        inner.read_bool("fragment", &out.fragment);
        if (!inner.is_ok()) return inner.status();
    } else if (const nlohmann::json* cancel = reader.message("cancel_request")) {
        request.kind = WatchRequest::Kind::kCancel;
        MessageReader inner(*cancel);
        inner.read_int64("watch_id", &request.cancel_watch_id);
        if (!inner.is_ok()) return inner.status();
    } else if (const nlohmann::json* progress = reader.message("progress_request")) {
        request.kind = WatchRequest::Kind::kProgress;
        MessageReader inner(*progress);
        if (!inner.is_ok()) return inner.status();
    }
    return finish(reader, std::move(request));
}

Result<AlarmRequest> parse_alarm_request(const nlohmann::json& value) {
    MessageReader reader(value);
    AlarmRequest request;
    reader.read_enum("action", kAlarmAction, &request.action);
    reader.read_uint64("memberID", &request.member_id);
    reader.read_enum("alarm", kAlarmType, &request.alarm);
    return finish(reader, std::move(request));
}

Status check_empty_request(const nlohmann::json& value) {
    MessageReader reader(value);
    return reader.status();
}

}  // namespace consensus::http
