#include "raft/message.h"

#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "raft/ready.h"

namespace consensus::raft {
namespace {

TEST_CASE("MessageType: every type has a distinct etcd-style name", "[raft]") {
    std::set<std::string> names;
    for (int raw = 0; raw <= static_cast<int>(MessageType::kCheckQuorum); ++raw) {
        std::string name = message_type_name(static_cast<MessageType>(raw));
        INFO("type " << raw);
        CHECK(name.rfind("Msg", 0) == 0);
        CHECK(name != "MsgUnknown");
        names.insert(name);
    }
    CHECK(names.size() == static_cast<std::size_t>(MessageType::kCheckQuorum) + 1);
}

TEST_CASE("MessageType: local inputs never cross the network", "[raft]") {
    CHECK_FALSE(is_network_message(MessageType::kHup));
    CHECK_FALSE(is_network_message(MessageType::kBeat));
    CHECK_FALSE(is_network_message(MessageType::kUnreachable));
    CHECK_FALSE(is_network_message(MessageType::kSnapshotStatus));
    CHECK_FALSE(is_network_message(MessageType::kCheckQuorum));
    CHECK(is_network_message(MessageType::kAppend));
    CHECK(is_network_message(MessageType::kRequestVote));
    CHECK(is_network_message(MessageType::kPropose));
}

TEST_CASE("Ready: empty only when it carries no work", "[raft]") {
    Ready ready;
    CHECK(ready.empty());
    ready.committed_entries.push_back(Entry{1, 1, EntryType::kNormal, "x"});
    CHECK_FALSE(ready.empty());
}

}  // namespace
}  // namespace consensus::raft
