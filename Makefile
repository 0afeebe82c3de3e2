# The two commands a newcomer needs: `make lab` and `make test`.
# Instructors also use `make release`, `make grade` and `make serve` (instant feedback).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

ASSIGNMENT  ?= a1_derivatives
SUBMISSIONS ?= submitted
OUT         ?= grades/$(ASSIGNMENT)
# make test runs TEST_JOBS test files at once (pytest-xdist), one per core here.
TEST_JOBS ?= 2
# optional: WORKERS=N or SCHEDULER=<Dask scheduler address>, DB=<SQLAlchemy URL>, SECRET=<secret file>,
#           GRADE_ARGS="--cell-seconds 90 ..." (limits for this run: python -m autograder grade --help)

.PHONY: lab course serve site test release grade sandbox clean-venv

# (Re)build the virtual environment whenever requirements.txt or pyproject.toml changes.
$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@# The news pop-up asks the internet for announcements; a course has its own.
	$(BIN)/jupyter labextension disable "@jupyterlab/apputils-extension:announcements" >/dev/null 2>&1 || true
	touch $(STAMP)

# Jupyter refuses to run as root unless told; containers and CI machines often are root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)
LAB_ARGS ?=
# The course folder JupyterLab serves, and whose nbgrader_config.py Formgrader reads (the
# browser tests serve a scratch copy, so nothing is saved here).
LAB_ROOT ?= $(CURDIR)

# nbgrader's exchange (nbgrader_config.py: c.Exchange.root), which every student of the course
# must be able to write to, as nbgrader requires; it must exist before the Assignments tab lists.
COURSE_EXCHANGE ?= exchange
course:
	cd "$(LAB_ROOT)" && mkdir -p "$(COURSE_EXCHANGE)" && chmod ugo+rwx "$(COURSE_EXCHANGE)"

lab: $(STAMP) course
	cd "$(LAB_ROOT)" && "$(CURDIR)/$(BIN)/python" "$(CURDIR)/scripts/lab.py" --ServerApp.root_dir="$(LAB_ROOT)" \
		--LabApp.default_url=/lab/tree/course $(ROOT_FLAG) $(LAB_ARGS)

# Instant feedback beside `make lab`: grade each attempt students submit to the exchange as it
# arrives and release its feedback (SERVE_ARGS="--max-per-day 5 ...": python -m autograder serve --help).
serve: $(STAMP) sandbox course
	cd "$(LAB_ROOT)" && "$(CURDIR)/$(BIN)/python" -m autograder serve $(SERVE_ARGS)

# The course as a static website in _site/html (lectures executed, assignments as students get them);
# offline, and executed notebooks are cached in .site-cache, so a rebuild runs only what changed.
SITE_OUT ?= _site
site: $(STAMP)
	$(BIN)/sphinx-build -W --keep-going -q -b html -c site -d "$(SITE_OUT)/doctrees" . "$(SITE_OUT)/html"

test: $(STAMP)
	bash scripts/install-system-packages.sh
	$(BIN)/python -m pytest -n $(TEST_JOBS) --dist loadfile --durations=25

release: $(STAMP)
	$(BIN)/python -m autograder release $(ASSIGNMENT)

# Grading refuses to run student code without bubblewrap's sandbox: install it where we can
# (root on Debian), else say how.
sandbox:
	bash scripts/install-system-packages.sh bubblewrap

grade: $(STAMP) sandbox
	$(BIN)/python -m autograder grade $(ASSIGNMENT) --submissions $(SUBMISSIONS) --out $(OUT) \
		$(if $(WORKERS),--workers $(WORKERS)) $(if $(SCHEDULER),--scheduler $(SCHEDULER)) $(if $(DB),--db $(DB)) $(if $(SECRET),--secret-file $(SECRET)) \
		$(GRADE_ARGS)

clean-venv:
	rm -rf $(VENV)
