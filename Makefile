# The two commands a new user needs: `make run` and `make test`. Both create .venv when it is
# missing and (re)install the project when pyproject.toml changed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint fmt load bench fuzz install tools clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is required")'
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install  ## start the service and every simulator on embedded defaults
	$(BIN)/genai-demo up

# promtool (Debian's prometheus package) checks the alert rules and kcat reads our Kafka topics as an
# independent client; each is installed when missing and root
tools:
	@command -v promtool >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing promtool (apt-get install prometheus)"; \
	    apt-get install -y -q prometheus >/dev/null 2>&1 || \
	      { apt-get update -q >/dev/null && apt-get install -y -q prometheus >/dev/null; }; \
	  else echo "promtool is missing: install Debian's prometheus package to run the alert-rule tests"; fi; }
	@command -v kcat >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing kcat (apt-get install kcat)"; \
	    apt-get install -y -q kcat >/dev/null 2>&1 || \
	      { apt-get update -q >/dev/null && apt-get install -y -q kcat >/dev/null; }; \
	  else echo "kcat is missing: install Debian's kcat package to run the Kafka end-to-end test"; fi; }

test: install tools lint  ## lint, type-check and run the whole suite
	$(BIN)/pytest

lint: install  ## ruff and mypy --strict over the three packages
	$(BIN)/ruff check reference_service simulators contracts tests load docs/examples
	$(BIN)/ruff format --check reference_service simulators contracts tests load docs/examples
	$(BIN)/mypy reference_service simulators contracts

fmt: install
	$(BIN)/ruff check --fix reference_service simulators contracts tests load docs/examples
	$(BIN)/ruff format reference_service simulators contracts tests load docs/examples

load: install  ## a short headless Locust run against a running lab (make run in another shell)
	$(BIN)/python -m load.run $(SCENARIO)

# schemathesis against the simulators with the official specs; longer than make test's run (all phases)
FUZZ_EXAMPLES ?= 1000
fuzz: install  ## fuzz the simulators against the providers' official specs (FUZZ_EXAMPLES, FUZZ_SEED)
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) FUZZ_PHASES=examples,coverage,fuzzing $(BIN)/pytest \
	  tests/simulators/test_fuzz_stripe.py tests/simulators/test_fuzz_paypal.py tests/simulators/test_fuzz_twilio.py

bench: install  ## throughput/latency benchmarks; prints figures and the method
	$(BIN)/genai-demo bench all

clean:
	rm -rf $(VENV) var build *.egg-info
