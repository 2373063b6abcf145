# MailSim: `make run` and `make test` on a fresh Debian 12 machine.
#
# Both install the Debian packages that are missing (when run as root; otherwise they
# print the apt-get line to run), configure with Meson and build.

PACKAGES := build-essential meson ninja-build pkg-config gettext \
	libglib2.0-dev libglib2.0-bin glib-networking libgmime-3.0-dev libssl-dev openssl \
	libyaml-dev libjson-glib-dev libpcap-dev libcriterion-dev \
	clang libclang-rt-14-dev \
	python3 python3-dkim curl tshark \
	fonts-noto-cjk \
	libgtk-4-dev xvfb xauth imagemagick desktop-file-utils appstream dbus-x11

BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
MESON_TEST_ARGS ?= --print-errorlogs

.PHONY: all deps build run serve test test-quick test-asan fuzz-smoke fuzz bench clean

all: build

deps:
	@missing=$$(for p in $(PACKAGES); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; \
	  done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing missing Debian packages: $$missing"; \
	    apt-get update -q && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	  else \
	    echo "Some Debian packages are missing. Install them with:"; \
	    echo "  sudo apt-get install $$missing"; \
	    exit 1; \
	  fi; \
	fi

$(BUILD)/build.ninja:
	meson setup $(BUILD)

build: deps $(BUILD)/build.ninja
	meson compile -C $(BUILD)

# The window on the default scenario when there is a display (and GTK 4 was found);
# otherwise the default scenario (OP25B) played in the terminal, narrated in the user's
# locale language. The schema is compiled into the build tree, so this works uninstalled.
run: build
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ] && [ -x ./$(BUILD)/src/gtk/mailsim-gtk ]; then \
	  GSETTINGS_SCHEMA_DIR=./$(BUILD)/data ./$(BUILD)/src/gtk/mailsim-gtk $(or $(RUN_ARGS),op25b); \
	else \
	  ./$(BUILD)/src/cli/mailsim run op25b; \
	fi

# The live lab: SMTP, POP3 and IMAP servers on loopback for real mail clients.
serve: build
	./$(BUILD)/src/cli/mailsim serve

test-quick: build
	meson test -C $(BUILD) $(MESON_TEST_ARGS)

$(ASAN_BUILD)/build.ninja:
	meson setup $(ASAN_BUILD) -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug

test-asan: deps $(ASAN_BUILD)/build.ninja
	meson compile -C $(ASAN_BUILD)
	meson test -C $(ASAN_BUILD) $(MESON_TEST_ARGS) --no-suite slow

$(FUZZ_BUILD)/build.ninja:
	CC=clang meson setup $(FUZZ_BUILD) -Dfuzzing=true -Dtests=true -Db_lundef=false

# A short libFuzzer run of every target (seconds each); `make fuzz` runs longer.
fuzz-smoke: deps $(FUZZ_BUILD)/build.ninja
	meson compile -C $(FUZZ_BUILD)
	./tests/fuzz/run-fuzzers $(FUZZ_BUILD) 20

fuzz: deps $(FUZZ_BUILD)/build.ninja
	meson compile -C $(FUZZ_BUILD)
	./tests/fuzz/run-fuzzers $(FUZZ_BUILD) $${FUZZ_SECONDS:-600}

# The whole suite: the normal build, the sanitizer build, a short fuzzing run.
test: build
	@status=0; \
	meson test -C $(BUILD) $(MESON_TEST_ARGS) || status=1; \
	$(MAKE) --no-print-directory test-asan || status=1; \
	if [ -x tests/fuzz/run-fuzzers ]; then $(MAKE) --no-print-directory fuzz-smoke || status=1; fi; \
	./tests/summarize $(BUILD) $(ASAN_BUILD); \
	exit $$status

# Benchmarks compare with Postfix's smtp-sink; it is only needed here.
bench: build
	@dpkg-query -W -f='$${Status}\n' postfix 2>/dev/null | grep -q 'install ok installed' || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postfix; \
	  else echo "Install postfix for its smtp-sink: sudo apt-get install postfix"; exit 1; fi; }
	./bench/run-all

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
