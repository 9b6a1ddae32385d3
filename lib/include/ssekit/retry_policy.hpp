// A note on sse-pub's retry policy.
//
// RetryPolicy is a plain value: how long the Publisher (pub/publisher.hpp, internal) keeps
// retrying a refused or broken connection, and its backoff. It is public, and only it, so that
// sse-pub's options (pub.hpp) can embed it and its defaults live here once; the sinks and the
// retry loop stay internal. No behaviour, no ownership; copy it freely.
#pragma once

#include <chrono>

namespace ssekit {

struct RetryPolicy {
    std::chrono::milliseconds retry_for{30000};  // 0 = fail on the first connection error
    std::chrono::milliseconds initial{100};
    std::chrono::milliseconds max{5000};
};

}  // namespace ssekit
