#!/bin/sh
# The whole conformance suite through COM, against a COM server registered under Wine: its in-process
# DLL and its local server EXE, one run each, through msgrspec-com-bridge (msgrspec test --adapter com).
#
#   sh bridge/check.sh DLL EXE PROFILE EXPECTED_INPROC EXPECTED_LOCAL
#
# Environment: BRIDGE (the x86_64 bridge), MSGRSPEC (how to run msgrspec; default msgrspec), WINE_ROOT
# (the prefix is $WINE_ROOT/prefix, made on first use; the wineserver's socket under $WINE_ROOT/tmp),
# REPORTS (where the two JSON reports go; default $WINE_ROOT), CALL_TIMEOUT (seconds, default 10).
# The DLL is registered with regsvr32 for the first run, the EXE with /RegServer for the second; each is
# unregistered after its run, and the wineserver is ended at the end. Every Wine call has a time limit. Exits 1 if either run fails.
set -u
dll=$1 exe=$2 profile=$3 expected_inproc=$4 expected_local=$5
: "${BRIDGE:?set BRIDGE to the x86_64 msgrspec-com-bridge.exe}" "${WINE_ROOT:?set WINE_ROOT}"
msgrspec=${MSGRSPEC:-msgrspec}
reports=${REPORTS:-$WINE_ROOT}
mkdir -p "$WINE_ROOT/tmp" "$reports"
export WINEPREFIX="$WINE_ROOT/prefix" WINEARCH=win64 WINEDEBUG=-all TMPDIR="$WINE_ROOT/tmp" \
       WINEDLLOVERRIDES="mscoree,mshtml="
unset DISPLAY WAYLAND_DISPLAY
log="$WINE_ROOT/check.log"
: >"$log"
winpath() { printf 'Z:%s' "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")" | tr / '\\'; }
wine_step() {  # output through the log, not a pipe: Wine's services inherit the first program's streams
  mark=$(wc -l <"$log")
  timeout 300 "$@" >>"$log" 2>&1 </dev/null
  status=$?
  [ $status = 0 ] && return
  printf "check: '%s' failed (exit status %s; 124: timed out), see %s; what it wrote:\n" "$*" $status "$log"
  tail -n +"$((mark + 1))" "$log" | tail -n 20 | sed 's/^/  | /'
  failed=1
}
quiet() { timeout 60 "$@" >>"$log" 2>&1 </dev/null; }
failed=0

quiet wineserver -k   # a server left from an earlier run (none is fine)
[ -f "$WINEPREFIX/system.reg" ] || wine_step wineboot -i
wine_step wineserver -w   # a fresh prefix must settle before a local server can be activated
wine_step wineserver -p
wine_step wine cmd /c exit 0
# the suite against one registration at a time: both name the same CLSIDs, so each is unregistered
# before the other is registered
suite() {  # suite CONTEXT EXPECTED
  printf 'check: the suite through COM, %s server (%s)\n' "$1" "$reports/$1.json"
  $msgrspec test --adapter com --bridge "$BRIDGE" --wine-prefix "$WINEPREFIX" \
    --call-timeout "${CALL_TIMEOUT:-10}" --expected-failures "$2" --report "$reports/$1.json" -q \
    -p no:cacheprovider -- --profile "$(cd "$(dirname "$profile")" && pwd)/$(basename "$profile")" \
    --context "$1" >"$WINE_ROOT/suite-$1.txt" 2>&1 || failed=1
  tail -n 12 "$WINE_ROOT/suite-$1.txt"
}
ran=$failed
wine_step wine regsvr32 /s "$(winpath "$dll")"
[ $failed = 0 ] && suite inproc "$expected_inproc"
wine_step wine regsvr32 /s /u "$(winpath "$dll")"
wine_step wine "$(winpath "$exe")" /RegServer
[ $ran = 0 ] && suite local "$expected_local"
wine_step wine "$(winpath "$exe")" /UnregServer

quiet wineserver -k
[ $failed = 0 ] && echo "check: PASS" || echo "check: FAIL"
exit $failed
