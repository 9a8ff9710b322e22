#!/bin/bash
# Build build/initramfs-$ARCH.cpio.gz for the guest:
#   /bin/busybox      static busybox: the host's busybox-static for x86_64;
#                     for arm64 the busybox-static:arm64 .deb fetched with
#                     `apt-get download` (dpkg --add-architecture arm64),
#                     unpacked under build/downloads/
#   /selftests/pgtlib every executable built (statically) from
#                     tools/testing/selftests/pgtlib
#   /selftests/mm     memfd_secret (tools/testing/selftests/mm), static,
#                     with libcap-dev's libcap.a fetched by apt-get download
#   /selftests/kvm    x86_64: guest_memfd_test (tools/testing/selftests/kvm)
#   /lib/modules      modules (test_vmalloc.ko) from the guest kernel build
#   /init             harness/guest-init.sh
#   /bin/pgt-dmap     harness/guest-dmap.sh (the direct map, from ptdump)
# Needs harness/guest-build.sh to have run first.
#
# Options (bench.sh uses them; the defaults are the test/run guest's):
#   --out DIR --modroot DIR   the kernel build and its modules
#   --root DIR --img FILE     the staging folder and the image written
#   --no-selftests            no /selftests/pgtlib (the base kernel has none)
#   --add SRC:DEST            one more file, copied to DEST in the image
set -euo pipefail
. "$(dirname "$0")/lib.sh"

OUT=$BUILD/out-guest-$ARCH
MODROOT=$BUILD/modroot-$ARCH
ROOT=$BUILD/initramfs-root-$ARCH
KSFT_OUT=$BUILD/selftests-$ARCH
IMG=$BUILD/initramfs-$ARCH.cpio.gz
SELFTESTS=1
ADD=()
while [ $# -gt 0 ]; do
	case "$1" in
	--out | --modroot | --root | --img | --add)
		[ $# -ge 2 ] || die "initramfs: $1 needs an argument"
		case "$1" in
		--out) OUT=$(abs_path "$2") ;;
		--modroot) MODROOT=$(abs_path "$2") ;;
		--root) ROOT=$(abs_path "$2") ;;
		--img) IMG=$(abs_path "$2") ;;
		--add) ADD+=("$2") ;;
		esac
		shift
		;;
	--no-selftests) SELFTESTS=0 ;;
	*) die "usage: $0 [--out DIR] [--modroot DIR] [--root DIR] [--img FILE] [--no-selftests] [--add SRC:DEST]" ;;
	esac
	shift
done
below_build "$ROOT" || die "initramfs: staging folder $ROOT is outside build/"
below_build "$IMG" || die "initramfs: image $IMG is outside build/"
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

# get_libcap: the static libcap (libcap-dev of $ARCH, fetched with
# `apt-get download` and unpacked under build/downloads/) for
# tools/testing/selftests/mm/memfd_secret.c; prints the unpacked root.
get_libcap() {
	local deb=amd64 d
	[ "$ARCH" = arm64 ] && deb=arm64
	d=$DL/libcap-$deb
	if [ ! -f "$d/.ok" ]; then
		mkdir -p "$DL"
		if [ $deb = arm64 ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
			dpkg --add-architecture arm64 >&2
			apt-get update >&2
		fi
		rm -f "$DL"/libcap-dev_*_$deb.deb
		(cd "$DL" && apt-get download "libcap-dev:$deb") >&2 || {
			apt-get update >&2
			(cd "$DL" && apt-get download "libcap-dev:$deb") >&2
		}
		safe_rm_rf "$d"
		dpkg-deb -x "$DL"/libcap-dev_*_$deb.deb "$d" >&2
		: >"$d/.ok"
	fi
	echo "$d"
}

# the mm selftests the guests run (their TAP cases are counted)
build_mm_selftests() {
	local cap cc=gcc lib=x86_64-linux-gnu
	[ "$ARCH" = arm64 ] && cc=aarch64-linux-gnu-gcc lib=aarch64-linux-gnu
	cap=$(get_libcap)
	mkdir -p "$KSFT_OUT/mm"
	$cc -static -O2 -Wall -isystem "$OUT/usr/include" -I "$cap/usr/include" \
		-o "$KSFT_OUT/mm/memfd_secret" "$TREE/tools/testing/selftests/mm/memfd_secret.c" \
		-L "$cap/usr/lib/$lib" -lcap
	echo "built mm/memfd_secret"
}

# x86_64: KVM's guest_memfd_test (the guests without KVM skip it)
build_kvm_selftests() {
	[ "$ARCH" = x86_64 ] || return 0
	mkdir -p "$KSFT_OUT/kvm"
	LDFLAGS="-static" make -C "$TREE/tools/testing/selftests/kvm" \
		ARCH=x86 OUTPUT="$KSFT_OUT/kvm-build" \
		KHDR_INCLUDES="-isystem $OUT/usr/include" -j"$JOBS" \
		"$KSFT_OUT/kvm-build/guest_memfd_test"
	cp "$KSFT_OUT/kvm-build/guest_memfd_test" "$KSFT_OUT/kvm/"
	echo "built kvm/guest_memfd_test"
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
	build_mm_selftests
	build_kvm_selftests
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
	local f a d
	if [ $SELFTESTS = 1 ]; then
		for f in "$KSFT_OUT"/*; do
			[ -f "$f" ] && [ -x "$f" ] || continue
			cp "$f" "$ROOT/selftests/pgtlib/"
		done
		for d in mm kvm; do
			mkdir -p "$ROOT/selftests/$d"
			for f in "$KSFT_OUT/$d"/*; do
				[ -f "$f" ] && [ -x "$f" ] && cp "$f" "$ROOT/selftests/$d/"
			done
		done
	fi
	for a in ${ADD[@]+"${ADD[@]}"}; do
		[ -f "${a%%:*}" ] || { echo "no file ${a%%:*} to add"; return 1; }
		mkdir -p "$ROOT/$(dirname "${a#*:}")"
		cp "${a%%:*}" "$ROOT/${a#*:}"
	done
	cp "$HARNESS/guest-dmap.sh" "$ROOT/bin/pgt-dmap"
	chmod 755 "$ROOT/bin/pgt-dmap"
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

if [ $SELFTESTS = 1 ]; then
	run_stage "build $ARCH pgtlib selftests" "$LOGS/selftests-$ARCH.log" build_selftests
	grep -E '^(NOTE|built)' "$LOGS/selftests-$ARCH.log" | sed 's/^/         /' || true
fi
ilog=$LOGS/initramfs-$ARCH$(echo "${IMG#"$BUILD"}" | md5sum | cut -c1-6).log
[ "$IMG" = "$BUILD/initramfs-$ARCH.cpio.gz" ] && ilog=$LOGS/initramfs-$ARCH.log
run_stage "build $ARCH initramfs ${IMG#"$TOP"/}" "$ilog" make_initramfs
