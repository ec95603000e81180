#include "node/peer_transport.h"

#include <array>
#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "node/frame.h"
#include "wal/codec.h"

namespace consensus::node {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using raft::Message;
using raft::MessageType;

constexpr std::uint64_t kClusterId = 0xcdf818194e3a8c32ULL;
/// Generous: the tests wait for events, never for durations; this only ends a hung run.
constexpr auto kDeadline = std::chrono::seconds(20);

/// Everything one transport's handlers reported.
struct Inbox {
    std::vector<Message> messages;
    std::vector<NodeId> unreachable;
    std::vector<std::pair<NodeId, bool>> snapshots_sent;
    std::function<void(const Message&)> on_each_message;

    PeerTransport::Handlers handlers() {
        PeerTransport::Handlers handlers;
        handlers.on_message = [this](Message message) {
            messages.push_back(message);
            if (on_each_message) on_each_message(messages.back());
        };
        handlers.on_unreachable = [this](NodeId peer) { unreachable.push_back(peer); };
        handlers.on_snapshot_sent = [this](NodeId peer, bool failed) {
            snapshots_sent.emplace_back(peer, failed);
        };
        return handlers;
    }
};

/// One io_context driving several transports, as one member's thread would.
struct Loop {
    asio::io_context io{1};

    /// Runs handlers until done() holds; false if the deadline passed first.
    bool run_until(const std::function<bool()>& done) {
        auto deadline = std::chrono::steady_clock::now() + kDeadline;
        while (!done()) {
            if (std::chrono::steady_clock::now() > deadline) return false;
            if (io.stopped()) io.restart();
            io.run_one_for(std::chrono::milliseconds(50));
        }
        return true;
    }
};

TransportOptions options_for(NodeId id) {
    TransportOptions options;
    options.cluster_id = kClusterId;
    options.local_id = id;
    return options;
}

Url loopback(std::uint16_t port) {
    return Url{"http", "127.0.0.1", port};
}

std::unique_ptr<PeerTransport> start_transport(Loop& loop, Inbox& inbox, TransportOptions options,
                                               std::uint16_t port = 0) {
    auto transport = std::make_unique<PeerTransport>(loop.io, options, inbox.handlers());
    Status listening = transport->listen(loopback(port));
    REQUIRE(listening.is_ok());
    return transport;
}

Url url_of(const PeerTransport& transport) {
    std::vector<Url> urls = transport.listen_urls();
    REQUIRE(urls.size() == 1);
    return urls[0];
}

/// A loopback port with nothing listening on it.
std::uint16_t closed_port(Loop& loop) {
    tcp::acceptor probe(loop.io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    std::uint16_t port = probe.local_endpoint().port();
    probe.close();
    return port;
}

Message heartbeat(NodeId from, NodeId to, std::string context = "") {
    Message message;
    message.type = MessageType::kHeartbeat;
    message.from = from;
    message.to = to;
    message.term = 3;
    message.commit = 9;
    message.context = std::move(context);
    return message;
}

/// One message of every network type, each with every field set.
std::vector<Message> every_network_message(NodeId from, NodeId to) {
    std::vector<Message> messages;
    for (int raw = 0; raw <= static_cast<int>(MessageType::kCheckQuorum); ++raw) {
        auto type = static_cast<MessageType>(raw);
        if (!raft::is_network_message(type)) continue;
        Message message;
        message.type = type;
        message.from = from;
        message.to = to;
        message.term = 10 + static_cast<Term>(raw);
        message.log_term = 9;
        message.index = 100 + static_cast<Index>(raw);
        message.entries = {
            raft::Entry{9, 101, raft::EntryType::kNormal, "put /a"},
            raft::Entry{10, 102, raft::EntryType::kConfChange, std::string("\0\x01\xff", 3)}};
        message.commit = 99;
        message.snapshot.metadata.index = 50;
        message.snapshot.metadata.term = 8;
        message.snapshot.metadata.conf_state.voters = {from, to};
        message.snapshot.metadata.conf_state.learners = {7};
        message.snapshot.data = "state machine";
        message.reject = raw % 2 == 1;
        message.reject_hint = 42;
        message.context = "context-" + std::to_string(raw);
        messages.push_back(message);
    }
    return messages;
}

TEST_CASE("PeerTransport: delivers every message type intact when two members exchange them",
          "[node]") {
    Loop loop;
    Inbox inbox_a;
    Inbox inbox_b;
    auto a = start_transport(loop, inbox_a, options_for(1));
    auto b = start_transport(loop, inbox_b, options_for(2));
    a->add_peer(2, {url_of(*b)});
    b->add_peer(1, {url_of(*a)});

    std::vector<Message> a_to_b = every_network_message(1, 2);
    std::vector<Message> b_to_a = every_network_message(2, 1);
    for (const Message& message : a_to_b) a->send(message);
    for (const Message& message : b_to_a) b->send(message);
    REQUIRE(loop.run_until([&] {
        return inbox_b.messages.size() >= a_to_b.size() && inbox_a.messages.size() >= b_to_a.size();
    }));

    CHECK(inbox_b.messages == a_to_b);
    CHECK(inbox_a.messages == b_to_a);
    CHECK(inbox_a.unreachable.empty());
    CHECK(inbox_b.unreachable.empty());
    // Snapshot messages small enough for one frame are still reported as sent.
    REQUIRE(loop.run_until([&] { return inbox_a.snapshots_sent.size() == 1; }));
    CHECK(inbox_a.snapshots_sent[0] == std::make_pair(NodeId{2}, false));

    REQUIRE(loop.run_until([&] { return a->stats(2).sent_messages == a_to_b.size(); }));
    PeerStats sent = a->stats(2);
    PeerStats received = b->stats(1);
    CHECK(received.received_messages == a_to_b.size());
    CHECK(sent.sent_bytes == received.received_bytes);
    CHECK(sent.failed == 0);
    CHECK(sent.latency_ms_min <= sent.latency_ms_avg);
    CHECK(sent.latency_ms_avg <= sent.latency_ms_max);
    CHECK(a->stats(99).sent_messages == 0);
    CHECK(a->cluster_id() == kClusterId);
}

TEST_CASE("PeerTransport: every member reaches both others when three form a mesh", "[node]") {
    Loop loop;
    std::vector<Inbox> inboxes(3);
    std::vector<std::unique_ptr<PeerTransport>> transports;
    for (NodeId id = 1; id <= 3; ++id) {
        transports.push_back(start_transport(loop, inboxes[id - 1], options_for(id)));
    }
    for (NodeId id = 1; id <= 3; ++id) {
        for (NodeId peer = 1; peer <= 3; ++peer) {
            // The local id is ignored, so a member may be given the whole member list.
            transports[id - 1]->add_peer(peer, {url_of(*transports[peer - 1])});
        }
    }
    for (NodeId id = 1; id <= 3; ++id) {
        for (NodeId peer = 1; peer <= 3; ++peer) {
            if (peer != id)
                transports[id - 1]->send(heartbeat(id, peer, "from " + std::to_string(id)));
        }
    }
    REQUIRE(loop.run_until([&] {
        for (const Inbox& inbox : inboxes) {
            if (inbox.messages.size() < 2) return false;
        }
        return true;
    }));
    for (NodeId id = 1; id <= 3; ++id) {
        INFO("member " << id);
        const std::vector<Message>& got = inboxes[id - 1].messages;
        REQUIRE(got.size() == 2);
        for (const Message& message : got) {
            CHECK(message.to == id);
            CHECK(message.from != id);
            CHECK(message.context == "from " + std::to_string(message.from));
        }
    }
}

TEST_CASE("PeerTransport: reconnects when the receiver's listener restarts", "[node]") {
    Loop loop;
    Inbox inbox_a;
    Inbox inbox_b;
    auto a = start_transport(loop, inbox_a, options_for(1));
    auto b = start_transport(loop, inbox_b, options_for(2));
    Url b_url = url_of(*b);
    a->add_peer(2, {b_url});
    b->add_peer(1, {url_of(*a)});
    a->send(heartbeat(1, 2, "before"));
    REQUIRE(loop.run_until([&] { return inbox_b.messages.size() == 1; }));

    b.reset();  // the receiver goes away: A sees its connection close
    REQUIRE(loop.run_until([&] { return !inbox_a.unreachable.empty(); }));
    CHECK(inbox_a.unreachable.front() == 2);

    Inbox inbox_restarted;
    auto restarted = start_transport(loop, inbox_restarted, options_for(2), b_url.port);
    restarted->add_peer(1, {url_of(*a)});
    // A message sent while A is between attempts may be lost with a failed attempt;
    // it is sent again after each reported failure, as Raft would retransmit.
    std::size_t failures_seen = inbox_a.unreachable.size();
    a->send(heartbeat(1, 2, "after"));
    REQUIRE(loop.run_until([&] {
        if (inbox_a.unreachable.size() > failures_seen) {
            failures_seen = inbox_a.unreachable.size();
            a->send(heartbeat(1, 2, "after"));
        }
        return !inbox_restarted.messages.empty();
    }));
    CHECK(inbox_restarted.messages.front().context == "after");
}

TEST_CASE("PeerTransport: follows a peer to its new URL when update_peer changes it", "[node]") {
    Loop loop;
    Inbox inbox_a;
    Inbox inbox_b;
    auto a = start_transport(loop, inbox_a, options_for(1));
    auto b = start_transport(loop, inbox_b, options_for(2));
    b->add_peer(1, {url_of(*a)});
    a->add_peer(2, {loopback(closed_port(loop))});
    REQUIRE(loop.run_until([&] { return !inbox_a.unreachable.empty(); }));
    a->update_peer(2, {url_of(*b)});
    std::size_t failures_seen = inbox_a.unreachable.size();
    a->send(heartbeat(1, 2));
    REQUIRE(loop.run_until([&] {
        if (inbox_a.unreachable.size() > failures_seen) {
            failures_seen = inbox_a.unreachable.size();
            a->send(heartbeat(1, 2));
        }
        return !inbox_b.messages.empty();
    }));
    CHECK(inbox_b.messages.front() == heartbeat(1, 2));
}

TEST_CASE("PeerTransport: refuses a connection when the handshake does not match", "[node]") {
    struct Case {
        std::string name;
        std::uint64_t sender_cluster_id;
        bool receiver_knows_sender;
        NodeId receiver_id_at_sender;
    };
    const std::vector<Case> cases = {
        {"wrong cluster id", kClusterId + 1, true, 2},
        {"unknown sender", kClusterId, false, 2},
        {"addressed to another member", kClusterId, true, 9},
    };
    for (const Case& c : cases) {
        INFO(c.name);
        Loop loop;
        Inbox inbox_a;
        Inbox inbox_b;
        TransportOptions sender = options_for(1);
        sender.cluster_id = c.sender_cluster_id;
        auto a = start_transport(loop, inbox_a, sender);
        auto b = start_transport(loop, inbox_b, options_for(2));
        if (c.receiver_knows_sender) b->add_peer(1, {url_of(*a)});
        a->add_peer(c.receiver_id_at_sender, {url_of(*b)});
        a->send(heartbeat(1, c.receiver_id_at_sender));
        REQUIRE(loop.run_until(
            [&] { return b->refused_connections() >= 1 && !inbox_a.unreachable.empty(); }));
        CHECK(inbox_a.unreachable.front() == c.receiver_id_at_sender);
        CHECK(inbox_b.messages.empty());
        CHECK(b->stats(1).received_messages == 0);
    }
}

TEST_CASE("PeerTransport: drops and reports sends when the queue is full and the peer is down",
          "[node]") {
    Loop loop;
    Inbox inbox;
    TransportOptions options = options_for(1);
    options.send_queue_messages_max = 4;
    auto a = start_transport(loop, inbox, options);
    a->add_peer(2, {loopback(closed_port(loop))});

    for (int i = 0; i < 10; ++i) a->send(heartbeat(1, 2));
    // The four that fit wait for a connection; the other six are dropped at once, and
    // reported from the loop, not from inside send().
    CHECK(a->stats(2).failed == 6);
    CHECK(inbox.unreachable.empty());
    // The connection attempt fails, so the four queued are lost and reported too.
    REQUIRE(loop.run_until([&] { return a->stats(2).failed == 10; }));
    REQUIRE(loop.run_until([&] { return inbox.unreachable.size() >= 7; }));
    for (NodeId peer : inbox.unreachable) CHECK(peer == 2);
}

TEST_CASE("PeerTransport: drops a send when it would pass send_queue_bytes_max", "[node]") {
    Loop loop;
    Inbox inbox;
    Message message = heartbeat(1, 2, std::string(100, 'c'));
    std::size_t frame_bytes =
        encode_frame(FrameKind::kMessage, wal::encode_message(message)).size();
    TransportOptions options = options_for(1);
    options.send_queue_bytes_max = 2 * frame_bytes;
    auto a = start_transport(loop, inbox, options);
    a->add_peer(2, {loopback(closed_port(loop))});

    SECTION("messages beyond the bound are dropped, a MsgSnap with a report") {
        a->send(message);
        a->send(message);
        CHECK(a->stats(2).failed == 0);  // exactly at the bound: both fit
        a->send(message);
        CHECK(a->stats(2).failed == 1);
        Message snapshot = message;
        snapshot.type = MessageType::kSnapshot;
        a->send(snapshot);
        CHECK(a->stats(2).failed == 2);
        REQUIRE(loop.run_until([&] { return !inbox.snapshots_sent.empty(); }));
        CHECK(inbox.snapshots_sent.front() == std::make_pair(NodeId{2}, true));
    }
    SECTION("one message larger than the bound fits an empty queue, and fills it") {
        Message big = heartbeat(1, 2, std::string(3 * frame_bytes, 'b'));
        a->send(big);
        CHECK(a->stats(2).failed == 0);
        a->send(message);
        CHECK(a->stats(2).failed == 1);
    }
}

TEST_CASE("PeerTransport: reports unreachable when a send names an unknown peer", "[node]") {
    Loop loop;
    Inbox inbox;
    auto a = start_transport(loop, inbox, options_for(1));
    Message snapshot = heartbeat(1, 5);
    snapshot.type = MessageType::kSnapshot;
    a->send(snapshot);
    CHECK(inbox.unreachable.empty());
    REQUIRE(loop.run_until([&] { return !inbox.snapshots_sent.empty(); }));
    REQUIRE(loop.run_until([&] { return !inbox.unreachable.empty(); }));
    CHECK(inbox.unreachable.front() == 5);
    CHECK(inbox.snapshots_sent.front() == std::make_pair(NodeId{5}, true));
}

TEST_CASE("PeerTransport: delivers a large message intact when it is split into chunks", "[node]") {
    Loop loop;
    Inbox inbox_a;
    Inbox inbox_b;
    TransportOptions small_frames_a = options_for(1);
    small_frames_a.frame_bytes_max = 4096;
    small_frames_a.snapshot_chunk_bytes = 1024;
    TransportOptions small_frames_b = small_frames_a;
    small_frames_b.local_id = 2;
    auto a = start_transport(loop, inbox_a, small_frames_a);
    auto b = start_transport(loop, inbox_b, small_frames_b);
    a->add_peer(2, {url_of(*b)});
    b->add_peer(1, {url_of(*a)});

    Message snapshot = heartbeat(1, 2);
    snapshot.type = MessageType::kSnapshot;
    snapshot.snapshot.metadata.index = 1000;
    snapshot.snapshot.metadata.term = 4;
    snapshot.snapshot.metadata.conf_state.voters = {1, 2, 3};
    for (int i = 0; i < 100000; ++i) snapshot.snapshot.data.push_back(static_cast<char>(i * 31));
    Message small_snapshot = snapshot;  // fits one chunk: sent as a single frame
    small_snapshot.snapshot.data = "tiny";
    Message big_append = heartbeat(1, 2);
    big_append.type = MessageType::kAppend;
    big_append.entries.push_back(
        raft::Entry{3, 7, raft::EntryType::kNormal, std::string(20000, 'e')});

    std::vector<Message> sent = {snapshot, heartbeat(1, 2, "between"), big_append, small_snapshot};
    for (const Message& message : sent) a->send(message);
    REQUIRE(loop.run_until([&] { return inbox_b.messages.size() >= sent.size(); }));
    CHECK(inbox_b.messages == sent);
    REQUIRE(loop.run_until([&] { return inbox_a.snapshots_sent.size() == 2; }));
    for (const auto& report : inbox_a.snapshots_sent)
        CHECK(report == std::make_pair(NodeId{2}, false));
    CHECK(b->stats(1).received_bytes > 120000);
    CHECK(b->refused_connections() == 0);
}

/// Opens a raw connection to `url`, writes `bytes`, and waits until the other side
/// closes it. True when it was closed.
bool closed_after_writing(Loop& loop, const Url& url, const std::string& bytes) {
    tcp::socket raw(loop.io);
    raw.connect(tcp::endpoint(asio::ip::make_address(url.host), url.port));
    asio::write(raw, asio::buffer(bytes));
    bool closed = false;
    std::array<char, 16> sink{};
    std::function<void()> read_more;
    read_more = [&] {
        raw.async_read_some(asio::buffer(sink),
                            [&](const boost::system::error_code& error, std::size_t) {
                                if (error) {
                                    closed = true;
                                    return;
                                }
                                read_more();
                            });
    };
    read_more();
    bool ok = loop.run_until([&] { return closed; });
    raw.close();
    // Let the cancelled read complete while `closed` and `sink` still exist.
    loop.io.poll();
    return ok;
}

TEST_CASE("PeerTransport: closes a connection without crashing when a frame is corrupt", "[node]") {
    Loop loop;
    Inbox inbox_a;
    Inbox inbox_b;
    TransportOptions receiver = options_for(2);
    receiver.frame_bytes_max = 1 << 16;
    receiver.snapshot_chunk_bytes = 1024;
    auto a = start_transport(loop, inbox_a, options_for(1));
    auto b = start_transport(loop, inbox_b, receiver);
    b->add_peer(1, {url_of(*a)});

    std::string hello = encode_frame(FrameKind::kHandshake, encode_handshake({kClusterId, 1, 2}));
    std::string good = encode_frame(FrameKind::kMessage, wal::encode_message(heartbeat(1, 2)));
    std::string bad_crc = good;
    bad_crc.back() ^= 0x40;
    std::string bad_version = good;
    bad_version[0] = 9;
    std::string oversize = good.substr(0, kFrameHeaderBytes);
    oversize.replace(2, 4, std::string("\x01\x00\x01\x00", 4));  // 2^16 + 1 bytes
    struct Case {
        std::string name;
        std::string bytes;
    };
    const std::vector<Case> cases = {
        {"bad CRC", hello + bad_crc},
        {"bad version", hello + bad_version},
        {"bad version in the handshake", bad_version},
        {"oversize length", hello + oversize},
        {"message before the handshake", good},
        {"truncated handshake", encode_frame(FrameKind::kHandshake, "short")},
        {"undecodable message", hello + encode_frame(FrameKind::kMessage, "garbage")},
        {"message from another member",
         hello + encode_frame(FrameKind::kMessage, wal::encode_message(heartbeat(3, 2)))},
        {"second handshake", hello + hello},
        {"chunk without its start",
         hello + encode_snapshot_chunk_frames(std::string(3000, 's'), 1024)[1]},
    };
    std::uint64_t refused = 0;
    for (const Case& c : cases) {
        INFO(c.name);
        CHECK(closed_after_writing(loop, url_of(*b), c.bytes));
        CHECK(b->refused_connections() == ++refused);
    }
    CHECK(inbox_b.messages.empty());

    // The receiver still serves well-formed peers afterwards.
    a->add_peer(2, {url_of(*b)});
    a->send(heartbeat(1, 2, "still serving"));
    REQUIRE(loop.run_until([&] { return !inbox_b.messages.empty(); }));
    CHECK(inbox_b.messages.front().context == "still serving");
}

TEST_CASE("PeerTransport: closes an inbound connection when inbound_connections_max are open",
          "[node]") {
    Loop loop;
    Inbox inbox;
    TransportOptions options = options_for(2);
    options.inbound_connections_max = 1;
    auto b = start_transport(loop, inbox, options);
    Url url = url_of(*b);
    tcp::socket first(loop.io);
    first.connect(tcp::endpoint(asio::ip::make_address(url.host), url.port));
    // The first connection (silent, but within the bound) is kept; the second is closed.
    CHECK(closed_after_writing(loop, url, ""));
    CHECK(b->refused_connections() == 1);
    first.close();
}

TEST_CASE("PeerTransport: runs no handler after stop when stopped from its own handler", "[node]") {
    Loop loop;
    Inbox inbox_a;
    Inbox inbox_b;
    auto a = start_transport(loop, inbox_a, options_for(1));
    auto b = start_transport(loop, inbox_b, options_for(2));
    a->add_peer(2, {url_of(*b)});
    b->add_peer(1, {url_of(*a)});
    inbox_b.on_each_message = [&](const Message&) { b->stop(); };
    for (int i = 0; i < 5; ++i) a->send(heartbeat(1, 2, std::to_string(i)));
    // B stops inside its first delivery, which closes A's connection.
    REQUIRE(loop.run_until([&] { return !inbox_a.unreachable.empty(); }));
    CHECK(inbox_b.messages.size() == 1);
    b->send(heartbeat(2, 1));  // ignored after stop
    b->stop();                 // idempotent
    CHECK_FALSE(b->listen(loopback(0)).is_ok());
    loop.io.poll();
    CHECK(inbox_b.messages.size() == 1);
    CHECK(inbox_b.unreachable.empty());
    CHECK(inbox_a.messages.empty());
}

TEST_CASE("PeerTransport: drops queued reports when stopped before they run", "[node]") {
    Loop loop;
    Inbox inbox;
    auto a = start_transport(loop, inbox, options_for(1));
    a->add_peer(2, {loopback(closed_port(loop))});
    a->send(heartbeat(1, 7));  // unknown peer: a report is queued on the loop
    a->send(heartbeat(1, 2));
    a->stop();
    loop.io.poll();
    CHECK(inbox.unreachable.empty());
    CHECK(inbox.snapshots_sent.empty());
    // Destroying a stopped transport with work still queued is safe too.
    a.reset();
    loop.io.poll();
    CHECK(inbox.unreachable.empty());
}

TEST_CASE("PeerTransport: refuses a removed peer when it connects again", "[node]") {
    Loop loop;
    Inbox inbox_a;
    Inbox inbox_b;
    auto a = start_transport(loop, inbox_a, options_for(1));
    auto b = start_transport(loop, inbox_b, options_for(2));
    a->add_peer(2, {url_of(*b)});
    b->add_peer(1, {url_of(*a)});
    a->send(heartbeat(1, 2));
    REQUIRE(loop.run_until([&] { return inbox_b.messages.size() == 1; }));

    b->remove_peer(1);
    CHECK(b->stats(1).received_messages == 0);  // forgotten
    // B closed A's connection; A reconnects and is refused as an unknown member.
    REQUIRE(loop.run_until([&] { return !inbox_a.unreachable.empty(); }));
    a->send(heartbeat(1, 2));
    REQUIRE(loop.run_until([&] { return b->refused_connections() >= 1; }));
    CHECK(inbox_b.messages.size() == 1);
}

TEST_CASE("PeerTransport: tells a removed member so when it connects again", "[node]") {
    Loop loop;
    Inbox inbox_a;
    Inbox inbox_b;
    std::vector<NodeId> told_removed;
    PeerTransport::Handlers handlers_a = inbox_a.handlers();
    handlers_a.on_removed = [&](NodeId peer) { told_removed.push_back(peer); };
    auto a = std::make_unique<PeerTransport>(loop.io, options_for(1), handlers_a);
    REQUIRE(a->listen(loopback(0)).is_ok());
    // B's member table says 1 was removed: B never learned 1 as a peer (it restarted
    // after the removal), so only is_removed knows.
    PeerTransport::Handlers handlers_b = inbox_b.handlers();
    handlers_b.is_removed = [](NodeId id) { return id == 1; };
    auto b = std::make_unique<PeerTransport>(loop.io, options_for(2), handlers_b);
    REQUIRE(b->listen(loopback(0)).is_ok());

    a->add_peer(2, {url_of(*b)});
    // Messages queued behind the handshake are unread when B refuses; the refusal
    // must still reach A.
    for (int i = 0; i < 50; ++i) a->send(heartbeat(1, 2, std::string(1000, 'x')));
    REQUIRE(loop.run_until([&] { return !told_removed.empty(); }));
    CHECK(told_removed.front() == 2);
    CHECK(inbox_b.messages.empty());
    CHECK(b->refused_connections() >= 1);
}

TEST_CASE(
    "PeerTransport: refuses an unknown member without telling it removed when it was "
    "never removed",
    "[node]") {
    Loop loop;
    Inbox inbox_a;
    Inbox inbox_b;
    std::vector<NodeId> told_removed;
    PeerTransport::Handlers handlers_a = inbox_a.handlers();
    handlers_a.on_removed = [&](NodeId peer) { told_removed.push_back(peer); };
    auto a = std::make_unique<PeerTransport>(loop.io, options_for(1), handlers_a);
    auto b = start_transport(loop, inbox_b, options_for(2));
    // B does not know 1 and nothing says it was removed: an unknown member is only
    // refused (etcd answers 404 there, which stops no one).
    a->add_peer(2, {url_of(*b)});
    REQUIRE(loop.run_until([&] { return b->refused_connections() >= 1; }));
    REQUIRE(loop.run_until([&] { return !inbox_a.unreachable.empty(); }));
    CHECK(told_removed.empty());
}

TEST_CASE("PeerTransport: answers a membership request with the cluster id and members", "[node]") {
    Loop loop;
    Inbox inbox_b;
    PeerTransport::Handlers handlers_b = inbox_b.handlers();
    service::Member known;
    known.id = 2;
    known.name = "b";
    known.peer_urls = {"http://127.0.0.1:2380"};
    handlers_b.membership = [&] { return MembershipAnswer{kClusterId, {known}}; };
    auto b = std::make_unique<PeerTransport>(loop.io, options_for(2), handlers_b);
    REQUIRE(b->listen(loopback(0)).is_ok());

    // A client that is not a member yet: a raw socket speaking the frame format.
    tcp::socket client(loop.io);
    client.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), url_of(*b).port));
    std::string request = encode_frame(FrameKind::kMembershipRequest,
                                       encode_membership_request(MembershipRequest{9}));
    asio::write(client, asio::buffer(request));
    FrameReader reader(1 << 16);
    std::array<char, 256> buffer{};
    std::optional<Frame> answer_frame;
    bool closed = false;
    std::function<void()> read_more = [&] {
        client.async_read_some(asio::buffer(buffer),
                               [&](const boost::system::error_code& error, std::size_t size) {
                                   if (error) {
                                       closed = true;
                                       return;
                                   }
                                   reader.append(buffer.data(), size);
                                   Result<std::optional<Frame>> frame = reader.next();
                                   REQUIRE(frame.is_ok());
                                   if (frame.value().has_value()) answer_frame = *frame.value();
                                   read_more();
                               });
    };
    read_more();
    // B answers, then closes the connection: one answer per request.
    REQUIRE(loop.run_until([&] { return closed; }));
    REQUIRE(answer_frame.has_value());
    CHECK(answer_frame->kind == FrameKind::kMembershipAnswer);
    Result<MembershipAnswer> answer = decode_membership_answer(answer_frame->payload);
    REQUIRE(answer.is_ok());
    CHECK(answer.value().cluster_id == kClusterId);
    REQUIRE(answer.value().members.size() == 1);
    CHECK(answer.value().members[0].id == 2);
    CHECK(answer.value().members[0].peer_urls == known.peer_urls);
    CHECK(inbox_b.messages.empty());
}

