# The two commands: `make dev` runs the whole stack offline, `make test` runs the checks.
# Both set up what they need on a fresh machine (the virtualenv and its packages).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAGE ?= dev
PACKAGE_DIR ?= build/package-$(STAGE)
export AWS_DEFAULT_REGION ?= us-east-1

.PHONY: dev test lint package clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python requirements.txt requirements-dev.txt infra/layers/media/requirements.txt
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

dev: $(VENV)/.installed
	$(BIN)/python -m local.dev

test: lint
	$(BIN)/python -m pytest

lint: $(VENV)/.installed
	$(BIN)/ruff check .

# The deployable template: Chalice's output with infra/template.yaml merged in.
package: $(VENV)/.installed
	rm -rf $(PACKAGE_DIR)
	$(BIN)/chalice package --stage $(STAGE) --merge-template infra/template.yaml $(PACKAGE_DIR)
	$(BIN)/cfn-lint $(PACKAGE_DIR)/sam.yaml

clean:
	rm -rf build .pytest_cache
