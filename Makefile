# callnext: `make demo` to see it run, `make test` to test it. Both set everything up first.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# Debian / Raspberry Pi OS packages the nodes need: speech, a Chinese font, audio tools,
# and the GL/input libraries Kivy loads (offscreen in tests, KMS/DRM on a Pi).
APT_PACKAGES ?= espeak-ng fonts-wqy-microhei sox alsa-utils \
	libegl1 libgl1 libgl1-mesa-dri libgbm1 libmtdev1 systemd
# What only the tests need: a real browser for the web pages, a real PostgreSQL for the uplink.
TEST_APT_PACKAGES ?= chromium chromium-driver postgresql
# What building the appliance image (and its emulation test) needs on the build machine:
# an arm64 Debian root (mmdebstrap), arm64 binaries run by qemu-user through binfmt_misc, and
# the tools that make the image's FAT and ext4 partitions in plain files (no loop devices).
IMAGE_APT_PACKAGES ?= mmdebstrap qemu-user-static binfmt-support dosfstools mtools e2fsprogs fdisk
export PIP_DISABLE_PIP_VERSION_CHECK = 1

.PHONY: demo test bench deps system-deps test-deps clean help wheel voice-pack image image-deps image-boot-test

help:
	@echo "make demo   - the whole hall on this machine (windows; a headless scripted day without a screen)"
	@echo "make test   - run the whole test suite"
	@echo "make bench  - print latency / throughput / memory figures"
	@echo "make wheel  - build dist/callnext-*.whl, the package make install puts on a Pi"
	@echo "make voice-pack - re-render the voice pack shipped in the wheel (developer time)"
	@echo "make image ROLE=broker|kiosk|display|caller|all [HALL=hall.toml]"
	@echo "            - build dist/callnext-ROLE-VERSION-arm64.img, a Raspberry Pi 4 SD-card image (root)"
	@echo "make clean  - remove the virtual environment and caches"

system-deps:
	@PYTHON=$(PYTHON) sh scripts/system-deps.sh $(APT_PACKAGES)

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[all,test]'
	touch $@

deps: system-deps $(VENV)/.installed

test-deps:
	@PYTHON=$(PYTHON) sh scripts/system-deps.sh $(TEST_APT_PACKAGES)

# arm64 emulation for tests/image: enabled when the machine allows it; the test says why not.
image-deps:
	@PYTHON=$(PYTHON) sh scripts/system-deps.sh $(IMAGE_APT_PACKAGES)
	@sh scripts/image/emulation.sh || echo "make: no arm64 emulation here; tests/image will be skipped"

test: deps test-deps image-deps
	$(BIN)/python -m pytest

demo: deps
	$(BIN)/callnext demo --config config/hall.example.toml

bench: deps
	$(BIN)/python -m bench

# The voice pack shipped in the wheel (hw/voicepacks/default), zh and en, and the two
# samples in docs/. Developer time only: a Pi never renders it.
voice-pack: deps
	rm -rf hw/voicepacks/default
	$(BIN)/python -m callnext voice render --pack hw/voicepacks/default --engine espeak --lang zh --lang en
	$(BIN)/python -m callnext announce --config config/hall.example.toml --node display-1 \
		--number A012 --counter 3 --lang zh --voice clips --out docs/voice/call-clips-zh.wav
	$(BIN)/python -m callnext announce --config config/hall.example.toml --node display-1 \
		--number A012 --counter 3 --lang zh --voice espeak --out docs/voice/call-espeak-zh.wav

wheel: deps
	PYTHON=$(BIN)/python sh scripts/build-wheel.sh dist --no-build-isolation

# The appliance image of one role (docs/install.md). Root, network; ~15 minutes on 2 cores.
ROLE ?=
HALL ?=
image: deps image-deps
	@case "$(ROLE)" in broker|kiosk|display|caller|all) ;; \
	  *) echo "usage: sudo make image ROLE=broker|kiosk|display|caller|all [HALL=path/to/hall.toml]" >&2; exit 2 ;; esac
	PYTHON=$(BIN)/python NODE_PACKAGES="$(APT_PACKAGES)" sh scripts/image/build.sh $(ROLE) "$(HALL)" dist

# Boot the built image in qemu-system-aarch64 -M virt: first boot with the example hall and
# fresh keys, then the node's unit must start (optional; ~10 minutes emulated).
image-boot-test: deps
	@PYTHON=$(PYTHON) sh scripts/system-deps.sh qemu-system-arm
	PYTHON=$(BIN)/python sh scripts/image/boot-test.sh dist/callnext-$(or $(ROLE),broker)-$$($(BIN)/python -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')-arm64.img

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis *.egg-info build dist

# Appliance install on a Raspberry Pi (never part of `make test`):
#     sudo make install NODE=broker|kiosk|display|caller|uplink|web [COUNTER=3]
# Installs the Debian packages, the "callnext" user, /opt/callnext/venv, /etc/callnext/hall.toml
# (from the example, if absent) and the systemd units; enables and starts the node.
NODE    ?=
COUNTER ?= 1
.PHONY: install
install:
	@case "$(NODE)" in broker|kiosk|display|caller|uplink|web) ;; \
	  *) echo "usage: sudo make install NODE=broker|kiosk|display|caller|uplink|web [COUNTER=N]" >&2; exit 2 ;; esac
	@PYTHON=$(PYTHON) sh scripts/system-deps.sh $(APT_PACKAGES)
	PYTHON=$(PYTHON) sh systemd/install.sh $(NODE) $(COUNTER)

# The crash suite with 100 SIGKILLs of a real broker (make test runs it with 20), and longer
# full-disk-at-start, restored-journal and vanishing-peer runs.
.PHONY: soak
soak: deps
	CALLNEXT_CRASH_KILLS=100 CALLNEXT_DISK_RESTARTS=10 CALLNEXT_ROLLBACK_EARLY=300 CALLNEXT_ROLLBACK_LATE=100 \
		$(BIN)/python -m pytest -q -s tests/faults/test_crash_suite.py tests/faults/test_start_disk_trouble.py \
		tests/faults/test_restored_journal.py tests/faults/test_vanishing_peers.py \
		tests/faults/test_clock_jump_soak.py
