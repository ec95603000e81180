#pragma once
/// FakeExchange: records what a handler sent, for tests that call handlers and the
/// router directly, without a socket.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "http/exchange.h"

namespace consensus::http::testing {

class FakeExchange final : public Exchange {
public:
    std::optional<Response> response;  ///< the reply, or the stream's head
    bool streaming = false;
    bool ended = false;
    std::vector<std::string> chunks;
    std::function<void()> abort;

    void reply(Response r) override {
        response = std::move(r);
        ended = true;
    }
    void start_stream(Response head) override {
        response = std::move(head);
        streaming = true;
    }
    void stream_chunk(std::string data) override { chunks.push_back(std::move(data)); }
    void end_stream() override { ended = true; }
    void on_abort(std::function<void()> callback) override { abort = std::move(callback); }
    bool is_open() const override { return !ended; }

    /// The value of field `name`, or "<absent>".
    std::string field(const std::string& name) const {
        if (!response) return "<no response>";
        const std::string* value = response->field(name);
        return value ? *value : "<absent>";
    }
};

}  // namespace consensus::http::testing
