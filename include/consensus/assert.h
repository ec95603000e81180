#pragma once
/// Assertions that stay on in every build type (STYLE §8: programmer errors abort with
/// a message). Never use these on bytes that came from the network or the disk: those
/// are input, and get a Status.

namespace consensus::detail {
[[noreturn]] void assert_fail(const char* expression, const char* file, int line,
                              const char* message);
}  // namespace consensus::detail

#define CONSENSUS_ASSERT(expression)                                                   \
    do {                                                                               \
        if (!(expression)) {                                                           \
            ::consensus::detail::assert_fail(#expression, __FILE__, __LINE__, nullptr); \
        }                                                                              \
    } while (0)

#define CONSENSUS_ASSERT_MSG(expression, message)                                      \
    do {                                                                               \
        if (!(expression)) {                                                           \
            ::consensus::detail::assert_fail(#expression, __FILE__, __LINE__, message); \
        }                                                                              \
    } while (0)

#define CONSENSUS_UNREACHABLE() \
    ::consensus::detail::assert_fail("unreachable", __FILE__, __LINE__, nullptr)
