#!/usr/bin/env bash
# Build incidentlog as a one-folder program with PyInstaller, then smoke-test what was built.
#
#   bash packaging/build.sh           # reuses build/packaging-venv if an earlier run made it
#   bash packaging/build.sh --fresh   # a new venv first (a clean clone gets one anyway)
#
# From a checkout: makes its own venv under build/, installs exactly what
# packaging/requirements.lock pins (the project's dependencies, PyInstaller, the build backend;
# every file checked against its hash), then the project itself (pip install . --no-deps, not
# editable: the build must hold what a wheel holds), builds into dist/incidentlog/, then runs
# the built program
# from an empty folder with a clean environment and no display:
#   dist/incidentlog/incidentlog --version     must print "incidentlog <version>"
#   dist/incidentlog/incidentlog self-test     must exit 0 (database, demo data, exports,
#                                              schema, check, main window offscreen)
# (the self-test again on X11 under Xvfb when xvfb-run is installed), and checks that no
# unused Qt library (PDF, Quick controls, multimedia, 3D...) was collected.
# Prints the build time and size. Any failure stops it with a message and exit status 1.
#
# PYTHON chooses the interpreter of the build venv (default: python3; 3.11 or newer).
set -euo pipefail

fail() {
    echo "build.sh: FAILED: $*" >&2
    exit 1
}
step() { printf '\n==> %s\n' "$*"; }
trap 'fail "line $LINENO: $BASH_COMMAND exited with status $?"' ERR

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
VENV="$ROOT/build/packaging-venv"
WORK="$ROOT/build/pyinstaller"
DIST="$ROOT/dist"
APP="$DIST/incidentlog"
STARTED=$SECONDS

case "$(uname -s)" in
    MINGW* | MSYS* | CYGWIN*) BIN="$VENV/Scripts" EXE_SUFFIX=".exe" ;;
    *) BIN="$VENV/bin" EXE_SUFFIX="" ;;
esac
PROGRAM="$APP/incidentlog$EXE_SUFFIX"

if [[ "${1:-}" == "--fresh" ]]; then
    rm -rf "$VENV"
elif [[ -n "${1:-}" ]]; then
    fail "unknown option $1 (usage: bash packaging/build.sh [--fresh])"
fi

step "build environment ($VENV)"
if [[ ! -x "$BIN/python$EXE_SUFFIX" ]]; then
    "$PYTHON" -m venv "$VENV" || fail "cannot create a venv with $PYTHON (on Debian: apt-get install python3-venv)"
fi
# setuptools builds the wheel in build/lib and never removes what src/ no longer has:
# start it empty so that a deleted module cannot reappear in the program.
rm -rf "$ROOT/build/lib" "$ROOT"/build/bdist.*
# The lock, not a resolver, decides every version: a build made later or elsewhere installs the
# same files. The project is built with the lock's setuptools (no build isolation, which would
# fetch the newest) and brings no dependency of its own (--no-deps).
"$BIN/python" -m pip install --quiet --disable-pip-version-check --require-hashes \
    -r packaging/requirements.lock
"$BIN/python" -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation \
    --force-reinstall "$ROOT"
VERSION="$("$BIN/python" -c 'import incidentlog; print(incidentlog.__version__)')"
"$BIN/python" - <<'EOF'
import re
import sys
from importlib import metadata
from pathlib import Path

import PySide6
import PyInstaller

# A venv kept from an earlier build may hold what the lock no longer has (or another version).
def normal(name):
    return re.sub(r"[-_.]+", "-", name).lower()

locked = {}
for line in Path("packaging/requirements.lock").read_text(encoding="utf-8").splitlines():
    pin = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^ ;\\]+)", line)
    if pin:
        locked.setdefault(normal(pin[1]), set()).add(pin[2])
strays = sorted(
    f"{dist.metadata['Name']} {dist.version}" for dist in metadata.distributions()
    if normal(dist.metadata["Name"]) not in ("pip", "incidentlog")
    and dist.version not in locked.get(normal(dist.metadata["Name"]), ())
)
if strays:
    sys.exit(f"not in packaging/requirements.lock: {', '.join(strays)} "
             "(bash packaging/build.sh --fresh starts from a new venv)")

print(f"Python {sys.version.split()[0]}, PySide6 {PySide6.__version__}, "
      f"PyInstaller {PyInstaller.__version__}")
if sys.version_info[:2] == (3, 11) and PySide6.__version__.startswith("6.12.0"):
    sys.exit("PySide6 6.12.0 on Python 3.11 leaks references and aborts (see README); "
             "the pyproject pin should have prevented it")
EOF

step "PyInstaller (one-folder build into $APP)"
BUILD_STARTED=$SECONDS
rm -rf "$APP" "$DIST/IncidentLog.app"
"$BIN/python" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath "$DIST" --workpath "$WORK" packaging/incidentlog.spec
BUILD_SECONDS=$((SECONDS - BUILD_STARTED))
[[ -x "$PROGRAM" ]] || fail "PyInstaller did not produce $PROGRAM"

step "contents"
INTERNAL="$APP/_internal"
for file in incidentlog/store/migrations/env.py incidentlog/store/migrations/script.py.mako \
    incidentlog/resources/schema/incidentlog-export-1.schema.json \
    incidentlog/resources/demo/demo.json incidentlog/resources/icons/app/incidentlog-256.png; do
    [[ -f "$INTERNAL/$file" ]] || fail "$file is missing from the build"
