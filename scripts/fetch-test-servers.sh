#!/usr/bin/env bash
# Fills target/test-servers/ with the real Prometheus, Alertmanager (+ amtool),
# VictoriaMetrics (+ vmalert) and node_exporter binaries from Debian's packages, for the
# real-server tests. Unpacks with `dpkg -x`: no service is installed or started.
# Idempotent: returns at once when the binaries are already there.
set -euo pipefail
cd "$(dirname "$0")/.."
dest="${QUELL_TEST_SERVERS:-target/test-servers}"
bin="$dest/bin"
want=(prometheus alertmanager amtool victoria-metrics vmalert prometheus-node-exporter)
# Debian's Alertmanager reads its default notification template from this
# absolute path (no flag overrides it), so the unpacked copy goes there.
tmpl_dir=/usr/share/prometheus/alertmanager
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
install_templates() {
  if [ ! -f "$tmpl_dir/default.tmpl" ]; then
    $SUDO mkdir -p "$tmpl_dir"
    $SUDO cp "$dest/root$tmpl_dir/"*.tmpl "$tmpl_dir/"
  fi
}
missing=0
for b in "${want[@]}"; do [ -x "$bin/$b" ] || missing=1; done
if [ "$missing" -eq 0 ] && command -v htpasswd >/dev/null 2>&1; then
  install_templates
  exit 0
fi
echo "==> fetching test servers into $dest (apt-get download + dpkg -x)"
$SUDO apt-get update -qq
command -v htpasswd >/dev/null 2>&1 ||
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq apache2-utils >/dev/null
command -v openssl >/dev/null 2>&1 ||
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq openssl >/dev/null
mkdir -p "$dest/debs" "$dest/root" "$bin"
chmod 777 "$dest/debs" # apt's sandbox user writes the downloads
(
  cd "$dest/debs"
  ls ./*.deb >/dev/null 2>&1 || apt-get download -qq prometheus prometheus-alertmanager victoria-metrics prometheus-node-exporter
)
for deb in "$dest"/debs/*.deb; do dpkg -x "$deb" "$dest/root"; done
for b in "${want[@]}"; do
  src="$dest/root/usr/bin/$b"
  # Debian names the Alertmanager binary after its package.
  [ "$b" = alertmanager ] && src="$dest/root/usr/bin/prometheus-alertmanager"
  if [ ! -x "$src" ]; then
    echo "fetch-test-servers: $b not found in the packages" >&2
    exit 1
  fi
  ln -sf "$(realpath "$src")" "$bin/$b"
done
rm -rf "$dest/debs"
install_templates
echo "==> test servers ready: $(ls "$bin" | tr '\n' ' ')"
