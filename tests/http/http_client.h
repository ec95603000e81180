#pragma once
/// Loopback test harness: a Server on 127.0.0.1 with a FakeService, raw clients that
/// write exact bytes, and a small parser for what comes back. The test drives the
/// io_context itself; run_until() returns when a condition holds (or a generous
/// guard deadline passes, which the caller then reports as a failure).

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include "fake_service.h"
#include "http/server.h"

namespace consensus::http::testing {

namespace asio = boost::asio;

struct Harness {
    asio::io_context io{1};
    FakeService service;
    std::unique_ptr<Server> server;
    asio::ip::tcp::endpoint endpoint;

    explicit Harness(ServerOptions options = {}) {
        service.info = corpus_cluster();
        server = std::make_unique<Server>(io, service, std::move(options));
        Status status = server->listen("http://127.0.0.1:0");
        CONSENSUS_ASSERT_MSG(status.is_ok(), "the test server could not listen");
        endpoint = server->local_endpoints().at(0);
    }
    ~Harness() {
        server->stop();
        io.restart();
        for (int i = 0; i < 1000 && io.poll() > 0; ++i) {
        }
    }

    /// Runs the loop until `done()` holds; false if the guard deadline passed first.
    template <typename Predicate>
    bool run_until(Predicate done) {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (!done() && std::chrono::steady_clock::now() < deadline) {
            io.run_one_for(std::chrono::milliseconds(50));
        }
        return done();
    }
    /// Runs every handler that is ready, without waiting for new ones.
    void settle() {
        for (int i = 0; i < 100; ++i) io.poll();
    }
};

/// One raw client connection. State lives in a shared block captured by the
/// handlers, so the client may go away while a read is pending.
class Client {
public:
    explicit Client(Harness& harness) : state_(std::make_shared<State>(harness.io)) {
        state_->socket.connect(harness.endpoint);
        read_more(state_);
    }
    ~Client() { close(); }

    void send(std::string bytes) {
        auto data = std::make_shared<std::string>(std::move(bytes));
        auto state = state_;
        asio::async_write(state->socket, asio::buffer(*data),
                          [data, state](boost::system::error_code ec, std::size_t) {
                              if (ec) state->write_failed = true;
                          });
    }
    void close() {
        boost::system::error_code ignored;
        state_->socket.close(ignored);
    }
    const std::string& received() const { return state_->received; }
    bool eof() const { return state_->eof; }

private:
    struct State {
        explicit State(asio::io_context& io) : socket(io) {}
        asio::ip::tcp::socket socket;
        std::array<char, 65536> buffer{};
        std::string received;
        bool eof = false;
        bool write_failed = false;
    };

    static void read_more(const std::shared_ptr<State>& state) {
        state->socket.async_read_some(asio::buffer(state->buffer),
                                      [state](boost::system::error_code ec, std::size_t n) {
                                          if (ec) {
                                              state->eof = true;
                                              return;
                                          }
                                          state->received.append(state->buffer.data(), n);
                                          read_more(state);
                                      });
    }

    std::shared_ptr<State> state_;
};

/// One response as read off the wire.
struct Parsed {
    unsigned status = 0;
    std::map<std::string, std::string> fields;  ///< names lower-cased
    std::string body;
    std::vector<std::string> chunks;
    bool chunked = false;
    bool complete = false;  ///< the whole body (or the last chunk) arrived

    std::string field(const std::string& name) const {
        std::string lower = name;
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        auto it = fields.find(lower);
        return it == fields.end() ? "<absent>" : it->second;
    }
};

/// Splits `data` into responses. `bodiless[i]` marks the i-th response as the answer
/// to a HEAD (Content-Length without a body). Interim 1xx answers are skipped.
inline std::vector<Parsed> parse_responses(const std::string& data,
                                           const std::vector<bool>& bodiless = {}) {
    std::vector<Parsed> out;
    std::size_t at = 0;
    while (at < data.size()) {
        std::size_t end = data.find("\r\n\r\n", at);
        if (end == std::string::npos) break;
        Parsed p;
        std::string head = data.substr(at, end - at);
        at = end + 4;
        p.status = static_cast<unsigned>(std::stoul(head.substr(9, 3)));
        std::size_t line = head.find("\r\n");
        while (line != std::string::npos) {
            std::size_t next = head.find("\r\n", line + 2);
            std::string field = head.substr(
                line + 2, next == std::string::npos ? std::string::npos : next - line - 2);
            std::size_t colon = field.find(':');
            std::string name = field.substr(0, colon);
            for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            p.fields[name] = field.substr(colon + 2);
            line = next;
        }
        if (p.status < 200) continue;
        bool no_body = out.size() < bodiless.size() && bodiless[out.size()];
        if (p.field("Transfer-Encoding") == "chunked") {
            p.chunked = true;
            while (true) {
                std::size_t size_end = data.find("\r\n", at);
                if (size_end == std::string::npos) break;
                std::size_t size = std::stoul(data.substr(at, size_end - at), nullptr, 16);
                if (data.size() < size_end + 2 + size + 2) break;
                at = size_end + 2;
                if (size == 0) {
                    at += 2;
                    p.complete = true;
                    break;
                }
                p.chunks.push_back(data.substr(at, size));
                p.body += p.chunks.back();
                at += size + 2;
            }
        } else if (no_body || p.field("Content-Length") == "<absent>") {
            p.complete = true;
        } else {
            std::size_t length = std::stoul(p.field("Content-Length"));
            p.body = data.substr(at, length);
            p.complete = p.body.size() == length;
            at += p.body.size();
        }
        out.push_back(p);
        if (!p.complete) break;
    }
    return out;
}

/// A minimal HTTP/1.1 request.
inline std::string http_request(const std::string& method, const std::string& target,
                                const std::string& body = "",
                                const std::string& extra_fields = "") {
    std::string request = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra_fields;
    if (!body.empty()) {
        request += "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
                   std::to_string(body.size()) + "\r\n";
    }
    return request + "\r\n" + body;
}

}  // namespace consensus::http::testing
