#include "node/pending_requests.h"

#include <utility>
#include <vector>

namespace consensus::node {

PendingRequests::PendingRequests(NodeId local_id, std::int64_t start_unix_ms,
                                 std::size_t requests_max)
    : ids_(local_id, start_unix_ms), requests_max_(requests_max) {}

std::uint64_t PendingRequests::next_id() {
    return ids_.next();
}

Status PendingRequests::add(std::uint64_t id, std::int64_t deadline_ms, Waiter waiter) {
    if (waiting_.size() >= requests_max_) {
        return Status(StatusCode::kUnavailable, "etcdserver: too many requests");
    }
    if (waiting_.count(id) != 0) {
        return Status(StatusCode::kAlreadyExists, "etcdserver: duplicate request id");
    }
    auto deadline = deadlines_.emplace(deadline_ms, id);
    waiting_.emplace(id, Entry{std::move(waiter), deadline});
    return Status::ok();
}

bool PendingRequests::complete(std::uint64_t id, Result<Outcome> outcome) {
    auto found = waiting_.find(id);
    if (found == waiting_.end()) return false;
    // The entry is removed before the waiter runs, so a waiter that registers a new
    // request (or completes another) sees a consistent registry.
    Waiter waiter = std::move(found->second.waiter);
    deadlines_.erase(found->second.deadline);
    waiting_.erase(found);
    waiter(std::move(outcome));
    return true;
}

std::size_t PendingRequests::expire(std::int64_t now_ms) {
    std::vector<std::uint64_t> due;
    for (auto it = deadlines_.begin(); it != deadlines_.end() && it->first <= now_ms; ++it) {
        due.push_back(it->second);
    }
    // The entry of a timed-out request may still be applied later [etcd: the proposal
    // stays in the log]; its completion then finds no waiter, which is harmless.
    for (std::uint64_t id : due) {
        complete(id, Status(StatusCode::kTimeout, kRequestTimedOutMessage));
    }
    return due.size();
}

std::size_t PendingRequests::fail_all(const Status& status) {
    std::vector<std::uint64_t> ids;
    ids.reserve(waiting_.size());
    for (const auto& [id, entry] : waiting_) ids.push_back(id);
    for (std::uint64_t id : ids) complete(id, status);
    return ids.size();
}

}  // namespace consensus::node
