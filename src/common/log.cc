#include "consensus/log.h"

#include <cstdio>
#include <ctime>
#include <vector>

namespace consensus::log {
namespace {

Sink* g_sink = nullptr;
Level g_level = Level::kInfo;

const char* level_name(Level level) {
    switch (level) {
        case Level::kDebug: return "DEBUG";
        case Level::kInfo: return "INFO";
        case Level::kWarn: return "WARN";
        case Level::kError: return "ERROR";
    }
    return "?";
}

}  // namespace

void set_sink(Sink* sink) { g_sink = sink; }
void set_level(Level new_level) { g_level = new_level; }
Level level() { return g_level; }

bool parse_level(const std::string& name, Level* out) {
    if (name == "debug") *out = Level::kDebug;
    else if (name == "info") *out = Level::kInfo;
    else if (name == "warn") *out = Level::kWarn;
    else if (name == "error") *out = Level::kError;
    else return false;
    return true;
}

void write(Level line_level, const char* component, const char* format, ...) {
    va_list args;
    va_start(args, format);
    va_list copy;
    va_copy(copy, args);
    int length = std::vsnprintf(nullptr, 0, format, copy);
    va_end(copy);
    std::string line(length > 0 ? static_cast<std::size_t>(length) : 0, '\0');
    if (length > 0) std::vsnprintf(line.data(), line.size() + 1, format, args);
    va_end(args);

    if (g_sink != nullptr) {
        g_sink->write(line_level, component, line);
        return;
    }
    std::timespec now{};
    std::timespec_get(&now, TIME_UTC);
    std::tm utc{};
    gmtime_r(&now.tv_sec, &utc);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
    std::fprintf(stderr, "%s.%06ldZ %s %s: %s\n", stamp, now.tv_nsec / 1000,
                 level_name(line_level), component, line.c_str());
}

}  // namespace consensus::log
