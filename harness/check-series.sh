#!/bin/bash
# `make check-series`: export the series (harness/series.py export), then
# apply its patches one by one (patch -p1 --dry-run, then for real) onto a
# copy of the pristine base tree (build/check-series/linux) and build the
# x86_64 guest kernel configuration (build/check-series/out-guest-x86_64) after
# every patch. Run it before every export: it is too slow for `make test`.
# CHECK_SERIES_BUILD=0 only checks that the patches apply (no builds).
set -euo pipefail
export PGTLIB_T0=$(date +%s)
. "$(dirname "$0")/lib.sh"

SERIES=$BUILD/series
CTREE=$BUILD/check-series/linux
COUT=$BUILD/check-series/out-guest-x86_64   # same layout as build/linux + build/out-guest-*: ccache hits

"$HARNESS/deps.sh"
"$HARNESS/tree.sh"    # makes sure build/linux-base exists and the overlay is sane
progress "export series ..."
python3 "$HARNESS/series.py" export "$SERIES" >"$LOGS/series-export.log" 2>&1 ||
	die "check-series: series export failed" "$LOGS/series-export.log"
mapfile -t patches < <(ls "$SERIES"/[0-9][0-9][0-9][0-9]-*.patch | grep -v '/0000-cover-letter.patch$')
[ ${#patches[@]} -gt 0 ] || die "check-series: the series has no patches"

if [ ! -f "$CTREE/.pgtlib-tree-ok" ]; then
	progress "check-series: copying build/linux-base ..."
	safe_rm_rf "$CTREE" "$CTREE.tmp"
	mkdir -p "$(dirname "$CTREE")"
	mkdir -p "$CTREE.tmp"
	cp -a "$BASE/." "$CTREE.tmp/"
	touch "$CTREE.tmp/.pgtlib-tree-ok"
	mv "$CTREE.tmp" "$CTREE"
fi

# Reset every path the series (or a previous run) touched to the base;
# re-copied files get a new mtime so make rebuilds what depends on them.
touched=$CTREE/.pgtlib-touched
for p in "${patches[@]}"; do
	grep -E '^\+\+\+ b/|^--- a/' "$p" | sed -E 's#^(\+\+\+ b|--- a)/##'
done | sort -u >"$touched.new"
{ cat "$touched.new"; [ ! -f "$touched" ] || cat "$touched"; } | sort -u | while read -r kp; do
	if [ -f "$BASE/$kp" ]; then
		cp "$BASE/$kp" "$CTREE/$kp"
	else
		rm -f "$CTREE/$kp"
	fi
done
mv "$touched.new" "$touched"

i=0
for p in "${patches[@]}"; do
	i=$((i + 1))
	name=$(basename "$p")
	log=$LOGS/check-series-$(printf %02d $i)-apply.log
	if ! (cd "$CTREE" && patch -p1 --dry-run -i "$p" && patch -p1 --no-backup-if-mismatch -s -i "$p") >"$log" 2>&1; then
		die "check-series: $name does not apply" "$log"
	fi
	progress "check-series: applied $name"
	[ "${CHECK_SERIES_BUILD:-1}" = 0 ] && continue
	ARCH=x86_64 "$HARNESS/guest-build.sh" --tree "$CTREE" --out "$COUT" \
		--modroot "$BUILD/check-series/modroot" --no-verify \
		--tag " after $(printf %02d $i)" ||
		die "check-series: build failed after $name"
done
if [ "${CHECK_SERIES_BUILD:-1}" = 0 ]; then
	progress "check-series: all ${#patches[@]} patches apply (builds skipped: CHECK_SERIES_BUILD=0)"
else
	progress "check-series: all ${#patches[@]} patches apply and build"
fi
