#pragma once
/// Status and Result<T>: how errors travel between modules without exceptions
/// (STYLE §8). A Status is a code plus a human message; Result<T> is a value or a
/// non-ok Status.

#include <optional>
#include <string>
#include <utility>

#include "consensus/assert.h"

namespace consensus {

/// Broad error classes. Modules put the detail in the message; client-visible codes
/// (etcd's errorCode) live in errors.h, not here.
enum class StatusCode {
    kOk = 0,
    kInvalidArgument,   ///< bad input from a client, a flag or a peer
    kNotFound,          ///< a requested thing does not exist
    kAlreadyExists,
    kFailedPrecondition,///< the operation is not allowed in the current state
    kOutOfRange,        ///< an index or revision outside what is available
    kCorruption,        ///< stored data failed a checksum or structural check
    kIOError,           ///< the disk or the network failed
    kUnavailable,       ///< try again later (no leader, shutting down)
    kTimeout,
    kInternal,
};

/// Name of a code, for messages ("corruption", "io error", ...).
const char* status_code_name(StatusCode code);

class [[nodiscard]] Status {
public:
    Status() = default;
    Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

    static Status ok() { return Status(); }

    bool is_ok() const { return code_ == StatusCode::kOk; }
    StatusCode code() const { return code_; }
    const std::string& message() const { return message_; }
    /// "<code name>: <message>", or "ok".
    std::string to_string() const;

private:
    StatusCode code_ = StatusCode::kOk;
    std::string message_;
};

/// A value or an error. Accessing value() of an error is a programmer error.
template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
    Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
        CONSENSUS_ASSERT_MSG(!status_.is_ok(), "Result built from an ok Status needs a value");
    }

    bool is_ok() const { return value_.has_value(); }
    const Status& status() const { return status_; }
    T& value() {
        CONSENSUS_ASSERT(value_.has_value());
        return *value_;
    }
    const T& value() const {
        CONSENSUS_ASSERT(value_.has_value());
        return *value_;
    }

private:
    std::optional<T> value_;
    Status status_;
};

}  // namespace consensus
