#include "tail/state_file.hpp"

#include <algorithm>

#include "base/file.hpp"

namespace ssekit {

namespace {

constexpr std::size_t kMaxStateBytes = std::size_t(16) << 20;

}  // namespace

Status load_event_ids(const std::string &path, EventIds &out) {
    out.clear();
    std::string text;
    Status s = read_file(path, kMaxStateBytes, text);
    if (s.code() == Status::Code::not_found) return Status::ok();  // the first run
    if (!s) return s;
    std::size_t line_no = 0;
    for (std::size_t at = 0; at < text.size();) {
        std::size_t end = std::min(text.find('\n', at), text.size());
        std::string_view line = std::string_view(text).substr(at, end - at);
        at = end + 1;
        ++line_no;
        if (line.empty()) continue;
        std::size_t space = line.find(' ');
        if (space == std::string_view::npos || space == 0)
            return Status::invalid_argument(path + ":" + std::to_string(line_no) + ": not 'URL ID'");
        out[std::string(line.substr(0, space))] = std::string(line.substr(space + 1));
    }
    return Status::ok();
}

Status save_event_ids(const std::string &path, const EventIds &ids) {
    std::string text;
    for (const auto &[url, id] : ids) text.append(url).append(" ").append(id).append("\n");
    return replace_file(path, text);
}

}  // namespace ssekit
