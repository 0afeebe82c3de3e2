#!/usr/bin/env bash
# Debian packages some tests need: bubblewrap (the grading sandbox), postgresql (the
# gradebook on a real server) and chromium (the browser Playwright drives to check that
# feedback formulas render offline; never `playwright install`). Installed only when we are
# root on Debian and they are missing; otherwise the tests that need them skip, naming the
# package.
set -u
PACKAGES=()
command -v bwrap >/dev/null 2>&1 || PACKAGES+=(bubblewrap)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || PACKAGES+=(postgresql)
[ -x /usr/bin/chromium ] || PACKAGES+=(chromium)
[ ${#PACKAGES[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian packages: ${PACKAGES[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null \
        || echo "could not install ${PACKAGES[*]}: the tests that need them will skip"
else
    echo "not installing ${PACKAGES[*]} (needs root on Debian): the tests that need them will skip"
fi
exit 0
