# planqa — two commands on a fresh machine:
#   make run    install, build the index if needed, open the web chat on http://127.0.0.1:7860
#   make test   install (Python packages, Debian's chromium + CJK fonts for the browser tests and a Milvus
#               server for the vector-store contract tests),
#               then lint, type-check, run the whole test suite and audit the dependencies (what CI runs)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
export HF_HUB_OFFLINE := 1
export GRADIO_ANALYTICS_ENABLED := False
export TOKENIZERS_PARALLELISM := false

.PHONY: install browser-deps milvus-server run index ask test audit bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt "torch==2.13.0"
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev]"
	touch $@

# The browser tests drive Debian's chromium (Playwright's own browser download fails offline);
# without a CJK font, Chinese renders as empty boxes.
browser-deps:
	@command -v chromium >/dev/null && fc-list 2>/dev/null | grep -q "Noto Sans CJK" || { \
	  export DEBIAN_FRONTEND=noninteractive; \
	  $(SUDO) apt-get install -y --no-install-recommends chromium fonts-noto-cjk || \
	  { $(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends chromium fonts-noto-cjk; }; }

# A real Milvus standalone server for the vector-store contract tests: Milvus 2.3.5, whose binary ships
# inside the `milvus` package on PyPI. It gets a venv of its own: a test tool, like chromium, not a
# dependency of planqa (tests/conftest.py starts and stops it).
MILVUS_SERVER := .milvus-server/bin/milvus-server

milvus-server: $(MILVUS_SERVER)

$(MILVUS_SERVER):
	$(PYTHON) -m venv .milvus-server
	.milvus-server/bin/pip install --quiet "milvus==2.3.5"

index: install
	$(BIN)/planqa index

run: index
	$(BIN)/planqa serve

ask: index
	$(BIN)/planqa ask "公办养老机构护理型床位占比，舒兰和省里的目标一样吗？"

test: install browser-deps milvus-server
	$(BIN)/ruff check rag ui tests benchmarks .ci/audit.py
	$(BIN)/mypy
	$(BIN)/python -m pytest -q
	$(MAKE) --no-print-directory audit

# pip-audit on the installed versions: fails on a known vulnerability; says so when no
# vulnerability service can be reached (then nothing was checked). Report: test-artifacts/.
audit: install
	$(BIN)/python .ci/audit.py

# Benchmarks (numbers, not pass/fail): index build per stage, warm query latency and cold start,
# then synthetic 10k / 100k / 1M chunks. Tables on stdout, JSON in benchmarks/results/.
# The 1M size takes about half an hour on 2 cores; SIZES="10000 100000" for a quicker run.
SIZES ?= 10000 100000 1000000
bench: index
	$(BIN)/python -m benchmarks.bench_build
	$(BIN)/python -m benchmarks.bench_query
	$(BIN)/python -m benchmarks.bench_scale --sizes $(SIZES)

clean:
	rm -rf $(VENV) indexes/default test-artifacts
