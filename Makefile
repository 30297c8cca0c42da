# samix_mm: the two commands of the README.
#   make demo  -> set up everything (first time only) and train on the built-in data
#   make test  -> set up everything (first time only) and run the test suite
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.samix_mm_installed
DEMO_CONFIG ?= configs/samix/samix_resnet18-w32_1xb64-15e_synthetic-shapes.py
DEMO_WORK_DIR ?= work_dirs/demo
PYTEST_ARGS ?=

.PHONY: venv demo test clean-venv

$(STAMP): requirements/*.txt tools/install/setup_venv.sh tools/install/build_mmcv.sh setup.py
	bash tools/install/setup_venv.sh $(VENV)
	@touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(PY) tools/train.py $(DEMO_CONFIG) --work-dir $(DEMO_WORK_DIR)

test: $(STAMP)
	$(PY) -m pytest tests $(PYTEST_ARGS)

clean-venv:
	rm -rf $(VENV)
