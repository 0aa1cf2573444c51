"""The map (issue 15, item 4): the HTML report shows the stations as points on a map of
Hanoi, inline SVG with no network resource, and prints on A4; the Word document has it
as a picture. The page is loaded in headless Chromium."""

from __future__ import annotations

import io
import re
import subprocess
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from radiocli.cli import cli

REPO = Path(__file__).resolve().parent.parent
SCHEDULES = REPO / "schedules"
CHROMIUM = Path("/usr/bin/chromium")
HEADLESS = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-extensions", "--no-first-run",
            "--disable-sync", "--disable-default-apps"]


def invoke(home: Path, *args: str):
    result = CliRunner().invoke(cli, ["--home", str(home), "-s", str(SCHEDULES), *args],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """District 017 on 2-3 August 2021, Xã Uy Nỗ (00478) off the air on the 3rd; the
    district summary and compliance as HTML and DOCX, and the city summary as HTML."""
    home = tmp_path_factory.mktemp("map")
    invoke(home, "simulate", "--from", "2021-08-02", "--to", "2021-08-03", "--district", "017",
           "--offline", "00478:2021-08-03--2021-08-03")
    out = home / "out"
    out.mkdir()
    invoke(home, "report", "summary", "--from", "02/08/2021", "--to", "03/08/2021",
           "--district", "017", "--html", str(out / "summary.html"), "--docx",
           str(out / "summary.docx"))
    invoke(home, "report", "compliance", "--from", "02/08/2021", "--to", "03/08/2021",
           "--district", "017", "--html", str(out / "compliance.html"))
    invoke(home, "report", "summary", "--from", "02/08/2021", "--to", "03/08/2021",
           "--html", str(out / "city.html"))
    return out


def marks(text: str) -> list[tuple[str, str]]:
    """(station code, fill colour) of every station mark of the map."""
    return re.findall(r'<circle class="station" data-code="(\d{5})" [^>]*fill="(#[0-9a-f]{6})"',
                      text)


def test_map_has_one_mark_per_station_coloured_by_what_aired(pages):
    district = marks((pages / "summary.html").read_text(encoding="utf-8"))
    assert len(district) == len({code for code, _fill in district}) == 24
    colours = dict(district)
    # Xã Uy Nỗ aired half of what the others did: another class than the median's
    assert colours["00478"] != colours["00481"]
    city = marks((pages / "city.html").read_text(encoding="utf-8"))
    assert len({code for code, _fill in city}) == 579
    # nothing aired outside district 017: those stations are red, the district's not
    assert {fill for code, fill in city if code == "00001"} == {"#d7301f"}
    assert colours["00481"] != "#d7301f"
    compliance = dict(marks((pages / "compliance.html").read_text(encoding="utf-8")))
    assert len(compliance) == 24
    assert compliance["00481"] == "#1a9850"  # all of its plan aired
    # 5 of 11: Monday's five aired, Tuesday's five and its 16:30 notice did not
    assert compliance["00478"] == "#d73027"


def test_page_uses_no_network_resource_and_prints_on_a4(pages):
    text = (pages / "summary.html").read_text(encoding="utf-8")
    assert "<script" not in text and "<link" not in text and "src=" not in text
    assert "url(" not in text and "@import" not in text
    assert set(re.findall(r"https?://[^\s\"'<>]+", text)) == {"http://www.w3.org/2000/svg"}
    assert "@page { size: A4;" in text


@pytest.mark.skipif(not CHROMIUM.exists(), reason="chromium not installed")
def test_map_in_headless_chromium(pages, tmp_path):
    from PIL import Image

    page = pages / "summary.html"
    dom = subprocess.run([*HEADLESS, "--enable-logging=stderr", "--v=0", "--dump-dom",
                          page.as_uri()], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert "CONSOLE(" not in dom.stderr and "Uncaught" not in dom.stderr
    assert len(marks(dom.stdout)) == 24  # the DOM Chromium built holds every mark

    shot = tmp_path / "shot.png"
    subprocess.run([*HEADLESS, "--hide-scrollbars", "--window-size=900,1100",
                    f"--screenshot={shot}", page.as_uri()], capture_output=True,
                   timeout=120, check=True)
    image = Image.open(shot).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 200  # text, map, legend: not blank
    # the map is drawn: its background and the median stations' dark blue are on screen
    counts = {rgb: n for n, rgb in colours}
    assert counts.get((0xf4, 0xf7, 0xfa), 0) > 20_000
    assert counts.get((0x08, 0x30, 0x6b), 0) > 300

    pdf = tmp_path / "page.pdf"
    subprocess.run([*HEADLESS, "--no-pdf-header-footer", f"--print-to-pdf={pdf}",
                    page.as_uri()], capture_output=True, timeout=120, check=True)
    boxes = set(re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf.read_bytes()))
    assert boxes and all(abs(float(w) - 595.3) < 1.5 and abs(float(h) - 841.9) < 1.5
                         for w, h in boxes), boxes  # A4 in points


def test_docx_has_the_map_as_a_picture(pages):
    from docx import Document
    from PIL import Image

    doc = Document(str(pages / "summary.docx"))
    assert len(doc.inline_shapes) == 1
    assert round(doc.inline_shapes[0].width.mm) == 150
    with zipfile.ZipFile(pages / "summary.docx") as z:
        media = [n for n in z.namelist() if n.startswith("word/media/")]
        assert len(media) == 1 and media[0].endswith(".png")
        picture = Image.open(io.BytesIO(z.read(media[0]))).convert("RGB")
    assert picture.width == 1600
    colours = {rgb for _n, rgb in picture.getcolors(maxcolors=1 << 20) or []}
    assert (0x08, 0x30, 0x6b) in colours and len(colours) > 50
    texts = [p.text for p in doc.paragraphs]
    caption = next(t for t in texts if t.startswith("Các đài truyền thanh cấp xã, màu theo"))
    assert "số phút phát" in caption
