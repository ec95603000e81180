#include "raft/config.h"

namespace consensus::raft {

Status Config::validate() const {
    auto invalid = [](const char* message) {
        return Status(StatusCode::kInvalidArgument, message);
    };
    if (id == kNoNode) return invalid("id must not be 0 (0 means \"no node\")");
    if (heartbeat_ticks <= 0) return invalid("heartbeat_ticks must be greater than 0");
    // A follower must hear several heartbeats per election timeout, or it campaigns
    // against a healthy leader [Raft §5.6: broadcastTime << electionTimeout].
    if (election_ticks <= heartbeat_ticks) {
        return invalid("election_ticks must be greater than heartbeat_ticks");
    }
    if (storage == nullptr) return invalid("storage must be set");
    if (random == nullptr) return invalid("random must be set");
    if (max_inflight_messages <= 0) return invalid("max_inflight_messages must be greater than 0");
    if (max_message_bytes == 0) return invalid("max_message_bytes must be greater than 0");
    if (max_committed_bytes_per_ready == 0) {
        return invalid("max_committed_bytes_per_ready must be greater than 0");
    }
    if (max_pending_read_requests == 0) {
        return invalid("max_pending_read_requests must be greater than 0");
    }
    return Status::ok();
}

}  // namespace consensus::raft
