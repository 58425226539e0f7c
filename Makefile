# Developer entry points. CI runs `make test` (see .ci/run).
#   make build              release build
#   make run ARGS='...'     release build, then serve on port 6379
#   make test               install redis and the client libraries (Python,
#                           Node, Sidekiq) if needed, run the suite, lint, then
#                           print one summary line (tests: N passed, N failed)
#   make fuzz               the suite's fuzz generators for longer (about 10 minutes;
#                           FUZZ_SECONDS per generator, FERRODIS_FUZZ_SEED=<seed> replays)
#   make lint               rustfmt check and clippy with warnings denied
#   make docs               regenerate docs/commands.md from the command table
#   make bench              ferrodis vs redis-server side by side (docs/benchmarks.md)

CARGO ?= cargo
PORT ?= 6379
ARGS ?=
FUZZ_SECONDS ?= 100

.PHONY: build run test fuzz lint docs bench

build:
	$(CARGO) build --release

run: build
	./target/release/ferrodis --port $(PORT) $(ARGS)

# The suite runs the debug build: the release profile's fat LTO with one
# codegen unit makes building the test binaries take several times longer
# than the whole suite takes to run, and the tests are I/O bound, so
# debug is clearly faster end to end.
test:
	bash scripts/ensure-redis.sh
	bash scripts/ensure-clients.sh
	CARGO=$(CARGO) bash scripts/run-tests.sh

# Eleven generators, two at a time (the test threads of a 2-core machine).
fuzz:
	bash scripts/ensure-redis.sh
	FERRODIS_FUZZ_SECONDS=$(FUZZ_SECONDS) $(CARGO) test --test tests fuzz:: -- --nocapture

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings

docs:
	UPDATE_DOCS=1 $(CARGO) test --lib docs_command_list_is_current
	UPDATE_DOCS=1 $(CARGO) test --lib readme_command_families_are_current

# QUICK=1 for a short matrix, LONG=1 to add the 10M-key growth run.
bench: build
	bash scripts/ensure-redis.sh
	python3 scripts/bench.py
