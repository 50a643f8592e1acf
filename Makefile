# cairn — top-level entry points. The build itself is Meson; this file only
# sequences dependency installation, configuration and the test runner.
BUILD ?= build
CC ?= cc
SCENARIO ?= scenarios/demo.run

.PHONY: all deps build run test test-slow bench clean

all: build

deps:
	@scripts/deps.sh

$(BUILD)/build.ninja:
	@scripts/deps.sh
	meson setup $(BUILD) --buildtype=debugoptimized

build: $(BUILD)/build.ninja
	ninja -C $(BUILD)

run: build
	$(BUILD)/cairn run $(SCENARIO)

test: build
	python3 scripts/run_tests.py --build $(BUILD)

test-slow: build
	python3 scripts/run_tests.py --build $(BUILD) --slow

bench: build
	@for b in bench/*/run.sh; do sh $$b $(BUILD) || exit 1; done

bench-%: build
	sh bench/$*/run.sh $(BUILD)

clean:
	rm -rf $(BUILD)
