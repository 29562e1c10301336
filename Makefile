# Two commands from a fresh clone: `make run` serves the app, `make test` runs every test.
# Both create .venv and install once; a stamp keyed on the requirements' hash skips reinstalling.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
REQS := requirements.txt requirements-dev.txt
STAMP := $(VENV)/.installed-$(shell cat $(REQS) | sha256sum | cut -c1-16)
PORT ?= 8501

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install run dev test data bench load lint clean retrain

install: $(STAMP)

$(STAMP): $(REQS)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# plain pip: torch/torchvision come from this machine's local wheels (see README)
	$(BIN)/python -m pip install --progress-bar off -r requirements.txt -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $@

# Fetches and verifies any missing dataset first (best effort: offline it says so in one line and serves).
run: $(STAMP)
	-$(BIN)/python -m src.core.data ensure
	$(BIN)/streamlit run Home.py --server.port $(PORT)

# Reload on save while editing (.streamlit/config.toml turns the file watcher off for serving: see why there).
dev: $(STAMP)
	$(BIN)/streamlit run Home.py --server.port $(PORT) --server.fileWatcherType auto --server.runOnSave true

test: $(STAMP)
	$(BIN)/python -m pytest

data: $(STAMP)
	$(BIN)/python -m src.core.data fetch

bench: $(STAMP)
	$(BIN)/python -m src.bench

# N concurrent visitors against a loopback server (tests/load/run_load.py); minutes, so not part of `make test`.
load: $(STAMP)
	$(BIN)/python tests/load/run_load.py $(LOAD_ARGS)

# Retrain behind the champion/challenger gate: `make retrain`, `make retrain ARGS="churn --smoke"`
retrain: $(STAMP)
	$(BIN)/python -m src.pipeline retrain $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/hadolint Dockerfile

clean:
	rm -rf $(VENV) .pytest_cache artifacts
