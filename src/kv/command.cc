#include "kv/command.h"

#include <vector>

#include "kv/codec.h"

namespace consensus::kv {
namespace {

using detail::ByteReader;
using detail::ByteWriter;

bool carries_request(Command::Kind kind) {
    return kind == Command::Kind::kV2Write || kind == Command::Kind::kV2QuorumGet;
}

void encode_request(const service::V2Request& request, ByteWriter* writer) {
    writer->put_u8(static_cast<std::uint8_t>(request.method));
    writer->put_string(request.key);
    writer->put_bool(request.value.has_value());
    if (request.value) writer->put_string(*request.value);
    writer->put_bool(request.dir);
    writer->put_bool(request.prev_value.has_value());
    if (request.prev_value) writer->put_string(*request.prev_value);
    writer->put_u64(request.prev_index);
    writer->put_u8(!request.prev_exist ? 0 : (*request.prev_exist ? 2 : 1));
    writer->put_bool(request.ttl.has_value());
    if (request.ttl) writer->put_u64(*request.ttl);
    writer->put_bool(request.refresh);
    writer->put_bool(request.no_value_on_success);
    writer->put_bool(request.recursive);
    writer->put_bool(request.sorted);
    writer->put_bool(request.quorum);
    writer->put_bool(request.wait);
    writer->put_u64(request.wait_index);
    writer->put_bool(request.stream);
}

service::V2Request decode_request(ByteReader* reader) {
    service::V2Request request;
    const std::uint8_t method = reader->get_u8();
    if (method > static_cast<std::uint8_t>(service::V2Method::kDelete)) reader->fail();
    request.method = static_cast<service::V2Method>(method);
    request.key = reader->get_string();
    // Every tree walk starts at "/"; a key without it was never produced by http/.
    if (request.key.empty() || request.key.front() != '/') reader->fail();
    if (reader->get_bool()) request.value = reader->get_string();
    request.dir = reader->get_bool();
    if (reader->get_bool()) request.prev_value = reader->get_string();
    request.prev_index = reader->get_u64();
    const std::uint8_t prev_exist = reader->get_u8();
    if (prev_exist > 2) reader->fail();
    if (prev_exist != 0) request.prev_exist = (prev_exist == 2);
    if (reader->get_bool()) request.ttl = reader->get_u64();
    request.refresh = reader->get_bool();
    request.no_value_on_success = reader->get_bool();
    request.recursive = reader->get_bool();
    request.sorted = reader->get_bool();
    request.quorum = reader->get_bool();
    request.wait = reader->get_bool();
    request.wait_index = reader->get_u64();
    request.stream = reader->get_bool();
    return request;
}

// -- v3 requests -------------------------------------------------------------------

namespace v3 = service::v3;

/// The byte for an enum whose valid values are 0..last. Anything else becomes 0xFF,
/// which every decoder refuses, so a bad value can never turn into a different good one.
template <typename Enum>
std::uint8_t enum_byte(Enum value, Enum last) {
    const int number = static_cast<int>(value);
    if (number < 0 || number > static_cast<int>(last)) return 0xFF;
    return static_cast<std::uint8_t>(number);
}

/// Reads an enum byte; fails the reader when it is above `last`.
template <typename Enum>
Enum get_enum(ByteReader* reader, Enum last) {
    const std::uint8_t byte = reader->get_u8();
    if (byte > static_cast<int>(last)) {
        reader->fail();
        return Enum{};
    }
    return static_cast<Enum>(byte);
}

/// Reads a list count. A count above the bytes left cannot be honest (every element
/// takes at least one byte); refusing it here bounds allocation and looping for
/// hostile input.
std::uint32_t get_count(ByteReader* reader) {
    const std::uint32_t count = reader->get_u32();
    if (count > reader->remaining()) {
        reader->fail();
        return 0;
    }
    return count;
}

void encode_compare(const v3::Compare& compare, ByteWriter* writer) {
    writer->put_u8(enum_byte(compare.result, v3::Compare::Result::kNotEqual));
    writer->put_u8(enum_byte(compare.target, v3::Compare::Target::kLease));
    writer->put_string(compare.key);
    writer->put_string(compare.range_end);
    writer->put_i64(compare.target_number);
    writer->put_string(compare.target_value);
}

v3::Compare decode_compare(ByteReader* reader) {
    v3::Compare compare;
    compare.result = get_enum(reader, v3::Compare::Result::kNotEqual);
    compare.target = get_enum(reader, v3::Compare::Target::kLease);
    compare.key = reader->get_string();
    compare.range_end = reader->get_string();
    compare.target_number = reader->get_i64();
    compare.target_value = reader->get_string();
    return compare;
}

void encode_range(const v3::RangeRequest& range, ByteWriter* writer) {
    writer->put_string(range.key);
    writer->put_string(range.range_end);
    writer->put_i64(range.limit);
    writer->put_i64(range.revision);
    writer->put_u8(enum_byte(range.sort_order, v3::SortOrder::kDescend));
    writer->put_u8(enum_byte(range.sort_target, v3::SortTarget::kValue));
    writer->put_bool(range.serializable);
    writer->put_bool(range.keys_only);
    writer->put_bool(range.count_only);
    writer->put_i64(range.min_mod_revision);
    writer->put_i64(range.max_mod_revision);
    writer->put_i64(range.min_create_revision);
    writer->put_i64(range.max_create_revision);
}

v3::RangeRequest decode_range(ByteReader* reader) {
    v3::RangeRequest range;
    range.key = reader->get_string();
    range.range_end = reader->get_string();
    range.limit = reader->get_i64();
    range.revision = reader->get_i64();
    range.sort_order = get_enum(reader, v3::SortOrder::kDescend);
    range.sort_target = get_enum(reader, v3::SortTarget::kValue);
    range.serializable = reader->get_bool();
    range.keys_only = reader->get_bool();
    range.count_only = reader->get_bool();
    range.min_mod_revision = reader->get_i64();
    range.max_mod_revision = reader->get_i64();
    range.min_create_revision = reader->get_i64();
    range.max_create_revision = reader->get_i64();
    return range;
}

void encode_put(const v3::PutRequest& put, ByteWriter* writer) {
    writer->put_string(put.key);
    writer->put_string(put.value);
    writer->put_i64(put.lease);
    writer->put_bool(put.prev_kv);
    writer->put_bool(put.ignore_value);
    writer->put_bool(put.ignore_lease);
}

v3::PutRequest decode_put(ByteReader* reader) {
    v3::PutRequest put;
    put.key = reader->get_string();
    put.value = reader->get_string();
    put.lease = reader->get_i64();
    put.prev_kv = reader->get_bool();
    put.ignore_value = reader->get_bool();
    put.ignore_lease = reader->get_bool();
    return put;
}

void encode_delete_range(const v3::DeleteRangeRequest& request, ByteWriter* writer) {
    writer->put_string(request.key);
    writer->put_string(request.range_end);
    writer->put_bool(request.prev_kv);
}

v3::DeleteRangeRequest decode_delete_range(ByteReader* reader) {
    v3::DeleteRangeRequest request;
    request.key = reader->get_string();
    request.range_end = reader->get_string();
    request.prev_kv = reader->get_bool();
    return request;
}

void encode_txn(const v3::TxnRequest& txn, ByteWriter* writer);
v3::TxnRequest decode_txn(ByteReader* reader, int nesting);

void encode_op(const v3::RequestOp& op, ByteWriter* writer) {
    writer->put_u8(enum_byte(op.kind, v3::RequestOp::Kind::kTxn));
    switch (op.kind) {
        case v3::RequestOp::Kind::kRange:
            return encode_range(op.range, writer);
        case v3::RequestOp::Kind::kPut:
            return encode_put(op.put, writer);
        case v3::RequestOp::Kind::kDeleteRange:
            return encode_delete_range(op.delete_range, writer);
        case v3::RequestOp::Kind::kTxn:
            return encode_txn(op.txn.empty() ? v3::TxnRequest{} : op.txn.front(), writer);
    }
    // An out-of-range kind was written as 0xFF above; the decoder stops there.
}

v3::RequestOp decode_op(ByteReader* reader, int nesting) {
    v3::RequestOp op;
    op.kind = get_enum(reader, v3::RequestOp::Kind::kTxn);
    if (reader->failed()) return op;
    switch (op.kind) {
        case v3::RequestOp::Kind::kRange:
            op.range = decode_range(reader);
            break;
        case v3::RequestOp::Kind::kPut:
            op.put = decode_put(reader);
            break;
        case v3::RequestOp::Kind::kDeleteRange:
            op.delete_range = decode_delete_range(reader);
            break;
        case v3::RequestOp::Kind::kTxn:
            // The recursion is bounded here, before descending: a log entry of nothing
            // but nested-txn headers must not be able to exhaust the stack.
            if (nesting + 1 > kV3TxnNestingMax) {
                reader->fail();
                break;
            }
            op.txn.push_back(decode_txn(reader, nesting + 1));
            break;
    }
    return op;
}

void encode_ops(const std::vector<v3::RequestOp>& ops, ByteWriter* writer) {
    writer->put_u32(static_cast<std::uint32_t>(ops.size()));
    for (const v3::RequestOp& op : ops) encode_op(op, writer);
}

std::vector<v3::RequestOp> decode_ops(ByteReader* reader, int nesting) {
    std::vector<v3::RequestOp> ops;
    const std::uint32_t count = get_count(reader);
    for (std::uint32_t i = 0; i < count && !reader->failed(); ++i) {
        ops.push_back(decode_op(reader, nesting));
    }
    return ops;
}

void encode_txn(const v3::TxnRequest& txn, ByteWriter* writer) {
    writer->put_u32(static_cast<std::uint32_t>(txn.compare.size()));
    for (const v3::Compare& compare : txn.compare) encode_compare(compare, writer);
    encode_ops(txn.success, writer);
    encode_ops(txn.failure, writer);
}

/// `nesting` is how many txns enclose this one (0 for a command's own txn).
v3::TxnRequest decode_txn(ByteReader* reader, int nesting) {
    v3::TxnRequest txn;
    const std::uint32_t compare_count = get_count(reader);
    for (std::uint32_t i = 0; i < compare_count && !reader->failed(); ++i) {
        txn.compare.push_back(decode_compare(reader));
    }
    txn.success = decode_ops(reader, nesting);
    txn.failure = decode_ops(reader, nesting);
    return txn;
}

// -- the command ------------------------------------------------------------------

/// The kinds each format version knows. Version 1 predates the v3 keyspace.
bool is_known_kind(std::uint8_t version, std::uint8_t kind) {
    const auto last = version == 1 ? Command::Kind::kNoop : Command::Kind::kV3LeaseExpireSync;
    return kind >= static_cast<std::uint8_t>(Command::Kind::kV2Write) &&
           kind <= static_cast<std::uint8_t>(last);
}

void encode_v3_fields(const Command& command, ByteWriter* writer) {
    switch (command.kind) {
        case Command::Kind::kV3Txn:
            writer->put_u8(enum_byte(command.v3_op, v3::RequestOp::Kind::kTxn));
            encode_txn(command.v3_txn, writer);
            break;
        case Command::Kind::kV3Compact:
            writer->put_i64(command.v3_revision);
            break;
        case Command::Kind::kV3LeaseGrant:
            writer->put_i64(command.v3_lease_id);
            writer->put_i64(command.v3_lease_ttl);
            break;
        case Command::Kind::kV3LeaseRevoke:
        case Command::Kind::kV3LeaseRenew:
            writer->put_i64(command.v3_lease_id);
            break;
        default:
            break;
    }
}

void decode_v3_fields(ByteReader* reader, Command* command) {
    switch (command->kind) {
        case Command::Kind::kV3Txn:
            command->v3_op = get_enum(reader, v3::RequestOp::Kind::kTxn);
            command->v3_txn = decode_txn(reader, 0);
            break;
        case Command::Kind::kV3Compact:
            command->v3_revision = reader->get_i64();
            break;
        case Command::Kind::kV3LeaseGrant:
            command->v3_lease_id = reader->get_i64();
            command->v3_lease_ttl = reader->get_i64();
            break;
        case Command::Kind::kV3LeaseRevoke:
        case Command::Kind::kV3LeaseRenew:
            command->v3_lease_id = reader->get_i64();
            break;
        default:
            break;
    }
}

}  // namespace

std::string encode_command(const Command& command) {
    ByteWriter writer;
    writer.put_u8(kCommandFormatVersion);
    writer.put_u8(static_cast<std::uint8_t>(command.kind));
    writer.put_u64(command.request_id);
    writer.put_i64(command.now_unix_nanos);
    if (carries_request(command.kind)) encode_request(command.request, &writer);
    encode_v3_fields(command, &writer);
    return writer.take();
}

Result<Command> decode_command(std::string_view bytes) {
    ByteReader reader(bytes);
    const std::uint8_t version = reader.get_u8();
    // Version 1 entries stay in logs and snapshots' tails forever; they decode exactly
    // as before, since version 2 changed nothing for their kinds.
    if (reader.failed() || (version != 1 && version != kCommandFormatVersion)) {
        return Status(StatusCode::kCorruption, "command: unknown format version");
    }
    Command command;
    const std::uint8_t kind = reader.get_u8();
    if (!is_known_kind(version, kind)) {
        return Status(StatusCode::kCorruption, "command: unknown kind");
    }
    command.kind = static_cast<Command::Kind>(kind);
    command.request_id = reader.get_u64();
    command.now_unix_nanos = reader.get_i64();
    if (carries_request(command.kind)) command.request = decode_request(&reader);
    decode_v3_fields(&reader, &command);
    if (!reader.finished_cleanly()) {
        return Status(StatusCode::kCorruption, "command: truncated, malformed or trailing bytes");
    }
    return command;
}

}  // namespace consensus::kv
