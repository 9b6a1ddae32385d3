#include "tail/tail_output.hpp"

#include "base/json.hpp"

namespace ssekit {

Status Formatter::parse(std::string_view spec, Formatter &out) {
    out = Formatter{};
    if (spec == "data") { out.kind_ = Kind::data; return Status::ok(); }
    if (spec == "raw") { out.kind_ = Kind::raw; return Status::ok(); }
    if (spec == "json") { out.kind_ = Kind::json; return Status::ok(); }

    std::vector<Segment> segs;
    bool has_field = false;
    auto literal = [&](std::string_view s) {
        if (segs.empty() || segs.back().piece != Piece::literal) segs.push_back({Piece::literal, {}});
        segs.back().text.append(s);
    };
    for (size_t i = 0; i < spec.size(); ++i) {
        char c = spec[i];
        if (c == '\\') {
            if (i + 1 >= spec.size()) return Status::invalid_argument("--format ends with a lone '\\'");
            char n = spec[++i];
            if (n == 'n') literal("\n");
            else if (n == 't') literal("\t");
            else if (n == '\\') literal("\\");
            else return Status::invalid_argument(std::string("unknown escape '\\") + n + "' in --format (use \\n, \\t or \\\\)");
        } else if (c == '{') {
            if (i + 1 < spec.size() && spec[i + 1] == '{') { literal("{"); ++i; continue; }
            size_t close = spec.find('}', i);
            if (close == std::string_view::npos) return Status::invalid_argument("unterminated '{' in --format (write {{ for a brace)");
            std::string_view name = spec.substr(i + 1, close - i - 1);
            Piece p;
            if (name == "event") p = Piece::event;
            else if (name == "data") p = Piece::data;
            else if (name == "id") p = Piece::id;
            else if (name == "url") p = Piece::url;
            else return Status::invalid_argument("unknown field {" + std::string(name) + "} in --format (use {event}, {data}, {id}, {url})");
            segs.push_back({p, {}});
            has_field = true;
            i = close;
        } else if (c == '}') {
            if (i + 1 < spec.size() && spec[i + 1] == '}') { literal("}"); ++i; continue; }
            return Status::invalid_argument("unmatched '}' in --format (write }} for a brace)");
        } else {
            literal(spec.substr(i, 1));
        }
    }
    if (!has_field)
        return Status::invalid_argument("unknown --format '" + std::string(spec) +
                                        "' (use data, raw, json or a template such as '{event}: {data}')");
    // The newline that ends each event's output, unless the template brings its own.
    if (segs.back().piece != Piece::literal || segs.back().text.empty() || segs.back().text.back() != '\n')
        literal("\n");
    out.kind_ = Kind::templ;
    out.segments_ = std::move(segs);
    return Status::ok();
}

void Formatter::format(const Event &e, std::string_view url, std::string &out) {
    switch (kind_) {
    case Kind::data:
        out.append(e.data).push_back('\n');
        return;
    case Kind::json:
        out.append("{\"event\":");
        append_json_string(out, effective_type(e));
        out.append(",\"data\":");
        append_json_string(out, e.data);
        out.append(",\"id\":");
        append_json_string(out, e.id);
        if (json_url_) {
            out.append(",\"url\":");
            append_json_string(out, url);
        }
        out.append("}\n");
        return;
    case Kind::raw: {
        const std::string_view type = effective_type(e);
        if (type != "message") out.append("event: ").append(type).push_back('\n');
        if (!e.id.empty()) out.append("id: ").append(e.id).push_back('\n');
        else if (!raw_last_id_.empty()) out.append("id\n");  // an empty id resets the reader's
        raw_last_id_ = e.id;
        // The parser joined data lines with LF, so LF is the only line break left in data.
        std::string_view rest = e.data;
        while (true) {
            size_t nl = rest.find('\n');
            std::string_view line = rest.substr(0, nl);
            out.append("data:");
            if (!line.empty()) out.append(" ").append(line);
            out.push_back('\n');
            if (nl == std::string_view::npos) break;
            rest.remove_prefix(nl + 1);
        }
        out.push_back('\n');
        return;
    }
    case Kind::templ:
        for (const auto &s : segments_) {
            switch (s.piece) {
            case Piece::literal: out.append(s.text); break;
            case Piece::event: out.append(effective_type(e)); break;
            case Piece::data: out.append(e.data); break;
            case Piece::id: out.append(e.id); break;
            case Piece::url: out.append(url); break;
            }
        }
        return;
    }
}

}  // namespace ssekit
