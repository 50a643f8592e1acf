#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Runs every unit test (as registered with Meson) and every scenario.

Unit-test programs print one line per case (see test/test.h); each "ok" or
"FAIL" line counts as one test. A program that exits non-zero without a FAIL
line, or times out, counts as one failure. Each scenario under scenarios/ is
run with `cairn run --check` and counts as one test. The last line printed is
"N passed, N failed, N skipped".
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys

LINE = re.compile(r'^(ok|FAIL|SKIP) - (.*)$')


def run_unit(test, counts, verbose):
    cmd = test['cmd']
    env = dict(os.environ)
    env.update(test.get('env') or {})
    timeout = test.get('timeout') or 60
    name = test['name']
    try:
        p = subprocess.run(cmd, cwd=test.get('workdir') or None, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout)
        out = p.stdout.decode(errors='replace')
        rc = p.returncode
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b'').decode(errors='replace')
        rc = None
    seen_fail = False
    for line in out.splitlines():
        m = LINE.match(line)
        if not m:
            if verbose:
                print(f'  | {line}')
            continue
        kind = m.group(1)
        if kind == 'ok':
            counts['passed'] += 1
            if verbose:
                print(f'ok - {name}: {m.group(2)}')
        elif kind == 'FAIL':
            counts['failed'] += 1
            seen_fail = True
            print(f'FAIL - {name}: {m.group(2)}')
        else:
            counts['skipped'] += 1
            print(f'SKIP - {name}: {m.group(2)}')
    if rc is None:
        counts['failed'] += 1
        print(f'FAIL - {name}: timed out after {timeout} s')
        print(out[-3000:])
    elif rc != 0 and not seen_fail:
        counts['failed'] += 1
        print(f'FAIL - {name}: exited with status {rc}')
        print(out[-3000:])
    elif rc != 0:
        print(out[-3000:])


def run_scenario(cairn, path, counts, slow):
    try:
        p = subprocess.run([cairn, 'run', '--check', path],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=900)
        out = p.stdout.decode(errors='replace')
        rc = p.returncode
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b'').decode(errors='replace')
        rc = None
    name = os.path.basename(path)
    if rc == 0:
        counts['passed'] += 1
        print(f'ok - scenario {name}')
    elif rc == 77:
        counts['skipped'] += 1
        reason = out.strip().splitlines()[-1] if out.strip() else 'skipped'
        print(f'SKIP - scenario {name}: {reason}')
    else:
        counts['failed'] += 1
        print(f'FAIL - scenario {name} (status {rc})')
        print(out[-6000:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', default='build')
    ap.add_argument('--slow', action='store_true',
                    help='also run scenarios marked slow')
    ap.add_argument('-v', '--verbose', action='store_true')
    ap.add_argument('filter', nargs='*', help='substrings of names to run')
    a = ap.parse_args()

    counts = {'passed': 0, 'failed': 0, 'skipped': 0}
    tests = json.loads(subprocess.check_output(
        ['meson', 'introspect', a.build, '--tests']))
    for t in tests:
        if a.filter and not any(f in t['name'] for f in a.filter):
            continue
        print(f'# unit {t["name"]}', flush=True)
        run_unit(t, counts, a.verbose)

    cairn = os.path.join(a.build, 'cairn')
    if os.path.exists(cairn):
        for path in sorted(glob.glob('scenarios/*.run')):
            name = os.path.basename(path)
            if a.filter and not any(f in name for f in a.filter):
                continue
            with open(path) as f:
                is_slow = any(l.strip() == 'slow' for l in f)
            if is_slow and not a.slow:
                continue
            print(f'# scenario {name}', flush=True)
            run_scenario(cairn, path, counts, a.slow)

    print(f'{counts["passed"]} passed, {counts["failed"]} failed, '
          f'{counts["skipped"]} skipped')
    sys.exit(1 if counts['failed'] else 0)


if __name__ == '__main__':
    main()
