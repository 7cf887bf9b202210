# Two commands for a newcomer: `make site` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CASES  ?= cases

# Material prints an end-of-life banner about MkDocs 2.0 on every build; we pin mkdocs<2 (README).
export NO_MKDOCS_2_WARNING := 1

.PHONY: site test release sbom serve validate bench lock clean

# (Re)create the environment when it is missing or the lock file / project metadata changed.
$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "需要 Python 3.11 或更新版本 (Python >= 3.11 required)")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

validate: $(STAMP)
	$(BIN)/casebook validate --cases $(CASES)

# The 案例汇编 (PDF + Word) goes into build/book, is published in both sites (downloads/, linked
# from the home and overview pages) and copied to dist/. The PDF needs a Chinese font: tools.py
# finds one (on Debian as root it installs fonts-noto-cjk); without one the site still builds.
# dist/ then holds this build's distributables only (older zips, books and SBOMs are removed
# first) and SHA256SUMS over them (casebook checksums). A book past the page budget comes in
# volumes (…-ce01.pdf/.docx …); their list build/book/volumes.json is for the site, not for dist/.
site: $(STAMP)
	$(BIN)/casebook validate --cases $(CASES)
	@$(BIN)/python scripts/tools.py fonts --quiet >/dev/null || true
	rm -rf build/book
	$(BIN)/casebook book --cases $(CASES) --out build/book --skip-without-font
	$(BIN)/casebook build --cases $(CASES) --site-dir site --downloads build/book
	rm -f dist/*.zip dist/*.pdf dist/*.docx dist/*.cdx.json dist/SHA256SUMS
	$(BIN)/casebook build --cases $(CASES) --site-dir build/offline --offline --zip dist --downloads build/book
	cp build/book/*.docx $$(find build/book -maxdepth 1 -name '*.pdf') dist/
	$(BIN)/casebook checksums dist

# A dry run of .github/workflows/release.yml's build job, which runs exactly this: the tests,
# the site and its distributables, the SBOM, then SHA256SUMS over all of them in dist/. (The
# workflow's publish job then attests the files in SHA256SUMS and uploads them; nothing is
# published from here.)
release: test
	$(MAKE) --no-print-directory site
	$(MAKE) --no-print-directory sbom
	$(BIN)/casebook checksums dist

# CycloneDX SBOM of the locked environment: every package of requirements.lock with its version
# and hashes, and casebook itself (pyproject.toml) as the root. --output-reproducible: no serial
# number or timestamp, so the same lock gives the same bytes. The requirements reader cannot
# see which package needs which (the file says so in a warning, silenced here).
SBOM_DIR ?= dist
sbom: $(STAMP)
	@mkdir -p $(SBOM_DIR)
	PYTHONWARNINGS=ignore::UserWarning $(BIN)/cyclonedx-py requirements --pyproject pyproject.toml --output-reproducible \
	  --of JSON -o $(SBOM_DIR)/liangxin-dangjian-anliku-sbom.cdx.json requirements.lock

# The browser tests need Chromium: scripts/tools.py finds one or brings it (or says what to install);
# the book tests need a Chinese font (tools.py fonts, as in `site`); the .doc/.wps import tests need
# LibreOffice (tools.py soffice: found, or installed as root on Debian/Ubuntu; without it they fail).
# pytest-xdist: one worker per core; --dist loadfile keeps each test file in one worker, so a file's
# module-scoped builds (real MkDocs runs) are made once. (loadgroup would be finer, but xdist 3.8
# ignores xdist_group marks under pytest 9.) For one file or test, call pytest directly without -n.
PYTEST_XDIST ?= -n auto --dist loadfile
test: $(STAMP)
	@$(BIN)/python scripts/tools.py fonts --quiet >/dev/null || true
	@$(BIN)/python scripts/tools.py soffice >/dev/null || true
	@chromium=$$($(BIN)/python scripts/tools.py browser) && CHROMIUM="$$chromium" $(BIN)/python -m pytest $(PYTEST_XDIST)

# Local preview (casebook serve, site/serve.py): each page rendered when asked for, as the build
# renders it; a saved case shows in the open page within a second. `make serve PORT=8001` for
# another port. (`mkdocs serve --dirty` still works, but builds every page first.)
serve: $(STAMP)
	$(BIN)/casebook serve --cases $(CASES)$(if $(PORT), --port $(PORT))

# Synthetic libraries of 500 / 2,000 / 5,000 / 20,000 cases (20,000: search only) into bench-out/;
# prints figures (takes a while; see docs/guide/performance.md). make site's steps at 20,000 cases:
#   make bench BENCH_ARGS="--site-steps --sizes 500 5000 20000"
BENCH_ARGS ?=
bench: $(STAMP)
	$(BIN)/python scripts/bench.py $(BENCH_ARGS)

# Refresh requirements.lock (versions + hashes) from pyproject.toml with pip-tools, in a
# throw-away environment. Includes the build backend: `make` installs the project without
# build isolation, so every package that runs comes from the lock and is hash-checked.
# Packages already in the lock keep their versions; `make lock LOCK_ARGS=--upgrade` moves
# everything to the newest versions pyproject.toml allows.
PIP_TOOLS := pip-tools==7.6.2
LOCK_ARGS ?=
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --disable-pip-version-check '$(PIP_TOOLS)'
	grep -v '^#' requirements.lock > .lock-venv/out.txt || true
	.lock-venv/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras $(LOCK_ARGS) \
	  --no-emit-index-url --no-emit-find-links --no-emit-options --no-header \
	  --extra test --extra bench --build-deps-for editable --output-file .lock-venv/out.txt pyproject.toml
	{ echo "# Exact versions and hashes installed by 'make' into .venv/ (runtime, tests, build backend)."; \
	  echo "# Regenerate with 'make lock' after changing pyproject.toml, and review the diff."; \
	  cat .lock-venv/out.txt; } > requirements.lock
	rm -rf .lock-venv

clean:
	rm -rf site dist .pytest_cache build bench-out .site.pagecache.sqlite*
