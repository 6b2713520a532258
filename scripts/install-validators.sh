#!/usr/bin/env bash
# Installs the real tools that judge platc's output (see ../shared/VALIDATORS.md)
# into a virtual environment under target/validators, pinned. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/validators
stamp=$venv/.installed-v1
if [ -f "$stamp" ]; then
  exit 0
fi
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check \
  kubernetes-validate==1.37.0 \
  check-jsonschema==0.39.0 \
  yamllint==1.38.0
touch "$stamp"
