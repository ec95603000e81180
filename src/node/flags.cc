#include "node/flags.h"

#include <algorithm>
#include <cctype>
#include <cinttypes>
#include <cstdio>
#include <functional>
#include <set>
#include <string_view>

#include "consensus/log.h"
#include "node/sha1.h"

namespace consensus::node {
namespace {

constexpr const char* kProgram = "consensusd: ";

enum class FlagKind { kValue, kBool };

/// One flag of the table: its name, whether it takes a value, whether an environment
/// variable may set it, its default for --help, and how its value is stored. A setter
/// returns an error detail ("" when the value is good).
struct FlagSpec {
    const char* name;
    FlagKind kind;
    bool from_env;
    const char* default_text;
    const char* help;
    std::function<std::string(Flags&, const std::string&)> set;
};

Status flag_error(const std::string& line) {
    return Status(StatusCode::kInvalidArgument, kProgram + line);
}

/// Parses a decimal integer into [0, max]; digits only, so "-1", "1e3" and "" fail.
bool parse_unsigned(const std::string& text, std::uint64_t max, std::uint64_t* out) {
    if (text.empty() || text.size() > 20) return false;
    std::uint64_t value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return false;
        std::uint64_t digit = static_cast<std::uint64_t>(c - '0');
        if (value > (max - digit) / 10) return false;
        value = value * 10 + digit;
    }
    *out = value;
    return true;
}

/// Go's strconv.ParseBool spellings, which etcd's boolean flags accept.
bool parse_bool(const std::string& text, bool* out) {
    static const std::set<std::string> kTrue = {"1", "t", "T", "true", "TRUE", "True"};
    static const std::set<std::string> kFalse = {"0", "f", "F", "false", "FALSE", "False"};
    if (kTrue.count(text) != 0) {
        *out = true;
        return true;
    }
    if (kFalse.count(text) != 0) {
        *out = false;
        return true;
    }
    return false;
}

std::function<std::string(Flags&, const std::string&)> set_urls(std::vector<Url> Flags::*field) {
    return [field](Flags& flags, const std::string& value) -> std::string {
        Result<std::vector<Url>> urls = parse_url_list(value);
        if (!urls.is_ok()) return urls.status().message();
        flags.*field = urls.value();
        return "";
    };
}

template <typename Integer>
std::function<std::string(Flags&, const std::string&)> set_unsigned(Integer Flags::*field) {
    return [field](Flags& flags, const std::string& value) -> std::string {
        std::uint64_t parsed = 0;
        std::uint64_t max = static_cast<std::uint64_t>(static_cast<Integer>(-1));
        if (!parse_unsigned(value, max, &parsed)) {
            return "\"" + value + "\": not an integer from 0 to " + std::to_string(max);
        }
        flags.*field = static_cast<Integer>(parsed);
        return "";
    };
}

std::string set_initial_cluster(Flags& flags, const std::string& value) {
    std::vector<std::pair<std::string, Url>> members;
    std::size_t start = 0;
    while (true) {
        std::size_t comma = value.find(',', start);
        std::string entry = value.substr(start, comma == std::string::npos ? comma : comma - start);
        std::size_t equals = entry.find('=');
        if (equals == std::string::npos || equals == 0) {
            return "\"" + entry + "\": entry must be name=http://host:port";
        }
        Result<Url> url = parse_url(std::string_view(entry).substr(equals + 1));
        if (!url.is_ok()) return url.status().message();
        members.emplace_back(entry.substr(0, equals), url.value());
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    flags.initial_cluster = std::move(members);
    return "";
}

std::string set_log_level(Flags& flags, const std::string& value) {
    log::Level level = log::Level::kInfo;
    if (!log::parse_level(value, &level)) {
        return "\"" + value + "\" (valid values are \"debug\", \"info\", \"warn\", \"error\")";
    }
    flags.log_level = value;
    return "";
}

std::string set_cluster_state(Flags& flags, const std::string& value) {
    if (value != "new" && value != "existing") {
        return "\"" + value + "\" (valid values are \"new\", \"existing\")";
    }
    flags.initial_cluster_state = value;
    return "";
}

std::string set_bool_field(bool* field, const std::string& value) {
    if (!parse_bool(value, field)) return "\"" + value + "\": not a boolean";
    return "";
}

const std::vector<FlagSpec>& flag_table() {
    static const std::vector<FlagSpec> kTable = {
        {"name", FlagKind::kValue, true, "default", "Human-readable name for this member.",
         [](Flags& f, const std::string& v) -> std::string {
             if (v.empty()) return "must not be empty";
             f.name = v;
             return "";
         }},
        {"data-dir", FlagKind::kValue, true, "${name}.consensus", "Path to the data directory.",
         [](Flags& f, const std::string& v) -> std::string {
             if (v.empty()) return "must not be empty";
             f.data_dir = v;
             return "";
         }},
        {"listen-client-urls", FlagKind::kValue, true, "http://localhost:2379",
         "List of URLs to listen on for client traffic.", set_urls(&Flags::listen_client_urls)},
        {"advertise-client-urls", FlagKind::kValue, true, "http://localhost:2379",
         "List of this member's client URLs to advertise to the public.",
         set_urls(&Flags::advertise_client_urls)},
        {"listen-peer-urls", FlagKind::kValue, true, "http://localhost:2380",
         "List of URLs to listen on for peer traffic.", set_urls(&Flags::listen_peer_urls)},
        {"initial-advertise-peer-urls", FlagKind::kValue, true, "http://localhost:2380",
         "List of this member's peer URLs to advertise to the rest of the cluster.",
         set_urls(&Flags::initial_advertise_peer_urls)},
        {"initial-cluster", FlagKind::kValue, true, "default=http://localhost:2380",
         "Initial cluster configuration for bootstrapping (name=URL,...).", set_initial_cluster},
        {"initial-cluster-state", FlagKind::kValue, true, "new",
         "Initial cluster state ('new' or 'existing').", set_cluster_state},
        {"initial-cluster-token", FlagKind::kValue, true, "etcd-cluster",
         "Initial cluster token for the cluster during bootstrap.",
         [](Flags& f, const std::string& v) -> std::string {
             f.initial_cluster_token = v;
             return "";
         }},
        {"heartbeat-interval", FlagKind::kValue, true, "100",
         "Time (in milliseconds) of a heartbeat interval.",
         set_unsigned(&Flags::heartbeat_interval_ms)},
        {"election-timeout", FlagKind::kValue, true, "1000",
         "Time (in milliseconds) for an election to timeout.",
         set_unsigned(&Flags::election_timeout_ms)},
        {"snapshot-count", FlagKind::kValue, true, "100000",
         "Number of committed transactions to trigger a snapshot to disk.",
         set_unsigned(&Flags::snapshot_count)},
        {"max-request-bytes", FlagKind::kValue, true, "1572864",
         "Maximum client request size in bytes the server will accept.",
         set_unsigned(&Flags::max_request_bytes)},
        {"log-level", FlagKind::kValue, true, "info", "Log level: debug, info, warn or error.",
         set_log_level},
        // The v2 API is always served here; etcd's flag is accepted so etcd command
        // lines keep working, and turning it off is refused rather than ignored.
        {"enable-v2", FlagKind::kBool, true, "true", "Accept etcd V2 client requests (always on).",
         [](Flags&, const std::string& v) -> std::string {
             bool enabled = true;
             std::string error = set_bool_field(&enabled, v);
             if (!error.empty()) return error;
             if (!enabled) return "false is not supported: the v2 API is always on";
             return "";
         }},
        {"dump-wal", FlagKind::kValue, false, "", "Print the WAL in DIR and exit.",
         [](Flags& f, const std::string& v) -> std::string {
             if (v.empty()) return "must not be empty";
             f.dump_wal_dir = v;
             return "";
         }},
        {"version", FlagKind::kBool, false, "false", "Print the version and exit.",
         [](Flags& f, const std::string& v) { return set_bool_field(&f.show_version, v); }},
        {"help", FlagKind::kBool, false, "false", "Show this help and exit (also -h).",
         [](Flags& f, const std::string& v) { return set_bool_field(&f.show_help, v); }},
        {"h", FlagKind::kBool, false, "", nullptr,
         [](Flags& f, const std::string& v) { return set_bool_field(&f.show_help, v); }},
    };
    return kTable;
}

const FlagSpec* find_flag(std::string_view name) {
    for (const FlagSpec& spec : flag_table()) {
        if (name == spec.name) return &spec;
    }
    return nullptr;
}

/// "CONSENSUS_INITIAL_CLUSTER" for "initial-cluster".
std::string env_name(const std::string& flag) {
    std::string name = kEnvPrefix;
    for (char c : flag) {
        name += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return name;
}

/// One value for one flag, and where it came from (for the error line).
struct Assignment {
    const FlagSpec* spec;
    std::string value;
    std::string source;  ///< "" for the command line, else the environment variable
};

/// Splits argv into assignments; the first malformed argument is the error.
Status collect_arguments(int argc, const char* const* argv, std::vector<Assignment>* out) {
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        std::size_t dashes = arg.rfind("--", 0) == 0 ? 2 : (arg.rfind('-', 0) == 0 ? 1 : 0);
        if (dashes == 0 || arg.size() == dashes) {
            return flag_error("unexpected argument \"" + arg + "\" (flags start with --)");
        }
        std::string body = arg.substr(dashes);
        std::size_t equals = body.find('=');
        std::string name = body.substr(0, equals);
        const FlagSpec* spec = find_flag(name);
        if (spec == nullptr) return flag_error("unknown flag --" + name + " (see --help)");
        std::string value;
        if (equals != std::string::npos) {
            value = body.substr(equals + 1);
        } else if (spec->kind == FlagKind::kBool) {
            value = "true";
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            return flag_error("flag --" + name + " needs a value");
        }
        out->push_back({spec, value, ""});
    }
    return Status::ok();
}

/// Applies defaults that depend on other flags, as etcd does after parsing.
void apply_derived_defaults(Flags* flags, const std::set<std::string>& set_flags) {
    if (set_flags.count("data-dir") == 0) flags->data_dir = flags->name + ".consensus";
    if (set_flags.count("initial-cluster") == 0) {
        // [etcd: server/embed/config.go InitialClusterFromName] one entry per
        // advertised peer URL under this member's name.
        flags->initial_cluster.clear();
        for (const Url& url : flags->initial_advertise_peer_urls) {
            flags->initial_cluster.emplace_back(flags->name, url);
        }
    }
}

std::vector<std::string> sorted_strings(const std::vector<Url>& urls) {
    std::vector<std::string> texts;
    for (const Url& url : urls) texts.push_back(url.to_string());
    std::sort(texts.begin(), texts.end());
    return texts;
}

std::string join(const std::vector<std::string>& texts) {
    std::string joined;
    for (const std::string& text : texts) joined += (joined.empty() ? "" : ",") + text;
    return joined;
}

Status validate_timing(const Flags& flags) {
    if (flags.heartbeat_interval_ms == 0)
        return flag_error("--heartbeat-interval must be positive");
    // Followers must hear several heartbeats per election timeout, or they campaign
    // against a live leader [Raft §5.2; etcd: embed.Config.Validate].
    if (flags.heartbeat_interval_ms >= flags.election_timeout_ms) {
        return flag_error("--heartbeat-interval[" + std::to_string(flags.heartbeat_interval_ms) +
                          "ms] must be less than --election-timeout[" +
                          std::to_string(flags.election_timeout_ms) + "ms]");
    }
    if (flags.election_timeout_ms > kElectionTimeoutMsMax) {
        return flag_error("--election-timeout[" + std::to_string(flags.election_timeout_ms) +
                          "ms] is too long, and should be set less than " +
                          std::to_string(kElectionTimeoutMsMax) + "ms");
    }
    return Status::ok();
}

Status validate_cluster(const Flags& flags) {
    std::map<std::string, std::string> owner_of_url;
    for (const auto& [member_name, url] : flags.initial_cluster) {
        auto [it, inserted] = owner_of_url.emplace(url.to_string(), member_name);
        if (!inserted && it->second != member_name) {
            return flag_error("--initial-cluster lists " + url.to_string() + " for both \"" +
                              it->second + "\" and \"" + member_name + "\"");
        }
    }
    std::vector<Url> own_urls = flags.initial_peer_urls_of(flags.name);
    if (own_urls.empty()) {
        return flag_error("couldn't find local name \"" + flags.name +
                          "\" in the initial cluster configuration (--initial-cluster)");
    }
    // The id every other member computes for this one comes from its --initial-cluster
    // entry, so advertising other URLs would make this member a stranger
    // [etcd: server/etcdserver/bootstrap.go, "--initial-cluster has ... but missing"].
    std::vector<std::string> advertised = sorted_strings(flags.initial_advertise_peer_urls);
    std::vector<std::string> listed = sorted_strings(own_urls);
    listed.erase(std::unique(listed.begin(), listed.end()), listed.end());
    if (advertised != listed) {
        return flag_error("--initial-advertise-peer-urls (" + join(advertised) +
                          ") does not match the --initial-cluster entry of \"" + flags.name +
                          "\" (" + join(listed) + ")");
    }
    return Status::ok();
}

/// SHA-1 of `bytes`, its first 8 bytes read big-endian.
std::uint64_t sha1_prefix(const std::string& bytes) {
    const Sha1Digest digest = sha1(bytes);
    std::uint64_t value = 0;
    for (int i = 0; i < 8; ++i) value = (value << 8) | digest[i];
    return value;
}

}  // namespace

std::vector<Url> Flags::initial_peer_urls_of(const std::string& member_name) const {
    std::vector<Url> urls;
    for (const auto& [entry_name, url] : initial_cluster) {
        if (entry_name == member_name) urls.push_back(url);
    }
    return urls;
}

std::vector<std::string> Flags::initial_member_names() const {
    std::vector<std::string> names;
    for (const auto& entry : initial_cluster) {
        if (std::find(names.begin(), names.end(), entry.first) == names.end()) {
            names.push_back(entry.first);
        }
    }
    return names;
}

Result<Flags> parse_flags(int argc, const char* const* argv,
                          const std::map<std::string, std::string>& env) {
    std::vector<Assignment> assignments;
    Status collected = collect_arguments(argc, argv, &assignments);
    if (!collected.is_ok()) return collected;

    std::set<std::string> set_flags;
    for (const Assignment& assignment : assignments) set_flags.insert(assignment.spec->name);
    // Flags override the environment [etcd: pkg/flags.SetFlagsFromEnv skips flags
    // already set], so a variable for a flag given on the command line is not even
    // checked.
    std::vector<Assignment> from_env;
    for (const FlagSpec& spec : flag_table()) {
        if (!spec.from_env || set_flags.count(spec.name) != 0) continue;
        auto it = env.find(env_name(spec.name));
        if (it == env.end()) continue;
        from_env.push_back({&spec, it->second, it->first});
        set_flags.insert(spec.name);
    }
    assignments.insert(assignments.begin(), from_env.begin(), from_env.end());

    Flags flags;
    flags.listen_client_urls = {Url{"http", "localhost", 2379}};
    flags.advertise_client_urls = {Url{"http", "localhost", 2379}};
    flags.listen_peer_urls = {Url{"http", "localhost", 2380}};
    flags.initial_advertise_peer_urls = {Url{"http", "localhost", 2380}};
    for (const Assignment& assignment : assignments) {
        std::string detail = assignment.spec->set(flags, assignment.value);
        if (detail.empty()) continue;
        std::string where = assignment.source.empty() ? "" : " (from " + assignment.source + ")";
        std::string line = "invalid value for --";
        line.append(assignment.spec->name).append(where).append(": ").append(detail);
        return flag_error(line);
    }
    if (flags.show_help || flags.show_version) return flags;

    apply_derived_defaults(&flags, set_flags);
    Status timing = validate_timing(flags);
    if (!timing.is_ok()) return timing;
    Status cluster = validate_cluster(flags);
    if (!cluster.is_ok()) return cluster;
    return flags;
}

std::string usage() {
    std::string text =
        "Usage: consensusd [flags]\n"
        "A Raft-replicated, etcd-compatible coordination service; flags follow etcd's.\n"
        "Every setting can also come from the environment variable CONSENSUS_<FLAG>\n"
        "(e.g. CONSENSUS_INITIAL_CLUSTER); the command line wins.\n\n";
    for (const FlagSpec& spec : flag_table()) {
        if (spec.help == nullptr) continue;
        std::string left = std::string("  --") + spec.name;
        if (spec.kind == FlagKind::kValue) left += " VALUE";
        text += left + "\n      " + spec.help;
        if (spec.default_text[0] != '\0')
            text += std::string(" (default: ") + spec.default_text + ")";
        text += "\n";
    }
    return text;
}

NodeId compute_member_id(const std::vector<std::string>& peer_urls, const std::string& token) {
    std::vector<std::string> sorted = peer_urls;
    std::sort(sorted.begin(), sorted.end());
    std::string bytes;
    for (const std::string& url : sorted) bytes += url;
    bytes += token;
    return sha1_prefix(bytes);
}

std::uint64_t compute_cluster_id(const std::vector<NodeId>& member_ids) {
    std::vector<NodeId> sorted = member_ids;
    std::sort(sorted.begin(), sorted.end());
    std::string bytes;
    for (NodeId id : sorted) {
        for (int shift = 56; shift >= 0; shift -= 8) {
            bytes += static_cast<char>((id >> shift) & 0xff);
        }
    }
    return sha1_prefix(bytes);
}

std::map<std::string, NodeId> initial_member_ids(const Flags& flags) {
    std::map<std::string, NodeId> ids;
    for (const std::string& member_name : flags.initial_member_names()) {
        std::vector<std::string> urls;
        for (const Url& url : flags.initial_peer_urls_of(member_name)) {
            urls.push_back(url.to_string());
        }
        ids[member_name] = compute_member_id(urls, flags.initial_cluster_token);
    }
    return ids;
}

std::string format_id(std::uint64_t id) {
    char text[17];
    std::snprintf(text, sizeof text, "%" PRIx64, id);
    return text;
}

}  // namespace consensus::node
