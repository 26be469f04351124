# The two commands a new user needs: `make run` and `make test`. Both create .venv when it is
# missing and (re)install the project when pyproject.toml changed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint fmt load alerts bench soak fuzz chaos long install tools clean

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

# Debian's prometheus (prometheus, promtool) and prometheus-alertmanager: the alert-rule tests and the lab's
# observability stack (genai-demo up --observability, make alerts); kcat reads our Kafka topics as an
# independent client; chromium and chromium-driver run the lab console's browser tests (tests/browser).
# Installed when missing and root. The prometheus packages also start system services
# on :9090/:9093; the lab runs its own instances on other ports.
tools:
	@missing=""; \
	  command -v promtool >/dev/null 2>&1 || missing="$$missing prometheus"; \
	  command -v prometheus >/dev/null 2>&1 || case "$$missing" in *prometheus*) ;; *) missing="$$missing prometheus";; esac; \
	  command -v prometheus-alertmanager >/dev/null 2>&1 || missing="$$missing prometheus-alertmanager"; \
	  command -v kcat >/dev/null 2>&1 || missing="$$missing kcat"; \
	  command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	  command -v chromedriver >/dev/null 2>&1 || missing="$$missing chromium-driver"; \
	  if [ -n "$$missing" ]; then \
	    if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	      echo "installing$$missing (apt-get install)"; \
	      apt-get install -y -q $$missing >/dev/null 2>&1 || \
	        { apt-get update -q >/dev/null && apt-get install -y -q $$missing >/dev/null; }; \
	    else echo "missing:$$missing: install these Debian packages to run the alert, Kafka and browser tests and the lab's observability stack"; fi; \
	  fi

# the suite runs on every core (pytest-xdist); TEST_WORKERS=0 runs it in one process. loadgroup keeps a
# module marked xdist_group on one worker, so a lab its module-scoped fixture starts is started once.
# Tests marked long run only in their own targets (make long, make chaos).
TEST_WORKERS ?= auto
test: install tools lint  ## lint, type-check and run the whole suite
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup -m "not long" --durations=25

lint: install  ## ruff and mypy --strict over the three packages
	$(BIN)/ruff check reference_service simulators contracts tests load docs/examples
	$(BIN)/ruff format --check reference_service simulators contracts tests load docs/examples
	$(BIN)/mypy reference_service simulators contracts

fmt: install
	$(BIN)/ruff check --fix reference_service simulators contracts tests load docs/examples
	$(BIN)/ruff format reference_service simulators contracts tests load docs/examples

# LOAD_PROCESSES=N: Locust distributed, a master and N worker processes (reports and verdict merged);
# LOAD_HOST (environment) points the run at another service URL
LOAD_PROCESSES ?= 0
load: install  ## a short headless Locust run against a running lab (make run in another shell)
	$(BIN)/python -m load.run $(SCENARIO) --processes $(LOAD_PROCESSES)

# every alert scenario at full scale (canonical rules) on the lab's Prometheus and Alertmanager; reports under
# var/load/alerts-<scenario>-<stamp>/ (SCENARIO=stripe-down for one; ALERT_FACTOR=20 for a compressed run)
ALERT_FACTOR ?= 1
alerts: install tools  ## trip each alert under load and prove it fires and resolves (~45 min at full scale)
	$(BIN)/python -m load.alerts --factor $(ALERT_FACTOR) $(SCENARIO)

# schemathesis against the service and the simulators; longer than make test's run (all phases)
FUZZ_EXAMPLES ?= 1000
fuzz: install  ## fuzz the service (its OpenAPI) and the simulators (official specs) (FUZZ_EXAMPLES, FUZZ_SEED)
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) FUZZ_PHASES=examples,coverage,fuzzing $(BIN)/pytest \
	  tests/simulators/test_fuzz_stripe.py tests/simulators/test_fuzz_paypal.py tests/simulators/test_fuzz_twilio.py \
	  tests/contracts/test_fuzz_service.py

# the chaos suite at full size (make test runs 24 checkouts a case, 40 for the service kill, a 4 s
# PayPal outage and a 3 s Kafka outage); figures in var/chaos/*.json. A case may take minutes at this size
CHAOS_CHECKOUTS ?= 200
chaos: install  ## checkout storms while parts of the lab are killed or cut off; nothing may be lost
	CHAOS_CHECKOUTS=$(CHAOS_CHECKOUTS) CHAOS_FAULT_SECONDS=60 $(BIN)/pytest tests/chaos -s -q --timeout 900
	@cat var/chaos/*.json

long: install tools  ## the tests make test leaves out (marked long): full-size checks that repeat a faster one
	$(BIN)/pytest -m long -q

bench: install  ## throughput/latency benchmarks; prints figures and the method
	$(BIN)/genai-demo bench all

# a million mixed requests per simulator, then 100,000 checkouts through the service, RSS sampled (hours
# on 2 cores); SOAK_REQUESTS and SOAK_CHECKOUTS to shorten
SOAK_REQUESTS ?= 1000000
SOAK_CHECKOUTS ?= 100000
soak: install  ## memory soak of every simulator and of the service: RSS after warm-up, growth, slope
	$(BIN)/genai-demo bench soak --requests $(SOAK_REQUESTS)
	$(BIN)/genai-demo bench soak --service --checkouts $(SOAK_CHECKOUTS)

clean:
	rm -rf $(VENV) var build *.egg-info
