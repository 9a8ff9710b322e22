#!/bin/bash
# Prepare the kernel trees:
#   build/linux-base  pristine Linux 6.12.117 (unpacked once from
#                     /usr/src/linux-source-6.12.tar.xz)
#   build/linux       base + overlay, updated INCREMENTALLY: a file is only
#                     rewritten when its content changes, so make and ccache
#                     rebuild only what changed.
#
# Overlay files are applied in the order of harness/series.conf. A new file
# is copied in when it differs (cmp). A '<path>.patch' is applied with
# `patch -p1` to a scratch copy of the PRISTINE base file and the result is
# copied in when it differs. A new file with stage markers (harness/series.py)
# is copied without them. build/linux/.pgtlib-overlay lists the overlaid
# paths; a path dropped from the overlay is restored from the base (or
# deleted if the base does not have it).
#
# Usage: tree.sh [--allow-missing]   (or ALLOW_MISSING=1)
# The source tarball can be changed with PGTLIB_SRC_TARBALL=<file>; the
# trees are always build/linux-base and build/linux of this repository.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

LOCKED=0
for a in "$@"; do
	case "$a" in
	--locked) LOCKED=1 ;;
	--allow-missing) ALLOW_MISSING=1 ;;
	*) echo "usage: $0 [--allow-missing]" >&2; exit 2 ;;
	esac
done
export ALLOW_MISSING

# build/linux must not change under a running build: hold the build lock
if [ $LOCKED = 0 ]; then
	mkdir -p "$BUILD"
	exec flock "$LOCK" "$0" --locked
fi

# 1. pristine base
if [ ! -f "$BASE/Makefile" ] || [ ! -f "$BASE/.pgtlib-base-ok" ]; then
	if [ -f "$BASE/Makefile" ] && grep -q '^SUBLEVEL = 117' "$BASE/Makefile" &&
		[ -f "$BASE/tools/testing/kunit/kunit.py" ]; then
		# unpacked by someone else earlier; a build/linux-base symlink to a
		# tree outside build/ is checked every time instead (not written to)
		if owned_dir "$BASE"; then touch "$BASE/.pgtlib-base-ok"; fi
	else
		[ -f "$SRC_TARBALL" ] || die "tree: $SRC_TARBALL not found (install linux-source-6.12)"
		progress "tree: unpacking $SRC_TARBALL into build/linux-base ..."
		safe_rm_rf "$BASE" "$BUILD/linux-base.tmp"
		mkdir -p "$BUILD/linux-base.tmp"
		tar -xJf "$SRC_TARBALL" -C "$BUILD/linux-base.tmp" ||
			die "tree: unpacking $SRC_TARBALL failed"
		mv "$BUILD/linux-base.tmp/linux-source-6.12" "$BASE"
		rmdir "$BUILD/linux-base.tmp"
		touch "$BASE/.pgtlib-base-ok"
	fi
fi

# 2. working tree = copy of base (made once, then updated in place)
if [ ! -f "$TREE/.pgtlib-tree-ok" ]; then
	progress "tree: creating build/linux from build/linux-base ..."
	safe_rm_rf "$TREE" "$TREE.tmp"
	mkdir -p "$TREE.tmp"
	cp -a "$BASE/." "$TREE.tmp/"   # contents: works if build/linux-base is a symlink
	rm -f "$TREE.tmp/.pgtlib-base-ok"
	: >"$TREE.tmp/.pgtlib-overlay"
	touch "$TREE.tmp/.pgtlib-tree-ok"
	mv "$TREE.tmp" "$TREE"
fi

[ -L "$TREE" ] && die "tree: $TREE is a symlink; refusing to write through it"

# 3. overlay, in series order
order=$(python3 "$HARNESS/series.py" order) || die "tree: harness/series.conf check failed (see above)"

scratch=$BUILD/tree-scratch
manifest=$TREE/.pgtlib-overlay
new_manifest=$(mktemp "$TMPDIR/tree-manifest.XXXXXX")
trap 'rm -f "$new_manifest"' EXIT
changed=0 unchanged=0

