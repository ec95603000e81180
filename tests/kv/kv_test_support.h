#pragma once
/// Helpers shared by the kv tests: request builders, a fixed clock value, and a
/// harness that applies requests through the real command codec (every applied request
/// is encoded and decoded first, so the codec is exercised by every test).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "consensus/service.h"
#include "kv/command.h"
#include "kv/store.h"

namespace consensus::kv::test {

/// A realistic wall clock (2023-11-14T22:13:20Z): etcd ignores expirations before 2000.
inline constexpr std::int64_t kNow = 1'700'000'000'000'000'000;
inline constexpr std::int64_t kSecond = 1'000'000'000;

/// Fluent builder of a V2Request.
struct Req {
    service::V2Request request;

    Req& value(std::string v) {
        request.value = std::move(v);
        return *this;
    }
    Req& dir() {
        request.dir = true;
        return *this;
    }
    Req& ttl(std::uint64_t seconds) {
        request.ttl = seconds;
        return *this;
    }
    Req& prev_exist(bool exists) {
        request.prev_exist = exists;
        return *this;
    }
    Req& prev_value(std::string v) {
        request.prev_value = std::move(v);
        return *this;
    }
    Req& prev_index(Revision index) {
        request.prev_index = index;
        return *this;
    }
    Req& refresh() {
        request.refresh = true;
        return *this;
    }
    Req& recursive() {
        request.recursive = true;
        return *this;
    }
    Req& sorted() {
        request.sorted = true;
        return *this;
    }
    Req& stream() {
        request.stream = true;
        return *this;
    }
    Req& wait_index(Revision index) {
        request.wait = true;
        request.wait_index = index;
        return *this;
    }
};

inline Req make(service::V2Method method, std::string key) {
    Req req;
    req.request.method = method;
    req.request.key = std::move(key);
    return req;
}
inline Req put(std::string key) {
    return make(service::V2Method::kPut, std::move(key));
}
inline Req put(std::string key, std::string value) {
    return put(std::move(key)).value(std::move(value));
}
inline Req post(std::string key) {
    return make(service::V2Method::kPost, std::move(key));
}
inline Req del(std::string key) {
    return make(service::V2Method::kDelete, std::move(key));
}
inline Req get(std::string key) {
    return make(service::V2Method::kGet, std::move(key));
}

/// Applies `req` as a kV2Write (or kV2QuorumGet for GET) at `now`, through the codec.
inline ApplyResult apply(Store& store, const Req& req, std::int64_t now = kNow) {
    Command command;
    command.kind = req.request.method == service::V2Method::kGet ? Command::Kind::kV2QuorumGet
                                                                 : Command::Kind::kV2Write;
    command.request_id = 7;
    command.now_unix_nanos = now;
    command.request = req.request;
    Result<Command> decoded = decode_command(encode_command(command));
    REQUIRE(decoded.is_ok());
    return store.apply(decoded.value());
}

/// Applies a kV2ExpireSync with the leader's time `now`.
inline ApplyResult expire_sync(Store& store, std::int64_t now) {
    Command command;
    command.kind = Command::Kind::kV2ExpireSync;
    command.now_unix_nanos = now;
    return store.apply(command);
}

/// A local GET at `now`.
inline service::V2Result local_get(Store& store, const Req& req, std::int64_t now = kNow) {
    return store.get(req.request, now);
}

/// Keys of a listing's children, in order.
inline std::vector<std::string> child_keys(const service::V2Node& node) {
    std::vector<std::string> keys;
    for (const auto& child : node.nodes) keys.push_back(child.key);
    return keys;
}

/// Records what a watch sink receives.
struct SinkLog {
    std::vector<service::V2Event> events;
    std::vector<Revision> header_indices;
    int closed = 0;

    service::V2WatchSink sink() {
        service::V2WatchSink sink;
        sink.on_event = [this](const service::V2Event& event, const service::V2Headers& headers) {
            events.push_back(event);
            header_indices.push_back(headers.etcd_index);
        };
        sink.on_closed = [this] { ++closed; };
        return sink;
    }
};

}  // namespace consensus::kv::test
