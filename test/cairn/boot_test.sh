#!/bin/sh
# End-to-end tests of `cairn run` against a fake core (fake_core.sh).
# SPDX-License-Identifier: MIT
#
# Usage: boot_test.sh BUILD_DIR. Runs BUILD_DIR/cairn with CAIRN_BUILD set
# to a scratch build dir whose core/core is fake_core.sh, so nothing lands
# in the real build dir. Prints one harness line per case (test/test.h).

BUILD=${1:?usage: boot_test.sh BUILD_DIR}
CAIRN=$BUILD/cairn
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d /tmp/cairn-boot-test.XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT
failed=0

if [ ! -x "$CAIRN" ]; then
	echo "FAIL - cairn-boot-000: $CAIRN exists (not built)"
	exit 1
fi

# The scratch build dir: a fake core and executables for module lookup.
mkdir -p "$T/build/core" "$T/src/scenarios"
cp "$HERE/fake_core.sh" "$T/build/core/core"
chmod 755 "$T/build/core/core"
exe() {
	mkdir -p "$T/build/$(dirname "$1")"
	printf '#!/bin/sh\n# %s\n' "$1" >"$T/build/$1"
	chmod 755 "$T/build/$1"
}
exe init/init
exe app/timer/timer
exe a/deep/er/timer
exe dup1/dup
exe dup2/dup
exe init.p/hidden
exe meson-private/hidden2
mkdir -p "$T/build/noexec"
echo data >"$T/build/noexec/noexec"

# scn NAME: the run file NAME.run, from stdin.
scn() {
	cat >"$T/src/scenarios/$1.run"
}

# cr NAME [OPTION...]: runs the scenario; output in $out, status in $rc.
cr() {
	n=$1
	shift
	out=$T/$n.out
	CAIRN_BUILD=$T/build "$CAIRN" run "$@" "$T/src/scenarios/$n.run" \
	    >"$out" 2>&1
	rc=$?
}

st() {
	[ "$rc" = "$1" ] || { why="exit status $rc, expected $1"; return 1; }
}
has() {
	grep -qF -- "$1" "$out" || { why="no line containing: $1"; return 1; }
}
hasnt() {
	! grep -qF -- "$1" "$out" || { why="unwanted line: $1"; return 1; }
}
last() {
	[ "$(tail -n 1 "$out")" = "$1" ] ||
	    { why="last line is not: $1"; return 1; }
}

# check ID DESCRIPTION FUNCTION
check() {
	why=
	out=/dev/null
	if "$3"; then
		echo "ok - $1: $2"
	else
		echo "FAIL - $1: $2 ($why)"
		[ -f "$out" ] && sed 's/^/  | /' "$out"
		failed=1
	fi
}

t_pass() {
	scn pass <<'EOF'
timeout 10
config
<config/>
end
rom fake.sh
echo "[init -> hello] Hello"
echo "[init -> hello] something else"
printf '[init -> hello] Bye \t \r\n'
sleep 30
end
expect [init -> hello] Hello
expect   [init -> hello] Bye   	
EOF
	cr pass --check
	st 0 && has "[init -> hello] something else" &&
	    has "cairn: scenario pass: passed (2 expectations, "
}

t_timeout() {
	scn order <<'EOF'
timeout 1
rom fake.sh
echo second
echo first
sleep 30
end
expect first
expect second
EOF
	cr order --check
	st 1 && has "cairn: scenario order: FAILED: timeout after 1 s waiting for line 8: expect second"
}

t_fail_pattern() {
	scn failpat <<'EOF'
rom fake.sh
echo "[init] Panic: oh no"
echo done
sleep 30
end
fail Panic
expect done
EOF
	cr failpat --check
	st 1 && has "cairn: scenario failpat: FAILED: output matches 'fail Panic' of line 6: [init] Panic: oh no"
}

t_error_line() {
	scn errline <<'EOF'
rom fake.sh
echo "[init -> x] Error: no route"
echo done
sleep 30
end
expect done
EOF
	cr errline --check
	st 1 && has "FAILED: error line not matched by any expect: [init -> x] Error: no route"
}

