#!/usr/bin/env bash
# Install python-ESL 1.4.18 into the virtualenv given as $1 (SPEC.md section 1).
# Its setup.py passes SWIG's -classic option, which SWIG 4 removed: fetch the sdist from PyPI,
# drop that option, and build it with the system's SWIG (installed from the system packages when
# absent). Nothing of its source is kept in this repository.
set -euo pipefail
venv=$1
version=1.4.18
if "$venv/bin/python" -c "import ESL" 2>/dev/null; then exit 0; fi
if ! command -v swig >/dev/null; then
  if [ "$(id -u)" = 0 ]; then sudo_cmd=""; else sudo_cmd="sudo"; fi
  $sudo_cmd apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq swig g++ >&2
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$venv/bin/pip" download -q --no-binary :all: --no-deps "python-ESL==$version" -d "$work"
tar -xzf "$work"/python-ESL-$version.tar.gz -C "$work"
sed -i "s/'-classic', //" "$work/python-ESL-$version/setup.py"
"$venv/bin/pip" install -q "$work/python-ESL-$version" >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
"$venv/bin/python" -c "import ESL"
