#!/usr/bin/env bash
# Installs the Debian packages the test suite runs for real: the example server's stack
# (uWSGI with its Python 3 plugin, Flask, gunicorn for the threaded case, nginx) and the example async worker's boto3. Uses sudo only
# when not already root.
set -euo pipefail
packages=(uwsgi uwsgi-plugin-python3 python3-flask python3-gunicorn nginx-light python3-boto3)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "${package}" 2>/dev/null | grep -q "install ok installed" || missing+=("${package}")
done
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  ${sudo} apt-get update
  DEBIAN_FRONTEND=noninteractive ${sudo} apt-get install -y --no-install-recommends "${missing[@]}"
fi
if ! command -v terraform >/dev/null 2>&1; then
  echo "install-test-deps: terraform is not on PATH; the offline plan tier needs Terraform >= 1.10" >&2
  exit 1
fi
echo "test dependencies ready: ${packages[*]}, $(env -u TF_CLI_CONFIG_FILE terraform version | head -n 1)"