done
ls "$INTERNAL"/incidentlog/store/migrations/versions/0*.py >/dev/null 2>&1 ||
    fail "the Alembic migrations (versions/*.py) are missing from the build"
# (Qt6Qml, Qt6Quick, Qt6Network and Qt6Positioning are libraries Qt6WebEngineCore links to:
# they come with the capture's renderer, gui/page_render.py.)
UNUSED_QT="$(find "$APP" \( -iname '*Qt6Pdf*' -o -iname '*Qt6WebEngineQuick*' \
    -o -iname '*Qt6QuickControls*' -o -iname '*Qt6Multimedia*' \
    -o -iname '*Qt63D*' -o -iname '*Qt6VirtualKeyboard*' -o -iname '*Qt6Designer*' \) -print)"
[[ -z "$UNUSED_QT" ]] || fail "unused Qt libraries were collected (exclude the plugin that needs them in the spec):
$UNUSED_QT"
echo "migrations, resources present; no unused Qt library"

step "smoke test (no display, empty folder, clean environment)"
SCRATCH="$(mktemp -d "${TMPDIR:-/tmp}/incidentlog-smoke-XXXXXX")"
trap 'rm -rf "$SCRATCH"' EXIT
run_built() {
    (cd "$SCRATCH" && env -u PYTHONPATH -u PYTHONHOME -u DISPLAY -u WAYLAND_DISPLAY \
        QT_QPA_PLATFORM=offscreen INCIDENTLOG_DATA_DIR="$SCRATCH/data" "$PROGRAM" "$@")
}
echo "\$ incidentlog --version"
VERSION_OUTPUT="$(run_built --version)" || fail "incidentlog --version exited with status $?"
echo "$VERSION_OUTPUT"
[[ "$VERSION_OUTPUT" == "incidentlog $VERSION" ]] ||
    fail "incidentlog --version printed '$VERSION_OUTPUT', expected 'incidentlog $VERSION'"
echo "\$ incidentlog self-test"
status=0
SELF_TEST_OUTPUT="$(run_built self-test 2>&1)" || status=$?
echo "$SELF_TEST_OUTPUT"
[[ $status -eq 0 ]] || fail "incidentlog self-test exited with status $status"
grep -q "(packaged build)" <<<"$SELF_TEST_OUTPUT" || fail "the self-test did not run the packaged build"
grep -qx "self-test passed" <<<"$SELF_TEST_OUTPUT" || fail "the self-test did not report success"

# A capture's screenshot and PDF: the renderer (Qt's web engine, its helper process and
# resources) must work in the build, offscreen, as the capture starts it.
echo "\$ incidentlog _render-page   (a capture's screenshot and PDF)"
mkdir -m 700 "$SCRATCH/render"
printf '<!DOCTYPE html><body style="background:#00aa00"><h1>smoke</h1></body>' >"$SCRATCH/render/body"
status=0
RENDER_OUTPUT="$(run_built _render-page --out "$SCRATCH/render" --url http://smoke.invalid/ \
    --body "$SCRATCH/render/body" --content-type text/html 2>&1)" || status=$?
[[ $status -eq 0 ]] || fail "the capture's renderer exited with status $status: $RENDER_OUTPUT"
[[ -s "$SCRATCH/render/page.png" && "$(head -c 4 "$SCRATCH/render/page.pdf")" == "%PDF" ]] ||
    fail "the capture's renderer wrote no screenshot or PDF: $RENDER_OUTPUT"
echo "page.png $(wc -c <"$SCRATCH/render/page.png") bytes, page.pdf $(wc -c <"$SCRATCH/render/page.pdf") bytes"

if command -v xvfb-run >/dev/null 2>&1; then
    # With a display the self-test loads the real platform plugin (xcb) instead of offscreen:
    # the one a user's desktop uses, with its system libraries (libxcb-cursor0 and co.).
    echo "\$ xvfb-run incidentlog self-test   (X11 platform)"
    status=0
    X11_OUTPUT="$(cd "$SCRATCH" && env -u QT_QPA_PLATFORM -u WAYLAND_DISPLAY \
        INCIDENTLOG_DATA_DIR="$SCRATCH/data" xvfb-run -a -s "-screen 0 1280x800x24" \
        "$PROGRAM" self-test 2>&1)" || status=$?
    echo "$X11_OUTPUT"
    [[ $status -eq 0 ]] || fail "incidentlog self-test on X11 (Xvfb) exited with status $status"
    grep -q "platform xcb" <<<"$X11_OUTPUT" || fail "the X11 self-test did not use the xcb platform"
else
    echo "(xvfb-run is not installed: the X11 platform plugin was not tried; apt-get install xvfb)"
fi

step "figures"
SIZE="$(du -sh "$APP" | cut -f1)"
FILES="$(find "$APP" -type f | wc -l | tr -d ' ')"
echo "largest files:"
find "$APP" -type f -printf '%s\t%P\n' 2>/dev/null | sort -rn | head -8 |
    awk -F'\t' '{ printf "  %6.1f MB  %s\n", $1 / 1048576, $2 }' || true
echo "build.sh: OK: $APP ($SIZE, $FILES files), incidentlog $VERSION;" \
    "PyInstaller ${BUILD_SECONDS} s, total $((SECONDS - STARTED)) s"
