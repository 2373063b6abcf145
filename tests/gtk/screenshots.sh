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

# the first screen: the scenario library and the how-to
shot chooser-en en 0
shot chooser-ja ja 0
shot chooser-over-op25b-en en 3 --chooser op25b
shot chooser-dark-ja ja 0 --dark
shot chooser-search-spf-ja ja 0 --search spf

# traces from files and the built-in demo
shot demo-en-step6 en 5 --demo
shot demo-ja-relay ja 50 --demo
shot demo-file-en-end en 1000 "$out/demo.json"
shot op25b-file-ja-blocked ja 3 "$out/op25b.json"
shot headers-en en 36 --page headers --demo

# the library's scenarios, run by the simulator inside the window:
# OP25B (blocked, then submission), with the switch flipped, presentation and dark
shot op25b-en-start en 0 op25b
shot op25b-en-blocked en 8 op25b
shot op25b-ja-blocked ja 8 op25b
shot op25b-ja-submission ja 40 op25b
shot op25b-en-relay-headers en 70 --page headers op25b
shot op25b-en-presentation en 8 --presentation op25b
shot op25b-ja-presentation ja 40 --presentation op25b
shot op25b-en-dark en 40 --dark op25b
shot op25b-en-switch-off en 12 --set op25b=false op25b
shot op25b-ja-switch-off ja 12 --set op25b=false op25b
# SPF: the spoofed sender rejected; marked instead with spf_policy=mark
shot spf-en en 12 spf-fail
shot spf-ja-end ja 1000 spf-fail
shot spf-ja-presentation ja 12 --presentation spf-fail
shot spf-en-dark-mark en 1000 --dark --set spf_policy=mark --page headers spf-fail
# Bcc: envelope beside headers
shot bcc-en-headers en 60 --page headers bcc
shot bcc-ja-headers ja 80 --page headers bcc
shot bcc-en-transcript en 30 bcc
shot bcc-ja-presentation-headers ja 80 --presentation --page headers bcc
shot bcc-en-dark en 60 --dark --page headers bcc
# relaying rules: open relay refused, internal relaying allowed
shot relay-en en 30 relay-rules
shot relay-ja ja 50 relay-rules
shot relay-en-presentation en 50 --presentation relay-rules
shot relay-ja-dark ja 30 --dark relay-rules
# presentation mode with the hops and the NAT story; predicting the next reply (nothing
# after the cursor is drawn)
shot relay-hops-ja-presentation ja 40 --presentation relay-hops
shot pop-before-smtp-en-presentation-dark en 20 --presentation --dark pop-before-smtp
shot op25b-en-predict en 20 --predict op25b

# message authentication and protection, and webmail: the headers a hop adds
# (DKIM-Signature, Authentication-Results), S/MIME's content types, the browser's leg
shot dkim-en-headers en 1000 --page headers dkim
shot smime-ja-headers ja 30 --page headers smime
shot webmail-ja ja 12 webmail

exit $failed
