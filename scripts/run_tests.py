#!/usr/bin/env python3
"""Run the credit_control test suite on a fresh database of the real PostgreSQL.

Installs the addons (credit_control and its Inventory bridge credit_control_stock, with their demo
data) and their tests in a new database, then prints the closing line ``N passed, N failed`` and
exits non-zero when any test fails or errors, when any ERROR (or CRITICAL) line is logged, or when
any test — a browser tour above all — is skipped.
"""

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SUMMARY = re.compile(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests when loading database")
LEVEL = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ (ERROR|CRITICAL) ")
# a warning about this addon (a field label clash, a bad view, ...); odoo.http warnings are user errors
OWN_WARNING = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ WARNING \S+ (?!odoo\.http:)")
SKIPPED = re.compile(r" INFO \S+ \S+: skipped (.*)")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def odoo_addons_path():
    import odoo.addons  # noqa: PLC0415 - only importable once Odoo is installed

    core = [p for p in odoo.addons.__path__ if os.path.isdir(os.path.join(p, "base"))]
    return ",".join(core + [os.path.join(ROOT, "addons")])


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--tags", default="/credit_control,/credit_control_stock", help="Odoo --test-tags (default: %(default)s)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the test database afterwards")
    args = parser.parse_args()

    subprocess.run([os.path.join(ROOT, "scripts", "start_postgres.sh")], check=True)
    problems = []
    if not (shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")):
        problems.append("Chromium is not installed: browser tours cannot run (run 'make setup')")
    try:
        import websocket  # noqa: F401, PLC0415
    except ImportError:
        problems.append("websocket-client is not installed: browser tours cannot run (run 'make setup')")
    if problems:
        print("\n".join(problems))
        print("0 passed, 1 failed")
        return 1

    db = f"cctest_{os.getpid()}"  # no "credit_control" in it: warnings are matched on that name
    subprocess.run(["dropdb", "--if-exists", db], check=True)
    log_dir = os.path.join(ROOT, ".test-logs")
    os.makedirs(log_dir, exist_ok=True)
    log_path = os.path.join(log_dir, "test.log")
    cmd = [
        sys.executable,
        "-m",
        "odoo",
        "-d",
        db,
        f"--addons-path={odoo_addons_path()}",
        "-i",
        "credit_control,credit_control_stock",
        f"--test-tags={args.tags}",
        "--stop-after-init",
        "--log-level=test",
        f"--http-port={free_port()}",
        "--max-cron-threads=0",
        f"--db-filter=^{db}$",
    ]
    print("$", " ".join(cmd), flush=True)
    started = time.time()
    errors, skipped, summary = [], [], None
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd="/tmp")
        for line in proc.stdout:
            log.write(line)
            if "running as user 'root'" in line.lower():
                continue
            sys.stdout.write(line)
            if LEVEL.match(line) or (OWN_WARNING.match(line) and "credit_control" in line):
                errors.append(line.strip())
            if match := SKIPPED.search(line):
                skipped.append(match.group(1))
            if match := SUMMARY.search(line):
                summary = tuple(int(x) for x in match.groups())
        returncode = proc.wait()
    if not args.keep:
        subprocess.run(["dropdb", "--if-exists", db], check=False)

    print(f"\n== credit_control tests: {time.time() - started:.0f}s, full log in {log_path}")
    if summary is None:
        # Odoo logs no summary line when no test ran at all.
        failed, errored, run = 0, 0, 0
        print("No test summary found: no test ran, or Odoo stopped before the tests.")
    else:
        failed, errored, run = summary
    for line in errors:
        print("ERROR line:", line[:300])
    for reason in skipped:
        print("SKIPPED:", reason[:300])
    passed = max(run - failed - errored - len(skipped), 0)
    bad = failed + errored + len(skipped)
    if run == 0 or (errors and not bad) or returncode:
        bad = max(bad, 1)
    print(f"{passed} passed, {bad} failed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
