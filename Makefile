# One command for the main job (`make demo`) and one for the tests (`make test`).
# Both create the virtualenv at .venv on first use: torch is pinned to the CPU build and installed first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
export ASSISTANT_HOME ?= $(CURDIR)/.assistant
UI_PORT ?= 8501
API_PORT ?= 8000
CHROMIUM := /usr/bin/chromium
CJK_FONT := /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
ZH_TICKETS := id=工单号,title=标题,text=标题+描述,category=分类,priority=优先级,status=状态,resolution=处理结果,created=创建时间

.PHONY: venv demo demo-data browser postgres serve ui test test-server test-fast eval eval-multilingual lint corpus clean

$(STAMP): pyproject.toml requirements/torch.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements/torch.txt
	$(BIN)/pip install -q --disable-pip-version-check -e ".[dev,multilingual,sqlite]"
	touch $(STAMP)

venv: $(STAMP)

## the main job: ingest the sample corpus, answer from it with citations, then open the web UI and API
demo: demo-data
	@echo
	@echo "Web UI: http://127.0.0.1:$(UI_PORT)   HTTP API: http://127.0.0.1:$(API_PORT)/docs   (Ctrl-C stops both)"
	@echo "Sign in with a key from $(ASSISTANT_HOME)/demo-keys.txt (one per role, printed above)."
	$(BIN)/assistant ui --port $(UI_PORT) --api-port $(API_PORT)

## everything `make demo` does before it starts the servers
demo-data: venv
	$(BIN)/assistant ingest corpus --kb demo
	$(BIN)/assistant ask "忘记密码怎么办？" --kb demo
	$(BIN)/assistant ask "Who approves a purchase requisition of 60,000 CNY?" --kb demo
	$(BIN)/assistant tickets import corpus/incidents/工单历史.csv --kb demo --map "$(ZH_TICKETS)"
	$(BIN)/assistant triage train --kb demo --target category --target priority
	$(BIN)/assistant triage "仓库收货时系统提示数量超过订单，不能过账" --kb demo
	$(BIN)/assistant keys demo --kb demo

## Debian's chromium and CJK fonts, for the browser test (and readable Chinese in its screenshots)
browser:
	@test -x $(CHROMIUM) -a -f $(CJK_FONT) || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk; }

## Debian's PostgreSQL server, for the server-mode tests (they start a throwaway cluster on loopback)
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends postgresql; }

## the HTTP API alone on http://127.0.0.1:8000 (docs at /docs); create a key with `assistant keys create`
serve: venv
	$(BIN)/assistant serve

## the web UI and the HTTP API on whatever is in $(ASSISTANT_HOME)
ui: venv
	$(BIN)/assistant ui --port $(UI_PORT) --api-port $(API_PORT)

## every test, offline, with the real embedding model, Chroma, SQLite and a real browser
## (two workers, one test file each at a time: 13-19 min on two cores instead of 21)
test: venv browser postgres
	ASSISTANT_TEST_SERVER=1 $(BIN)/python -m pytest -q -n 2 --dist loadfile

## the server-mode suite alone: the contract tests on PostgreSQL (and the Chroma server test)
test-server: venv postgres
	ASSISTANT_TEST_SERVER=1 $(BIN)/python -m pytest -q -m server

test-fast: venv
	$(BIN)/python -m pytest -q -m "not slow"

## retrieval benchmarks on the shared datasets (reports in evals/reports/)
eval: venv
	$(BIN)/python -m evals.ticket_reports
	$(BIN)/assistant eval answers --bench ../shared/datasets/qa/dolphinscheduler-en --out evals/reports/answers-dolphinscheduler-en.md
	$(BIN)/assistant eval answers --bench ../shared/datasets/qa/dolphinscheduler-zh --out evals/reports/answers-dolphinscheduler-zh.md
	$(BIN)/assistant eval retrieval --bench ../shared/datasets/qa/dolphinscheduler-en --out evals/reports/retrieval-dolphinscheduler-en.md
	$(BIN)/assistant eval retrieval --bench ../shared/datasets/qa/dolphinscheduler-zh --out evals/reports/retrieval-dolphinscheduler-zh.md

## the same benchmarks with the multilingual embedding option (reports *-e5.md)
eval-multilingual: venv
	for set in en zh; do \
	  ASSISTANT_EMBEDDING__PROVIDER=e5-multilingual $(BIN)/assistant eval answers --bench ../shared/datasets/qa/dolphinscheduler-$$set --out evals/reports/answers-dolphinscheduler-$$set-e5.md && \
	  ASSISTANT_EMBEDDING__PROVIDER=e5-multilingual $(BIN)/assistant eval retrieval --bench ../shared/datasets/qa/dolphinscheduler-$$set --out evals/reports/retrieval-dolphinscheduler-$$set-e5.md || exit 1; \
	done

lint: venv
	$(BIN)/ruff check assistant evals ui tests
	$(BIN)/mypy assistant ui

## re-render corpus/ from scripts/*.py (only after editing the texts)
corpus: venv
	$(BIN)/python scripts/build_corpus.py
	$(BIN)/python scripts/build_incidents.py

clean:
	rm -rf .assistant .pytest_cache
