# planqa — two commands on a fresh machine:
#   make run    install, build the index if needed, answer a demo question with citations
#   make test   install and run the whole test suite (what CI runs)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export GRADIO_ANALYTICS_ENABLED := False
export TOKENIZERS_PARALLELISM := false

.PHONY: install run index test clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt "torch==2.13.0"
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev]"
	touch $@

index: install
	$(BIN)/planqa index

run: index
	$(BIN)/planqa ask "公办养老机构护理型床位占比，舒兰和省里的目标一样吗？"

test: install
	$(BIN)/ruff check rag tests
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) indexes/default test-artifacts
