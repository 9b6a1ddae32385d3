#include "tail/request.hpp"

#include <algorithm>
#include <cctype>

#include "base/file.hpp"

namespace ssekit {

namespace {

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
    if (s.size() < prefix.size()) return false;
    for (size_t i = 0; i < prefix.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
    return true;
}

// RFC 9110's tchar: what a method name may hold.
bool is_token(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    });
}

// One -d or --json value's bytes: the text itself, or @FILE / @- read whole.
Status read_piece(const std::string &option, const std::string &value, int stdin_fd, std::string &out) {
    if (!value.starts_with("@")) {
        out = value;
        return Status::ok();
    }
    const std::string file = value.substr(1);
    Status s = file == "-" ? read_bounded(stdin_fd, kMaxBodyBytes, "standard input", out)
                           : read_file(file, kMaxBodyBytes, out);
    return s ? s : Status::invalid_argument(option + ": " + s.message());
}

}  // namespace

bool sets_header(const std::vector<std::string> &values, std::string_view name) {
    for (const auto &v : values)
        if (v.size() > name.size() && v[name.size()] == ':' && starts_with_nocase(v, name)) return true;
    return false;
}

bool is_http_url(std::string_view url) {
    return starts_with_nocase(url, "http://") || starts_with_nocase(url, "https://");
}

Status check_header(std::string_view h) {
    size_t colon = h.find(':');
    if (colon == std::string::npos || colon == 0 || h.find_first_of(" \t") < colon)
        return Status::invalid_argument("--header must look like 'Name: value': " + std::string(h));
    if (h.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos)
        return Status::invalid_argument("--header must not contain CR, LF or NUL");
    if (starts_with_nocase(h, "last-event-id:"))
        return Status::invalid_argument("use --last-event-id rather than -H 'Last-Event-ID: ...'");
    return Status::ok();
}

Status check_header_option(std::string_view value) {
    if (!value.starts_with("@")) return check_header(value);
    if (value == "@-")
        return Status::invalid_argument("-H @- cannot be read again at each connect: use -H @FILE");
    if (value == "@") return Status::invalid_argument("-H @FILE needs a file name");
    return Status::ok();
}

Status check_request_options(const std::optional<std::string> &method, const std::vector<std::string> &data,
                             const std::vector<std::string> &json) {
    if (method && !is_token(*method))
        return Status::invalid_argument("--request must be an HTTP method such as POST, not '" + *method + "'");
    if (!data.empty() && !json.empty()) return Status::invalid_argument("use --data or --json, not both");
    const auto readers = std::count(data.begin(), data.end(), "@-") + std::count(json.begin(), json.end(), "@-");
    if (readers > 1) return Status::invalid_argument("standard input (@-) can be read only once");
    return Status::ok();
}

Status load_body(const std::vector<std::string> &data, const std::vector<std::string> &json, int stdin_fd,
                 std::optional<RequestBody> &out) {
    out.reset();
    if (data.empty() && json.empty()) return Status::ok();
    RequestBody body;
    std::string piece;
    for (const std::string &value : data) {
        if (Status s = read_piece("--data", value, stdin_fd, piece); !s) return s;
        if (value.starts_with("@")) std::erase_if(piece, [](char c) { return c == '\r' || c == '\n'; });
        if (&value != &data.front()) body.bytes += '&';
        body.bytes += piece;
        if (body.bytes.size() > kMaxBodyBytes) break;
    }
    for (const std::string &value : json) {
        if (Status s = read_piece("--json", value, stdin_fd, piece); !s) return s;
        body.bytes += piece;
        if (body.bytes.size() > kMaxBodyBytes) break;
    }
    if (body.bytes.size() > kMaxBodyBytes)
        return Status::invalid_argument("the request body is larger than " + std::to_string(kMaxBodyBytes >> 20) +
                                        " MiB");
    if (!json.empty()) body.content_type = "application/json";
    out = std::move(body);
    return Status::ok();
}

bool resends_by_default(const std::string &method, bool has_body) { return !has_body && (method.empty() || method == "GET"); }

std::vector<std::string> RequestHeaders::read(std::string &problem) {
    problem.clear();
    std::vector<std::string> lines;
    for (const std::string &value : values_) {
        if (!value.starts_with("@")) {
            lines.push_back(value);
            continue;
        }
        const std::string file = value.substr(1);
        std::string text;
        std::vector<std::string> fresh;
        Status s = read_file(file, kMaxHeaderFileBytes, text);
        for (size_t at = 0; s && at < text.size();) {
            size_t end = std::min(text.find('\n', at), text.size());
            std::string line = text.substr(at, end - at);
            at = end + 1;
            if (!line.empty() && line.back() == '\r') line.pop_back();
            if (line.empty()) continue;
            s = check_header(line);
            fresh.push_back(std::move(line));
        }
        if (s) last_good_[file] = std::move(fresh);
        else if (problem.empty()) problem = "-H " + value + ": " + s.message();
        const auto &good = last_good_[file];
        lines.insert(lines.end(), good.begin(), good.end());
    }
    return lines;
}

}  // namespace ssekit
