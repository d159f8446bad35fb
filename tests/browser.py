"""Headless Chromium from Debian's `chromium` (installed with apt-get when missing, as root,
with a CJK font), for tests of the pages the gateway renders."""

import os
import shutil
import subprocess
import tempfile

PACKAGES = ("chromium", "fonts-wqy-microhei")


def chromium() -> str:
    """The browser's executable, installed first when missing."""
    found = shutil.which("chromium")
    if found:
        return found
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", *PACKAGES], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    return shutil.which("chromium") or "/usr/bin/chromium"


def rendered_dom(url: str, timeout: float = 60) -> str:
    """The page at `url` as headless Chromium has rendered it (its DOM, serialised)."""
    with tempfile.TemporaryDirectory(prefix="linli-chromium-") as profile:
        done = subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                               f"--user-data-dir={profile}", "--dump-dom", url],
                              capture_output=True, text=True, timeout=timeout, check=True)
    return done.stdout
