#!/usr/bin/env bash
# Debian packages some tests need: bubblewrap (the grading sandbox), postgresql (the
# gradebook on a real server) and chromium (the browser Playwright drives to check that
# feedback formulas render offline; never `playwright install`). Installed only when we are
# root on Debian and they are missing; otherwise the tests that need them skip, naming the
# package. `install-system-packages.sh bubblewrap` (make sandbox, run by make lab and make grade)
# installs only the sandbox, without which grading refuses to run student code.
set -u
WANTED="${*:-bubblewrap postgresql chromium}"
PACKAGES=()
case " $WANTED " in *" bubblewrap "*) command -v bwrap >/dev/null 2>&1 || PACKAGES+=(bubblewrap) ;; esac
case " $WANTED " in *" postgresql "*) ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || PACKAGES+=(postgresql) ;; esac
case " $WANTED " in *" chromium "*) [ -x /usr/bin/chromium ] || PACKAGES+=(chromium) ;; esac
[ ${#PACKAGES[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian packages: ${PACKAGES[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null \
        || echo "could not install ${PACKAGES[*]}: the tests that need them will skip"
else
    echo "not installing ${PACKAGES[*]} (needs root on Debian): the tests that need them will skip," \
         "and grading refuses to run student code without bubblewrap"
fi
exit 0
