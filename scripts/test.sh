#!/usr/bin/env bash
# Runs the test suite once per Keras backend (default: tensorflow, jax and torch).
#   bash scripts/test.sh            # all three backends
#   bash scripts/test.sh jax        # one backend
# Extra pytest arguments go in PYTEST_ARGS, e.g. PYTEST_ARGS="-k dcgan".
set -u
cd "$(dirname "$0")/.."
backends=("$@")
[ ${#backends[@]} -eq 0 ] && backends=(tensorflow jax torch)
export TF_CPP_MIN_LOG_LEVEL=3
status=0
for backend in "${backends[@]}"; do
  echo "=== KERAS_BACKEND=$backend ==="
  KERAS_BACKEND=$backend python -m pytest -q ${PYTEST_ARGS:-} tests
  code=$?
  # Exit code 5 means pytest collected no test: that is a failure here, never a pass.
  if [ $code -ne 0 ]; then
    echo "pytest failed on the $backend backend (exit code $code)"
    status=1
  fi
done
exit $status
