# Two commands from a fresh clone:
#   make demo   set up (Debian packages, .venv) and run the whole system locally: board on http://127.0.0.1:8501
#   make test   set up and run the tests (tests/ and the doctests of yujing/ streams/ detectors/ alerts/ dashboard/ bench/)
# Set-up is idempotent and takes about a second when everything is already installed.

VENV       ?= .venv
PYTEST_ARGS ?=
DEMO_ARGS  ?=

.PHONY: setup demo test test-quick sample-config clean

setup:
	@bash scripts/setup.sh

demo: setup
	$(VENV)/bin/yujing demo $(DEMO_ARGS)

# pytest exits 5 when it collected no test: that fails here too (make fails on any non-zero exit).
test: setup
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

test-quick: setup
	$(VENV)/bin/python -m pytest -m "not integration and not e2e" $(PYTEST_ARGS)

sample-config: setup
	$(VENV)/bin/python scripts/sample_config.py > yujing/default.toml

clean:
	rm -rf var/faust var/log var/redis .pytest_cache
