# ScaiWave-C — the two commands (`make run`, `make test`) and their friends.
# Everything builds with CMake into build/ (build-asan/ for the sanitizer run, build-fuzz/ for
# libFuzzer targets). scripts/deps.sh installs missing Debian packages first.
BUILD      ?= build
JOBS       ?= $(shell nproc)
FUZZ_SECONDS ?= 60
CMAKE_GEN  := $(shell command -v ninja >/dev/null 2>&1 && echo "-G Ninja")

.PHONY: all deps deps-test build run test test-fast test-asan bench fuzz format clean

all: build

deps:
	@bash scripts/deps.sh

deps-test:
	@bash scripts/deps.sh --test

build: deps
	@cmake -S . -B $(BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# Build, then start the server on the embedded defaults (SQLite under ./var, port 8080).
run: build
	@$(BUILD)/scaiwave serve $(ARGS)

# Every test: the normal build, then the same suite under ASan/UBSan (CTest's summary is last).
test: test-fast test-asan

test-fast: deps-test build
	@cmake -S . -B $(BUILD) $(CMAKE_GEN) -DSW_TESTS=ON >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)
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

# libFuzzer targets (clang-14), each run FUZZ_SECONDS seconds with its corpus in build-fuzz/corpus.
fuzz: deps-test
	@CC=clang-14 cmake -S . -B build-fuzz $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Debug -DSW_FUZZ=ON \
	  -DSW_SANITIZE=ON -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link" >/dev/null
	@cmake --build build-fuzz -j $(JOBS)
	@bash tests/fuzz/run.sh build-fuzz $(FUZZ_SECONDS)

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	@rm -rf build build-asan build-fuzz
