"""Open report.html in headless Chromium: the DOM after load (to check figures decoded) and screenshots.

Used by the browser test and ``docs/make_screenshot.py``; needs a Chromium or Chrome binary
(Debian: ``apt-get install chromium``), found on PATH or named by ``DEEPCHEAP_CHROMIUM``.

The sandbox is switched off (``--no-sandbox``): containers and root often cannot use it, and the only
page opened is a local report that deepcheap wrote.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from deepcheap.errors import DeepCheapError, InvalidArgumentError

BROWSER_ENV = "DEEPCHEAP_CHROMIUM"
_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")


def find_browser() -> str | None:
    """Path of a Chromium/Chrome binary, or None."""
    named = os.environ.get(BROWSER_ENV)
    if named:
        return shutil.which(named) or (named if Path(named).is_file() else None)
    for name in _NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _run(args: list[str], timeout: float) -> subprocess.CompletedProcess:
    browser = find_browser()
    if browser is None:
        raise DeepCheapError(f"no Chromium found; install it (Debian: apt-get install chromium) or set {BROWSER_ENV}.")
    with tempfile.TemporaryDirectory(prefix="deepcheap-chromium-") as profile:
        command = [browser, "--headless", "--disable-gpu", "--no-sandbox", "--hide-scrollbars",
                   "--no-first-run", "--disable-dev-shm-usage", f"--user-data-dir={profile}", *args]
        out = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    if out.returncode != 0:
        tail = " ".join(out.stderr.strip().splitlines()[-3:])
        raise DeepCheapError(f"Chromium exited with status {out.returncode}: {tail}")
    return out


def _url(html: str | Path) -> str:
    path = Path(html).resolve()
    if not path.is_file():
        raise InvalidArgumentError(f"{html} is not a file; give the path of a report.html.")
    return path.as_uri()


def dump_dom(html: str | Path, *, width: int = 1280, height: int = 1600, budget_ms: int = 5000,
             timeout: float = 60) -> str:
    """The page's DOM after its load event (scripts run, images decoded) in a ``width`` x ``height`` window."""
    return _run([f"--window-size={width},{height}", f"--virtual-time-budget={budget_ms}", "--dump-dom", _url(html)],
                timeout).stdout


def decoded_images(dom: str) -> tuple[int, int]:
    """``(decoded, total)`` images, as report.html records on ``<body data-images-decoded="N/M">``."""
    match = re.search(r'<body[^>]*data-images-decoded="(\d+)/(\d+)"', dom)
    if match is None:
        raise DeepCheapError("the page did not record its images (no data-images-decoded); is it a deepcheap report?")
    return int(match.group(1)), int(match.group(2))


def page_overflows(dom: str) -> bool:
    """Whether the page was wider than the window (report.html records it on ``<body data-page-overflow>``)."""
    match = re.search(r'<body[^>]*data-page-overflow="(yes|no)"', dom)
    if match is None:
        raise DeepCheapError("the page did not record its width (no data-page-overflow); is it a deepcheap report?")
    return match.group(1) == "yes"


def screenshot(html: str | Path, png: str | Path, *, width: int = 1280, height: int = 1600,
               budget_ms: int = 5000, timeout: float = 60) -> Path:
    """A PNG of the first ``width`` x ``height`` CSS pixels of the page."""
    target = Path(png).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    _run([f"--window-size={width},{height}", f"--virtual-time-budget={budget_ms}", f"--screenshot={target}",
          _url(html)], timeout)
    if not target.is_file() or target.stat().st_size == 0:
        raise DeepCheapError(f"Chromium wrote no screenshot to {target}.")
    return target
