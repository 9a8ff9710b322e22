# pgtlib build/boot/test harness. See README.md.
#
#   make run    [ARCH=x86_64|arm64]  build + boot the guest, print a report
#   make test                        everything CI runs (.ci/run)
#   make bench  [ARCH=x86_64|arm64]  the base kernel against the pgtlib
#                                    kernel, side by side (not in make test)
#   make series                      write build/series/*.patch
#   make check-series                apply + build the series patch by patch
#   make clean                       remove build outputs (keeps
#                                    build/linux-base and ccache)
# ALLOW_MISSING=1 skips files listed in harness/series.conf that do not
# exist yet (while the code is being written). Every variable the harness
# reads is listed in README.md ("Environment and safety").

ARCH ?= x86_64
ALLOW_MISSING ?= 0
export ARCH ALLOW_MISSING

# Paths come from this Makefile's own location, never from the environment
# or the command line (make clean / distclean delete below $(B) only).
override PGTLIB_MAKE_TOP := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
override H := $(PGTLIB_MAKE_TOP)/harness
override B := $(PGTLIB_MAKE_TOP)/build
MAKEFLAGS += --no-print-directory

.PHONY: run test bench series check-series clean distclean tree kunit guest deps

run:
	@$(H)/run.sh

test:
	@$(H)/test.sh

bench:
	@$(H)/bench.sh

series:
	@python3 $(H)/series.py export $(B)/series

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
	rm -rf $(B)/linux $(B)/out-guest-* $(B)/kunit-* $(B)/series \
		$(B)/series-git $(B)/check-series \
		$(B)/initramfs-* $(B)/modroot-* $(B)/selftests-* \
		$(B)/tree-scratch $(B)/scratch $(B)/logs $(B)/envsafety \
		$(B)/bench

distclean: clean
	rm -rf $(B)
