#pragma once
/// Exchange: one request's way back to its client. The session creates one per
/// request and hands it to the router; handlers answer through it, possibly later
/// (from a Service callback). Once the client has gone every call is a no-op, so a
/// late Service callback is harmless; holders should drop the exchange when done.
///
/// Lifecycle: exactly one of reply() or start_stream() is called. After
/// start_stream(), any number of stream_chunk() calls and then end_stream().
/// on_abort() registers what to do if the client goes away (or the connection is
/// dropped for a bound) before the answer is complete; it runs at most once, and
/// never after the answer completed.

#include <functional>
#include <memory>
#include <string>

#include "http/response.h"

namespace consensus::http {

class Exchange {
public:
    virtual ~Exchange() = default;

    /// Sends a complete response. Precondition: nothing was sent yet.
    virtual void reply(Response response) = 0;
    /// Sends the status line and fields now, with a chunked body to follow.
    /// Precondition: nothing was sent yet.
    virtual void start_stream(Response head) = 0;
    /// Queues one non-empty chunk. If the client falls so far behind that the
    /// session's bound on pending chunks is exceeded, the connection is dropped and
    /// the abort callback runs.
    virtual void stream_chunk(std::string data) = 0;
    /// Ends the chunked body; the exchange is then complete.
    virtual void end_stream() = 0;
    /// Registers the callback run when the client leaves before completion.
    virtual void on_abort(std::function<void()> abort) = 0;
    /// True while the client can still receive this exchange's answer.
    virtual bool is_open() const = 0;
};

using ExchangePtr = std::shared_ptr<Exchange>;

}  // namespace consensus::http
