#!/bin/sh
# make check-com: register the COM server under Wine and run every client against each server.
#   sh clients/check-com.sh WINDIR      (WINDIR holds msgrsc.dll, msgrsc-server.exe and the clients)
# The prefix is $WINE_ROOT/prefix (made on first use); one TMPDIR for every command, a persistent
# wineserver while it runs, ended at the end. Every Wine call has a time limit. Exits 1 on any failure.
set -u
dir=$1
root=${WINE_ROOT:-$dir/wine}
mkdir -p "$root/tmp"
export WINEPREFIX="$root/prefix" WINEARCH=win64 WINEDEBUG=-all TMPDIR="$root/tmp" WINEDLLOVERRIDES="mscoree,mshtml="
unset DISPLAY WAYLAND_DISPLAY
win=$(printf 'Z:%s' "$dir" | tr / '\\')
log="$root/check-com.log"
failed=0

quiet() { "$@" >>"$log" 2>&1 </dev/null; }
step() {  # step WHAT COMMAND...: run it, its output through a file (Wine's services may hold a pipe)
  what=$1; shift
  if timeout 120 "$@" >"$root/out.txt" 2>&1 </dev/null; then status=ok; else status=FAILED; failed=1; fi
  cat "$root/out.txt" | tr -d '\r'
  echo "-- $what: $status"
}
script() {  # script FILE MODE: cscript exits 0 on a script error, so the PASS line is required too
  step "cscript $1 $2" wine cscript //nologo "$win\\$1" "$2"
  tr -d '\r' <"$root/out.txt" | tail -n 1 | grep -q "^$1: PASS" || { echo "-- $1 $2: no PASS line"; failed=1; }
}
lock_off() { quiet timeout 60 wine reg add 'HKCU\Software\Msgrspec\CSessionManager' /v LockAndKey /t REG_DWORD /d 0 /f; }
clients() {  # clients inproc|local
  step "msgrsc-client $1" wine "$win\\msgrsc-client.exe" "$1"
  script flow.vbs locked
  script flow.js locked
  lock_off
  script flow.vbs open
  script flow.js open
}

quiet timeout 60 wineserver -k
[ -f "$WINEPREFIX/system.reg" ] || quiet timeout 300 wineboot -i
quiet timeout 300 wineserver -w
quiet timeout 60 wineserver -p
quiet timeout 60 wine cmd /c exit 0

step "regsvr32 msgrsc.dll" wine regsvr32 /s "$win\\msgrsc.dll"
clients inproc
step "regsvr32 /u msgrsc.dll" wine regsvr32 /s /u "$win\\msgrsc.dll"
step "msgrsc-server /RegServer" wine "$win\\msgrsc-server.exe" /RegServer
clients local
step "msgrsc-server /UnregServer" wine "$win\\msgrsc-server.exe" /UnregServer
for key in 'HKCR\CLSID\{E3A3B1D9-5675-43C0-BF04-37BE11939FB7}' 'HKCR\CLSID\{AB1D8565-40E9-4616-984D-98465687E82C}' \
           'HKCR\Msgrspec.MsgrSessionManager' 'HKCR\Msgrspec.MessengerPriv' \
           'HKCR\TypeLib\{53CED51D-432B-45B2-A3E0-0CE2C24235D4}' 'HKCU\Software\Msgrspec'; do
  if timeout 60 wine reg query "$key" >/dev/null 2>&1 </dev/null; then echo "-- left behind: $key"; failed=1; fi
done
quiet timeout 60 wineserver -k
[ $failed = 0 ] && echo "check-com: PASS" || echo "check-com: FAIL"
exit $failed
