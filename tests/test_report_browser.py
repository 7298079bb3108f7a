"""report.html in a real browser (headless Chromium): every figure decodes, the summary lists every claim run,
Table I is there, and a phone-width window does not need to scroll sideways except inside tables."""

import re
from html.parser import HTMLParser

import pytest
from typer.testing import CliRunner

from deepcheap.cli import app
from deepcheap.report.browser import decoded_images, dump_dom, find_browser, page_overflows, screenshot
from deepcheap.report.content import TABLE_I

REPRODUCE = ["reproduce", "--executor", "serial"]  # serial: fast to start, and killable as one process

pytestmark = pytest.mark.skipif(find_browser() is None,
                                reason="no Chromium on PATH (Debian: apt-get install chromium; .ci/run installs it)")
ONLY = ("C02", "C03")


class _Tables(HTMLParser):
    """Rows of each <table id=...> as lists of cell texts."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table = self._row = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._table = self.tables.setdefault(dict(attrs).get("id", ""), [])
        elif tag == "tr" and self._table is not None:
            self._row = []
            self._table.append(self._row)
        elif tag in ("td", "th") and self._row is not None:
            self._row.append("")

    def handle_endtag(self, tag):
        if tag == "table":
            self._table = self._row = None

    def handle_data(self, data):
        if self._row:
            self._row[-1] += data


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    result = CliRunner().invoke(app, [*REPRODUCE, "--quick", "--only", ",".join(ONLY), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out / "report.html"


def test_every_figure_decodes_and_the_summary_lists_every_claim(report):
    dom = dump_dom(report)
    decoded, total = decoded_images(dom)
    assert total == len(list((report.parent / "figures").glob("*.png"))) >= 4
    assert decoded == total
    tables = _Tables()
    tables.feed(dom)
    summary = tables.tables["summary"]
    assert summary[0][:3] == ["claim", "title", "verdict"]
    assert [row[0] for row in summary[1:]] == list(ONLY)
    dictionary = tables.tables["table-i-rows"]
    assert [row[0] for row in dictionary[1:]] == [row.physics for row in TABLE_I]
    spin = next(row for row in dictionary if row[0] == "spin")
    assert "C03 untested" in spin[2] and "C10 (not in this run)" in spin[2]


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1920, 1080)])
def test_no_sideways_scrolling_on_a_phone_or_a_wide_screen(report, width, height):
    dom = dump_dom(report, width=width, height=height)
    decoded, total = decoded_images(dom)
    assert decoded == total == len(list((report.parent / "figures").glob("*.png")))
    assert not page_overflows(dom)  # wide tables scroll inside their own box; figures shrink to fit


def test_a_page_that_overflows_is_detected(report, tmp_path):
    wide = tmp_path / "report.html"
    wide.write_text(report.read_text().replace("<main>", '<main><div style="width:2000px">wide</div>', 1))
    assert page_overflows(dump_dom(wide, width=390, height=844))


def test_a_broken_figure_is_detected(report, tmp_path):
    broken = tmp_path / "report.html"
    text = report.read_text()
    broken.write_text(re.sub(r"base64,[A-Za-z0-9+/]{64}", "base64,AAAA", text, count=1))
    decoded, total = decoded_images(dump_dom(broken))
    assert decoded == total - 1 and total == len(list((report.parent / "figures").glob("*.png")))


def test_screenshots_wide_and_phone(report, tmp_path):
    for width, height in ((1280, 1600), (390, 844)):
        png = screenshot(report, tmp_path / f"shot-{width}.png", width=width, height=height)
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert int.from_bytes(png.read_bytes()[16:20], "big") == width  # PNG IHDR width
