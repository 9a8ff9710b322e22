# pgtlib build/boot/test harness. See README.md.
#
#   make run    [ARCH=x86_64|arm64]  build + boot the guest, print a report
#   make test                        everything CI runs (.ci/run)
#   make series                      write build/series/*.patch
#   make check-series                apply + build the series patch by patch
#   make clean                       remove build outputs (keeps
#                                    build/linux-base and ccache)
# ALLOW_MISSING=1 skips files listed in harness/series.conf that do not
# exist yet (while the code is being written).

ARCH ?= x86_64
ALLOW_MISSING ?= 0
export ARCH ALLOW_MISSING

H := harness
MAKEFLAGS += --no-print-directory

.PHONY: run test series check-series clean distclean tree kunit guest deps

run:
	@$(H)/run.sh

test:
	@$(H)/test.sh

series:
	@python3 $(H)/series.py export build/series

check-series:
	@$(H)/check-series.sh

# individual stages, handy while developing
deps:
	@$(H)/deps.sh
tree:
	@$(H)/tree.sh
kunit: tree
	@$(H)/kunit.sh
guest: tree
	@$(H)/guest-build.sh && $(H)/initramfs.sh && $(H)/boot.sh test

clean:
	rm -rf build/linux build/out-guest-* build/kunit-* build/series \
		build/series-git build/check-series \
		build/initramfs-* build/modroot-* build/selftests-* \
		build/tree-scratch build/scratch build/logs

distclean: clean
	rm -rf build
