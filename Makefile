# Parley Studio — two commands: `make run` (set up + start the studio), `make test` (set up + lint + every test).
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEB_PACKAGES := bubblewrap chromium docker.io
STAMP := $(VENV)/.installed

.PHONY: run run-local test lint setup setup-local try-local deb bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q --upgrade pip >/dev/null
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

# The optional local model (llama.cpp + bundled SmolLM2). The first build compiles llama.cpp (~15 min on 2 cores);
# pip's wheel cache makes later installs instant. `make test` tries it (if it cannot be built, the local-model tests
# skip, saying so); `make run-local` requires it.
LOCAL_STAMP := $(VENV)/.installed-local
$(LOCAL_STAMP): $(STAMP)
	$(BIN)/pip install -q -e '.[local]'
	touch $(LOCAL_STAMP)

setup-local: $(LOCAL_STAMP)

try-local: $(STAMP)
	@$(MAKE) --no-print-directory setup-local || echo "warning: the local-model extra could not be installed; its tests will skip"

# Debian packages the tests need: bubblewrap (the sandbox), chromium (browser tests), docker.io (Docker executor tests).
deb:
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

lint: setup
	$(BIN)/ruff check studio components gallery tests bench
	$(BIN)/ruff format --check studio components gallery tests bench

# Browser tests run in their own pytest process: Playwright's sync API leaves an event loop and a Node driver in the
# worker that runs it, which other tests (asyncio.run, child-process audits) must not inherit.
test: setup try-local deb lint
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup -m "not browser"
	$(BIN)/python -m pytest -q -m browser

run: setup
	$(BIN)/studio ui

run-local: setup-local
	$(BIN)/studio ui --local-model

bench: setup
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache
