# The two commands: `make dev` runs the whole stack offline, `make test` runs the checks.
# Both set up what they need on a fresh machine (the virtualenv and its packages).

# Python 3.13 everywhere: the virtualenv, Chalice's packaging (it names the Lambda
# runtime after the Python it runs under), the bytecode shipped and the media layer.
# scripts/find-python looks on PATH, then under pyenv, and says how to get one if not.
PYTHON_VERSION := 3.13
PYTHON ?= $(shell scripts/find-python $(PYTHON_VERSION) 2>/dev/null)
VENV := .venv
BIN := $(VENV)/bin
STAGE ?= dev
PACKAGE_DIR ?= build/package-$(STAGE)
LAYER_DIR := build/layers/media
LAYER_ZIP := build/layers/media.zip
export AWS_DEFAULT_REGION ?= us-east-1

.PHONY: dev test test-fast lint browser package layer redrive purge bench clean FORCE

# A virtualenv of another Python (3.11, from before) is made again from scratch.
VENV_IS_CURRENT := $(shell $(BIN)/python -c 'import sys; sys.exit(sys.version_info[:2] != \
	tuple(map(int, "$(PYTHON_VERSION)".split("."))))' 2>/dev/null && echo yes)
ifneq ($(VENV_IS_CURRENT),yes)
$(BIN)/python: FORCE
endif
FORCE:

$(BIN)/python:
	@[ -n "$(PYTHON)" ] || scripts/find-python $(PYTHON_VERSION)
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python requirements.txt requirements-dev.txt infra/layers/media/requirements.txt
	$(BIN)/pip install --quiet pip==26.2.1  # chalice 1.34 requires pip<26.3
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

dev: $(VENV)/.installed
	$(BIN)/python -m local.dev

test: lint browser node_modules/.installed
	$(BIN)/python -m pytest

# The fast loop: everything but the browser, fuzz, whole-stack, package and contract-tool
# tests (the markers in pyproject.toml). `make test` runs them all.
test-fast: $(VENV)/.installed
	$(BIN)/python -m pytest -m "not browser and not fuzz and not stack and not package and not contract"

# Spectral, openapi-typescript and TypeScript for the contract tests (package.json),
# from the npm registry; reinstalled when package.json or its lock file changes.
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { $(SUDO) apt-get update && $(SUDO) apt-get install -y nodejs npm; }
	npm ci --no-audit --no-fund
	touch $@

# The admin site's tests drive Debian's Chromium through Playwright; a browser is never
# downloaded. Installed when missing, with a CJK font so screenshots of the Chinese UI
# are legible. A failed install fails `make test` (and CI): the tests never skip.
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

browser:
	@if [ ! -x $(CHROMIUM) ] || ! fc-list :lang=zh 2>/dev/null | grep -q .; then \
		echo "installing Debian's chromium and a CJK font"; \
		$(SUDO) apt-get update && $(SUDO) apt-get install -y chromium fonts-wqy-zenhei; \
	fi

lint: $(VENV)/.installed
	$(BIN)/ruff check .

# The deployable template: Chalice's output with infra/template.yaml merged in, then
# infra/package.py splits Chalice's one deployment.zip into the API's (api.zip) and the
# lean worker's (worker.zip), compiles every module with this Python 3.13 (unchecked-hash
# bytecode: Lambda's /var/task is read-only, so nothing could be cached there at run
# time), re-zips both deterministically and points API Gateway at the API's SnapStart
# alias. The media layer's zip sits next to sam.yaml, where the relative ContentUri finds it.
package: $(VENV)/.installed $(LAYER_ZIP)
	rm -rf $(PACKAGE_DIR)
	$(BIN)/chalice package --stage $(STAGE) --merge-template infra/template.yaml $(PACKAGE_DIR)
	$(BIN)/python -m infra.package $(PACKAGE_DIR)
	cp $(LAYER_ZIP) $(PACKAGE_DIR)/media-layer.zip
	$(BIN)/cfn-lint $(PACKAGE_DIR)/sam.yaml

# The evidence worker's media libraries (Pillow, PyAV, pillow-heif) as a Lambda layer,
# from the wheels of Lambda's python3.13 platform (Amazon Linux 2023, x86_64, glibc 2.34:
# manylinux_2_28 or older). About 50 MB to download, so it is rebuilt only when its
# requirements or its build change (make compares the zip's time with theirs). Compiled
# like the functions' code, for /opt/python where Lambda mounts it.
layer: $(LAYER_ZIP)

$(LAYER_ZIP): infra/layers/media/requirements.txt infra/layers/zip_layer.py infra/package.py \
		| $(VENV)/.installed
	rm -rf $(LAYER_DIR)
	$(BIN)/pip install --quiet --no-compile --platform manylinux_2_28_x86_64 --implementation cp \
		--python-version $(PYTHON_VERSION) --only-binary=:all: --target $(LAYER_DIR)/python \
		-r infra/layers/media/requirements.txt
	$(BIN)/python -m infra.package --compile-only $(LAYER_DIR)/python /opt/python
	$(BIN)/python infra/layers/zip_layer.py $(LAYER_DIR) $@

# Benchmarks (issue 7), never part of `make test`: one table, and the same figures in
# bench/results/latest.json. The package size figure needs `make package`, so it runs
# first; the bench-only packages (pyvips) come from bench/requirements.txt.
bench: package $(VENV)/.bench-installed
	$(BIN)/python -m bench --package-dir $(PACKAGE_DIR)

$(VENV)/.bench-installed: bench/requirements.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r bench/requirements.txt
	touch $@

# Evidence jobs that failed every try wait in the stage's dead-letter queue; once the
# cause is fixed, this moves them back to be processed (README, "Redrive"). With
# STAGE=local it works on the emulator `make dev` runs.
redrive: $(VENV)/.installed
	$(BIN)/python -m scripts.redrive $(STAGE) --queue $(or $(QUEUE),evidence)

# The retention schedule now, once, against `make dev`'s stack (which also runs it every
# few minutes): purges what has fallen due (README, "Retention").
purge: $(VENV)/.installed
	$(BIN)/python -m local.purge

clean:
	rm -rf build .pytest_cache
