#!/usr/bin/env bash
# Headless Chromium and its WebDriver (Debian's packages) for the browser test, plus selenium.
# Idempotent: installs only what is missing; prints nothing else when all is there.
set -euo pipefail

if ! command -v chromium >/dev/null 2>&1 || [ ! -x /usr/bin/chromedriver ]; then
    export DEBIAN_FRONTEND=noninteractive
    sudo_=""
    [ "$(id -u)" -eq 0 ] || sudo_="sudo"
    $sudo_ apt-get update -qq
    $sudo_ apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-dejavu-core >/dev/null
fi
if ! python -c "import selenium" >/dev/null 2>&1; then
    python -m pip install -q "selenium>=4.20"
fi
echo ".ci/browser.sh: $(chromium --version 2>/dev/null | head -1); chromedriver at /usr/bin/chromedriver"
