"""The benchmarks' one way to print a result: a markdown table, each column as wide as its
widest cell. Imported by the Python parts of scripts/bench*.sh (bench-common.sh exports
SSEKIT_BENCH_LIB, the folder of this file)."""


def print_table(head, rows):
    widths = [max(len(str(r[i])) for r in list(rows) + [head]) for i in range(len(head))]
    print("| " + " | ".join(str(h).ljust(w) for h, w in zip(head, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |")
