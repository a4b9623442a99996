#!/usr/bin/env bash
# The software Vulkan driver pqk's WebGPU backend runs on where a machine has no GPU (and the tests run on everywhere):
# Mesa's lavapipe with the Vulkan loader. Dawn (npm 'webgpu') rejects Debian 12's own Mesa 22.3 (it lacks the
# shaderUniform*ArrayDynamicIndexing features), so on bookworm the driver and the libdrm it needs come from
# bookworm-backports (Mesa 25). The loader finds the driver's manifest in /usr/share/vulkan/icd.d by itself.
# Idempotent: does nothing when Mesa >= 24 and the loader are installed.
set -euo pipefail
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
mesa=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
if [ -n "$mesa" ] && dpkg --compare-versions "$mesa" ge 24 && installed libvulkan1; then exit 0; fi

SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
. /etc/os-release
release=()
if [ "${VERSION_CODENAME:-}" = bookworm ]; then
  if ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
    echo "setup: adding Debian's bookworm-backports (for Mesa's software Vulkan driver)"
    printf '%s\n' 'Types: deb' 'URIs: http://deb.debian.org/debian' 'Suites: bookworm-backports' 'Components: main' \
      'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' |
      $SUDO tee /etc/apt/sources.list.d/bookworm-backports.sources >/dev/null
  fi
  release=(-t bookworm-backports)
fi
echo "installing Debian packages: mesa-vulkan-drivers libvulkan1 ${release[*]}"
$SUDO apt-get update -qq
# libdrm2 and libdrm-amdgpu1 are named so that they come from the same release as the driver that needs them.
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${release[@]}" \
  mesa-vulkan-drivers libdrm2 libdrm-amdgpu1 libvulkan1 >/dev/null
