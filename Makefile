# ftzport — top-level commands. See README.md.
#   make demo    install what is missing, build, start a window on ./demo-data, feed it a workload
#   make test    install what is missing, build with sanitizers, run every test
#   make build   release build (build/release)
#   make bench   release build, then the benchmarks of docs/performance.md
SHELL := /bin/bash
JOBS ?= $(shell nproc)
RELEASE := build/release
TESTBUILD := build/test

.PHONY: deps build test demo demo-stop bench format clean

deps:
	@./scripts/install-deps.sh

build: deps
	@cmake -S . -B $(RELEASE) -G Ninja -DCMAKE_BUILD_TYPE=Release -DFTZ_TESTS=OFF >/dev/null
	@cmake --build $(RELEASE) -j $(JOBS)

test: deps
	@cmake -S . -B $(TESTBUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DFTZ_SANITIZE=ON \
	  -DFTZ_WERROR=ON -DFTZ_BENCH=OFF >/dev/null
	@cmake --build $(TESTBUILD) -j $(JOBS)
	@cd $(TESTBUILD) && ctest --output-on-failure -j $(JOBS)

demo: build
	@./scripts/demo.sh

demo-stop:
	@./scripts/demo.sh stop

bench: build
	@./scripts/bench.sh

format:
	@git ls-files '*.cc' '*.h' | grep -v _gen | xargs clang-format -i

clean:
	rm -rf build demo-data
