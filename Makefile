# aktuar — two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test bench lint clean venv

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 $(BIN)/pip install --quiet -e '.[test]'
	@# system packages: Chromium (browser tests), poppler-utils (PDF pages to PNG/text), Pango (WeasyPrint)
	(command -v chromium && command -v pdftoppm && ldconfig -p | grep -q libpangoft2) >/dev/null || \
		(apt-get update && apt-get install -y chromium poppler-utils libpango-1.0-0 libpangoft2-1.0-0)
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/aktuar demo

test: $(STAMP)
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 $(BIN)/python -m pytest -n 2 -q

bench: $(STAMP)
	$(BIN)/python -m benchmarks

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy src/aktuar/core

clean:
	rm -rf $(VENV) build dist .pytest_cache demo-output
