#!/bin/bash
# Build build/initramfs-$ARCH.cpio.gz for the guest:
#   /bin/busybox      static busybox: the host's busybox-static for x86_64;
#                     for arm64 the busybox-static:arm64 .deb fetched with
#                     `apt-get download` (dpkg --add-architecture arm64),
#                     unpacked under build/downloads/
#   /selftests/pgtlib every executable built (statically) from
#                     tools/testing/selftests/pgtlib
#   /lib/modules      modules (test_vmalloc.ko) from the guest kernel build
#   /init             harness/guest-init.sh
# Needs harness/guest-build.sh to have run first.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

OUT=$BUILD/out-guest-$ARCH
MODROOT=$BUILD/modroot-$ARCH
ROOT=$BUILD/initramfs-root-$ARCH
KSFT_OUT=$BUILD/selftests-$ARCH
IMG=$BUILD/initramfs-$ARCH.cpio.gz
KSFT_SRC=$TREE/tools/testing/selftests/pgtlib
DL=$BUILD/downloads

get_busybox() {
	if [ "$ARCH" = x86_64 ]; then
		[ -x /bin/busybox ] || { echo "no /bin/busybox (install busybox-static)"; return 1; }
		echo /bin/busybox
		return
	fi
	local bb=$DL/busybox-arm64/bin/busybox
	if [ ! -x "$bb" ]; then
		mkdir -p "$DL"
		if ! dpkg --print-foreign-architectures | grep -qx arm64; then
			dpkg --add-architecture arm64 >&2
			apt-get update >&2
		fi
		rm -f "$DL"/busybox-static_*_arm64.deb
		(cd "$DL" && apt-get download busybox-static:arm64) >&2 || {
			apt-get update >&2
			(cd "$DL" && apt-get download busybox-static:arm64) >&2
		}
		safe_rm_rf "$DL/busybox-arm64"
		dpkg-deb -x "$DL"/busybox-static_*_arm64.deb "$DL/busybox-arm64" >&2
	fi
	echo "$bb"
}

build_selftests() {
	safe_rm_rf "$KSFT_OUT"
	mkdir -p "$KSFT_OUT"
	if [ ! -f "$KSFT_SRC/Makefile" ]; then
		echo "NOTE: $KSFT_SRC/Makefile does not exist: no pgtlib selftest"
		return 0
	fi
	# static binaries: LDFLAGS from the environment is appended to by
	# the selftest Makefile (lib.mk links with $(CFLAGS) $(LDFLAGS)).
	LDFLAGS="-static" make -C "$KSFT_SRC" \
		ARCH="$KARCH" CROSS_COMPILE="$CROSS" \
		OUTPUT="$KSFT_OUT" KHDR_INCLUDES="-isystem $OUT/usr/include" \
		-j"$JOBS"
	local f n=0
	for f in "$KSFT_OUT"/*; do
		[ -f "$f" ] && [ -x "$f" ] || continue
		if readelf -l "$f" 2>/dev/null | grep -q INTERP; then
			echo "ERROR: selftest binary $(basename "$f") is not statically linked"
			return 1
		fi
		n=$((n + 1))
	done
	echo "built $n selftest binary(ies)"
}

make_initramfs() {
	local bb
	bb=$(get_busybox)
	[ -d "$MODROOT/lib/modules" ] || { echo "no modules in $MODROOT (run guest-build.sh)"; return 1; }
	safe_rm_rf "$ROOT"
	mkdir -p "$ROOT"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,etc,root,selftests/pgtlib,lib}
	cp "$bb" "$ROOT/bin/busybox"
	chmod 755 "$ROOT/bin/busybox"
	ln -s busybox "$ROOT/bin/sh"
	cp -a "$MODROOT/lib/modules" "$ROOT/lib/"
	find "$ROOT/lib/modules" -name 'build' -o -name 'source' | xargs -r rm -f
	local f
	for f in "$KSFT_OUT"/*; do
		[ -f "$f" ] && [ -x "$f" ] || continue
		cp "$f" "$ROOT/selftests/pgtlib/"
	done
	cp "$HARNESS/guest-init.sh" "$ROOT/init"
	chmod 755 "$ROOT/init"
	echo "$ARCH" >"$ROOT/etc/pgtlib-arch"
	(cd "$ROOT" && find . -print0 | sort -z | cpio --null -o -H newc --quiet -R 0:0) |
		gzip -1 >"$IMG.tmp"
	mv -f "$IMG.tmp" "$IMG"
	echo "initramfs contents:"
	(cd "$ROOT" && find selftests lib/modules -type f) | sed 's/^/  /'
	ls -la "$IMG"
}

run_stage "build $ARCH pgtlib selftests" "$LOGS/selftests-$ARCH.log" build_selftests
grep -E '^(NOTE|built)' "$LOGS/selftests-$ARCH.log" | sed 's/^/         /' || true
run_stage "build $ARCH initramfs" "$LOGS/initramfs-$ARCH.log" make_initramfs
