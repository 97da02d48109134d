#!/usr/bin/env bash
# Build the sdist and the wheel as a user's pip would (isolated build), then
# install each into its own new venv, outside tox, and check that the
# package works there: a real version, its dependencies, and both commands.
# Usage: tools/check_package.sh [work-dir]   (default: a new temporary one)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-$(mktemp -d)}"
python="${PYTHON:-python3}"
mkdir -p "$work"

"$python" -m pip install --quiet build
"$python" -m build --outdir "$work/dist" "$repo" >"$work/build.log" 2>&1 \
    || { tail -30 "$work/build.log"; exit 1; }

check() {  # check <name> <what to pip install>
    local venv="$work/venv-$1"
    "$python" -m venv "$venv"
    "$venv/bin/pip" install --quiet "$2"
    local version
    version=$("$venv/bin/python" -c \
        'from importlib import metadata; print(metadata.version("osc-image-migrate"))')
    case "$version" in
        0.0.0|"") echo "$1: no real version ($version)" >&2; exit 1 ;;
    esac
    "$venv/bin/pip" check >/dev/null
    "$venv/bin/python" -c 'import importlib.resources as r, sys
sys.exit(not r.files("osc_image_migrate").joinpath("py.typed").is_file())' \
        || { echo "$1: no py.typed in the installed package" >&2; exit 1; }
    "$venv/bin/openstack" image migrate --help >/dev/null
    "$venv/bin/openstack" image migrate plan --help >/dev/null
    "$venv/bin/openstack" image migrate bundle verify --help >/dev/null
    local listed
    listed=$("$venv/bin/openstack" help image | grep -c '^  image migrate' || true)
    # image migrate, image migrate plan, image migrate bundle verify
    [ "$listed" -eq 3 ] || {
        echo "$1: 'openstack help image' lists $listed migrate commands" >&2
        exit 1
    }
    echo "$1: osc-image-migrate $version installs and runs"
}

check sdist "$(ls "$work"/dist/*.tar.gz)"
check wheel "$(ls "$work"/dist/*.whl)"
