#include "kv/command.h"

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

}  // namespace

std::string encode_command(const Command& command) {
    ByteWriter writer;
    writer.put_u8(kCommandFormatVersion);
    writer.put_u8(static_cast<std::uint8_t>(command.kind));
    writer.put_u64(command.request_id);
    writer.put_i64(command.now_unix_nanos);
    if (carries_request(command.kind)) encode_request(command.request, &writer);
    return writer.take();
}

Result<Command> decode_command(std::string_view bytes) {
    ByteReader reader(bytes);
    const std::uint8_t version = reader.get_u8();
    if (reader.failed() || version != kCommandFormatVersion) {
        return Status(StatusCode::kCorruption, "command: unknown format version");
    }
    Command command;
    const std::uint8_t kind = reader.get_u8();
    if (kind < static_cast<std::uint8_t>(Command::Kind::kV2Write) ||
        kind > static_cast<std::uint8_t>(Command::Kind::kNoop)) {
        return Status(StatusCode::kCorruption, "command: unknown kind");
    }
    command.kind = static_cast<Command::Kind>(kind);
    command.request_id = reader.get_u64();
    command.now_unix_nanos = reader.get_i64();
    if (carries_request(command.kind)) command.request = decode_request(&reader);
    if (!reader.finished_cleanly()) {
        return Status(StatusCode::kCorruption, "command: truncated, malformed or trailing bytes");
    }
    return command;
}

}  // namespace consensus::kv
