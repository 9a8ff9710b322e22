#!/bin/bash
# Static checks on the pgtlib code (each a counted check in $RESULTS):
#   checkpatch  scripts/checkpatch.pl --strict on every patch of a fresh
#               `make series` export (cover letter excluded); one check per
#               patch. FILE_PATH_CHANGES ("does MAINTAINERS need updating?")
#               is ignored: MAINTAINERS is updated by the last patch.
#   kernel-doc  scripts/kernel-doc -none on include/linux/pgtlib.h,
#               include/asm-generic/pgtlib.h, mm/pgtlib/*.c,
#               arch/*/mm/pgtlib_*.c and the unmapped-page allocator's
#               files; any output = failure
#   W=1         rebuild mm/pgtlib/, arch/x86/mm/pgtlib_x86.o, and
#               mm/unmapped_alloc.o, mm/unmapped_window.o, mm/secretmem.o,
#               mm/vmalloc.o and the generic
#               mm/vmalloc_walk.o (compiled, not linked) with W=1 in
#               the x86_64 guest tree; any "warning:" = failure
#   sparse      make C=2 on the same objects; any sparse warning/error in a
#               pgtlib file = failure (not vmalloc.c: the base has two)
# A failing check does not stop the others.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# internal: the locked W=1 / sparse builds (run via flock "$0" --w1|--sparse)
if [ "${1:-}" = --w1 ] || [ "${1:-}" = --sparse ]; then
	mode=$1
	shift
	if [ "$mode" = --w1 ]; then
		rm -f "$BUILD"/out-guest-x86_64/mm/pgtlib/*.o "$BUILD"/out-guest-x86_64/arch/x86/mm/pgtlib_x86.o \
			"$BUILD"/out-guest-x86_64/mm/unmapped_alloc.o "$BUILD"/out-guest-x86_64/mm/unmapped_window.o \
			"$BUILD"/out-guest-x86_64/mm/secretmem.o \
			"$BUILD"/out-guest-x86_64/mm/vmalloc.o "$BUILD"/out-guest-x86_64/mm/vmalloc_walk.o \
			"$BUILD"/out-guest-x86_64/arch/x86/mm/pat/set_memory.o
		exec make -C "$TREE" O="$BUILD/out-guest-x86_64" ARCH=x86_64 CC="ccache gcc" \
			HOSTCC="ccache gcc" -j"$JOBS" W=1 "$@"
	fi
	exec make -C "$TREE" O="$BUILD/out-guest-x86_64" ARCH=x86_64 CC="ccache gcc" \
		HOSTCC="ccache gcc" -j"$JOBS" C=2 "$@"
fi

CHECKPATCH_FLAGS=${CHECKPATCH_FLAGS:---strict --ignore FILE_PATH_CHANGES}
case " $CHECKPATCH_FLAGS " in
*" -fix"* | *" --fix"*) die "static: CHECKPATCH_FLAGS must not contain --fix / --fix-inplace (checkpatch would rewrite files)" ;;
esac
SERIES=$BUILD/series
failed=0

fail() { record FAIL "$@"; failed=1; }

# --- checkpatch ------------------------------------------------------------
progress "static: export series and run checkpatch ..."
if python3 "$HARNESS/series.py" export "$SERIES" >"$LOGS/series-export.log" 2>&1; then
	n=0
	for p in "$SERIES"/[0-9][0-9][0-9][0-9]-*.patch; do
		[ -f "$p" ] || continue
		case "$p" in */0000-cover-letter.patch) continue ;; esac
		n=$((n + 1))
		name=$(basename "$p")
		log=$LOGS/checkpatch-${name%.patch}.log
		# shellcheck disable=SC2086
		if (cd "$TREE" && perl scripts/checkpatch.pl $CHECKPATCH_FLAGS "$p") >"$log" 2>&1; then
			record PASS "checkpatch $name"
		else
			fail "checkpatch $name" "$(grep -m1 '^total:' "$log" || echo 'see log'); log: ${log#"$TOP"/}"
			grep -E '^(ERROR|WARNING|CHECK):' "$log" | head -10 | sed 's/^/           /' || true
		fi
	done
	[ $n -gt 0 ] || echo "         NOTE: the series has no patches yet (nothing for checkpatch)"
else
	fail "series export" "log: ${LOGS#"$TOP"/}/series-export.log"
	tail -20 "$LOGS/series-export.log" | sed 's/^/           /' || true
