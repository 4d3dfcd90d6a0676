# Outbound — every target builds its own virtualenv (.venv) and finds or starts its services.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_SECONDS ?=
DEMO_PORT ?= 8000
BENCH ?=
SERVICES = eval "$$(scripts/local_services.sh $(1))"

.PHONY: venv test lint demo bench clean browser

venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt scripts/install_python_esl.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt
	scripts/install_python_esl.sh $(VENV)
	touch $(STAMP)

# The browser tests drive Debian's chromium (never a downloaded browser): installed from the system packages.
browser:
	command -v chromium >/dev/null || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DJANGO_DEBUG=1 DIALER_SWITCH=simulator DATABASE_URL=postgres://lint@127.0.0.1/lint $(BIN)/mypy .

# Two runs: the browser tests (tests/browser) need a pytest process of their own (tests/conftest.py says why).
test: lint browser
	$(call SERVICES,outbound) && export DJANGO_DEBUG=1 DIALER_SWITCH=simulator && \
	  $(BIN)/pytest && BROWSER_TESTS=1 $(BIN)/pytest tests/browser

demo: venv
	$(call SERVICES,outbound_demo) && export DJANGO_DEBUG=1 DIALER_SWITCH=simulator && \
	  $(BIN)/python manage.py migrate --no-input -v 0 && \
	  $(BIN)/python manage.py demo --port $(DEMO_PORT) $(if $(DEMO_SECONDS),--seconds $(DEMO_SECONDS))

bench: venv
	$(call SERVICES,outbound_bench) && DJANGO_DEBUG=1 DIALER_SWITCH=simulator \
	  $(BIN)/python -m bench $(BENCH)

clean:
	rm -rf $(VENV) .local .mypy_cache .ruff_cache
