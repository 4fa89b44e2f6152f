# `make lab` opens the session notebook with the demo couples loaded;
# `make test` runs the whole suite. Both reuse .venv and reinstall only when
# pyproject.toml changed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: lab app workshop test lint bench mutate clean-venv

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# JupyterLab must not phone home: no news, no update checks, no extension index.
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.json
LAB_FLAGS := --LabApp.extension_manager=readonly $(if $(filter 0,$(shell id -u)),--allow-root,)

# Voila's page must load nothing from other hosts: the toolkit's template leaves out the
# font CDN its default template links (the icons are bundled with Voila).
VOILA_TEMPLATE := $(VENV)/share/jupyter/voila/templates/toolkit
VOILA_FILES := etc/voila/templates/toolkit/conf.json etc/voila/templates/toolkit/index.html.j2

$(STAMP): pyproject.toml etc/lab-overrides.json etc/voila.json $(VOILA_FILES) | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	mkdir -p $(dir $(LAB_SETTINGS))
	cp etc/lab-overrides.json $(LAB_SETTINGS)
	mkdir -p $(VOILA_TEMPLATE) $(VENV)/etc/jupyter/jupyter_server_config.d
	cp $(VOILA_FILES) $(VOILA_TEMPLATE)/
	cp etc/voila.json $(VENV)/etc/jupyter/voila.json
	cp etc/voila.json $(VENV)/etc/jupyter/jupyter_server_config.d/toolkit-voila.json
	touch $(STAMP)

# JupyterLab saves the notebooks it runs, outputs included: it runs private copies in
# the data folder (python -m toolkit notebooks), never the repository's own files.
lab: $(STAMP)
	$(BIN)/python -m toolkit demo --quiet
	cd "$$($(BIN)/python -m toolkit notebooks)" && \
	  $(abspath $(BIN))/jupyter lab $(LAB_FLAGS) 00_start_here.ipynb

# The session as a client-facing app: Voila shows the widgets, never the code.
app: $(STAMP)
	$(BIN)/python -m toolkit demo --quiet
	$(BIN)/voila --Voila.ip=127.0.0.1 notebooks/01_couple_session.ipynb

# A workshop of six invented couples, served on this laptop only (127.0.0.1): open the
# printed links. A real workshop: python -m toolkit workshop create/serve (see README).
workshop: $(STAMP)
	$(BIN)/python -m toolkit workshop demo

test: $(STAMP)
	$(BIN)/python -m pytest

# Mutation testing of the core (about an hour on two cores; not part of make test):
# prints the share of planted bugs the tests catch, per module.
mutate: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[mutate]'
	$(BIN)/python benchmarks/mutate.py

lint: $(STAMP)
	$(BIN)/ruff check toolkit tests benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_import.py
	$(BIN)/python benchmarks/bench_autosave.py
	$(BIN)/python benchmarks/bench_profile.py
	$(BIN)/python benchmarks/bench_report.py
	$(BIN)/python benchmarks/bench_scale.py
	$(BIN)/python benchmarks/bench_browser.py
	$(BIN)/python benchmarks/bench_ui.py
	$(BIN)/python benchmarks/bench_workshop.py

clean-venv:
	rm -rf $(VENV)
