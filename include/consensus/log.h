#pragma once
/// Logging: four levels, printf-style macros checked by the compiler, and an
/// injectable sink so tests and the simulator can capture or silence output.
/// Lines look like `<level> <component>: <message>`; raft's own lines follow the
/// stable form `<id> [term: T] <event>` (STYLE §9).

#include <cstdarg>
#include <string>

namespace consensus::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

/// Where log lines go. The default sink writes to stderr.
class Sink {
public:
    virtual ~Sink() = default;
    virtual void write(Level level, const char* component, const std::string& line) = 0;
};

/// Replaces the process-wide sink (nullptr restores stderr). Not thread-safe: set it
/// before starting the event loop.
void set_sink(Sink* sink);
/// Lines below this level are dropped before formatting.
void set_level(Level level);
Level level();
/// Parses etcd's --log-level names: debug, info, warn, error. False if unknown.
bool parse_level(const std::string& name, Level* out);

void write(Level level, const char* component, const char* format, ...)
    __attribute__((format(printf, 3, 4)));

}  // namespace consensus::log

#define CONSENSUS_LOG(line_level, component, ...)                              \
    do {                                                                       \
        if ((line_level) >= ::consensus::log::level()) {                       \
            ::consensus::log::write((line_level), (component), __VA_ARGS__);   \
        }                                                                      \
    } while (0)
#define LOG_DEBUG(component, ...) CONSENSUS_LOG(::consensus::log::Level::kDebug, component, __VA_ARGS__)
#define LOG_INFO(component, ...) CONSENSUS_LOG(::consensus::log::Level::kInfo, component, __VA_ARGS__)
#define LOG_WARN(component, ...) CONSENSUS_LOG(::consensus::log::Level::kWarn, component, __VA_ARGS__)
#define LOG_ERROR(component, ...) CONSENSUS_LOG(::consensus::log::Level::kError, component, __VA_ARGS__)
