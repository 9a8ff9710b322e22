#!/bin/bash
# Install the host packages the harness needs (only the missing ones).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PKGS="linux-source-6.12 qemu-system-x86 qemu-system-arm qemu-system-data
gcc-aarch64-linux-gnu libc6-dev-arm64-cross flex bison bc libelf-dev
libssl-dev ccache busybox-static cpio sparse xz-utils kmod rsync python3 git
perl make gcc libc6-dev"

missing=()
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -gt 0 ]; then
	log=$LOGS/deps.log
	progress "deps: installing ${missing[*]} ..."
	if [ "$(id -u)" != 0 ]; then
		die "deps: missing packages (${missing[*]}) and not root to install them"
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update >"$log" 2>&1 || true
	if ! apt-get install -y --no-install-recommends "${missing[@]}" >>"$log" 2>&1; then
		for p in "${missing[@]}"; do
			if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
				die "deps: package $p could not be installed (see ${log#"$TOP"/})" "$log"
			fi
		done
	fi
fi
progress "deps ok"
