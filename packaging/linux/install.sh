#!/bin/sh
# Install the packaged incidentlog for the current user (no root), or remove it.
#
#   sh packaging/linux/install.sh [BUILD]       # BUILD defaults to dist/incidentlog
#   sh packaging/linux/install.sh --uninstall
#
# Copies the one-folder build (bash packaging/build.sh makes it) to
# ~/.local/opt/incidentlog, links ~/.local/bin/incidentlog to it, and registers with
# the desktop: the .desktop entry (menu, "Open with"), the icon in the hicolor theme,
# the mime type of the JSON export (double-click opens it) and the AppStream
# metadata; then refreshes the desktop and mime caches when their tools are present.
# XDG_DATA_HOME is honoured (default ~/.local/share).
set -eu

APP_ID=org.incidentlog.IncidentLog
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
DATA=${XDG_DATA_HOME:-$HOME/.local/share}
OPT=$HOME/.local/opt/incidentlog
BIN=$HOME/.local/bin
SIZES="16 24 32 48 64 128 256 512"

refresh_caches() {
    if command -v update-mime-database >/dev/null 2>&1 && [ -d "$DATA/mime/packages" ]; then
        update-mime-database "$DATA/mime"
    fi
    if command -v update-desktop-database >/dev/null 2>&1 && [ -d "$DATA/applications" ]; then
        update-desktop-database -q "$DATA/applications"
    fi
    if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -d "$DATA/icons/hicolor" ]; then
        gtk-update-icon-cache -q -t -f "$DATA/icons/hicolor" || true
    fi
}

if [ "${1:-}" = "--uninstall" ]; then
    rm -rf "$OPT"
    if [ -L "$BIN/incidentlog" ]; then rm -f "$BIN/incidentlog"; fi
    rm -f "$DATA/applications/$APP_ID.desktop" "$DATA/mime/packages/$APP_ID.xml" \
        "$DATA/metainfo/$APP_ID.metainfo.xml" "$DATA/icons/hicolor/scalable/apps/$APP_ID.svg"
    for size in $SIZES; do
        rm -f "$DATA/icons/hicolor/${size}x${size}/apps/$APP_ID.png"
    done
    refresh_caches
    echo "incidentlog removed (your databases in ~/.local/share/incidentlog are kept)."
    exit 0
fi

BUILD=${1:-$ROOT/dist/incidentlog}
if [ ! -x "$BUILD/incidentlog" ]; then
    echo "install.sh: no build at $BUILD; run 'bash packaging/build.sh' first." >&2
    exit 1
fi
BUILD=$(cd "$BUILD" && pwd)
ICONS=$ROOT/resources/icons/app

# The program: copied aside, then swapped in, so that a failed copy leaves the
# previous installation working.
mkdir -p "$(dirname "$OPT")" "$BIN"
rm -rf "$OPT.new"
cp -R "$BUILD" "$OPT.new"
rm -rf "$OPT"
mv "$OPT.new" "$OPT"
ln -sfn "$OPT/incidentlog" "$BIN/incidentlog"

# The menu entry runs the installed program by its full path: a launcher's PATH
# often lacks ~/.local/bin.
mkdir -p "$DATA/applications"
sed -e "s|^Exec=incidentlog |Exec=$OPT/incidentlog |" \
    -e "s|^TryExec=incidentlog\$|TryExec=$OPT/incidentlog|" \
    "$HERE/$APP_ID.desktop" >"$DATA/applications/$APP_ID.desktop"

for size in $SIZES; do
    mkdir -p "$DATA/icons/hicolor/${size}x${size}/apps"
    cp "$ICONS/incidentlog-$size.png" "$DATA/icons/hicolor/${size}x${size}/apps/$APP_ID.png"
done
mkdir -p "$DATA/icons/hicolor/scalable/apps" "$DATA/mime/packages" "$DATA/metainfo"
cp "$ICONS/incidentlog.svg" "$DATA/icons/hicolor/scalable/apps/$APP_ID.svg"
cp "$HERE/$APP_ID.mime.xml" "$DATA/mime/packages/$APP_ID.xml"
cp "$HERE/$APP_ID.metainfo.xml" "$DATA/metainfo/$APP_ID.metainfo.xml"
refresh_caches

echo "incidentlog installed in $OPT; start it from the menu or with $BIN/incidentlog."
case ":$PATH:" in
    *":$BIN:"*) ;;
    *) echo "note: $BIN is not on your PATH; add it to run 'incidentlog' from a terminal." ;;
esac
