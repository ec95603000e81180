#include "http/v3_watch_handler.h"

#include <map>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "http/proto_json.h"
#include "http/v3_requests.h"
#include "http/v3_responses.h"
#include "http/v3_stream.h"

namespace consensus::http {
namespace {

namespace v3 = service::v3;

/// etcd's texts for a watch that could not be created [etcd: server/mvcc/watcher.go].
constexpr const char* kEmptyRangeReason = "watcher range is empty";
constexpr const char* kDuplicateIdReason = "duplicate watch ID provided on the WatchStream";

/// One watch of the stream. `service_id` is unset once the Service no longer has
/// it (compacted start, or closed by the Service); the id stays taken until the
/// client cancels it, as in etcd's watchStream.
struct StreamWatch {
    std::optional<std::uint64_t> service_id;
    bool no_put = false;
    bool no_delete = false;
    bool prev_kv = false;
};

/// Everything one /v3/watch request shares between its requests and sink callbacks.
struct WatchStream {
    WatchStream(service::Service& target, ExchangePtr exchange)
        : service(target), writer(std::move(exchange)) {}

    service::Service& service;
    V3StreamWriter writer;
    std::map<std::int64_t, StreamWatch> watches;
    std::int64_t next_id = 0;  ///< etcd's watchStream.nextID
};

/// The events a watch shows: its filters applied, prev_kv dropped unless asked for
/// [etcd: server/mvcc/watcher.go send; v3rpc/watch.go sendLoop].
std::vector<v3::Event> visible_events(const StreamWatch& watch,
                                      const std::vector<v3::Event>& events) {
    std::vector<v3::Event> out;
    for (const auto& event : events) {
        if (watch.no_put && event.type == v3::Event::Type::kPut) continue;
        if (watch.no_delete && event.type == v3::Event::Type::kDelete) continue;
        out.push_back(event);
        if (!watch.prev_kv) out.back().prev_kv.reset();
    }
    return out;
}

void send_events(WatchStream& stream, std::int64_t id, const std::vector<v3::Event>& events,
                 const v3::ResponseHeader& header) {
    auto found = stream.watches.find(id);
    if (found == stream.watches.end() || !found->second.service_id) return;
    WatchMessage message;
    message.header = header;
    message.watch_id = id;
    message.events = visible_events(found->second, events);
    if (message.events.empty()) return;
    stream.writer.send_result(watch_response_json(message));
}

void send_refused(WatchStream& stream, const char* reason) {
    WatchMessage message;
    message.header = stream.service.v3_header();
    message.watch_id = -1;
    message.created = true;
    message.canceled = true;
    message.cancel_reason = reason;
    stream.writer.send_result(watch_response_json(message));
}

/// The id etcd's watchStream.Watch would give, or nullopt for a duplicate.
std::optional<std::int64_t> take_id(WatchStream& stream, std::int64_t requested) {
    if (requested != 0) {
        if (stream.watches.count(requested) != 0) return std::nullopt;
        return requested;
    }
    while (stream.watches.count(stream.next_id) != 0) ++stream.next_id;
    return stream.next_id++;
}

service::V3WatchSink make_sink(const std::shared_ptr<WatchStream>& stream, std::int64_t id) {
    std::weak_ptr<WatchStream> weak = stream;
    service::V3WatchSink sink;
    sink.on_events = [weak, id](const std::vector<v3::Event>& events,
                                const v3::ResponseHeader& header) {
        if (auto self = weak.lock()) send_events(*self, id, events, header);
    };
    sink.on_closed = [weak, id]() {
        if (auto self = weak.lock()) {
            auto found = self->watches.find(id);
            if (found != self->watches.end()) found->second.service_id.reset();
        }
    };
    return sink;
}

void create_watch(const std::shared_ptr<WatchStream>& stream, v3::WatchCreateRequest request) {
    // [etcd: v3rpc/watch.go recvLoop] an empty key is the smallest key, "\0".
    if (request.key.empty()) request.key = std::string(1, '\0');
    bool from_key = request.range_end == std::string(1, '\0');
    if (!request.range_end.empty() && !from_key && request.key >= request.range_end) {
        return send_refused(*stream, kEmptyRangeReason);
    }
    std::optional<std::int64_t> id = take_id(*stream, request.watch_id);
    if (!id) return send_refused(*stream, kDuplicateIdReason);
    StreamWatch watch;
    watch.no_put = request.no_put;
    watch.no_delete = request.no_delete;
    watch.prev_kv = request.prev_kv;
    service::V3WatchStart start = stream->service.v3_watch(request, make_sink(stream, *id));
    if (!start.status.is_ok()) {
        // The id was never used: give it back before the next auto-numbered watch.
        if (request.watch_id == 0) stream->next_id = *id;
        return send_refused(*stream, start.status.message().c_str());
    }
    if (!start.compact_revision) watch.service_id = start.watch_id;
    stream->watches[*id] = watch;

    WatchMessage created;
    created.header = start.header;
    created.watch_id = *id;
    created.created = true;
    stream->writer.send_result(watch_response_json(created));
    if (start.compact_revision) {
        // [etcd: v3rpc/watch.go sendLoop] the compaction notice carries a header
        // built for revision 0, so it shows no revision.
        WatchMessage canceled;
        canceled.header = start.header;
        canceled.header.revision = 0;
        canceled.watch_id = *id;
        canceled.canceled = true;
        canceled.compact_revision = *start.compact_revision;
        stream->writer.send_result(watch_response_json(canceled));
        return;
    }
    if (!start.backlog.empty()) send_events(*stream, *id, start.backlog, start.header);
}

void cancel_watch(WatchStream& stream, std::int64_t id) {
    auto found = stream.watches.find(id);
    if (found == stream.watches.end()) return;  // etcd answers nothing
    if (found->second.service_id) stream.service.v3_cancel_watch(*found->second.service_id);
    stream.watches.erase(found);
    WatchMessage message;
    message.header = stream.service.v3_header();
    message.watch_id = id;
    message.canceled = true;
    stream.writer.send_result(watch_response_json(message));
}

void send_progress(WatchStream& stream) {
    WatchMessage message;
    message.header = stream.service.v3_header();
    message.watch_id = -1;  // not tied to one watch [etcd: v3rpc/watch.go recvLoop]
    stream.writer.send_result(watch_response_json(message));
}

void cancel_all(WatchStream& stream) {
    for (auto& [id, watch] : stream.watches) {
        if (watch.service_id) stream.service.v3_cancel_watch(*watch.service_id);
        watch.service_id.reset();
    }
}

}  // namespace

void serve_v3_watch(service::Service& service, const Request& request,
                    const ExchangePtr& exchange) {
    std::vector<WatchRequest> requests;
    JsonValueStream values(request.body);
    while (true) {
        Result<std::optional<nlohmann::json>> value = values.next();
        if (value.is_ok() && !value.value().has_value()) break;  // the end of the body
        Result<WatchRequest> parsed = value.is_ok() ? parse_watch_request(*value.value())
                                                    : Result<WatchRequest>(value.status());
        if (!parsed.is_ok()) {
            // etcd's gateway fails the call only on the first request; after that its
            // sending goroutine just stops reading the body.
            if (requests.empty()) return reply_stream_decode_error(exchange, parsed.status());
            break;
        }
        requests.push_back(std::move(parsed.value()));
    }
    auto stream = std::make_shared<WatchStream>(service, exchange);
    // The session keeps the abort callback, and with it the stream's state, for as
    // long as the client stays.
    exchange->on_abort([stream]() { cancel_all(*stream); });
    for (auto& watch_request : requests) {
        if (!stream->writer.is_open()) break;
        switch (watch_request.kind) {
            case WatchRequest::Kind::kCreate:
                create_watch(stream, std::move(watch_request.create));
                break;
            case WatchRequest::Kind::kCancel:
                cancel_watch(*stream, watch_request.cancel_watch_id);
                break;
            case WatchRequest::Kind::kProgress:
                send_progress(*stream);
                break;
            case WatchRequest::Kind::kNone:
                break;  // etcd ignores a request naming nothing
        }
    }
}

}  // namespace consensus::http
