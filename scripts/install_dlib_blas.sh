#!/usr/bin/env bash
# Build dlib against OpenBLAS for the gate PC and put it where the edge agent finds it.
#
#   bash scripts/install_dlib_blas.sh            # about 10 minutes on 2 cores, once per machine
#
# Why: the `dlib-bin` wheel the project installs is built without BLAS; its face descriptor is
# ~87 % of a gate decision (~100 ms). The same dlib compiled against OpenBLAS computes the same
# descriptors (within 1e-6) about 5x faster (../shared/design/FACE_FACTS.md). The build goes into
# its own folder (SITEGATE_DLIB_DIR, default ~/.cache/sitegate/dlib-blas/<python>-<arch>), never
# into the virtualenv, so `uv sync` never fights over it; edge/face_backend.py puts that folder
# first on the import path when it holds a dlib, and the gate falls back to dlib-bin when it does
# not. `sitegate edge status` and benchmarks/gate.py say which one runs.
#
# Cached: a wheel already built for this dlib version, Python and CPU is reused (delete the
# folder to rebuild). Needs a C++ compiler, CMake, the Python headers and libopenblas-dev
# (installed with apt-get when run as root on Debian/Ubuntu).
set -euo pipefail

DLIB_VERSION="${DLIB_VERSION:-20.0.1}"
PYTHON="${PYTHON:-python3}"
TAG="$("$PYTHON" -c 'import sys,platform;print(f"cp{sys.version_info[0]}{sys.version_info[1]}-{platform.machine()}")')"
CPU="$(grep -m1 -o -w 'avx2\|avx' /proc/cpuinfo 2>/dev/null | head -1 || true)"
TARGET="${SITEGATE_DLIB_DIR:-$HOME/.cache/sitegate/dlib-blas/$TAG}"
WHEELS="$TARGET/../wheels/$TAG-${CPU:-generic}-dlib-$DLIB_VERSION"

if [ -f "$TARGET/SITEGATE_DLIB_OK" ]; then
    echo "dlib $DLIB_VERSION with BLAS already in $TARGET"
    exit 0
fi

if ! dpkg -s libopenblas-dev >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "installing libopenblas-dev liblapack-dev ..."
        apt-get install -y -qq libopenblas-dev liblapack-dev >/dev/null
    else
        echo "please install libopenblas-dev and liblapack-dev (sudo apt-get install ...)" >&2
        exit 2
    fi
fi

mkdir -p "$WHEELS"
if ! ls "$WHEELS"/dlib-*.whl >/dev/null 2>&1; then
    echo "building dlib $DLIB_VERSION against OpenBLAS (about 10 minutes on 2 cores) ..."
    # Only dlib from source: `--no-binary :all:` would compile CMake too. CUDA off (no cuDNN
    # on a gate PC), no X11.
    DLIB_USE_CUDA=0 DLIB_NO_GUI_SUPPORT=ON CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-2}" \
        "$PYTHON" -m pip wheel --no-deps --no-binary dlib "dlib==$DLIB_VERSION" -w "$WHEELS"
fi

"$PYTHON" -m pip install --quiet --no-deps --upgrade --target "$TARGET" "$WHEELS"/dlib-*.whl
# The check that counts: this dlib imports from there and says it uses BLAS.
PYTHONPATH="$TARGET" OPENBLAS_NUM_THREADS=1 "$PYTHON" -c \
    'import dlib,sys; assert dlib.DLIB_USE_BLAS, "built without BLAS"; print("dlib", dlib.__version__, "BLAS", dlib.__file__)'
touch "$TARGET/SITEGATE_DLIB_OK"
echo "done: the gate agent now uses $TARGET"
