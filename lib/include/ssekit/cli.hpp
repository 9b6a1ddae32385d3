// A note on command lines: one way to parse them for every tool.
//
// A tool's bind_<tool>_options() declares its options on a CLI::App, bound to its options
// struct; parse_args() then parses and sorts every outcome into an exit code of exit.hpp, so
// the three tools answer alike:
//   --help, --version    printed to `out`; Exit::ok.
//   a bad flag or value  one line "<prog>: error: <why> (see <prog> --help)"; Exit::usage.
//   a bad environment    the value came from an option's environment variable (its envname)
//   value                or only fails the tool's check because of one: one line naming the
//                        variable, "<prog>: error: <why> (from <VAR>)"; Exit::config.
//   a failed check       `check` runs after a clean parse, for what CLI11 cannot say (option
//                        combinations, formats); its message is a usage error like a bad flag.
// The environment is told from the command line by parsing again, into a fresh struct, with
// an option's envname set aside, never by changing the process environment; a bad flag wins
// over a bad variable. Not thread-safe: parsing writes `opts`.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "ssekit/exit.hpp"
#include "ssekit/log.hpp"
#include "ssekit/status.hpp"

namespace ssekit {

// Parses `args` (argv without the program name) into `opts` with the options that
// `bind(app, opts)` declares (a bind_<tool>_options), then runs `check(opts)` (the tool's
// check_<tool>_options, or nullptr). Returns nothing when the tool should run, else the Exit
// to end with (see the note). `log` names the program in the error line; the app's name (set
// by `bind`) names it in "see <prog> --help".
template <class Options>
std::optional<Exit> parse_args(Options &opts, void (*bind)(CLI::App &, Options &), Status (*check)(const Options &),
                               std::vector<std::string> args, std::ostream &out, const Logger &log);

namespace detail {

// One command line bound and ready to parse: an app bound to an options struct, and the
// check of that struct ("" when it passes).
struct BoundCommandLine {
    std::unique_ptr<CLI::App> app;
    std::function<Status()> check;
};

// The untyped half of parse_args: make(false) binds the caller's struct, make(true) a fresh
// one, for the parses that tell the environment from the command line (a variable set aside
// must leave its option at the default, which a struct already parsed into no longer holds).
std::optional<Exit> parse_args(const std::function<BoundCommandLine(bool fresh)> &make, std::vector<std::string> args,
                               std::ostream &out, const Logger &log);

}  // namespace detail

template <class Options>
std::optional<Exit> parse_args(Options &opts, void (*bind)(CLI::App &, Options &), Status (*check)(const Options &),
                               std::vector<std::string> args, std::ostream &out, const Logger &log) {
    auto make = [&](bool fresh) {
        detail::BoundCommandLine b{std::make_unique<CLI::App>(), {}};
        auto target = fresh ? std::make_shared<Options>() : std::shared_ptr<Options>(&opts, [](Options *) {});
        bind(*b.app, *target);
        b.check = [target, check] { return check ? check(*target) : Status::ok(); };
        return b;
    };
    return detail::parse_args(make, std::move(args), out, log);
}

// The one help layout, within 80 columns: sets `app`'s name, version flag (-V,--version),
// description and a formatter that wraps option lines, and a footer of `notes` (a paragraph,
// may be ""), the examples, the tool's exit codes (exit_code_table) and `see` ("See ssed(1).").
// Call it first in a bind function: option groups take the formatter when they are added.
void set_help(CLI::App &app, const std::string &program, const std::string &description, const std::string &notes,
              const std::vector<std::string> &examples, const std::string &see);

// Validators that say what is wanted in words ("must be a number of seconds above 0, not
// 'soon'"), where CLI11's Range would print DBL_MAX in full.
CLI::Validator seconds_at_least(bool allow_zero);
CLI::Validator whole_number(std::uint64_t min);

// Adds `name` taking SECONDS (2.5, 0) to `group`, bound to a millisecond duration of a library
// struct: users write seconds, the struct keeps its own unit and its default shows in --help.
// Negative values are refused (seconds_at_least(true)); add ->check() for a range.
CLI::Option *add_seconds_option(CLI::App &group, const std::string &name, std::chrono::milliseconds &value,
                                const std::string &description);

// Adds `old_name` ("--prefix") as a deprecated spelling of `current` (already added), hidden
// from --help: its value goes to `current`, and its first use appends "--prefix is deprecated:
// use --redis-prefix" to `warnings`, which the tool logs once it runs (so -q applies).
void add_deprecated_alias(CLI::App &app, const std::string &old_name, CLI::Option *current,
                          std::vector<std::string> &warnings);

// The one vocabulary of the client tools (sse-pub, sse-tail) for where ssed is:
//   --server URL   into `flag`; "" = $SSE_SERVER (into `env`, bound as a hidden option so
//                  that a bad value is named and exits 78), else kDefaultServerUrl.
//   --token TOKEN  into `token`, default $SSE_TOKEN, sent as Authorization: Bearer; a token
//                  with CR, LF or NUL is refused (64 from the flag, 78 from the variable).
inline constexpr const char *kDefaultServerUrl = "http://127.0.0.1:8080";  // ssed's default --listen
CLI::Option *add_server_option(CLI::App &group, std::string &flag, std::string &env, const std::string &what_for);
CLI::Option *add_token_option(CLI::App &group, std::string &token, const std::string &what_for);
// The URL --server, $SSE_SERVER and the default make, and the check it must pass (http or https).
std::string server_url(const std::string &flag, const std::string &env);
Status check_server_url(const std::string &url);

// Binds `opt` (added for a variable of an enum type that now holds `current`) to the names in
// `names`: it takes exactly those ("nope not in {pubsub,streams}" otherwise) and --help shows
// them as the type and `current`'s name as the default. The map is the one list of names.
template <class Enum>
CLI::Option *takes_names(CLI::Option *opt, const std::map<std::string, Enum> &names, Enum current) {
    std::vector<std::string> keys;
    std::string type, default_name;
    for (const auto &[name, value] : names) {
        keys.push_back(name);
        type += (type.empty() ? "" : "|") + name;
        if (value == current) default_name = name;
    }
    // IsMember words the refusal; Transformer hands the option the enum's value.
    CLI::Validator v = CLI::IsMember(keys) & CLI::Transformer(names);
    v.description("");
    return opt->transform(v)->type_name(type)->default_str(default_name);
}

}  // namespace ssekit
