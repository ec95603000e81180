#include "node/ready_loop.h"

#include <utility>

#include "consensus/little_endian.h"

namespace consensus::node {

Status handle_ready(raft::Ready& ready, DurableLog& log, MessageSender& sender,
                    StateMachine& state_machine) {
    send_messages_before_persist(ready, sender);
    Status saved = persist_snapshot(ready, log, state_machine);
    if (!saved.is_ok()) return saved;
    if (ready.hard_state.has_value() || !ready.entries.empty()) {
        saved = log.save(ready.hard_state, ready.entries, ready.must_sync);
        if (!saved.is_ok()) return saved;
    }
    finish_persisted_ready(ready, sender, state_machine);
    return Status::ok();
}

void send_messages_before_persist(raft::Ready& ready, MessageSender& sender) {
    // The leader's appends to followers may overlap its own disk write: it does not
    // count itself toward the entries' quorum until advance() [thesis §10.2.1].
    for (raft::Message& message : ready.messages_before_persist) sender.send(std::move(message));
    ready.messages_before_persist.clear();
}

Status persist_snapshot(raft::Ready& ready, DurableLog& log, StateMachine& state_machine) {
    if (ready.snapshot.is_empty()) return Status::ok();
    Status saved = log.save_snapshot(ready.snapshot);
    if (!saved.is_ok()) return saved;
    state_machine.restore(ready.snapshot);
    return Status::ok();
}

bool needs_synced_write(const raft::Ready& ready) {
    return ready.must_sync && (ready.hard_state.has_value() || !ready.entries.empty());
}

void finish_persisted_ready(raft::Ready& ready, MessageSender& sender,
                            StateMachine& state_machine) {
    // Votes and append acknowledgements promise that what they describe survives a
    // crash, so they leave only after the write is durable [Raft Figure 2].
    for (raft::Message& message : ready.messages) sender.send(std::move(message));
    ready.messages.clear();
    for (const raft::Entry& entry : ready.committed_entries) state_machine.apply(entry);
    if (!ready.read_states.empty()) state_machine.add_read_states(ready.read_states);
}

void ReadQueue::add(const raft::ReadState& read_state) {
    auto request_id = decode_read_context(read_state.request_context);
    if (!request_id.has_value()) return;
    reads_.push_back(Read{read_state.index, *request_id});
}

std::vector<std::uint64_t> ReadQueue::take_ready(Index applied) {
    std::vector<std::uint64_t> ready;
    std::vector<Read> waiting;
    for (const Read& read : reads_) {
        if (read.index <= applied) {
            ready.push_back(read.request_id);
        } else {
            waiting.push_back(read);
        }
    }
    reads_ = std::move(waiting);
    return ready;
}

std::string encode_read_context(std::uint64_t request_id) {
    std::string context;
    put_fixed64(&context, request_id);
    return context;
}

std::optional<std::uint64_t> decode_read_context(std::string_view context) {
    if (context.size() != 8) return std::nullopt;
    return get_fixed64(context);
}

}  // namespace consensus::node
