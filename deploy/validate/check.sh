#!/bin/sh
# Validate the deployment files with schema validators that work offline:
#   deploy/k8s/*.yaml          kubernetes-validate --strict (schemas ship in
#                              the package) for each KUBERNETES_VERSIONS
#   deploy/docker-compose.yml  check-jsonschema, builtin vendor.compose-spec
#   deploy/Dockerfile          dockerfile_rules.py (dockerfile-parse)
# Then it runs each validator on the broken files in testdata/broken and
# fails unless each one rejects its file, so a validator that passes
# everything cannot go unnoticed.
#
# The validators are installed from PyPI into .cache/deploy-validate/venv
# (ignored by git) on the first run, and again only when requirements.txt
# changes. Later runs need no network.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cache="$root/.cache/deploy-validate"
venv="$cache/venv"
stamp="$cache/requirements.txt"

# The oldest and the newest Kubernetes minor versions that nflsync's
# manifests are meant for.
KUBERNETES_VERSIONS=${KUBERNETES_VERSIONS:-"1.30.0 1.37.0"}

if [ ! -x "$venv/bin/python" ] || ! cmp -s "$here/requirements.txt" "$stamp"; then
	mkdir -p "$cache"
	rm -rf "$venv"
	if ! python3 -m venv "$venv"; then
		echo "check.sh: python3 -m venv failed; install Python 3 with the venv module (Debian: apt-get install python3-venv)" >&2
		exit 1
	fi
	"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
	cp "$here/requirements.txt" "$stamp"
fi
bin="$venv/bin"

cd "$root"

echo "deploy-check: Kubernetes manifests"
for version in $KUBERNETES_VERSIONS; do
	"$bin/kubernetes-validate" --strict --quiet -k "$version" deploy/k8s/*.yaml
done

echo "deploy-check: Docker Compose file"
"$bin/check-jsonschema" --builtin-schema vendor.compose-spec deploy/docker-compose.yml

echo "deploy-check: Dockerfile"
"$bin/python" "$here/dockerfile_rules.py" deploy/Dockerfile

# Each validator must reject its broken file. Their output is expected and
# hidden; it is shown only when a validator wrongly passes.
broken="$here/testdata/broken"
expect_rejected() {
	name=$1
	shift
	if output=$("$@" 2>&1); then
		echo "deploy-check: the $name check passed $broken, which it must reject:" >&2
		echo "$output" >&2
		exit 1
	fi
}
expect_rejected Kubernetes "$bin/kubernetes-validate" --strict --quiet -k 1.37.0 "$broken/deployment.yaml"
expect_rejected Compose "$bin/check-jsonschema" --builtin-schema vendor.compose-spec "$broken/docker-compose.yml"
expect_rejected Dockerfile "$bin/python" "$here/dockerfile_rules.py" "$broken/Dockerfile"
echo "deploy-check: the broken files in deploy/validate/testdata/broken are rejected"
