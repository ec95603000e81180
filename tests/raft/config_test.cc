#include "raft/config.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "raft/storage.h"

namespace consensus::raft {
namespace {

// Config::validate only checks that a storage is given; it never reads it.
struct UnreadStorage : Storage {
    Result<InitialState> initial_state() const override { return InitialState{}; }
    Result<std::vector<Entry>> entries(Index, Index, std::uint64_t) const override {
        return std::vector<Entry>{};
    }
    Result<Term> term(Index) const override { return Term{0}; }
    Index first_index() const override { return 1; }
    Index last_index() const override { return 0; }
    Result<Snapshot> snapshot() const override { return Snapshot{}; }
};

struct FixedRandom : RandomSource {
    std::uint64_t next(std::uint64_t) override { return 0; }
};

TEST_CASE("Config: validate names the first bad field", "[raft]") {
    UnreadStorage storage;
    FixedRandom random;
    auto valid = [&] {
        Config config;
        config.id = 1;
        config.storage = &storage;
        config.random = &random;
        return config;
    };
    REQUIRE(valid().validate().is_ok());

    struct Case {
        const char* name;
        void (*mutate)(Config&);
        const char* field;
    };
    std::vector<Case> cases = {
        {"no id", [](Config& c) { c.id = kNoNode; }, "id"},
        {"zero heartbeat", [](Config& c) { c.heartbeat_ticks = 0; }, "heartbeat_ticks"},
        {"election not above heartbeat", [](Config& c) { c.election_ticks = c.heartbeat_ticks; },
         "election_ticks"},
        {"no storage", [](Config& c) { c.storage = nullptr; }, "storage"},
        {"no random", [](Config& c) { c.random = nullptr; }, "random"},
        {"no inflight", [](Config& c) { c.max_inflight_messages = 0; }, "max_inflight_messages"},
        {"no message bytes", [](Config& c) { c.max_message_bytes = 0; }, "max_message_bytes"},
        {"no committed bytes", [](Config& c) { c.max_committed_bytes_per_ready = 0; },
         "max_committed_bytes_per_ready"},
        {"no pending reads", [](Config& c) { c.max_pending_read_requests = 0; },
         "max_pending_read_requests"},
    };
    for (const auto& c : cases) {
        INFO(c.name);
        Config config = valid();
        c.mutate(config);
        Status status = config.validate();
        CHECK(status.code() == StatusCode::kInvalidArgument);
        CHECK(status.message().rfind(c.field, 0) == 0);
    }
}

}  // namespace
}  // namespace consensus::raft
