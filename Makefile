# Ariane — the two promised commands are `make demo` and `make test`; both set everything up.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PATIENTS ?= 10000
BENCH_PATIENTS ?= 10000,50000,500000
BENCH_PG ?= auto
FUZZ_SECONDS ?= 20
FUZZ_JOBS ?= 2

.PHONY: demo test lint typecheck bench eval-scan fuzz system clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

system:
	bash scripts/setup-system.sh

demo: $(STAMP)
	rm -rf demo-run
	$(VENV)/bin/ariane demo --dir demo-run --patients $(PATIENTS)

test: $(STAMP) system lint
	$(PY) fuzz/run_all.py --seconds 10 --jobs 2
	$(PY) -m pytest -q -n 2 --dist loadgroup

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks scripts fuzz
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(PY) benchmarks/run.py --patients $(BENCH_PATIENTS) --pg $(BENCH_PG)

fuzz: $(STAMP)
	$(PY) fuzz/run_all.py --seconds $(FUZZ_SECONDS) --jobs $(FUZZ_JOBS)

eval-scan: $(STAMP)
	$(PY) benchmarks/eval_scan.py

clean:
	rm -rf $(VENV) demo-run bench-run