t_error_expected() {
	scn errexp <<'EOF'
rom fake.sh
echo "[init -> x] Error: denied session"
echo "[init -> x] Error: also fine"
echo done
sleep 30
end
expect-re \[init -> x\] Error: (denied|refused) session
expect-re .*also fine
expect done
EOF
	cr errexp --check
	st 0 && has "cairn: scenario errexp: passed (3 expectations"
}

t_watch_mode() {
	scn watch <<'EOF'
rom fake.sh
echo "[init -> x] Error: ignored without --check"
echo "Panic"
echo done
sleep 30
end
fail Panic
expect done
EOF
	cr watch
	st 0 && has "[init -> x] Error: ignored without --check" &&
	    has "cairn: scenario watch: passed (1 expectations"
}

t_early_exit() {
	scn early <<'EOF'
rom fake.sh
echo one
exit 3
end
expect one
expect never
EOF
	cr early --check
	st 1 && has "cairn: scenario early: FAILED: core exited with status 3 while waiting for line 6: expect never"
}

t_after_fails() {
	scn afterbad <<'EOF'
rom fake.sh
echo done
sleep 30
end
expect done
after echo after-output-marker; test -f nonexistent
EOF
	cr afterbad --check
	st 1 && has "after-output-marker" &&
	    has "FAILED: after command at line 6 exited with status 1: echo after-output-marker; test -f nonexistent"
}

t_after_passes() {
	scn afterok <<'EOF'
setup echo made-by-setup > file
rom fake.sh
echo "[core] cwd $(pwd)"
echo done
sleep 30
end
expect done
after cat file
EOF
	cr afterok --check
	st 0 && has "made-by-setup" &&
	    has "[core] cwd $T/build/scenario-runs/afterok" &&
	    has "cairn: scenario afterok: passed"
}

t_requires() {
	scn needs <<'EOF'
requires cmd:sh cmd:cairn-no-such-program
rom fake.sh
echo never started
end
EOF
	cr needs --check
	st 77 && last "skip: needs the program 'cairn-no-such-program' on PATH" &&
	    hasnt "never started" &&
	    { [ ! -e "$T/build/scenario-runs/needs" ] ||
	    { why="work dir was made"; false; }; }
}

t_runfile_error() {
	scn bad <<'EOF'
timeout 5

expcet [init] x
EOF
	cr bad --check
	st 2 && last "$T/src/scenarios/bad.run:3: unknown directive 'expcet'"
}

t_setup_fails() {
	scn setupbad <<'EOF'
setup true
setup echo setup-said-this; exit 2
rom fake.sh
echo never started
end
EOF
	cr setupbad --check
	st 1 && has "setup-said-this" && hasnt "never started" &&
	    has "FAILED: setup command at line 2 exited with status 2: echo setup-said-this; exit 2"
}

t_setup_env() {
	scn env <<'EOF'
setup echo "$CAIRN_BUILD|$CAIRN_SRC|$CAIRN_WORK" > data
setup touch disk.img
module data data
host disk disk.img rw
host ro /dev/null
rom fake.sh
echo "[core] data $(cat $BOOT/data)"
echo done
sleep 30
end
expect done
EOF
	cr env --check
	w=$T/build/scenario-runs/env
	st 0 && has "[core] data $T/build|$T/src|$w" &&
	    has "[core] host disk=$w/disk.img:rw" &&
	    has "[core] host ro=/dev/null"
}

t_module_lookup() {
	scn lookup <<'EOF'
modules init timer
modules dup1/dup
rom fake.sh
for m in init timer dup config fake.sh; do
	echo "[core] $m $(stat -c %a $BOOT/$m) $(sed -n 2p $BOOT/$m)"
done
echo done
sleep 30
end
config
<config>
  <start name="timer"/>   # verbatim
</config>
end
expect done
EOF
	cr lookup --check
	st 0 && has "[core] init 555 # init/init" &&
	    has "[core] timer 555 # app/timer/timer" &&
	    has "[core] dup 555 # dup1/dup" &&
	    has '[core] config 444   <start name="timer"/>   # verbatim' &&
	    has "[core] fake.sh 444 "
}

