// consensus-wal-dump DIR [--from N] [--to M]: prints a member's durable state (see
// wal/dump.h). Exit codes: 0 printed, 1 the data dir is missing or damaged (one line on
// stderr says why), 2 bad usage.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

#include "consensus/log.h"
#include "wal/dump.h"

namespace {

constexpr char kUsage[] = "usage: consensus-wal-dump DIR [--from N] [--to M]\n";

bool parse_index(const char* text, std::uint64_t* out) {
    if (text == nullptr || *text == '\0' || *text == '-') return false;
    char* end = nullptr;
    const unsigned long long value = std::strtoull(text, &end, 10);
    if (*end != '\0') return false;
    *out = value;
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    std::string data_dir;
    std::uint64_t from = 0;
    std::uint64_t to = UINT64_MAX;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "-h" || arg == "--help") {
            std::fputs(kUsage, stdout);
            return 0;
        }
        if (arg == "--from" || arg == "--to") {
            std::uint64_t* target = arg == "--from" ? &from : &to;
            if (i + 1 >= argc || !parse_index(argv[i + 1], target)) {
                std::fprintf(stderr, "consensus-wal-dump: %s needs an index\n%s", arg.c_str(),
                             kUsage);
                return 2;
            }
            ++i;
        } else if (data_dir.empty() && arg.rfind("--", 0) != 0) {
            data_dir = arg;
        } else {
            std::fprintf(stderr, "consensus-wal-dump: unexpected argument '%s'\n%s", arg.c_str(),
                         kUsage);
            return 2;
        }
    }
    if (data_dir.empty()) {
        std::fputs(kUsage, stderr);
        return 2;
    }
    // Recovery's own log lines would interleave with the listing; keep only errors.
    consensus::log::set_level(consensus::log::Level::kError);
    consensus::Status status = consensus::wal::dump(data_dir, from, to, std::cout);
    if (!status.is_ok()) {
        std::fprintf(stderr, "consensus-wal-dump: %s\n", status.to_string().c_str());
        return 1;
    }
    return 0;
}
