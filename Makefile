# bita-chat — build, test, chat, bench.
#   make chat    install system packages, fetch the default model, build release, open the chat
#   make test    install what the tests need, build, run the whole suite
#   make model   fetch models/SmolLM2-135M-Instruct.Q4_1.gguf (verified by sha256)
#   make bench   benchmark suite: llama.cpp vs our AR vs our BiTA, same run
SHELL := /bin/bash
SWIFT ?= swift
TARGET_CPU := $(shell bash scripts/cpu-target.sh)
# -Ounchecked is not used: bounds checks stay on outside the kernels that opt out explicitly.
# -enable-testing is on for every release build so `make chat` and `make test` share one build.
RELEASE_FLAGS := -c release -Xswiftc -target-cpu -Xswiftc $(TARGET_CPU) -Xswiftc -enable-testing
TEST_FLAGS := $(RELEASE_FLAGS)
BIN := .build/release/bita-chat
ARGS ?=

.PHONY: chat test build release deps model bench peer clean help

help:
	@sed -n '2,6p' Makefile | sed 's/^# //'

deps:
	@bash scripts/install-deps.sh

model:
	@bash scripts/fetch-model.sh

release: deps
	@echo "building release for -target-cpu $(TARGET_CPU)"
	$(SWIFT) build $(RELEASE_FLAGS) --product bita-chat

build: release

chat: deps model release
	$(BIN) $(ARGS)

test: deps model
	@echo "building tests (release, -target-cpu $(TARGET_CPU))"
	$(SWIFT) build $(TEST_FLAGS) --build-tests
	stories=$$(bash scripts/find-stories.sh); \
	BITA_STORIES_MODEL="$${stories:-$(CURDIR)/../shared/models/stories260K.gguf}" \
	BITA_CHAT_BIN=$(CURDIR)/$(BIN) BITA_REPO=$(CURDIR) $(SWIFT) test $(TEST_FLAGS) --skip-build --no-parallel

peer:
	@bash scripts/setup-peer.sh

bench: deps model release peer
	@bash scripts/bench.sh

clean:
	rm -rf .build

# Reliability: fuzzing, sanitizers, leak checks (docs/RELIABILITY.md). Long jobs run at nice 19.
#   make fuzz       each libFuzzer target for FUZZ_SECONDS (default 300); FUZZ_TARGETS to pick some
#   make sanitize   tests under ASan and TSan, and a 20-turn chat under LeakSanitizer and valgrind
.PHONY: fuzz sanitize
FUZZ_SECONDS ?= 300
FUZZ_TARGETS ?=

fuzz: deps model
	FUZZ_SECONDS=$(FUZZ_SECONDS) bash scripts/fuzz.sh $(FUZZ_TARGETS)

sanitize: deps model
	bash scripts/sanitize.sh
