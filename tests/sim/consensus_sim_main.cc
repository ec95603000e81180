// consensus_sim: runs the deterministic simulation for a range of seeds and stops at
// the first violated property, printing the seed, the property, the last events and
// the command that replays the run.
//
//   consensus_sim --seeds N [--first-seed S] [--steps M] [--members 3|5|7] [--verbose]
//                 [--keep-going]
//
// --keep-going runs every seed and counts failures instead of stopping at the first.
// --mutate-drop-vote is a deliberate bug in the driver (a restarted member forgets its
// vote) for showing that the checker catches it; it is off unless given.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "consensus/log.h"
#include "tests/sim/sim_run.h"

namespace {

struct Flags {
    std::uint64_t seeds = 1;
    std::uint64_t first_seed = 1;
    std::uint64_t steps = 2000;
    std::uint64_t members = 3;
    bool verbose = false;
    bool keep_going = false;
    bool mutate_drop_vote = false;
};

void usage() {
    std::fprintf(stderr,
                 "usage: consensus_sim --seeds N [--first-seed S] [--steps M] "
                 "[--members 3|5|7] [--verbose] [--keep-going]\n");
}

bool parse_number(const char* text, std::uint64_t* out) {
    if (text == nullptr || *text == '\0') return false;
    char* end = nullptr;
    unsigned long long value = std::strtoull(text, &end, 10);
    if (*end != '\0') return false;
    *out = value;
    return true;
}

bool parse_flags(int argc, char** argv, Flags* flags) {
    for (int i = 1; i < argc; ++i) {
        std::string flag = argv[i];
        const char* value = i + 1 < argc ? argv[i + 1] : nullptr;
        std::uint64_t* target = nullptr;
        if (flag == "--seeds")
            target = &flags->seeds;
        else if (flag == "--first-seed")
            target = &flags->first_seed;
        else if (flag == "--steps")
            target = &flags->steps;
        else if (flag == "--members")
            target = &flags->members;
        else if (flag == "--verbose")
            flags->verbose = true;
        else if (flag == "--keep-going")
            flags->keep_going = true;
        else if (flag == "--mutate-drop-vote")
            flags->mutate_drop_vote = true;
        else {
            std::fprintf(stderr, "consensus_sim: unknown flag '%s'\n", flag.c_str());
            return false;
        }
        if (target != nullptr) {
            if (!parse_number(value, target)) {
                std::fprintf(stderr, "consensus_sim: %s needs a number\n", flag.c_str());
                return false;
            }
            ++i;
        }
    }
    if (flags->members != 3 && flags->members != 5 && flags->members != 7) {
        std::fprintf(stderr, "consensus_sim: --members must be 3, 5 or 7\n");
        return false;
    }
    return true;
}

/// Swallows the cores' log lines unless --verbose asks for them.
class QuietSink final : public consensus::log::Sink {
public:
    void write(consensus::log::Level, const char*, const std::string&) override {}
};

}  // namespace

int main(int argc, char** argv) {
    Flags flags;
    if (!parse_flags(argc, argv, &flags)) {
        usage();
        return 2;
    }
    QuietSink quiet;
    if (!flags.verbose) consensus::log::set_sink(&quiet);

    consensus::sim::RunOptions options;
    options.cluster.members = flags.members;
    options.cluster.verbose = flags.verbose;
    options.cluster.mutate_drop_vote = flags.mutate_drop_vote;
    options.steps = flags.steps;

    std::uint64_t failures = 0;
    std::uint64_t committed = 0;
    std::uint64_t writes = 0;
    std::uint64_t reads = 0;
    for (std::uint64_t k = 0; k < flags.seeds; ++k) {
        std::uint64_t seed = flags.first_seed + k;
        consensus::sim::RunResult result = consensus::sim::run_seed(options, seed);
        committed += result.committed;
        writes += result.acknowledged_writes;
        reads += result.reads_served;
        if (result.ok()) continue;
        ++failures;
        std::printf("VIOLATION seed %llu: %s: %s\n", static_cast<unsigned long long>(seed),
                    result.violation->property.c_str(), result.violation->detail.c_str());
        std::printf("after %llu steps, %llu ms of virtual time\n",
                    static_cast<unsigned long long>(result.steps),
                    static_cast<unsigned long long>(result.time_ms));
        if (!flags.keep_going) {
            std::printf("last events:\n%s", result.trace.c_str());
        }
        std::printf(
            "replay: %s --first-seed %llu --seeds 1 --steps %llu --members %llu%s "
            "--verbose\n",
            argv[0], static_cast<unsigned long long>(seed),
            static_cast<unsigned long long>(flags.steps),
            static_cast<unsigned long long>(flags.members),
            flags.mutate_drop_vote ? " --mutate-drop-vote" : "");
        std::fflush(stdout);
        if (!flags.keep_going) return 1;
    }
    std::printf(
        "%llu of %llu seeds passed (first seed %llu, %llu members, %llu steps): "
        "%llu entries committed, %llu writes acknowledged, %llu reads checked\n",
        static_cast<unsigned long long>(flags.seeds - failures),
        static_cast<unsigned long long>(flags.seeds),
        static_cast<unsigned long long>(flags.first_seed),
        static_cast<unsigned long long>(flags.members),
        static_cast<unsigned long long>(flags.steps), static_cast<unsigned long long>(committed),
        static_cast<unsigned long long>(writes), static_cast<unsigned long long>(reads));
    return failures == 0 ? 0 : 1;
}
