#include "raft/message.h"

#include "raft/ready.h"

namespace consensus::raft {

const char* message_type_name(MessageType type) {
    // etcd's names, so transcripts read like etcd raft's testdata.
    switch (type) {
        case MessageType::kHup: return "MsgHup";
        case MessageType::kBeat: return "MsgBeat";
        case MessageType::kPropose: return "MsgProp";
        case MessageType::kReadIndex: return "MsgReadIndex";
        case MessageType::kAppend: return "MsgApp";
        case MessageType::kAppendResponse: return "MsgAppResp";
        case MessageType::kRequestVote: return "MsgVote";
        case MessageType::kRequestVoteResponse: return "MsgVoteResp";
        case MessageType::kRequestPreVote: return "MsgPreVote";
        case MessageType::kRequestPreVoteResponse: return "MsgPreVoteResp";
        case MessageType::kSnapshot: return "MsgSnap";
        case MessageType::kHeartbeat: return "MsgHeartbeat";
        case MessageType::kHeartbeatResponse: return "MsgHeartbeatResp";
        case MessageType::kTimeoutNow: return "MsgTimeoutNow";
        case MessageType::kReadIndexResponse: return "MsgReadIndexResp";
        case MessageType::kTransferLeader: return "MsgTransferLeader";
        case MessageType::kUnreachable: return "MsgUnreachable";
        case MessageType::kSnapshotStatus: return "MsgSnapStatus";
        case MessageType::kCheckQuorum: return "MsgCheckQuorum";
    }
    return "MsgUnknown";
}

bool is_network_message(MessageType type) {
    switch (type) {
        case MessageType::kHup:
        case MessageType::kBeat:
        case MessageType::kUnreachable:
        case MessageType::kSnapshotStatus:
        case MessageType::kCheckQuorum:
            return false;
        // Proposals, read-index requests and transfer requests are forwarded from
        // followers to the leader, so they do cross the network.
        case MessageType::kPropose:
        case MessageType::kReadIndex:
        case MessageType::kTransferLeader:
        case MessageType::kAppend:
        case MessageType::kAppendResponse:
        case MessageType::kRequestVote:
        case MessageType::kRequestVoteResponse:
        case MessageType::kRequestPreVote:
        case MessageType::kRequestPreVoteResponse:
        case MessageType::kSnapshot:
        case MessageType::kHeartbeat:
        case MessageType::kHeartbeatResponse:
        case MessageType::kTimeoutNow:
        case MessageType::kReadIndexResponse:
            return true;
    }
    return false;
}

const char* role_name(Role role) {
    switch (role) {
        case Role::kFollower: return "StateFollower";
        case Role::kPreCandidate: return "StatePreCandidate";
        case Role::kCandidate: return "StateCandidate";
        case Role::kLeader: return "StateLeader";
    }
    return "StateUnknown";
}

}  // namespace consensus::raft
