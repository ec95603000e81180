// consensus-kv-bench [--sets N] [--keys K] [--value-bytes B]: the CPU cost of applying
// v2 sets (PUT /v2/keys/bench/k<i> value=...) to the replicated store.
//
// Every set goes the way a committed entry goes on a member (node/applier.cc): the
// encoded command is decoded with kv::decode_command and handed to kv::Store::apply.
// The K commands (one per key, each with its own B-byte value) are encoded before the
// clock starts, and set i applies command i % K, so the first K sets create the keys
// and the rest overwrite them, as a PUT load over a fixed key set does. It prints sets
// per second; the wall clock is only indicative on a shared machine, so compare runs
// by instruction counts instead, e.g.
//   valgrind --tool=callgrind consensus-kv-bench --sets 50000
// and divide the Ir total by the number of sets. A benchmark, not a test: it checks
// only that every set succeeded. Exit codes: 0 done, 1 a set failed, 2 bad usage.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "kv/command.h"
#include "kv/store.h"

namespace {

using Clock = std::chrono::steady_clock;

constexpr char kUsage[] = "usage: consensus-kv-bench [--sets N] [--keys K] [--value-bytes B]\n";
/// A fixed proposer time (2024-01-01T00:00:00Z): no key has a TTL, so it only has to
/// be a plausible clock value.
constexpr std::int64_t kNowUnixNanos = 1'704'067'200'000'000'000;

/// The encoded command of a plain set of /bench/k<key_number>, whose value is the key
/// number's digits repeated up to `value_bytes`.
std::string encoded_set(std::uint64_t key_number, std::size_t value_bytes) {
    consensus::kv::Command command;
    command.kind = consensus::kv::Command::Kind::kV2Write;
    command.request_id = key_number + 1;
    command.now_unix_nanos = kNowUnixNanos;
    command.request.method = consensus::service::V2Method::kPut;
    command.request.key = "/bench/k" + std::to_string(key_number);
    const std::string digits = std::to_string(key_number) + ".";
    std::string value;
    while (value.size() < value_bytes) value += digits;
    value.resize(value_bytes);
    command.request.value = std::move(value);
    return consensus::kv::encode_command(command);
}

/// Parses a positive count; 0 on anything else.
std::uint64_t parse_count(const char* text) {
    char* end = nullptr;
    const unsigned long long parsed = std::strtoull(text, &end, 10);
    if (end == text || *end != '\0') return 0;
    return parsed;
}

}  // namespace

int main(int argc, char** argv) {
    std::uint64_t sets = 200'000;
    std::uint64_t keys = 10'000;
    std::uint64_t value_bytes = 256;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "-h" || arg == "--help") {
            std::fputs(kUsage, stdout);
            return 0;
        }
        if ((arg == "--sets" || arg == "--keys" || arg == "--value-bytes") && i + 1 < argc) {
            const std::uint64_t count = parse_count(argv[++i]);
            if (count == 0) {
                std::fprintf(stderr, "consensus-kv-bench: %s needs a positive number\n",
                             arg.c_str());
                return 2;
            }
            (arg == "--sets" ? sets : arg == "--keys" ? keys : value_bytes) = count;
            continue;
        }
        std::fprintf(stderr, "consensus-kv-bench: unexpected argument '%s'\n%s", arg.c_str(),
                     kUsage);
        return 2;
    }

    std::vector<std::string> commands;
    commands.reserve(keys);
    for (std::uint64_t key = 0; key < keys; ++key)
        commands.push_back(encoded_set(key, value_bytes));

    consensus::kv::Store store;
    const Clock::time_point start = Clock::now();
    for (std::uint64_t i = 0; i < sets; ++i) {
        auto command = consensus::kv::decode_command(commands[i % keys]);
        if (!command.is_ok()) {
            std::fprintf(stderr, "consensus-kv-bench: %s\n", command.status().to_string().c_str());
            return 1;
        }
        const consensus::kv::ApplyResult result = store.apply(std::move(command.value()));
        if (result.error || !result.event) {
            std::fprintf(stderr, "consensus-kv-bench: set %llu failed\n",
                         static_cast<unsigned long long>(i));
            return 1;
        }
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    std::printf("%llu sets over %llu keys of %llu-byte values: %.0f sets/s (index %llu)\n",
                static_cast<unsigned long long>(sets), static_cast<unsigned long long>(keys),
                static_cast<unsigned long long>(value_bytes), sets / seconds,
                static_cast<unsigned long long>(store.current_index()));
    return 0;
}
