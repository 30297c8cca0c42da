#!/usr/bin/env bash
# Build mmcv 2.1.0 WITH its C++ ops for the torch of the active venv and put
# the wheel into the cache folder given as $1. MMCV_WITH_OPS=0 builds the
# pure-Python wheel instead (enough for classification; seconds).
#
# mmcv 2.1.0 ships only an sdist; its setup.py hard-codes `-std=c++17` while
# torch >= 2.4 headers need C++20, so the CPU `cxx` flag is switched to c++20.
# Build time: 7-13 min on 2 cores. Run once per machine; the wheel is cached.
set -euo pipefail
CACHE_DIR=${1:?usage: build_mmcv.sh CACHE_DIR}
PY=${PYTHON:-python}
VERSION=2.1.0
SHA256=d387bcab66b467479b6660310e23746cfc79c6e57acf04094680adb499a5cd3f
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

mkdir -p "$CACHE_DIR"
echo "[samix_mm] downloading mmcv-$VERSION sdist from PyPI"
"$PY" - "$WORK" "$VERSION" "$SHA256" <<'PYEOF'
import hashlib, re, sys, urllib.request
work, version, sha = sys.argv[1:4]
index = urllib.request.urlopen('https://pypi.org/simple/mmcv/', timeout=120).read().decode()
m = re.search(r'href="([^"]*/mmcv-%s\.tar\.gz)[^"]*"' % re.escape(version), index)
if not m:
    sys.exit(f'mmcv-{version}.tar.gz not found on the PyPI index')
data = urllib.request.urlopen(m.group(1), timeout=300).read()
if hashlib.sha256(data).hexdigest() != sha:
    sys.exit('sha256 mismatch for the mmcv sdist: refusing to build it')
open(f'{work}/mmcv-{version}.tar.gz', 'wb').write(data)
PYEOF
tar -xzf "$WORK/mmcv-$VERSION.tar.gz" -C "$WORK"
SRC="$WORK/mmcv-$VERSION"
# torch >= 2.4 headers use C++20 features.
sed -i "s/extra_compile_args\['cxx'\] = \['-std=c++17'\]/extra_compile_args['cxx'] = ['-std=c++20']/" "$SRC/setup.py"
grep -q "c++20" "$SRC/setup.py" || { echo "patching mmcv setup.py failed" >&2; exit 1; }
WITH_OPS=${MMCV_WITH_OPS:-1}
echo "[samix_mm] building mmcv-$VERSION (MMCV_WITH_OPS=$WITH_OPS, MAX_JOBS=${MAX_JOBS:-2}); with ops this takes 7-13 min"
(cd "$SRC" && MMCV_WITH_OPS=$WITH_OPS MAX_JOBS=${MAX_JOBS:-2} FORCE_CUDA=0 \
    "$PY" -m pip wheel --no-build-isolation --no-deps -w "$WORK/dist" . >"$WORK/build.log" 2>&1) || {
    tail -40 "$WORK/build.log" >&2
    echo "[samix_mm] mmcv build failed (log above)" >&2
    exit 1
}
cp "$WORK"/dist/mmcv*.whl "$CACHE_DIR/"  # mmcv_lite-* without ops
echo "[samix_mm] cached $(ls "$CACHE_DIR"/mmcv*.whl)"
