#!/bin/bash
# Configure and build the guest kernel for $ARCH in build/out-guest-$ARCH:
#   make tinyconfig
#   merge_config.sh -m harness/configs/common.config harness/configs/$ARCH.config
#   make olddefconfig, then verify every requested option stuck
#   make bzImage|Image modules headers, modules_install into build/modroot-$ARCH
# The whole thing runs under the build lock (flock build/.build.lock).
#
# Usage: guest-build.sh [all|config]      (config: configure only)
# Environment: OUT=<dir> (default build/out-guest-$ARCH), TREE=<source
# tree> (default build/linux), NO_VERIFY=1 (skip the option check, used
# by check-series.sh for the intermediate states of the series),
# TAG=<text> added to the stage names and log file names.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

OUT=${OUT:-$BUILD/out-guest-$ARCH}
MODROOT=${MODROOT:-$BUILD/modroot-$ARCH}
NO_VERIFY=${NO_VERIFY:-0}
TAG=${TAG:-}
WHAT=all
LOCKED=0
for a in "$@"; do
	case "$a" in
	--locked) LOCKED=1 ;;
	all | config) WHAT=$a ;;
	*) echo "usage: $0 [all|config]" >&2; exit 2 ;;
	esac
done
export OUT MODROOT NO_VERIFY TAG TREE
FRAGS=("$HARNESS/configs/common.config" "$HARNESS/configs/$ARCH.config")
mkdir -p "$OUT"

# verify_config: every CONFIG_X=v (or "# CONFIG_X is not set") from the
# fragments must be in $OUT/.config after olddefconfig.
verify_config() {
	local dropped=() soft=() line sym
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*)
			grep -qxF -- "$line" "$OUT/.config" && continue
			sym=${line%%=*}
			;;
		"# CONFIG_"*" is not set")
			sym=${line#\# }
			sym=${sym%% *}
			grep -q "^$sym=" "$OUT/.config" || continue
			;;
		*) continue ;;
		esac
		# While code is being written (ALLOW_MISSING=1), a symbol that no
		# Kconfig file defines yet (e.g. CONFIG_PGTLIB) is only a warning.
		if [ "$ALLOW_MISSING" = 1 ] && ! grep -rqsE --include='Kconfig*' \
			"^[[:space:]]*(menu)?config ${sym#CONFIG_}[[:space:]]*$" "$TREE"; then
			soft+=("$line")
		else
			dropped+=("$line (got: $(grep -E "^$sym=|^# $sym is not set" "$OUT/.config" || echo unset))")
		fi
	done < <(cat "${FRAGS[@]}")
	if [ ${#soft[@]} -gt 0 ]; then
		echo "WARNING: options not defined by any Kconfig (allow-missing): ${soft[*]}"
	fi
	if [ ${#dropped[@]} -gt 0 ]; then
		echo "ERROR: options dropped by olddefconfig:"
		printf '  %s\n' "${dropped[@]}"
		return 1
	fi
}

do_config() {
	[ -f "$OUT/.config" ] && cp -p "$OUT/.config" "$OUT/.config.prev"
	kmake "$OUT" tinyconfig
	"$TREE/scripts/kconfig/merge_config.sh" -m -O "$OUT" "$OUT/.config" "${FRAGS[@]}"
	kmake "$OUT" olddefconfig
	[ "$NO_VERIFY" = 1 ] || verify_config
	# keep the old file (and its mtime) if nothing changed
	if [ -f "$OUT/.config.prev" ] && cmp -s "$OUT/.config" "$OUT/.config.prev"; then
		mv -f "$OUT/.config.prev" "$OUT/.config"
	else
		rm -f "$OUT/.config.prev"
	fi
}

do_build() {
	kmake "$OUT" "$(basename "$KIMAGE")" modules
	kmake "$OUT" headers
	rm -rf "$MODROOT"
	kmake "$OUT" modules_install INSTALL_MOD_PATH="$MODROOT" INSTALL_MOD_STRIP=1
}

guest_locked() {
	local ltag=${TAG// /-}
	local clog=$LOGS/guest-config-$ARCH$ltag.log
	run_stage "configure $ARCH guest kernel$TAG" "$clog" do_config
	grep '^WARNING:' "$clog" | sed 's/^/         /' || true
	[ "$WHAT" = config ] && return 0
	run_stage "build $ARCH guest kernel$TAG" "$LOGS/guest-build-$ARCH$ltag.log" do_build
}

if [ $LOCKED = 1 ]; then
	guest_locked
else
	progress "waiting for build lock ..."
	exec flock "$LOCK" "$0" --locked "$WHAT"
fi
