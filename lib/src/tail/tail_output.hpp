// A note on sse-tail's output formats.
//
// A Formatter turns one dispatched Event into the bytes sse-tail prints for it (always ending
// in a newline, so every event is one or more whole lines). Formats, chosen with -f/--format:
//  - data      the event's data, then a newline (the default);
//  - raw       the event as event-stream lines: `event:` (omitted for "message"), `id:`, one
//              `data:` line per line of data, a blank line. Fed back through a Parser the
//              output yields the same events: an `id:` line is written whenever the id is
//              non-empty, and an empty `id` line when it was reset after a non-empty one;
//  - json      one object per line: {"event": type, "data": data, "id": last event id}
//              ("message" when no type, "" when no id), plus "url" when several URLs are
//              followed. Invalid UTF-8 becomes U+FFFD, so each line is valid JSON;
//  - anything else is a template: `{event}`, `{data}`, `{id}`, `{url}` are replaced by the
//    values, `\n`, `\t`, `\\` are escapes, `{{` and `}}` print a brace. A newline is appended
//    unless the template already ends with one (after escapes). A template must name at least
//    one field, so a misspelt format name ("jsno") is an error rather than a constant line.
// A Formatter is a value; the raw format keeps one string of state (the id it last wrote), so
// use one Formatter per output. Not thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ssekit/event.hpp"
#include "ssekit/status.hpp"

namespace ssekit {

class Formatter {
public:
    enum class Kind { data, raw, json, templ };

    // Builds a formatter from a -f/--format value. invalid_argument names the problem
    // ("unknown field {foo} in --format", "unterminated {", ...).
    static Status parse(std::string_view spec, Formatter &out);

    Kind kind() const { return kind_; }

    // Adds "url" to JSON objects (set when several URLs are followed).
    void set_json_url(bool on) { json_url_ = on; }

    // Appends the output for `e` (received from `url`) to `out`.
    void format(const Event &e, std::string_view url, std::string &out);

private:
    enum class Piece { literal, event, data, id, url };
    struct Segment {
        Piece piece;
        std::string text;  // literal text
    };

    Kind kind_ = Kind::data;
    bool json_url_ = false;
    std::vector<Segment> segments_;  // template only
    std::string raw_last_id_;        // raw only: the id the last written block left in force
};

}  // namespace ssekit
