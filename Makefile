# One command for the main job (`make demo`) and one for the tests (`make test`).
# Both create the virtualenv at .venv on first use: torch is pinned to the CPU build and installed first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
export ASSISTANT_HOME ?= $(CURDIR)/.assistant
ZH_TICKETS := id=工单号,title=标题,text=标题+描述,category=分类,priority=优先级,status=状态,resolution=处理结果,created=创建时间

.PHONY: venv demo serve test test-fast eval lint corpus clean

$(STAMP): pyproject.toml requirements/torch.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements/torch.txt
	$(BIN)/pip install -q --disable-pip-version-check -e ".[dev]"
	touch $(STAMP)

venv: $(STAMP)

## the main job: ingest the sample corpus and answer questions from it with citations
demo: venv
	$(BIN)/assistant ingest corpus --kb demo
	$(BIN)/assistant ask "忘记密码怎么办？" --kb demo
	$(BIN)/assistant ask "Who approves a purchase requisition of 60,000 CNY?" --kb demo
	$(BIN)/assistant tickets import corpus/incidents/工单历史.csv --kb demo --map "$(ZH_TICKETS)"
	$(BIN)/assistant triage train --kb demo --target category --target priority
	$(BIN)/assistant triage "仓库收货时系统提示数量超过订单，不能过账" --kb demo
	@echo
	@echo "Try your own: $(BIN)/assistant ask \"盘点期间能发料吗？\" --kb demo   (HTTP API: make serve)"

## the HTTP API on http://127.0.0.1:8000 (docs at /docs); create a key with `assistant keys create`
serve: venv
	$(BIN)/assistant serve

## every test, offline, with the real embedding model, Chroma and SQLite
test: venv
	$(BIN)/python -m pytest -q

test-fast: venv
	$(BIN)/python -m pytest -q -m "not slow"

## retrieval benchmarks on the shared datasets (reports in evals/reports/)
eval: venv
	$(BIN)/python -m evals.ticket_reports
	$(BIN)/assistant eval answers --bench ../shared/datasets/qa/dolphinscheduler-en --out evals/reports/answers-dolphinscheduler-en.md
	$(BIN)/assistant eval answers --bench ../shared/datasets/qa/dolphinscheduler-zh --out evals/reports/answers-dolphinscheduler-zh.md
	$(BIN)/assistant eval retrieval --bench ../shared/datasets/qa/dolphinscheduler-en --out evals/reports/retrieval-dolphinscheduler-en.md
	$(BIN)/assistant eval retrieval --bench ../shared/datasets/qa/dolphinscheduler-zh --out evals/reports/retrieval-dolphinscheduler-zh.md

lint: venv
	$(BIN)/ruff check assistant evals tests
	$(BIN)/mypy assistant

## re-render corpus/ from scripts/*.py (only after editing the texts)
corpus: venv
	$(BIN)/python scripts/build_corpus.py
	$(BIN)/python scripts/build_incidents.py

clean:
	rm -rf .assistant .pytest_cache
