# Parley Studio — two commands: `make run` (set up + start the studio), `make test` (set up + lint + every test).
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEB_PACKAGES := bubblewrap chromium docker.io
STAMP := $(VENV)/.installed

.PHONY: run test lint setup deb bench clean run-demo

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q --upgrade pip >/dev/null
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

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

test: setup deb lint
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup

run: setup
	$(BIN)/studio ui

bench: setup
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache
