#include "raft/read_only.h"

#include <algorithm>

namespace consensus::raft {

void ReadOnly::add_request(Index index, const Message& request) {
    if (pending_.count(request.context) != 0) return;
    pending_.emplace(request.context, ReadIndexStatus{request, index, {}});
    queue_.push_back(request.context);
}

const std::map<NodeId, bool>* ReadOnly::receive_ack(NodeId id, const std::string& context) {
    auto it = pending_.find(context);
    if (it == pending_.end()) return nullptr;
    it->second.acks[id] = true;
    return &it->second.acks;
}

std::vector<ReadIndexStatus> ReadOnly::advance(const std::string& context) {
    auto found = std::find(queue_.begin(), queue_.end(), context);
    std::vector<ReadIndexStatus> confirmed;
    if (found == queue_.end()) return confirmed;
    std::size_t count = static_cast<std::size_t>(found - queue_.begin()) + 1;
    for (std::size_t i = 0; i < count; ++i) {
        auto it = pending_.find(queue_.front());
        confirmed.push_back(std::move(it->second));
        pending_.erase(it);
        queue_.pop_front();
    }
    return confirmed;
}

std::string ReadOnly::last_pending_request_context() const {
    return queue_.empty() ? std::string() : queue_.back();
}

}  // namespace consensus::raft
