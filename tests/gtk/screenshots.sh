#!/bin/sh
# The window at a few steps of a few traces, in English and Japanese, light, dark and
# presentation mode, on a private Xvfb. The PNGs stay in $MS_SCREENSHOT_DIR (the build
# tree) as test artefacts; each must have the fixed size and not be blank.
set -u
here=$(cd "$(dirname "$0")" && pwd)

if [ "${1:-}" != "--inner" ]; then
  exec "$here/run-with-xvfb" "$0" --inner
fi

out=${MS_SCREENSHOT_DIR:?}
mkdir -p "$out"
rm -f "$out"/*.png
"$MS_TRACE_GEN" op25b "$out/op25b.json" || exit 1
"$MS_TRACE_GEN" demo "$out/demo.json" || exit 1

failed=0
shot () {
  # shot NAME LANGUAGE STEP [OPTIONS...] TRACE
  name=$1 lang=$2 step=$3
  shift 3
  if ! LANGUAGE=$lang timeout 60 "$MAILSIM_GTK" --screenshot "$out/$name.png" --step "$step" "$@" \
       >"$out/$name.log" 2>&1; then
    echo "FAIL $name: mailsim-gtk failed"; cat "$out/$name.log"; failed=1; return
  fi
  if [ ! -s "$out/$name.png" ]; then
    echo "FAIL $name: no image"; failed=1; return
  fi
  if command -v identify >/dev/null 2>&1; then
    size=$(identify -format '%wx%h' "$out/$name.png")
    sd=$(convert "$out/$name.png" -colorspace Gray -format '%[fx:standard_deviation]' info:)
    case $size in
      1[56][0-9][0-9]x9[5-9][0-9]|1[56][0-9][0-9]x10[0-9][0-9]) ;;
      *) echo "FAIL $name: size $size, expected about 1600x1000"; failed=1 ;;
    esac
    if awk "BEGIN { exit !($sd < 0.05) }"; then
      echo "FAIL $name: blank image (standard deviation $sd)"; failed=1
    fi
  fi
  echo "ok $name"
}

shot welcome-en en 0
shot welcome-ja ja 0
shot demo-en-step6 en 5 --demo
shot demo-ja-step6 ja 5 --demo
shot demo-en-auth en 26 --demo
shot demo-ja-relay ja 50 --demo
shot demo-file-en-end en 1000 "$out/demo.json"
shot demo-dark-en en 40 --dark --demo
shot op25b-en-blocked en 3 "$out/op25b.json"
shot op25b-ja-blocked ja 3 "$out/op25b.json"
shot op25b-en-submit en 12 "$out/op25b.json"
shot op25b-ja-relay ja 45 "$out/op25b.json"
shot op25b-en-presentation en 3 --presentation "$out/op25b.json"
shot op25b-ja-presentation ja 30 --presentation "$out/op25b.json"
shot headers-en en 36 --page headers --demo
shot headers-ja-op25b ja 40 --page headers "$out/op25b.json"
# the library's scenarios, run by the simulator inside the window
shot scenario-op25b-en-blocked en 6 op25b
shot scenario-op25b-ja-blocked ja 6 op25b
shot scenario-op25b-ja-submission ja 40 op25b
shot scenario-op25b-en-presentation en 6 --presentation op25b
shot scenario-spf-en en 60 spf-fail
shot scenario-spf-ja-presentation ja 60 --presentation spf-fail
shot scenario-bcc-en-headers en 60 --page headers bcc
shot scenario-bcc-ja-headers ja 80 --page headers bcc
shot scenario-relay-en en 30 relay-rules
shot scenario-relay-ja en 50 relay-rules
exit $failed
