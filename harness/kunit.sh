#!/bin/bash
# Run the pgtlib KUnit tests for $ARCH under QEMU with kunit.py (from inside
# build/linux), under the build lock, and count the test cases.
#   kunitconfig: mm/pgtlib/.kunitconfig of the overlay tree; override with
#   KUNITCONFIG=<file>. With ALLOW_MISSING=1 and no such file, a scratch
#   kunitconfig running the list KUnit suite is used (pipeline test only).
# Logs: build/logs/kunit-$ARCH.log, JSON: build/logs/kunit-$ARCH.json
# KUNIT_KASAN=1: the same suites with generic KASAN (build/kunit-kasan-$ARCH,
# logs kunit-kasan-$ARCH.*); slow under QEMU TCG, so not part of make test.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

KASAN=
[ "${KUNIT_KASAN:-0}" = 1 ] && KASAN=-kasan
KDIR=$BUILD/kunit$KASAN-$ARCH
LOG=$LOGS/kunit$KASAN-$ARCH.log
JSON=$LOGS/kunit$KASAN-$ARCH.json
REQUIRE=--require
KUNITCONFIG=${KUNITCONFIG:-}
if [ -z "$KUNITCONFIG" ]; then
	if [ -f "$TREE/mm/pgtlib/.kunitconfig" ]; then
		KUNITCONFIG=$TREE/mm/pgtlib/.kunitconfig
	elif [ "$ALLOW_MISSING" = 1 ]; then
		KUNITCONFIG=$BUILD/scratch/kunitconfig
		mkdir -p "$BUILD/scratch"
		printf 'CONFIG_KUNIT=y\nCONFIG_LIST_KUNIT_TEST=y\n' >"$KUNITCONFIG"
		[ "${1:-}" = --locked ] ||
			progress "kunit: mm/pgtlib/.kunitconfig missing, using scratch $KUNITCONFIG (ALLOW_MISSING=1)"
		REQUIRE=
	else
		die "kunit: mm/pgtlib/.kunitconfig is missing from the overlay"
	fi
fi

ARGS=(run --arch="$KARCH" --kunitconfig="$KUNITCONFIG" --build_dir="$KDIR"
	--jobs="$JOBS" --timeout=900 --make_options "CC=$KCC"
	--kconfig_add CONFIG_SMP=y --json="$JSON")
[ -n "$CROSS" ] && ARGS+=(--cross_compile="$CROSS")
if [ -n "$KASAN" ]; then
	ARGS+=(--kconfig_add CONFIG_KASAN=y --kconfig_add CONFIG_KASAN_GENERIC=y
		--kconfig_add CONFIG_KASAN_INLINE=y --timeout=3600)
fi
# x86_64: -cpu max gives PSE, GBPAGES (1G leaves) and LA57 (5-level paging),
# so the pgtlib suites exercise every leaf size. arm64's QEMU config already
# uses -cpu max.
# The PS/2 probe can print between KTAP lines and confuse kunit.py's
# parser ("missing expected subtest"): keep the keyboard and mouse quiet.
if [ "$KARCH" = x86_64 ]; then
	ARGS+=(--qemu_args='-cpu max -smp 2')
	ARGS+=(--kernel_args=i8042.nokbd --kernel_args=i8042.noaux)
else
	ARGS+=(--qemu_args='-smp 2')
	# KFENCE guards its objects with set_memory_valid(), which goes
	# through pgtlib on arm64: run its own tests too
	[ -n "$KASAN" ] || ARGS+=(--kconfig_add CONFIG_KFENCE=y
		--kconfig_add CONFIG_KFENCE_KUNIT_TEST=y)
fi

run_kunit() {
	rm -f "$JSON"
	cd "$TREE"
	echo "+ python3 tools/testing/kunit/kunit.py ${ARGS[*]}"
	# kunit.py exits non-zero when a test fails; the JSON tells us more
	python3 tools/testing/kunit/kunit.py "${ARGS[@]}" || echo "kunit.py exit status $?"
	if [ ! -s "$JSON" ] || ! grep -q '"sub_groups"\|"test_cases"' "$JSON"; then
		echo "ERROR: kunit.py produced no JSON results (build or boot failed)"
		return 1
	fi
}

if [ "${1:-}" != --locked ]; then
	progress "waiting for build lock (kunit $ARCH) ..."
	exec flock "$LOCK" "$0" --locked
fi
run_stage "kunit $ARCH (build + run under QEMU)" "$LOG" run_kunit
# exit 3: the pipeline worked but test cases failed
python3 "$HARNESS/kunit_count.py" --arch "$ARCH" ${RESULTS:+--results "$RESULTS"} $REQUIRE "$JSON" || exit 3
