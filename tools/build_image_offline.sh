#!/usr/bin/env bash
# Build the Containerfile's image where no container registry is reachable
# (as on the project's machines): the base image is made by debootstrap
# from Debian's archive instead of pulled, then buildah builds the
# Containerfile on it. Debian packages: buildah, debootstrap. Runs as root.
#
#   tools/build_image_offline.sh [tag]     # default localhost/osc-image-migrate:dev
#
# State (rootfs, image storage) lives in .build/ of the checkout. pip inside
# the build trusts the host's CA bundle (mounted for the build only, not
# copied into the image), for networks that inspect TLS.
set -euo pipefail
cd "$(dirname "$0")/.."
TAG=${1:-localhost/osc-image-migrate:dev}
SUITE=bookworm
BASE=localhost/debian-$SUITE-debootstrap:latest
STATE=$PWD/.build
BUILDAH=(buildah --storage-driver vfs --root "$STATE/storage"
         --runroot "$STATE/run")
mkdir -p "$STATE"

if ! "${BUILDAH[@]}" inspect --type image "$BASE" >/dev/null 2>&1; then
    if [ ! -x "$STATE/rootfs/usr/bin/apt-get" ]; then
        debootstrap --variant=minbase "$SUITE" "$STATE/rootfs" \
            http://deb.debian.org/debian
    fi
    rm -rf "$STATE/rootfs/var/cache/apt/archives/"*.deb
    ctr=$("${BUILDAH[@]}" from scratch)
    cp -a "$STATE/rootfs/." "$("${BUILDAH[@]}" mount "$ctr")/"
    "${BUILDAH[@]}" umount "$ctr" >/dev/null
    "${BUILDAH[@]}" commit -q "$ctr" "$BASE" >/dev/null
    "${BUILDAH[@]}" rm "$ctr" >/dev/null
fi

rm -rf dist
python3 -m build --wheel >/dev/null
printf '[global]\ncert = /run/host-ca.crt\n' > "$STATE/pip.conf"
"${BUILDAH[@]}" bud --isolation chroot --network host \
    -v /etc/ssl/certs/ca-certificates.crt:/run/host-ca.crt:ro \
    -v "$STATE/pip.conf:/etc/pip.conf:ro" \
    --build-arg "BASE=$BASE" -t "$TAG" -f Containerfile .
"${BUILDAH[@]}" images "$TAG"
