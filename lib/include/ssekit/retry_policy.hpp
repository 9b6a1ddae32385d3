// A note on sse-pub's retry policy.
//
// RetryPolicy is a plain value: how long the Publisher (pub/publisher.hpp, internal) keeps
// retrying a refused or broken connection, and its backoff. It is public, and only it, so that
// sse-pub's options (pub.hpp) can embed it and its defaults live here once; the sinks and the
// retry loop stay internal. No behaviour, no ownership; copy it freely.
#pragma once

#include <chrono>
#include <optional>

namespace ssekit {

struct RetryPolicy {
    std::chrono::milliseconds retry_for{30000};  // 0 = fail on the first connection error
    // While the destination has never answered, a refused connection most likely means nothing
    // runs there: retry only this long (at most retry_for). Nothing = retry_for.
    std::optional<std::chrono::milliseconds> unreached_for;
    std::chrono::milliseconds initial{100};
    std::chrono::milliseconds max{5000};
};

// unreached_for of a one-shot `sse-pub TOPIC DATA` without --retry-for: long enough for an ssed
// that is starting, short enough that a typo in the URL fails fast (sse-pub(1) says 3 s).
inline constexpr std::chrono::milliseconds kOneShotUnreachedFor{3000};

}  // namespace ssekit