t_module_errors() {
	printf 'modules init\nmodules nosuch\nrom fake.sh\nend\n' | scn nosuch
	cr nosuch --check
	st 1 && has "FAILED: boot module 'nosuch' (line 2): no executable named 'nosuch' in the build dir $T/build" || return 1
	printf 'modules dup\nrom fake.sh\nend\n' | scn ambiguous
	cr ambiguous --check
	st 1 && has "FAILED: boot module 'dup' (line 1): several executables named 'dup'" || return 1
	printf 'modules hidden hidden2\nrom fake.sh\nend\n' | scn objdir
	cr objdir --check
	st 1 && has "no executable named 'hidden'" || return 1
	printf 'modules noexec\nrom fake.sh\nend\n' | scn noexec
	cr noexec --check
	st 1 && has "no executable named 'noexec'" || return 1
	printf 'module img nothere.img\nrom fake.sh\nend\n' | scn nofile
	cr nofile --check
	st 1 && has "FAILED: boot module 'img' (line 1): $T/build/scenario-runs/nofile/nothere.img: No such file or directory"
}

t_sigterm_ignored() {
	scn stubborn <<'EOF'
rom fake.sh
trap '' TERM
echo done
sleep 30
end
expect done
EOF
	t0=$(date +%s)
	cr stubborn --check
	t1=$(date +%s)
	st 0 && has "cairn: core did not stop within 2000 ms of SIGTERM: killing it" &&
	    { [ $((t1 - t0)) -lt 10 ] || { why="took $((t1 - t0)) s"; false; }; }
}

t_grace() {
	scn grace <<'EOF'
rom fake.sh
echo done
sleep 0.05
echo "[init] Panic late"
sleep 30
end
fail Panic
expect done
EOF
	cr grace --check
	st 1 && has "FAILED: output matches 'fail Panic' of line 7: [init] Panic late"
}

t_sigint() {
	scn sigint <<'EOF'
timeout 30
rom fake.sh
echo $$ > core.pid
echo started
sleep 60
end
expect never
EOF
	out=$T/sigint.out
	CAIRN_BUILD=$T/build "$CAIRN" run --check \
	    "$T/src/scenarios/sigint.run" >"$out" 2>&1 &
	pid=$!
	i=0
	while ! grep -qs started "$out" && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -INT $pid
	{ wait $pid; } 2>/dev/null
	rc=$?
	core=$(cat "$T/build/scenario-runs/sigint/core.pid")
	st 130 && has "cairn: scenario sigint: interrupted" &&
	    { ! kill -0 "$core" 2>/dev/null || { why="core $core lives"; false; }; }
}

