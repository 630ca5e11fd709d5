# Slipway: every target sets up .venv itself, from the exact pins, and is safe to run again.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV_VERSION := 0.13.8

.DEFAULT_GOAL := help
.PHONY: help plan test lint typecheck format pytest docs schema bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

# The venv starts without pip (ensurepip installs and compiles it: about half of a fresh
# set-up); the machine's pip puts uv into it, then uv installs the pins (seconds instead of a
# minute), pip among them (Pulumi's pip toolchain and the consumer test use it). Without the
# machine's pip, ensurepip; without uv, pip installs the pins itself.
$(PY):
	$(PYTHON) -m venv --without-pip $(VENV)

# The pins, then Slipway itself (editable, distribution `slipway-platform`, import name `slipway`,
# from components/slipway), built with the pinned setuptools already installed (no isolated build
# environment to make). A venv made before the rename holds Slipway as `slipway` too: that
# install goes first (uninstalling a name that is absent only warns).
define install
	@if $(PYTHON) -m pip --python $(PY) install --quiet --disable-pip-version-check uv==$(UV_VERSION) >/dev/null 2>&1 || \
	  { $(PY) -m ensurepip --default-pip >/dev/null 2>&1 && \
	    $(PY) -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION) >/dev/null 2>&1; }; then \
	  $(VENV)/bin/uv pip install --quiet --python $(PY) -r $(1) && \
	  { $(VENV)/bin/uv pip uninstall --quiet --python $(PY) slipway 2>/dev/null || true; } && \
	  $(VENV)/bin/uv pip install --quiet --python $(PY) --no-deps --no-build-isolation -e .; \
	else \
	  echo "uv unavailable; installing with pip"; \
	  { $(PY) -m pip --version >/dev/null 2>&1 || $(PY) -m ensurepip --default-pip >/dev/null; } && \
	  $(PY) -m pip install --quiet --disable-pip-version-check -r $(1) && \
	  { $(PY) -m pip uninstall --quiet --yes slipway 2>/dev/null || true; } && \
	  $(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .; \
	fi
endef

$(VENV)/.runtime: requirements.txt pyproject.toml | $(PY)
	$(call install,requirements.txt)
	@touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt pyproject.toml | $(PY)
	$(call install,requirements-dev.txt)
	@touch $(VENV)/.runtime $@

plan: $(VENV)/.runtime ## Preview every stack offline (no cloud account, no Pulumi CLI)
	$(PY) -m tooling.plan $(PLAN_ARGS)

# lint (ruff, then typecheck: about 15 s of mypy on a fresh clone) runs beside the test suite: its output is kept and
# shown once the tests end, and either failing fails `make test`. The release tests' npm tools
# (tests/release/node_tools.py, mostly a download on a fresh clone) start installing at once;
# the tests wait for that install through its lock, and install themselves if it failed.
test: $(VENV)/.dev ## Everything CI runs: lint, type checks and the test suite
	@log="$(VENV)/lint.log"; \
	$(PY) -m tests.release.node_tools >"$(VENV)/node-tools.log" 2>&1 & tools=$$!; \
	$(MAKE) --no-print-directory lint >"$$log" 2>&1 & lint=$$!; \
	$(MAKE) --no-print-directory $(VENV)/.bytecode; \
	$(MAKE) --no-print-directory pytest; tests=$$?; \
	wait $$tools; wait $$lint; linted=$$?; \
	echo "--- make lint (ran beside the tests)"; cat "$$log"; \
	if [ $$linted -ne 0 ]; then echo "make lint failed" >&2; fi; \
	if [ $$tests -ne 0 ]; then echo "the test suite failed" >&2; fi; \
	[ $$linted -eq 0 ] && [ $$tests -eq 0 ]

# A new venv has no bytecode (uv does not compile), and each pytest worker would compile the
# same modules at once. One collection first (beside lint and the npm install) compiles what
# collecting imports, once per venv; its errors, if any, show again in the real run.
$(VENV)/.bytecode: $(VENV)/.dev
	-@PYTHONDONTWRITEBYTECODE= $(PY) -m pytest --collect-only -q -p no:xdist >/dev/null 2>&1
	@touch $@

lint: $(VENV)/.dev ## ruff (lint and format check), then make typecheck
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	@$(MAKE) --no-print-directory typecheck

# pyproject.toml's [tool.mypy] names what the first run checks (strict, the tests included);
# bootstrap/ and the example are separate programs, each with its own __main__ module.
typecheck: $(VENV)/.dev ## mypy --strict on components/slipway/, infra/, tooling/, policy/, tests/, bootstrap/, examples/
	$(VENV)/bin/mypy
	$(VENV)/bin/mypy --strict bootstrap/__main__.py
	$(VENV)/bin/mypy --strict examples/another_stack/__main__.py

# Three workers on these two-core machines: the suite is mostly CPU-bound, but the deploy and
# release tests also wait (rollout polls, node and the registry), and a third worker fills
# those gaps (idle machine, warm venv: -n 2 196 s, -n 3 182 s, -n 4 187 s wall). worksteal
# hands a worker that runs dry another's remaining tests, so a few long tests do not end the
# run on one worker. Bytecode is written (even where PYTHONDONTWRITEBYTECODE is set): the suite
# starts dozens of Python processes (the AWS CLI, the offline plan, check-jsonschema), and each
# would otherwise compile pulumi_aws, botocore and the project from source again.
pytest: $(VENV)/.dev
	PYTHONDONTWRITEBYTECODE= PATH="$(CURDIR)/$(VENV)/bin:$$PATH" \
	  $(PY) -m pytest -n 3 --dist worksteal $(PYTEST_ARGS)

format: $(VENV)/.dev ## Apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

docs: $(VENV)/.runtime ## Regenerate docs/configuration.md and the config block of Pulumi.yaml
	$(PY) -m tooling.docgen --write

schema: $(VENV)/.runtime ## Regenerate provider/schema.json, the multi-language package's schema
	cd provider && ../$(PY) -m slipway_facade.schema

bench: $(VENV)/.dev ## Measure the offline plan against the SDK floor
	$(PY) -m tooling.bench

clean: ## Remove the virtualenv and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