TEST_CASE("PeerTransport: meters AppendEntries sent and received when a leader replicates",
          "[node]") {
    Loop loop;
    Inbox inbox_a;
    Inbox inbox_b;
    auto a = start_transport(loop, inbox_a, options_for(1));
    auto b = start_transport(loop, inbox_b, options_for(2));
    a->add_peer(2, {url_of(*b)});
    b->add_peer(1, {url_of(*a)});
    CHECK(a->sent_append_rate().events_per_second == 0);
    CHECK(b->received_append_rate().events_per_second == 0);

    constexpr int kAppends = 20;
    for (int i = 0; i < kAppends; ++i) {
        Message append = heartbeat(1, 2);
        append.type = MessageType::kAppend;
        append.entries = {raft::Entry{3, static_cast<Index>(10 + i), raft::EntryType::kNormal,
                                      std::string(100, 'v')}};
        a->send(append);
        // One at a time, so the samples span some time and the window is not empty.
        REQUIRE(loop.run_until([&] { return inbox_b.messages.size() == std::size_t(i) + 1; }));
    }
    a->send(heartbeat(1, 2));  // Not an AppendEntries: not metered.
    REQUIRE(loop.run_until([&] { return inbox_b.messages.size() == kAppends + 1; }));

    Rate sent = a->sent_append_rate();
    Rate received = b->received_append_rate();
    CHECK(sent.events_per_second > 0);
    CHECK(sent.bytes_per_second > 100 * sent.events_per_second);
    CHECK(received.events_per_second > 0);
    CHECK(received.bytes_per_second > 100 * received.events_per_second);
    // Each side meters only its own direction.
    CHECK(a->received_append_rate().events_per_second == 0);
    CHECK(b->sent_append_rate().events_per_second == 0);
}

TEST_CASE("PeerTransport: names the address when listen cannot bind", "[node]") {
    Loop loop;
    Inbox inbox_a;
    Inbox inbox_b;
    auto a = start_transport(loop, inbox_a, options_for(1));
    Url taken = url_of(*a);
    PeerTransport b(loop.io, options_for(2), inbox_b.handlers());
    Status status = b.listen(taken);
    REQUIRE_FALSE(status.is_ok());
    CHECK(status.code() == StatusCode::kIOError);
    CHECK(status.message().find(taken.to_string()) != std::string::npos);
}

}  // namespace
}  // namespace consensus::node
