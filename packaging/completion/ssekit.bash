# bash completion for ssed, sse-pub and sse-tail (ssekit), installed once per command name for
# bash-completion's loader. The options are read from the tool's own --help at each completion,
# so a renamed or added option is completed without this file changing.

# Prints one line per option name in "$1 --help": NAME TAB TAKES-A-VALUE(0/1) TAB CHOICES.
# An option line starts with "-"; its names ("-l,--listen", "-l, --listen") end at the first
# gap of two spaces; a word after them other than CLI11's "(Env:..)" or "Excludes:" is its value,
# and CLI11 prints a fixed set of values as TYPE:{a,b} (or, bound by name, as a|b).
_ssekit_options() {
    "$1" --help 2>/dev/null | awk '
        /^[[:space:]]*-/ {
            line = $0; sub(/^[[:space:]]+/, "", line)
            col = line
            if (match(line, /[[:space:]][[:space:]]+/)) col = substr(line, 1, RSTART - 1)
            n = 0; takes = 0; choices = ""; rest = col
            while (match(rest, /^--?[[:alnum:]][[:alnum:]_-]*/)) {
                names[++n] = substr(rest, 1, RLENGTH); rest = substr(rest, RLENGTH + 1)
                if (rest ~ /^\[?=/) { takes = 1; break }
                if (rest !~ /^,/) break
                sub(/^,[[:space:]]*/, "", rest)
            }
            sub(/^[[:space:]]+/, "", rest)
            if (rest != "" && rest !~ /^(\(Env:|Excludes:|Needs:)/) takes = 1
            if (match(col, /:\{[^}]*\}/)) { choices = substr(col, RSTART + 2, RLENGTH - 3); gsub(/,/, " ", choices) }
            else if (match(col, /[[:space:]][[:alnum:]_-]+(\|[[:alnum:]_-]+)+/)) { choices = substr(col, RSTART + 1, RLENGTH - 1); gsub(/\|/, " ", choices) }
            for (i = 1; i <= n; i++) printf "%s\t%d\t%s\n", names[i], takes, choices
        }'
}

_ssekit() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev='' table name takes choices
    ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
    COMPREPLY=()
    table=$(_ssekit_options "$1")
    while IFS=$'\t' read -r name takes choices; do
        if [[ $prev == "$name" && $takes == 1 ]]; then
            # The option's value: one of its fixed values, else bash's default (file names).
            [[ -n $choices ]] && mapfile -t COMPREPLY < <(compgen -W "$choices" -- "$cur")
            return 0
        fi
    done <<<"$table"
    if [[ $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$(cut -f1 <<<"$table")" -- "$cur")
    fi
    return 0
}

complete -o default -F _ssekit ssed sse-pub sse-tail
