# ScaiWave-C — the two commands (`make run`, `make test`) and their friends.
# Everything builds with CMake into build/ (build-asan/ for the sanitizer run, build-fuzz/ for
# libFuzzer targets). scripts/deps.sh installs missing Debian packages first.
BUILD      ?= build
JOBS       ?= $(shell nproc)
FUZZ_SECONDS ?= 60
TEST_FUZZ_SECONDS ?= 20
# Unit tests need cmocka: `make test` requires it (SW_TESTS=ON: a configure error without it);
# `make run` / `make build` build without them when cmocka is not installed, and say so.
SW_TESTS   ?= $(shell pkg-config --exists cmocka 2>/dev/null && echo ON || echo OFF)
CMAKE_GEN  := $(shell command -v ninja >/dev/null 2>&1 && echo "-G Ninja")

.PHONY: all deps deps-test build run test test-fast test-asan test-fuzz fuzz-build bench fuzz format clean

all: build

deps:
	@bash scripts/deps.sh

deps-test:
	@bash scripts/deps.sh --test

build: deps
	@[ "$(SW_TESTS)" = ON ] || echo "note: cmocka is not installed: building without the unit tests (make test installs it)"
	@cmake -S . -B $(BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSW_TESTS=$(SW_TESTS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# Build, then start the server on the embedded defaults (SQLite under ./var, port 8080).
# Options go in ARGS, e.g. `make run ARGS="--mcp-stdio-allow node"` to let tenant admins mount
# stdio MCP servers run with node (none by default; docs/configuration.md).
run: build
	@$(BUILD)/scaiwave serve $(ARGS)

# Every test: the normal build, every fuzz target for TEST_FUZZ_SECONDS from its committed seed
# corpus (a finding fails), then the same suite under ASan/UBSan (CTest's summary is last).
test: test-fast test-fuzz test-asan

test test-fast test-asan: SW_TESTS := ON
test-fast: deps-test build
	@cd $(BUILD) && ctest --output-on-failure -j 2

test-asan: deps-test
	@cmake -S . -B build-asan $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Debug -DSW_SANITIZE=ON -DSW_TESTS=ON >/dev/null
	@cmake --build build-asan -j $(JOBS)
	@cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j 2

# Benchmarks print their figures (see bench/README.md).
bench: deps-test build
	@cmake --build $(BUILD) --target benches -j $(JOBS)
	@bash bench/run.sh $(BUILD)

# libFuzzer targets (clang-14, ASan/UBSan): every tests/fuzz/fuzz_*.c, each run FUZZ_SECONDS
# seconds from tests/fuzz/corpus/<target>/ (new inputs go to a scratch copy in build-fuzz/).
fuzz-build: deps-test
	@CC=clang-14 cmake -S . -B build-fuzz $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Debug -DSW_FUZZ=ON -DSW_TESTS=OFF \
	  -DSW_SANITIZE=ON -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link" >/dev/null
	@cmake --build build-fuzz --target fuzzers -j $(JOBS)

fuzz: fuzz-build
	@bash tests/fuzz/run.sh build-fuzz $(FUZZ_SECONDS)

test-fuzz: fuzz-build
	@bash tests/fuzz/run.sh build-fuzz $(TEST_FUZZ_SECONDS)

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	@rm -rf build build-asan build-fuzz
