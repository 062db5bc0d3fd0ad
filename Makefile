# The README's two commands: `make run` (the whole back office on SQLite) and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test install lint messages clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

## Migrate, load the demo client, print the admin login, then serve web + task cluster + sandboxes.
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py createcachetable
	$(PY) manage.py compilemessages --ignore=.venv -v 0 || true
	$(PY) manage.py demo_setup
	$(PY) manage.py run_backoffice

## The whole suite (SQLite unless DATABASE_URL says otherwise).
test: install
	$(PY) manage.py compilemessages --ignore=.venv -v 0 || true
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .

## Extract translatable strings for English and Norwegian bokmål.
messages: install
	$(PY) manage.py makemessages -l nb -l en --no-obsolete --ignore=.venv --ignore=tests

clean:
	rm -rf $(VENV) db.sqlite3 sandbox-*.json media staticfiles
