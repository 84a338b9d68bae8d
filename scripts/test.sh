#!/usr/bin/env bash
# Runs the test suite once per Keras backend (default: tensorflow, jax and torch).
#   bash scripts/test.sh            # all three backends
#   bash scripts/test.sh jax        # one backend
# Extra pytest arguments go in PYTEST_ARGS, e.g. PYTEST_ARGS="-k dcgan".
# The convergence tests (marker `slow`, minutes each) run once, on TensorFlow, after the
# TensorFlow suite; SLOW_TESTS=0 leaves them out.
# TEST_WORKERS sets the number of pytest-xdist processes (default: one per CPU core; 0 runs the
# suite in this process). Each test file runs whole on one worker, so its module fixtures are
# built once. Skipped tests are listed with their reasons (-rs).
set -u
cd "$(dirname "$0")/.."
backends=("$@")
[ ${#backends[@]} -eq 0 ] && backends=(tensorflow jax torch)
export TF_CPP_MIN_LOG_LEVEL=3
workers=${TEST_WORKERS:-auto}
# A fresh JAX compilation cache for this run (see tests/conftest.py), removed at the end; a
# cache folder given in JAX_COMPILATION_CACHE_DIR is used and kept.
if [ -z "${JAX_COMPILATION_CACHE_DIR:-}" ]; then
  JAX_COMPILATION_CACHE_DIR=$(mktemp -d)
  export JAX_COMPILATION_CACHE_DIR
  trap 'rm -rf "$JAX_COMPILATION_CACHE_DIR"' EXIT
fi
status=0
for backend in "${backends[@]}"; do
  echo "=== KERAS_BACKEND=$backend ==="
  start=$(date +%s)
  if [ "$workers" = "0" ]; then
    parallel=()
  else
    parallel=(-n "$workers" --dist loadfile)
  fi
  KERAS_BACKEND=$backend python -m pytest -q -rs "${parallel[@]}" ${PYTEST_ARGS:-} tests
  code=$?
  echo "$backend: $(( $(date +%s) - start )) s"
  # Exit code 5 means pytest collected no test: that is a failure here, never a pass.
  if [ $code -ne 0 ]; then
    echo "pytest failed on the $backend backend (exit code $code)"
    status=1
  fi
  if [ "$backend" = tensorflow ] && [ "${SLOW_TESTS:-1}" != 0 ]; then
    echo "=== KERAS_BACKEND=tensorflow, convergence tests (-m slow) ==="
    start=$(date +%s)
    KERAS_BACKEND=tensorflow python -m pytest -q -rs -m slow tests
    code=$?
    echo "convergence: $(( $(date +%s) - start )) s"
    if [ $code -ne 0 ]; then
      echo "the convergence tests failed (exit code $code)"
      status=1
    fi
  fi
done
exit $status
