#!/usr/bin/env bash
# Headless Chromium and its WebDriver (Debian's packages) for the browser test. selenium itself
# comes with the test dependencies (pip install -e '.[test]').
# Idempotent: installs only what is missing; prints nothing else when all is there.
set -euo pipefail

if ! command -v chromium >/dev/null 2>&1 || [ ! -x /usr/bin/chromedriver ]; then
    export DEBIAN_FRONTEND=noninteractive
    sudo_=""
    [ "$(id -u)" -eq 0 ] || sudo_="sudo"
    $sudo_ apt-get update -qq
    $sudo_ apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-dejavu-core >/dev/null
fi
echo ".ci/browser.sh: $(chromium --version 2>/dev/null | head -1); chromedriver at /usr/bin/chromedriver"
