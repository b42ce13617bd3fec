# Two commands on a fresh machine: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
KERNEL := sla-analytics

TERMS  := data/samples/contract.yaml
DATA   := data/samples
LATEST := 2026-12

.PHONY: setup demo test samples bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "SLA analytics (sla_lib)" > /dev/null
	touch $(STAMP)

# Regenerate the sample data set (deterministic; the committed CSVs are its output).
samples: setup
	$(BIN)/sla generate --out $(DATA) --seed 20260101

demo: setup
	$(BIN)/sla generate --out $(DATA) --seed 20260101 --check
	$(BIN)/sla validate --terms $(TERMS) --data $(DATA)
	$(BIN)/sla fees --terms $(TERMS) --data $(DATA) --month $(LATEST) --as-of 2027-02-28 --format table
	@echo "Rendering the monthly report for $(LATEST) (notebooks -> HTML, PDF, Excel) ..."
	$(BIN)/sla report --terms $(TERMS) --data $(DATA) --month $(LATEST) --quarter 2026Q4 --as-of 2027-02-28 --out reports

test: setup
	$(BIN)/python -m pytest

# Benchmarks: measured on demand, never part of `make test` (docs/benchmarks.md).
bench: setup
	$(BIN)/python -m pip install --quiet -e ".[test,bench]"
	$(BIN)/python benchmarks/bench_service_time.py
	$(BIN)/python benchmarks/bench_month_parquet.py
	$(BIN)/python benchmarks/bench_report_suite.py
	$(BIN)/python benchmarks/bench_simulation.py
	$(BIN)/python benchmarks/bench_hostile.py
	$(BIN)/python benchmarks/bench_month_duckdb.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
