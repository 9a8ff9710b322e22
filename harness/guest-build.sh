#!/bin/bash
# Configure and build the guest kernel for $ARCH in build/out-guest-$ARCH:
#   make tinyconfig
#   merge_config.sh -m harness/configs/common.config harness/configs/$ARCH.config
#   make olddefconfig, then verify every requested option stuck
#   make bzImage|Image modules headers, modules_install into build/modroot-$ARCH
# The whole thing runs under the build lock (flock build/.build.lock).
#
# Usage: guest-build.sh [options] [all|config]      (config: configure only)
# Options (check-series.sh uses them; the defaults are the normal build):
#   --tree DIR     kernel source tree (default build/linux)
#   --out DIR      output folder (default build/out-guest-$ARCH)
#   --modroot DIR  modules_install folder, emptied first (default
#                  build/modroot-$ARCH)
#   --no-verify    skip the option check (for the intermediate states of
#                  the series)
#   --tag TEXT     added to the stage names and log file names
#   --frag FILE    one more config fragment, after the two above (bench.sh:
#                  harness/bench/bench.config); may be given more than once
# A DIR outside build/ is used only if the harness created it (lib.sh
# use_dir): a new folder is created and marked; any other one is refused.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

OUT=$BUILD/out-guest-$ARCH
MODROOT=$BUILD/modroot-$ARCH
NO_VERIFY=0
TAG=
WHAT=all
LOCKED=0
EXTRA_FRAGS=()
ARGS=("$@")
usage() {
	echo "usage: $0 [--tree DIR] [--out DIR] [--modroot DIR] [--frag FILE] [--no-verify] [--tag TEXT] [all|config]" >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case "$1" in
	--locked) LOCKED=1 ;;
	--tree | --out | --modroot | --tag | --frag)
		[ $# -ge 2 ] || usage
		case "$1" in
		--frag)
			[ -f "$2" ] || die "guest-build: no config fragment $2"
			EXTRA_FRAGS+=("$(abs_path "$2")")
			;;
		--tree) TREE=$(abs_path "$2") ;;
		--out) OUT=$(abs_path "$2") ;;
		--modroot) MODROOT=$(abs_path "$2") ;;
		--tag) TAG=$2 ;;
		esac
		shift
		;;
	--no-verify) NO_VERIFY=1 ;;
	all | config) WHAT=$1 ;;
	*) usage ;;
	esac
	shift
done
# the tree is only read, but it must be one the harness prepared
owned_dir "$TREE" ||
	die "guest-build: kernel tree $TREE is outside build/ and was not created by the harness (no $OWNED_MARK in it): refusing to use it"
[ -f "$TREE/Makefile" ] || die "guest-build: $TREE is not a kernel tree (no Makefile; run tree.sh first)"
use_dir "guest-build: output folder" "$OUT"
use_dir "guest-build: modules folder" "$MODROOT"
FRAGS=("$HARNESS/configs/common.config" "$HARNESS/configs/$ARCH.config"
	${EXTRA_FRAGS[@]+"${EXTRA_FRAGS[@]}"})

# last_settings FILE...: the CONFIG_ lines of the fragments, only the last
# setting of each symbol (a later fragment overrides an earlier one, as
# merge_config.sh does).
last_settings() {
	cat "$@" | tac | awk '
		/^CONFIG_[A-Za-z0-9_]+=/ { s = $0; sub(/=.*/, "", s) }
		/^# CONFIG_[A-Za-z0-9_]+ is not set$/ { s = $2 }
		!/^CONFIG_[A-Za-z0-9_]+=/ && !/^# CONFIG_[A-Za-z0-9_]+ is not set$/ { next }
		!(s in seen) { seen[s] = 1; print }'
}

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
	done < <(last_settings "${FRAGS[@]}")
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
	# from $OUT: merge_config.sh writes its temporary files into the cwd
	(cd "$OUT" && "$TREE/scripts/kconfig/merge_config.sh" -m -O "$OUT" "$OUT/.config" "${FRAGS[@]}")
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
	safe_rm_rf "$MODROOT"
	use_dir "guest-build: modules folder" "$MODROOT"
	kmake "$OUT" modules_install INSTALL_MOD_PATH="$MODROOT" INSTALL_MOD_STRIP=1
}

guest_locked() {
	local ltag=${TAG//[^A-Za-z0-9._-]/-}
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
	exec flock "$LOCK" "$0" --locked "${ARGS[@]}"
fi
