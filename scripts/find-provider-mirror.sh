#!/usr/bin/env bash
# Prints the Terraform provider filesystem mirror that holds hashicorp/aws, for WARMFLEET_PROVIDER_MIRROR.
# Looks in Terraform's implied mirror locations first, then searches the filesystem.
set -euo pipefail
for dir in "${HOME}/.terraform.d/plugins" "${HOME}/.local/share/terraform/plugins" /usr/local/share/terraform/plugins /usr/share/terraform/plugins; do
  if [ -d "${dir}/registry.terraform.io/hashicorp/aws" ]; then echo "${dir}"; exit 0; fi
done
found="$(find / \( -path /proc -o -path /sys -o -path /dev -o -name node_modules -o -name .terraform \) -prune -o \
  -type d -path '*/registry.terraform.io/hashicorp/aws' -print 2>/dev/null | head -n 1)"
if [ -z "${found}" ]; then
  echo "find-provider-mirror: no registry.terraform.io/hashicorp/aws folder found on this machine" >&2
  exit 1
fi
dirname "$(dirname "$(dirname "${found}")")"
