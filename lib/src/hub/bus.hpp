// A note on the bus.
//
// Bus is what ssed's HTTP API talks to, whichever way events travel: the in-process Hub
// implements it, and so does the Redis bridge (ssed --redis), which publishes into Redis and
// delivers what comes back into a Hub. The API holds one Bus& and never asks which it has.
//
// A subscription is two-step, because the HTTP layer writes the response head and the replay
// before the socket changes hands: subscribe() registers the subscriber (every event published
// after its replay is queued for it) and returns a ticket; the socket is then adopted by the
// Hub with that ticket, or the ticket is cancel()led if the handshake failed.
//
// Thread safety: every member may be called from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hub/frame.hpp"  // FramePtr
#include "sse/publish.hpp"
#include "ssekit/status.hpp"

namespace ssekit {

// Why a resume could not continue exactly after the client's Last-Event-ID.
struct Gap {
    enum class Reason { evicted, earlier_run, unknown };
    Reason reason = Reason::unknown;
    std::string last_event_id;  // what the client asked to resume from
};
std::string_view to_string(Gap::Reason r);

struct SubscribeResult {
    Status status;                  // invalid_argument (topic), unavailable (limits, backend down)
    std::uint64_t ticket = 0;       // for Hub::adopt() or Bus::cancel()
    std::vector<FramePtr> replay;   // to write, in order, before the socket is handed over
    std::optional<Gap> gap;         // set when Last-Event-ID was given but not found
};

struct TopicInfo {
    std::string name;
    std::size_t subscribers = 0;
    std::size_t history_frames = 0;
    std::uint64_t published = 0;
    std::string last_id;
};

// One Prometheus sample with its HELP and TYPE lines; the HTTP API writes them out.
struct Metric {
    const char *name;
    const char *type;  // "gauge" or "counter"
    const char *help;
    std::uint64_t value;
};

class Bus {
public:
    virtual ~Bus() = default;

    // Publishes one event (checked with check_publish(); the id minted when empty).
    virtual PublishResult publish(PublishRequest req) = 0;
    // All or none: every request is checked first; on the first refused one nothing is
    // published and that result alone is returned, its index in `*failed_index` (0 when the
    // batch as a whole was refused: limits, backend down). On success one result per request,
    // in order, and `*failed_index` = reqs.size().
    virtual std::vector<PublishResult> publish_batch(std::vector<PublishRequest> reqs,
                                                     std::size_t *failed_index = nullptr) = 0;

    // Registers a subscriber of `topics` resuming after `last_event_id` ("" = live only); see
    // the note for the ticket. The resume policy is in hub.hpp.
    virtual SubscribeResult subscribe(const std::vector<std::string> &topics, std::string_view last_event_id) = 0;
    // Registers a subscriber of `topics` whose replay is their whole retained history, with no
    // Gap: the client asked for what is kept, so nothing it did not ask for is missing
    // (ssed's `?since=start`, sse-tail --from-start).
    virtual SubscribeResult subscribe_from_start(const std::vector<std::string> &topics) = 0;
    // Drops the subscriber `ticket` (and closes its socket if it was adopted).
    virtual void cancel(std::uint64_t ticket) = 0;

    // ok while publishing can succeed; otherwise why not (ssed's /healthz answers 503 with it).
    virtual Status health() const = 0;
    virtual std::vector<Metric> metrics() const = 0;
    virtual std::vector<TopicInfo> topics() const = 0;
};

}  // namespace ssekit
