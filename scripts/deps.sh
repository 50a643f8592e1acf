#!/bin/sh
# Installs the Debian packages cairn needs, if missing. Idempotent: it only
# calls apt-get when something is absent. Without root it prints the command.
set -e
PKGS="meson ninja-build pkg-config gcc clang python3 libseccomp-dev liburing-dev
libexpat1-dev bubblewrap fdisk gdisk libfuse3-dev
libext2fs-dev comerr-dev e2fsprogs fuse2fs dosfstools mtools xorriso
qemu-utils"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
	echo "deps: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq || true
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
else
	echo "deps: missing Debian packages; run as root:" >&2
	echo "  apt-get install$missing" >&2
	exit 1
fi
