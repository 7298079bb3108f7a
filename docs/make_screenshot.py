"""Screenshot a deepcheap report in headless Chromium, for the README and docs.

    deepcheap reproduce --quick --out run && python docs/make_screenshot.py --report run/report.html
    python docs/make_screenshot.py            # makes a quick report of the registered claims first

Writes docs/report-screenshot.png (1280 x 1600, a wide screen) and docs/report-phone.png (390 x 844),
after checking that every figure decoded. Needs Chromium (Debian: apt-get install chromium).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from deepcheap.report.browser import decoded_images, dump_dom, find_browser, screenshot

DOCS = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", type=Path, help="report.html to photograph (default: run a quick reproduce)")
    parser.add_argument("--only", help="claims for the quick run when --report is not given, e.g. C02,C03")
    parser.add_argument("--out", type=Path, default=DOCS / "report-screenshot.png", help="wide-screen PNG")
    parser.add_argument("--phone", type=Path, default=DOCS / "report-phone.png", help="phone-sized PNG ('' to skip)")
    parser.add_argument("--size", default="1280x1600", help="wide-screen window size WxH")
    args = parser.parse_args(argv)
    if find_browser() is None:
        print("no Chromium found: apt-get install chromium (or set DEEPCHEAP_CHROMIUM)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="deepcheap-shot-") as tmp:
        report = args.report
        if report is None:
            command = [sys.executable, "-m", "deepcheap", "reproduce", "--quick", "--out", str(Path(tmp) / "run")]
            command += ["--only", args.only] if args.only else []
            subprocess.run(command, check=True)
            report = Path(tmp) / "run" / "report.html"
        decoded, total = decoded_images(dump_dom(report))
        if decoded != total:
            print(f"only {decoded} of {total} figures decoded in {report}", file=sys.stderr)
            return 1
        width, height = (int(v) for v in args.size.lower().split("x"))
        print(screenshot(report, args.out, width=width, height=height))
        if str(args.phone) not in ("", "."):
            print(screenshot(report, args.phone, width=390, height=844))
    print(f"{total} figures decoded")
    return 0


if __name__ == "__main__":
    sys.exit(main())
