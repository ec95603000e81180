#include "consensus/status.h"

#include <cstdio>
#include <cstdlib>

namespace consensus {

const char* status_code_name(StatusCode code) {
    switch (code) {
        case StatusCode::kOk: return "ok";
        case StatusCode::kInvalidArgument: return "invalid argument";
        case StatusCode::kNotFound: return "not found";
        case StatusCode::kAlreadyExists: return "already exists";
        case StatusCode::kFailedPrecondition: return "failed precondition";
        case StatusCode::kOutOfRange: return "out of range";
        case StatusCode::kCorruption: return "corruption";
        case StatusCode::kIOError: return "io error";
        case StatusCode::kUnavailable: return "unavailable";
        case StatusCode::kTimeout: return "timeout";
        case StatusCode::kInternal: return "internal";
    }
    return "unknown";
}

std::string Status::to_string() const {
    if (is_ok()) return "ok";
    return std::string(status_code_name(code_)) + ": " + message_;
}

namespace detail {

void assert_fail(const char* expression, const char* file, int line, const char* message) {
    std::fprintf(stderr, "assertion failed: %s at %s:%d%s%s\n", expression, file, line,
                 message != nullptr ? ": " : "", message != nullptr ? message : "");
    std::fflush(stderr);
    std::abort();
}

}  // namespace detail
}  // namespace consensus
