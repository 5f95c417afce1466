#!/usr/bin/env python3
"""Precision and recall of the reply parser on the labelled replies (the README's table).

Pure Python: loads addons/credit_control/tools/reply_parser.py by path, no Odoo and no database.

Usage: python3 scripts/reply_parser_eval.py [--set PATH] [--misses]
       (--set addons/credit_control/tests/data/replies_holdout.csv for the held-out replies)
"""

import argparse
import importlib.util
import os
import sys
from datetime import date

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ADDON = os.path.join(ROOT, "addons", "credit_control")


def load_parser():
    spec = importlib.util.spec_from_file_location("reply_parser", os.path.join(ADDON, "tools", "reply_parser.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules["reply_parser"] = module  # dataclasses look the module up while the class is made
    spec.loader.exec_module(module)
    return module


def percent(value):
    """Rounded down, as the test's floors compare: a figure printed is one the parser reaches."""
    return f"{int(value * 100 + 1e-9)}%"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default=os.path.join(ADDON, "tests", "data", "replies.csv"), help="labelled CSV")
    parser.add_argument("--misses", action="store_true", help="also list every reply the parser got wrong")
    args = parser.parse_args()
    reply_parser = load_parser()
    result = reply_parser.evaluate(reply_parser.load_labelled_set(args.set))
    stats = result["stats"]
    print(
        f"Reply parser on {result['rows']} labelled replies ({result['by_lang']['nl']} Dutch, "
        f"{result['by_lang']['en']} English), {date.today().isoformat()}"
    )
    print()
    print("| Kind | Labelled | Suggested | Right | Precision | Recall | Precision (kind only) | Recall (kind only) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for kind in (*reply_parser.KINDS, "overall"):
        values = stats[kind]
        print(
            f"| {kind} | {values['expected']} | {values['suggested']} | {values['correct']} | "
            f"{percent(values['precision'])} | {percent(values['recall'])} | "
            f"{percent(values['kind_precision'])} | {percent(values['kind_recall'])} |"
        )
    print()
    print(
        f"Nothing to suggest: {stats['none']['correct']} of {stats['none']['expected']} replies left without a "
        f"suggestion. Language detected right: {percent(result['lang_accuracy'])}."
    )
    if args.misses:
        print()
        for row, suggestion in result["misses"]:
            expected = ", ".join(str(v) for v in (row["kind"], row["date"], row["amount"], row["reason"]) if v)
            got = ", ".join(
                str(v) for v in (suggestion.kind, suggestion.date, suggestion.amount, suggestion.reason) if v
            )
            text = " ".join(reply_parser.strip_quoted(row["text"]).split())[:110]
            print(f"#{row['id']:>3} [{row['lang']}] expected {expected or 'nothing'}; got {got or 'nothing'}: {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
