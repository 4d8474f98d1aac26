#!/usr/bin/python3
"""Prints the parity error table (max |error| against float64, ours and PyTorch float32's) that the parity
tests appended to build/parity-report.jsonl, as Markdown. Hidden states are summarised by their worst ratio."""
import json
import os
import sys

from harness import REPORT


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else REPORT
    if not os.path.exists(path):
        sys.exit(f"{path}: no report; run the parity tests first")
    rows = {}
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            rows[(r["case"], r["output"])] = r  # the latest run of each case wins
    print("| case | output | ours | PyTorch f32 | ratio |")
    print("|---|---|---|---|---|")
    cases = sorted({c for c, _ in rows})
    for case in cases:
        hidden = [r for (c, o), r in rows.items() if c == case and o.startswith("hidden_states[")]
        for (c, o), r in sorted(rows.items()):
            if c == case and not o.startswith("hidden_states["):
                print(f"| {case} | {o} | {r['ours']:.2e} | {r['pytorch_f32']:.2e} | {r['ours'] / r['pytorch_f32']:.2f} |")
        if hidden:
            worst = max(hidden, key=lambda r: r["ours"] / r["pytorch_f32"])
            print(f"| {case} | hidden_states (worst of {len(hidden)}: {worst['output']}) | {worst['ours']:.2e} | "
                  f"{worst['pytorch_f32']:.2e} | {worst['ours'] / worst['pytorch_f32']:.2f} |")


if __name__ == "__main__":
    main()
