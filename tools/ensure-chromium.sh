#!/bin/sh
# Runs before `npm test`: test/browser.test.ts drives Debian's chromium through playwright-core.
# Installs it when it is missing and this machine can (Debian, root); otherwise says how, and the
# browser test fails with the same advice.
[ -x /usr/bin/chromium ] && exit 0
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "installing Debian's chromium for the browser test (apt-get install -y chromium)..."
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >/dev/null 2>&1 \
    || echo "could not install chromium; the browser test will fail"
else
  echo "/usr/bin/chromium is missing: run 'sudo apt-get install -y chromium' (Debian) for the browser test"
fi
exit 0