fi

# --- kernel-doc ------------------------------------------------------------
progress "static: kernel-doc ..."
kd_files=$(cd "$TREE" && ls include/linux/pgtlib.h include/asm-generic/pgtlib.h mm/pgtlib/*.c arch/*/mm/pgtlib_*.c \
	include/linux/unmapped_alloc.h mm/unmapped_alloc.[ch] mm/unmapped_window.c 2>/dev/null || true)
if [ -z "$kd_files" ]; then
	echo "         NOTE: no pgtlib source files for kernel-doc"
fi
for f in $kd_files; do
	out=$(cd "$TREE" && perl scripts/kernel-doc -none "$f" 2>&1) || true
	if [ -z "$out" ]; then
		record PASS "kernel-doc $f"
	else
		fail "kernel-doc $f" "$(echo "$out" | wc -l) line(s)"
		echo "$out" | head -20 | sed 's/^/           /' || true
	fi
done

# --- W=1 and sparse on the new objects (x86_64 guest tree) ------------------
OUT=$BUILD/out-guest-x86_64
objs=()
[ -d "$TREE/mm/pgtlib" ] && objs+=(mm/pgtlib/)
[ -f "$TREE/arch/x86/mm/pgtlib_x86.c" ] && objs+=(arch/x86/mm/pgtlib_x86.o)
[ -f "$TREE/mm/unmapped_window.c" ] && objs+=(mm/unmapped_window.o)
[ -f "$TREE/mm/unmapped_alloc.c" ] && objs+=(mm/unmapped_alloc.o mm/secretmem.o)
# mm/vmalloc_walk.o: the generic walkers, built only where pgtlib is not;
# compiled here so that they keep compiling
[ -f "$TREE/mm/vmalloc_walk.c" ] && objs+=(mm/vmalloc.o mm/vmalloc_walk.o)
# x86's CPA, once it splits through pgtlib
grep -q pgtlib_split "$TREE/arch/x86/mm/pat/set_memory.c" 2>/dev/null &&
	objs+=(arch/x86/mm/pat/set_memory.o)
if [ ${#objs[@]} = 0 ]; then
	echo "         NOTE: no pgtlib objects to build with W=1 / sparse"
	exit $failed
fi

# the guest tree must be configured (does nothing if it already is)
if ! ARCH=x86_64 "$HARNESS/guest-build.sh" config; then
	fail "W=1 build" "could not configure the x86_64 guest tree"
	fail "sparse" "could not configure the x86_64 guest tree"
	exit 1
fi

progress "static: W=1 build of ${objs[*]} ..."
wlog=$LOGS/static-w1.log
rc=0
ARCH=x86_64 flock "$LOCK" "$0" --w1 "${objs[@]}" >"$wlog" 2>&1 || rc=$?
if [ $rc != 0 ]; then
	fail "W=1 build" "make failed (rc=$rc); log: ${wlog#"$TOP"/}"
	grep -E 'error|warning:|\*\*\*' "$wlog" | head -20 | sed 's/^/           /' || true
elif grep -q 'warning:' "$wlog"; then
	fail "W=1 build" "$(grep -c 'warning:' "$wlog") warning(s); log: ${wlog#"$TOP"/}"
	grep 'warning:' "$wlog" | head -20 | sed 's/^/           /' || true
else
	record PASS "W=1 build" "${objs[*]}"
fi

progress "static: sparse (C=2) on ${objs[*]} ..."
slog=$LOGS/static-sparse.log
rc=0
ARCH=x86_64 flock "$LOCK" "$0" --sparse "${objs[@]}" >"$slog" 2>&1 || rc=$?
pat='(mm/pgtlib/|pgtlib_x86|linux/pgtlib\.h|asm/pgtlib\.h|unmapped_alloc|secretmem)[^:]*:[0-9]+:([0-9]+:)? (warning|error):'
if [ $rc != 0 ]; then
	fail "sparse" "make failed (rc=$rc); log: ${slog#"$TOP"/}"
	tail -20 "$slog" | sed 's/^/           /' || true
elif grep -qE "$pat" "$slog"; then
	fail "sparse" "$(grep -cE "$pat" "$slog") warning(s); log: ${slog#"$TOP"/}"
	grep -E "$pat" "$slog" | head -20 | sed 's/^/           /' || true
else
	record PASS "sparse" "${objs[*]}"
fi
exit $failed
