# Two commands on a fresh clone:  `make report` (the full writeup) and `make test` (the test suite).
# Both create .venv and install the Debian and Python packages first; nothing is installed by hand.
PY := .venv/bin/python
STAMP := .venv/.installed
DEBS := libharfbuzz-subset0 poppler-utils chromium fonts-liberation

.PHONY: report smoke test setup debs clean

report: $(STAMP)
	$(PY) report.py --all

smoke: $(STAMP)
	$(PY) report.py --all --profile smoke

# one worker per core; a test file stays on one worker, so its module fixtures (a browser) start once
test: $(STAMP)
	$(PY) -m pytest -q -n auto --dist loadfile

setup: $(STAMP)

debs:
	@missing=""; for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq $$missing; \
	fi

$(STAMP): pyproject.toml | debs
	python3 -m venv .venv
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

clean:
	rm -rf build figures