t_sigkill() {
	scn orphan <<'EOF'
timeout 30
rom fake.sh
echo $$ > core.pid
echo started
sleep 60
end
expect never
EOF
	out=$T/orphan.out
	CAIRN_BUILD=$T/build "$CAIRN" run --check \
	    "$T/src/scenarios/orphan.run" >"$out" 2>&1 &
	pid=$!
	i=0
	while ! grep -qs started "$out" && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL $pid
	{ wait $pid; } 2>/dev/null
	core=$(cat "$T/build/scenario-runs/orphan/core.pid")
	i=0
	while kill -0 "$core" 2>/dev/null && [ $i -lt 20 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	! kill -0 "$core" 2>/dev/null || { why="core $core lives"; false; }
}

t_no_expectations() {
	printf 'rom fake.sh\necho hi\nexit 0\nend\n' | scn noexp
	cr noexp --check
	st 0 && has "cairn: scenario noexp: passed (0 expectations" || return 1
	printf 'timeout 1\nrom fake.sh\nexit 4\nend\n' | scn noexpbad
	cr noexpbad --check
	st 1 && has "FAILED: core exited with status 4" || return 1
	printf 'timeout 1\nrom fake.sh\nsleep 30\nend\n' | scn noexpto
	cr noexpto --check
	st 1 && has "FAILED: timeout after 1 s waiting for core to exit"
}

t_fresh_work_dir() {
	scn fresh <<'EOF'
setup test ! -e stale && touch stale
rom fake.sh
echo done
sleep 30
end
expect done
EOF
	cr fresh --check
	st 0 || return 1
	cr fresh --check --keep
	st 0 && has "cairn: work dir kept: $T/build/scenario-runs/fresh"
}

t_usage() {
	out=$T/usage.out
	"$CAIRN" >"$out" 2>&1
	rc=$?
	st 2 && has "usage: cairn run" || return 1
	"$CAIRN" run --bogus x.run >"$out" 2>&1
	rc=$?
	st 2 && has "cairn: unknown option '--bogus'" || return 1
	"$CAIRN" frob >"$out" 2>&1
	rc=$?
	st 2 && has "cairn: unknown command 'frob'" || return 1
	"$CAIRN" run "$T/src/scenarios/nonexistent.run" >"$out" 2>&1
	rc=$?
	st 2 && has "cannot read $T/src/scenarios/nonexistent.run: No such file or directory"
}

t_no_core() {
	printf 'rom fake.sh\nend\nexpect x\n' | scn nocore
	out=$T/nocore.out
	CAIRN_BUILD=$T/build CAIRN_CORE=$T/nonexistent "$CAIRN" run --check \
	    "$T/src/scenarios/nocore.run" >"$out" 2>&1
	rc=$?
	st 1 && has "cairn: scenario nocore: FAILED: core $T/nonexistent: No such file or directory"
}

t_host_missing() {
	printf 'host disk disk.img\nrom fake.sh\nend\nexpect x\n' | scn nohost
	cr nohost --check
	st 1 && has "FAILED: host 'disk' (line 1): disk.img: No such file or directory"
}

t_watch_stops() {
	scn watchstop <<'EOF'
rom fake.sh
echo done
sleep 30
end
expect done
EOF
	t0=$(date +%s)
	cr watchstop
	t1=$(date +%s)
	st 0 && { [ $((t1 - t0)) -lt 5 ] || { why="took $((t1 - t0)) s"; false; }; }
}

check cairn-boot-001 "lines in order pass" t_pass
check cairn-boot-002 "a missing line times out naming it" t_timeout
check cairn-boot-003 "a fail pattern fails" t_fail_pattern
check cairn-boot-004 "an Error: line fails with --check" t_error_line
check cairn-boot-005 "an expected Error: line passes" t_error_expected
check cairn-boot-006 "without --check only expectations count" t_watch_mode
check cairn-boot-007 "core exiting early fails with its status" t_early_exit
check cairn-boot-008 "a failing after command fails, output shown" t_after_fails
check cairn-boot-009 "after runs in the work dir, output shown" t_after_passes
check cairn-boot-010 "requires cmd:nonexistent skips with 77" t_requires
check cairn-boot-011 "run-file error: file:line, status 2" t_runfile_error
check cairn-boot-012 "a failing setup command fails, output shown" t_setup_fails
check cairn-boot-013 "setup env, module from file, host args" t_setup_env
check cairn-boot-014 "modules found breadth-first, modes, config" t_module_lookup
check cairn-boot-015 "missing, ambiguous, hidden, non-exec modules" t_module_errors
check cairn-boot-016 "core ignoring SIGTERM is killed" t_sigterm_ignored
check cairn-boot-017 "output in the grace period is checked" t_grace
check cairn-boot-018 "SIGINT stops core and exits 130" t_sigint
check cairn-boot-019 "no expectations: core's exit decides" t_no_expectations
check cairn-boot-020 "the work dir is recreated, --keep" t_fresh_work_dir
check cairn-boot-021 "usage errors exit 2" t_usage
check cairn-boot-022 "a missing core fails clearly" t_no_core
check cairn-boot-023 "a missing host resource fails clearly" t_host_missing
check cairn-boot-024 "without --check, stop after the last line" t_watch_stops
check cairn-boot-025 "core stops when cairn is killed" t_sigkill
exit $failed
