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
