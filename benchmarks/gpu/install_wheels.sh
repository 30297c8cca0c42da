# Sourced by the GPU scripts (from the repository root): installs the
# wheels carried in .whl/ (benchmarks/gpu/prepare_wheels.sh) into /tmp/site
# and puts it and the repository on PYTHONPATH. Once per command: a script
# sourced from another that already installed them skips the install.
if [ -z "${SAMIX_MM_WHEELS:-}" ]; then
    python3 -m pip install -q --no-index --no-deps --no-compile \
        --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
    export SAMIX_MM_WHEELS=/tmp/site
fi
export PYTHONPATH=/tmp/site:$(pwd) PYTHONUNBUFFERED=1
