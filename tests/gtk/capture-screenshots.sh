#!/bin/sh
# Captures in the window, in English and Japanese, on a private Xvfb: a corpus capture
# with SMTP AUTH and a message (zeek/smtp.pcap) with three notes, the session list, a
# truncated and an unreadable file (the error band), the note popover and the live
# capture dialog. The PNGs stay in $MS_SCREENSHOT_DIR/capture (the build tree).
set -u
here=$(cd "$(dirname "$0")" && pwd)

if [ "${1:-}" != "--inner" ]; then
  exec "$here/run-with-xvfb" "$0" --inner
fi

corpus=${MS_CAPTURE_CORPUS:-}
if [ -z "$corpus" ]; then
  corpus=$MS_SOURCE_ROOT/../shared/corpus/pcap
  [ -d "$corpus" ] || corpus=$MS_SOURCE_ROOT/../../shared/corpus/pcap
fi
if [ ! -f "$corpus/zeek/smtp.pcap" ]; then
  echo "SKIP: no corpus capture $corpus/zeek/smtp.pcap"
  exit 77
fi

out=${MS_SCREENSHOT_DIR:?}/capture
mkdir -p "$out"
rm -f "$out"/*.png "$out"/*.pcap* "$out"/*.json
cp "$corpus/zeek/smtp.pcap" "$out/smtp.pcap"
head -c 20000 "$corpus/zeek/smtp.pcap" > "$out/cut.pcap"
printf 'not a capture' > "$out/unreadable.pcapng"
# three notes, as the popover's Save sets them (session:line:text, lines from 0)
"$MS_CAPTURE_TOOL" notes "$out/smtp.pcap" \
  "1:0:The server speaks first: 220 means ready." \
  "1:10:AUTH LOGIN: the user name and password are only base64. Anyone on the path can read them!" \
  "2:1:二つ目のセッション：EHLO で拡張機能を尋ねる" || exit 1

failed=0
check () {
  # check NAME [MIN_WIDTH]: the image exists, has about the expected size, is not blank
  name=$1
  if [ ! -s "$out/$name.png" ]; then
    echo "FAIL $name: no image"; failed=1; return
  fi
  if command -v identify >/dev/null 2>&1; then
    sd=$(convert "$out/$name.png" -colorspace Gray -format '%[fx:standard_deviation]' info:)
    if awk "BEGIN { exit !($sd < 0.05) }"; then
      echo "FAIL $name: blank image (standard deviation $sd)"; failed=1; return
    fi
  fi
  echo "ok $name"
}
shot () {
  # shot NAME LANGUAGE STEP [OPTIONS...] FILE
  name=$1 lang=$2 step=$3
  shift 3
  if ! LANGUAGE=$lang timeout 60 "$MAILSIM_GTK" --screenshot "$out/$name.png" --step "$step" "$@" \
       >"$out/$name.log" 2>&1; then
    case $name in
      *unreadable*) ;;   # the window says so and mailsim-gtk exits 0; the band is the point
      *) echo "FAIL $name: mailsim-gtk failed"; cat "$out/$name.log"; failed=1; return ;;
    esac
  fi
  check "$name"
}
tool () {
  # tool NAME LANGUAGE ARGS...
  name=$1 lang=$2
  shift 2
  if ! LANGUAGE=$lang timeout 60 "$MS_CAPTURE_TOOL" "$@" >"$out/$name.log" 2>&1; then
    echo "FAIL $name: capture-tool failed"; cat "$out/$name.log"; failed=1; return
  fi
  check "$name"
}

shot capture-en-auth en 10 "$out/smtp.pcap"
shot capture-ja-auth ja 10 "$out/smtp.pcap"
shot capture-en-greeting en 0 "$out/smtp.pcap"
shot capture-ja-session2 ja 33 "$out/smtp.pcap"
shot capture-en-message en 26 --page headers "$out/smtp.pcap"
shot capture-ja-dark en 10 --dark "$out/smtp.pcap"
shot capture-en-presentation en 10 --presentation "$out/smtp.pcap"
shot capture-en-cut en 4 "$out/cut.pcap"
shot capture-ja-cut ja 4 "$out/cut.pcap"
shot capture-en-unreadable en 0 "$out/unreadable.pcapng"
shot capture-ja-unreadable ja 0 "$out/unreadable.pcapng"
tool capture-en-popover en popover "$out/smtp.pcap" 0 22 "Who gets this message? Only RCPT TO decides, not the To: header." "$out/capture-en-popover.png"
tool capture-ja-popover ja popover "$out/smtp.pcap" 0 22 "エンベロープの宛先は RCPT TO で決まる" "$out/capture-ja-popover.png"
tool capture-en-only en only "$out/smtp.pcap" 1 "$out/capture-en-only.png"
tool capture-ja-only ja only "$out/smtp.pcap" 0 "$out/capture-ja-only.png"
tool capture-en-live en live "$out/capture-en-live.png"
tool capture-ja-live ja live "$out/capture-ja-live.png"
# the notes file is still there and not rewritten by a mere viewing
grep -q 'base64' "$out/smtp.pcap.mailsim-notes.json" || { echo "FAIL: notes lost"; failed=1; }
exit $failed
