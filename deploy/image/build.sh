#!/usr/bin/env bash
# make image: build moodtune's container image with buildah from the Containerfile.
#
#   IMAGE       the tag to build (default moodtune:VERSION)
#   BASE_IMAGE  the base (default docker.io/library/debian:bookworm-slim). Where no registry can be
#               reached, the base is made from Debian's packages instead: `mmdebstrap --variant=minbase
#               bookworm`, imported as localhost/debian:bookworm-minbase (kept for the next build).
#   PYTHON      the Python that builds the wheelhouse (default .venv/bin/python)
#
# buildah runs with --isolation chroot: it needs no container runtime, only root. buildah and
# mmdebstrap are Debian packages, installed here when missing (as root).
set -euo pipefail
cd "$(dirname "$0")/../.."

PYTHON=${PYTHON:-.venv/bin/python}
VERSION=$("$PYTHON" -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
IMAGE=${IMAGE:-moodtune:$VERSION}
BASE_IMAGE=${BASE_IMAGE:-docker.io/library/debian:bookworm-slim}
LOCAL_BASE=localhost/debian:bookworm-minbase
CONTEXT=build/image

say() { printf 'image: %s\n' "$*" >&2; }

need() {  # need COMMAND PACKAGE: install the Debian package when the command is missing
  command -v "$1" >/dev/null && return
  if [ "$(id -u)" != 0 ]; then
    say "$1 is missing: run as root, or apt-get install $2"
    exit 1
  fi
  say "installing $2 (Debian)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
}

need buildah buildah
export BUILDAH_ISOLATION=chroot

# 1. The wheelhouse: the moodtune wheel and the wheel of every dependency, pinned by pyproject.toml.
rm -rf "$CONTEXT" && mkdir -p "$CONTEXT/wheelhouse" "$CONTEXT/source/src"
say "building the wheelhouse"
# From a copy of what the build reads: the build's egg-info and build/ stay out of the checkout.
cp pyproject.toml README.md LICENSE NOTICE.md "$CONTEXT/source/"
cp -r src/moodtune "$CONTEXT/source/src/"
find "$CONTEXT/source" -name __pycache__ -prune -exec rm -rf {} +
"$PYTHON" -m pip wheel -q -w "$CONTEXT/wheelhouse" "$CONTEXT/source" 2>&1 | grep -v '^WARNING: Location' >&2 || true
rm -rf "$CONTEXT/source"
ls "$CONTEXT"/wheelhouse/moodtune-"$VERSION"-*.whl >/dev/null

# 2. The base: the registry's, else one made from Debian's packages.
base=$BASE_IMAGE
if buildah inspect --type image "$BASE_IMAGE" >/dev/null 2>&1; then
  say "base $BASE_IMAGE (already here)"
elif timeout 60 buildah pull -q "$BASE_IMAGE" >/dev/null 2>&1; then
  say "base $BASE_IMAGE (pulled)"
else
  base=$LOCAL_BASE
  if buildah inspect --type image "$LOCAL_BASE" >/dev/null 2>&1; then
    say "no registry answered for $BASE_IMAGE: base $LOCAL_BASE (made earlier)"
  else
    say "no registry answered for $BASE_IMAGE: making $LOCAL_BASE with mmdebstrap"
    need mmdebstrap mmdebstrap
    tarball=$(mktemp --suffix=.tar)
    # minbase, less documentation and locales, as Debian's own bookworm-slim image
    mmdebstrap --variant=minbase --quiet \
      --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
      --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
      --dpkgopt='path-exclude=/usr/share/info/*' \
      --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
      bookworm "$tarball" "deb http://deb.debian.org/debian bookworm main" \
      "deb http://deb.debian.org/debian bookworm-updates main" \
      "deb http://deb.debian.org/debian-security bookworm-security main"
    ctr=$(buildah from scratch)
    buildah add "$ctr" "$tarball" / >/dev/null
    buildah config --cmd /bin/bash --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$ctr"
    buildah commit -q --rm "$ctr" "$LOCAL_BASE" >/dev/null
    rm -f "$tarball"
  fi
fi

# 3. The image.
say "building $IMAGE on $base"
buildah build --isolation chroot --format docker --layers=false -q \
  --build-arg BASE="$base" --build-arg VERSION="$VERSION" \
  -f Containerfile -t "$IMAGE" "$CONTEXT" >/dev/null
size=$(buildah inspect --type image --format '{{.Size}}' "$IMAGE" 2>/dev/null || echo 0)
if [ "$size" = 0 ] || [ -z "$size" ]; then
  size=$(buildah images --noheading --format '{{.Size}}' "$IMAGE")
fi
say "built $IMAGE ($size)"
