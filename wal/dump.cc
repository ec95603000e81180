#include "wal/dump.h"

#include <algorithm>
#include <cstdio>
#include <vector>

#include "wal/wal.h"

namespace consensus::wal {
namespace {

std::string hex16(std::uint64_t value) {
    char buffer[17];
    std::snprintf(buffer, sizeof(buffer), "%016llx", static_cast<unsigned long long>(value));
    return buffer;
}

std::string id_list(const std::vector<NodeId>& ids) {
    std::string out = "[";
    for (std::size_t i = 0; i < ids.size(); ++i) {
        if (i > 0) out += " ";
        out += hex16(ids[i]);
    }
    return out + "]";
}

void dump_header(const Wal& wal, std::ostream& out) {
    const raft::HardState& hard_state = wal.hard_state();
    const raft::SnapshotMetadata& snapshot = wal.snapshot_metadata();
    out << "data dir: " << wal.data_dir() << "\n";
    out << "identity: cluster " << hex16(wal.identity().cluster_id) << " member "
        << hex16(wal.identity().member_id) << "\n";
    out << "hard state: term " << hard_state.term << " vote " << hex16(hard_state.vote)
        << " commit " << hard_state.commit << "\n";
    if (snapshot.index == 0) {
        out << "snapshot: none\n";
    } else {
        out << "snapshot: index " << snapshot.index << " term " << snapshot.term << " voters "
            << id_list(snapshot.conf_state.voters) << " learners "
            << id_list(snapshot.conf_state.learners) << " voters_outgoing "
            << id_list(snapshot.conf_state.voters_outgoing) << " learners_next "
            << id_list(snapshot.conf_state.learners_next)
            << (snapshot.conf_state.auto_leave ? " auto_leave" : "") << "\n";
    }
    out << "log: entries " << wal.first_index() << " to " << wal.last_index()
        << " (log start index " << wal.log_start().index << " term " << wal.log_start().term
        << ")\n";
}

}  // namespace

std::string printable_preview(const std::string& data) {
    std::string out = "\"";
    const std::size_t shown = std::min(data.size(), kDumpPreviewBytes);
    for (std::size_t i = 0; i < shown; ++i) {
        const auto byte = static_cast<unsigned char>(data[i]);
        if (byte == '"' || byte == '\\') {
            out += '\\';
            out += static_cast<char>(byte);
        } else if (byte >= 0x20 && byte < 0x7F) {
            out += static_cast<char>(byte);
        } else {
            char escaped[5];
            std::snprintf(escaped, sizeof(escaped), "\\x%02x", byte);
            out += escaped;
        }
    }
    out += "\"";
    if (data.size() > shown) out += "...";
    return out;
}

Status dump(const std::string& data_dir, Index from, Index to, std::ostream& out) {
    Result<std::unique_ptr<Wal>> opened = Wal::open_existing(data_dir);
    if (!opened.is_ok()) return opened.status();
    const Wal& wal = *opened.value();
    dump_header(wal, out);
    const Index low = std::max(from, wal.first_index());
    const Index high = std::min(to, wal.last_index());
    for (Index next = low; next <= high;) {
        const Index chunk_end = std::min<Index>(high, next + kDumpChunkEntries - 1);
        Result<std::vector<raft::Entry>> entries = wal.entries(next, chunk_end + 1, UINT64_MAX);
        if (!entries.is_ok()) return entries.status();
        for (const raft::Entry& entry : entries.value()) {
            out << "entry " << entry.index << " term " << entry.term << " type "
                << (entry.type == raft::EntryType::kConfChange ? "conf-change" : "normal")
                << " size " << entry.data.size() << " data " << printable_preview(entry.data)
                << "\n";
        }
        next = chunk_end + 1;
    }
    return Status::ok();
}

}  // namespace consensus::wal
