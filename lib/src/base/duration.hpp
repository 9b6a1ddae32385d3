// A note on durations in messages.
//
// Every duration ssekit writes for people ("retrying in 0.2 s", "heartbeat 15 s", "timed out
// after 2.5 s") goes through format_duration, so one value always reads the same: seconds,
// rounded to the millisecond, without trailing zeros, then " s". Stateless; thread-safe.
#pragma once

#include <chrono>
#include <string>

namespace ssekit {

// 1500 ms -> "1.5 s", 15 s -> "15 s", 250 ms -> "0.25 s", 0 -> "0 s", -2 s -> "-2 s".
// Any std::chrono duration converts; so do seconds given as a double (duration<double>(x)).
std::string format_duration(std::chrono::duration<double> d);

// The same without the unit ("1.5", "15"): a default in --help, where SECONDS names the unit.
std::string seconds_number(std::chrono::duration<double> d);

}  // namespace ssekit
