#include "ssekit/cli.hpp"

#include "base/duration.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <sstream>

namespace ssekit {

namespace {

// The options of `app` and of its option groups (unnamed subcommands).
void collect_options(CLI::App &app, std::vector<CLI::Option *> &out) {
    for (CLI::Option *o : app.get_options()) out.push_back(o);
    for (CLI::App *group : app.get_subcommands([](CLI::App *) { return true; })) collect_options(*group, out);
}

// A parse of `reversed` into a fresh struct, with the environment variables in `aside`
// ignored as if unset, then its check: nothing when both pass, else why not.
std::optional<std::string> attempt_without(const std::function<detail::BoundCommandLine(bool)> &make,
                                           std::vector<std::string> reversed, const std::vector<std::string> &aside) {
    detail::BoundCommandLine b = make(true);
    std::vector<CLI::Option *> options;
    collect_options(*b.app, options);
    for (CLI::Option *o : options)
        if (std::find(aside.begin(), aside.end(), o->get_envname()) != aside.end()) o->envname("");
    try {
        b.app->parse(std::move(reversed));
    } catch (const CLI::ParseError &e) {
        return std::string(e.what());
    }
    if (Status s = b.check(); !s) return s.message();
    return std::nullopt;
}

// 80 columns, less the 2 that CLI11 indents an option group by.
constexpr std::size_t kHelpWidth = 78;

// Appends `text` word by word to `out`, whose last line is `col` wide, breaking lines before
// kHelpWidth; continuation lines start with `indent` spaces.
void append_wrapped(std::string &out, std::size_t &col, std::string_view text, std::size_t indent) {
    std::size_t at = 0;
    while (at < text.size()) {
        std::size_t end = text.find(' ', at);
        if (end == std::string_view::npos) end = text.size();
        std::string_view word = text.substr(at, end - at);
        at = end + 1;
        if (word.empty()) continue;
        bool line_start = col <= indent || out.empty() || out.back() == '\n';
        if (!line_start && col + 1 + word.size() > kHelpWidth) {
            out += "\n" + std::string(indent, ' ');
            col = indent;
            line_start = true;
        }
        if (!line_start || (col > 0 && out.back() != ' ')) {
            out += ' ';
            ++col;
        }
        out += word;
        col += word.size();
    }
}

std::string wrapped(std::string_view text, std::size_t indent) {
    std::string out;
    std::size_t col = 0;
    append_wrapped(out, col, text, indent);
    return out;
}

// CLI11's layout with every line inside kHelpWidth: a description that does not fit beside
// the option's name goes on the lines below it, indented.
class WrappingFormatter : public CLI::Formatter {
public:
    std::string make_option(const CLI::Option *opt, bool is_positional) const override {
        constexpr std::size_t kIndent = 8;
        std::string out = "  ";
        std::size_t col = 2;
        append_wrapped(out, col, make_option_name(opt, is_positional) + make_option_opts(opt), kIndent);
        const std::string desc = make_option_desc(opt);
        if (!desc.empty()) {
            if (col < column_width_ && column_width_ + desc.size() <= kHelpWidth) {
                out += std::string(column_width_ - col, ' ') + desc;
            } else {
                out += "\n" + std::string(kIndent, ' ');
                col = kIndent;
                append_wrapped(out, col, desc, kIndent);
            }
        }
        return out + "\n";
    }
};

}  // namespace

void set_help(CLI::App &app, const std::string &program, const std::string &description, const std::string &notes,
              const std::vector<std::string> &examples, const std::string &see) {
    app.name(program);
    app.description(wrapped(description, 0));
    app.set_version_flag("-V,--version", program + " " + SSEKIT_VERSION);
    app.formatter(std::make_shared<WrappingFormatter>());
    std::string footer;
    if (!notes.empty()) footer += wrapped(notes, 0) + "\n\n";
    footer += "Examples:\n";
    for (const std::string &e : examples) footer += "  " + e + "\n";
    footer += "\n" + exit_code_table(program) + "\n" + see;
    app.footer(footer);
}

std::optional<Exit> detail::parse_args(const std::function<BoundCommandLine(bool fresh)> &make,
                                       std::vector<std::string> args, std::ostream &out, const Logger &log) {
    std::reverse(args.begin(), args.end());  // CLI11 takes them last-first
    BoundCommandLine b = make(false);
    CLI::App &app = *b.app;
    std::string why;
    try {
        app.parse(std::vector<std::string>(args));
        Status s = b.check();
        if (s) return std::nullopt;
        why = s.message();
    } catch (const CLI::ParseError &e) {
        if (e.get_exit_code() == 0) {  // --help, --version
            std::ostringstream unused;
            app.exit(e, out, unused);
            return Exit::ok;
        }
        why = e.what();
    }

    // Was it the environment? Only variables that are set (and not empty: CLI11 skips those)
    // can be; if the command line alone passes, name the one variable that makes it fail.
    std::vector<CLI::Option *> options;
    std::vector<std::string> fed;
    collect_options(app, options);
    for (CLI::Option *o : options) {
        const std::string name = o->get_envname();
        const char *value = name.empty() ? nullptr : std::getenv(name.c_str());
        if (value && *value) fed.push_back(name);
    }
    if (!fed.empty()) {
        if (auto alone = attempt_without(make, args, fed)) {
            why = *alone;  // the command line is wrong by itself: that is what to fix first
        } else {
            std::string culprit;
            for (const std::string &name : fed)
                if (!attempt_without(make, args, {name})) {
                    culprit = name;
                    break;
                }
            if (culprit.empty())  // only a combination fails (e.g. two variables that exclude each other)
                for (const std::string &name : fed) culprit += (culprit.empty() ? "" : " and ") + name;
            log.error(why + " (from " + culprit + ")");
            return Exit::config;
        }
    }
    log.error(why + " (see " + app.get_name() + " --help)");
    return Exit::usage;
}

CLI::Validator seconds_at_least(bool allow_zero) {
    return CLI::Validator(
        [allow_zero](std::string &v) -> std::string {
            double d = 0;
            if (!CLI::detail::lexical_cast(v, d) || !std::isfinite(d) || d < 0 || (!allow_zero && d == 0))
                return allow_zero ? "must be a number of seconds, 0 or more, not '" + v + "'"
                                  : "must be a number of seconds above 0, not '" + v + "'";
            return {};
        },
        "", "seconds");
}

CLI::Validator whole_number(std::uint64_t min) {
    return CLI::Validator(
        [min](std::string &v) -> std::string {
            std::uint64_t n = 0;
            if (v.empty() || v[0] == '-' || !CLI::detail::lexical_cast(v, n) || n < min)
                return "must be a whole number, " + std::to_string(min) + " or more, not '" + v + "'";
            return {};
        },
        "", "whole number");
}

void add_deprecated_alias(CLI::App &app, const std::string &old_name, CLI::Option *current,
                          std::vector<std::string> &warnings) {
    const std::string warning = old_name + " is deprecated: use " + current->get_name();
    app.add_option_function<std::string>(
           old_name,
           [current, &warnings, warning](const std::string &value) {
               current->add_result(value);  // validated and stored with current's own results
               if (std::find(warnings.begin(), warnings.end(), warning) == warnings.end()) warnings.push_back(warning);
           })
        ->trigger_on_parse()  // before current's callback, whatever the order of declaration
        ->group("");
}

CLI::Option *add_server_option(CLI::App &group, std::string &flag, std::string &env, const std::string &what_for) {
    group.add_option("--server-from-env", env)->envname("SSE_SERVER")->group("");
    return group.add_option("--server", flag,
                            "ssed base URL " + what_for + " (default: $SSE_SERVER, else " + kDefaultServerUrl + ")")
        ->type_name("URL");
}

CLI::Option *add_token_option(CLI::App &group, std::string &token, const std::string &what_for) {
    return group.add_option("--token", token, "Bearer token " + what_for + " (Authorization: Bearer)")
        ->envname("SSE_TOKEN")
        ->type_name("TOKEN")
        ->check(CLI::Validator(
            [](std::string &v) -> std::string {
                // It goes into a header line: a line break would start another header.
                return v.find_first_of(std::string_view("\r\n\0", 3)) == std::string::npos
                           ? std::string()
                           : "must not contain CR, LF or NUL";
            },
            "", "token"));
}

std::string server_url(const std::string &flag, const std::string &env) {
    if (!flag.empty()) return flag;
    if (!env.empty()) return env;
    return kDefaultServerUrl;
}

Status check_server_url(const std::string &url) {
    auto scheme_is = [&](std::string_view scheme) {
        return url.size() >= scheme.size() &&
               std::equal(scheme.begin(), scheme.end(), url.begin(),
                          [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); });
    };
    if (scheme_is("http://") || scheme_is("https://")) return Status::ok();
    return Status::invalid_argument("server URL \"" + url + "\" must start with http:// or https://");
}

CLI::Option *add_seconds_option(CLI::App &group, const std::string &name, std::chrono::milliseconds &value,
                                const std::string &description) {
    return group
        .add_option_function<double>(
            name, [&value](double s) { value = std::chrono::milliseconds(static_cast<long long>(s * 1000)); },
            description)
        ->type_name("SECONDS")
        ->default_str(seconds_number(value))
        ->check(seconds_at_least(true));
}

}  // namespace ssekit
