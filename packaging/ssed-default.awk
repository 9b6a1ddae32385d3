# Writes /etc/default/ssed from `ssed --help` (run at build time): every option that shows an
# (Env:NAME) becomes a commented-out NAME=DEFAULT line under its description, so the file lists
# exactly the variables of the ssed it ships with, whatever the options are called. CLI11 prints
# an option as "-l,--listen TYPE=DEFAULT (Env:NAME) ..." with the description after a gap of two
# spaces or on the next line (a long option line wraps before its "(Env:NAME)"); a flag (no
# TYPE) defaults to false. Fails if it finds no variable,
# so a change of the help's layout breaks the build instead of shipping an empty file.
# Variable: version (the package version, for the header).
function flush() {
    if (env == "") return
    if (!takes) value = "false"
    print "# " option (desc != "" ? ": " desc : "") (value == "" ? " (unset by default)" : "") \
        (excludes != "" ? " (not with" excludes ")" : "")
    print "#" env "=" value
    print ""
    env = ""; count++
}
BEGIN {
    print "# Environment of ssed.service (ssekit " version "), read by systemd when the service starts;"
    print "# see ssed(1). Each SSED_* variable is listed with its default, commented out: uncomment a"
    print "# line and change it, then `systemctl restart ssed`. systemd's syntax, not a shell script: no"
    print "# export, no $VARIABLE expansion. The file can hold the tokens, so only root may read it."
    print "# A flag takes true or false; one marked (not with ...) counts as given once set, even to"
    print "# false. A --drain-timeout above 25 s needs a longer TimeoutStopSec= (`systemctl edit ssed`)."
    print ""
}
function option_line(text) {
    match(text, /\(Env:[A-Za-z0-9_]+\)/)
    env = substr(text, RSTART + 5, RLENGTH - 6)
    head = substr(text, 1, RSTART - 1)
    rest = substr(text, RSTART + RLENGTH)
    desc = ""
    excludes = ""
    if (match(rest, /^[[:space:]]*Excludes:( --?[[:alnum:]_-]+)+/)) {
        excludes = substr(rest, RSTART, RLENGTH); sub(/^[[:space:]]*Excludes:/, "", excludes)
        rest = substr(rest, RSTART + RLENGTH)
    }
    if (match(rest, /^[[:space:]][[:space:]]+/)) desc = substr(rest, RLENGTH + 1)
    sub(/^[[:space:]]+/, "", head); sub(/[[:space:]]+$/, "", head)
    option = head; sub(/[[:space:]].*/, "", option); sub(/^.*,/, "", option)
    # The names end at the first space; anything after them is the value's type (and default).
    takes = (head ~ / /)
    value = ""
    if (takes && match(head, /=[^[:space:]=]+$/)) value = substr(head, RSTART + 1)
}
/^[[:space:]]*-/ {
    flush()
    wrapped = ""
    if ($0 ~ /\(Env:[A-Za-z0-9_]+\)/) option_line($0)
    else wrapped = $0  # a long option line: its (Env:NAME) may come on the next line
    next
}
wrapped != "" && /^ +[^ -]/ && /[(]Env:[A-Za-z0-9_]+[)]/ {
    line = $0; sub(/^[[:space:]]+/, " ", line)
    option_line(wrapped line)
    wrapped = ""
    next
}
{ wrapped = "" }
env != "" && desc == "" && /^[[:space:]]+[^[:space:]]/ { desc = $0; sub(/^[[:space:]]+/, "", desc); next }
{ flush() }
END {
    flush()
    if (count == 0) { print "ssed-default.awk: no (Env:...) option in the help text" > "/dev/stderr"; exit 1 }
}