# install_file <src> <kernel path>: copy src into the tree if it differs.
install_file() {
	local src=$1 kp=$2 dst=$TREE/$2
	if [ -f "$dst" ] && cmp -s "$src" "$dst"; then
		unchanged=$((unchanged + 1))
		return
	fi
	mkdir -p "$(dirname "$dst")"
	# write a fresh inode, then rename (never modify a shared inode)
	cp "$src" "$dst.pgtlib-tmp"
	chmod --reference="$src" "$dst.pgtlib-tmp" 2>/dev/null || true
	mv -f "$dst.pgtlib-tmp" "$dst"
	echo "tree:   updated $kp"
	changed=$((changed + 1))
}

# Each kernel file is staged in $scratch first: a later patch to the same
# file ('<path>~tag.patch') applies on top of what the earlier ones made.
safe_rm_rf "$scratch"
mkdir -p "$scratch"
staged=()
for p in $order; do
	# as series.py kernel_path(): x.patch and x~tag.patch both stand for x
	kp=${p%.patch}
	if [[ "$p" == *.patch && "${kp##*/}" == *"~"* ]]; then
		b=${kp##*/}
		kp=${kp%"$b"}${b%%"~"*}
	fi
	if [[ "$p" == *.patch ]]; then
		work=$scratch/work
		safe_rm_rf "$work"
		mkdir -p "$work/$(dirname "$kp")"
		if [ -f "$scratch/stage/$kp" ]; then
			cp "$scratch/stage/$kp" "$work/$kp"
		elif [ -f "$BASE/$kp" ]; then
			cp "$BASE/$kp" "$work/$kp"
		else
			die "tree: patch $p patches $kp which is not in the base kernel nor made earlier"
		fi
		if ! out=$(cd "$work" && patch -p1 --no-backup-if-mismatch -i "$TOP/$p" 2>&1); then
			echo "$out"
			for rej in $(cd "$work" && find . -name '*.rej'); do
				echo "---- ${rej#./} ----"
				cat "$work/$rej"
			done
			die "tree: patch $p does not apply to $kp as the series has it (output and rejected hunks above)"
		fi
		extra=$(cd "$work" && find . -type f ! -path "./$kp" | head -5)
		if [ -n "$extra" ]; then
			die "tree: patch $p touches files other than $kp: $extra"
		fi
		src=$work/$kp
	else
		# a file that may grow over several patches: every region, no
		# markers (series.py alone knows the marker syntax)
		mkdir -p "$scratch/strip/$(dirname "$kp")"
		python3 "$HARNESS/series.py" strip "$TOP/$p" "$scratch/strip/$kp" ||
			die "tree: bad stage markers in $p"
		chmod --reference="$TOP/$p" "$scratch/strip/$kp" 2>/dev/null || true
		src=$scratch/strip/$kp
	fi
	mkdir -p "$scratch/stage/$(dirname "$kp")"
	cp "$src" "$scratch/stage/$kp"
	chmod --reference="$src" "$scratch/stage/$kp" 2>/dev/null || true
	staged+=("$kp")
done
for kp in $(printf '%s\n' "${staged[@]}" | sort -u); do
	install_file "$scratch/stage/$kp" "$kp"
	echo "$kp" >>"$new_manifest"
done
safe_rm_rf "$scratch"

# 4. paths dropped from the overlay: restore from base or delete
sort -u -o "$new_manifest" "$new_manifest"
sort -u "$manifest" | comm -23 - "$new_manifest" | while read -r kp; do
	[ -n "$kp" ] || continue
	if [ -f "$BASE/$kp" ]; then
		if ! cmp -s "$BASE/$kp" "$TREE/$kp"; then
			cp "$BASE/$kp" "$TREE/$kp.pgtlib-tmp"
			mv -f "$TREE/$kp.pgtlib-tmp" "$TREE/$kp"
			echo "tree:   restored $kp from base"
		fi
	else
		rm -f "$TREE/$kp"
		echo "tree:   removed $kp (no longer in the overlay)"
	fi
done
cp "$new_manifest" "$manifest"

progress "tree ok: build/linux = $KVER + $(wc -l <"$manifest") overlay path(s); $changed updated, $unchanged unchanged"
