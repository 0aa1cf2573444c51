"""The stations on a map of Hanoi, coloured by minutes aired or by the share of the plan
aired: inline SVG for the HTML page, a PNG (Pillow) for the Word document. No tiles, no
network: the map is drawn from the registry's centroids (WGS 84), each district as the
light outline (convex hull) of its stations' centroids.

One layout is computed and both renderers draw it, so the page and the document show
the same map.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import Any

from radiocli.report.model import MapPoint, Place, Report
from radiocli.report.numbers import fmt_num

WIDTH = 760  # px of the SVG (the PNG is drawn at twice that, then halved)
MAX_HEIGHT = 860
KM_PER_DEGREE_LAT = 110.57
KM_PER_DEGREE_LON_EQUATOR = 111.32

BLUES = ("#c6dbef", "#6baed6", "#2171b5", "#08306b")
SILENT = "#d7301f"  # nothing aired
NO_DATA = "#bdbdbd"  # nothing planned / no value
COMPLIANCE_CLASSES = (  # (lowest share, colour, label)
    (100.0, "#1a9850", "100%"),
    (95.0, "#91cf60", "95 - <100%"),
    (80.0, "#fee08b", "80 - <95%"),
    (50.0, "#fc8d59", "50 - <80%"),
    (0.0, "#d73027", "<50%"),
)


@dataclass(frozen=True)
class Dot:
    code: str
    x: float
    y: float
    colour: str
    title: str


@dataclass
class Layout:
    width: int
    height: int
    hulls: list[tuple[str, list[tuple[float, float]]]]  # district name, outline
    context: list[tuple[float, float]]  # stations out of scope, in grey
    dots: list[Dot]
    radius: float
    labels: list[tuple[float, float, str]]
    legend: list[tuple[str, str]]  # (colour, label)
    scale: tuple[float, str]  # bar length in px, its label


def _short(district: str) -> str:
    for prefix in ("Quận ", "Huyện ", "Thị xã "):
        if district.startswith(prefix):
            return district[len(prefix):]
    return district


def _hull(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Convex hull (monotone chain), counter-clockwise."""
    pts = sorted(set(points))
    if len(pts) <= 2:
        return pts

    def cross(o: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[tuple[float, float]] = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[tuple[float, float]] = []
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


def _colours(points: list[MapPoint], scale: str, lang: str
             ) -> tuple[list[str], list[tuple[str, str]]]:
    """A colour per point and the legend, for minutes (blue classes against the median
    station, red for nothing aired) or for the share of the plan aired (fixed
    classes)."""
    if scale == "compliance":
        colours = []
        for p in points:
            if math.isnan(p.value):
                colours.append(NO_DATA)
                continue
            colours.append(next(c for low, c, _label in COMPLIANCE_CLASSES if p.value >= low))
        legend = [(c, label) for _low, c, label in COMPLIANCE_CLASSES]
        if any(math.isnan(p.value) for p in points):
            legend.append((NO_DATA, "-"))
        return colours, legend
    values = sorted(p.value for p in points if p.value > 0 and not math.isnan(p.value))
    median = values[len(values) // 2] if values else 0.0
    # classes relative to the median station: a station that aired less than the others
    # stands out even when every station aired about the same
    cuts = [(0.95, BLUES[3]), (0.8, BLUES[2]), (0.5, BLUES[1]), (0.0, BLUES[0])]
    colours = []
    for p in points:
        if math.isnan(p.value):
            colours.append(NO_DATA)
        elif p.value <= 0:
            colours.append(SILENT)
        else:
            colours.append(next(c for share, c in cuts if p.value >= share * median))
    legend = []
    for i, (share, colour) in enumerate(cuts):
        low = round(share * median)
        if i == 0:
            label = f">= {fmt_num(low, lang)}"
        else:
            high = round(cuts[i - 1][0] * median)
            label = f"{fmt_num(max(low, 1) if share == 0 else low, lang)} - <{fmt_num(high, lang)}"
        legend.append((colour, label))
    legend.append((SILENT, "0"))
    if any(math.isnan(p.value) for p in points):
        legend.append((NO_DATA, "-"))
    return colours, legend


def layout(report: Report, width: int = WIDTH) -> Layout | None:
    """Where everything goes; None when no station in scope has a known position."""
    points = [p for p in report.points if not (math.isnan(p.lat) or math.isnan(p.lon))]
    if not points:
        return None
    places = [p for p in report.places if not (math.isnan(p.lat) or math.isnan(p.lon))]
    lats = [p.lat for p in points]
    lons = [p.lon for p in points]
    span_lat = max(max(lats) - min(lats), 0.02)
    span_lon = max(max(lons) - min(lons), 0.02)
    lat0 = (max(lats) + min(lats)) / 2
    lon0 = (max(lons) + min(lons)) / 2
    south, north = lat0 - span_lat * 0.58, lat0 + span_lat * 0.58
    west, east = lon0 - span_lon * 0.58, lon0 + span_lon * 0.58
    km_x = KM_PER_DEGREE_LON_EQUATOR * math.cos(math.radians(lat0))
    width_km = (east - west) * km_x
    height_km = (north - south) * KM_PER_DEGREE_LAT
    px_per_km = min(width / width_km, MAX_HEIGHT * width / WIDTH / height_km)
    height = round(height_km * px_per_km)

    def xy(lat: float, lon: float) -> tuple[float, float]:
        return ((lon - west) * km_x * px_per_km, (north - lat) * KM_PER_DEGREE_LAT * px_per_km)

    def inside(x: float, y: float) -> bool:
        return -20 <= x <= width + 20 and -20 <= y <= height + 20

    by_district: dict[str, list[tuple[float, float]]] = {}
    for place in places:
        by_district.setdefault(place.district_name, []).append(xy(place.lat, place.lon))
    hulls = [(name, _hull(pts)) for name, pts in sorted(by_district.items())
             if any(inside(x, y) for x, y in pts)]
    labels = []
    for name, pts in sorted(by_district.items()):
        cx = sum(x for x, _y in pts) / len(pts)
        cy = sum(y for _x, y in pts) / len(pts)
        if 10 <= cx <= width - 10 and 10 <= cy <= height - 10 and name:
            labels.append((cx, cy, _short(name)))
    in_scope = {(p.code, p.lat, p.lon) for p in points}  # a reused code is another unit
    context = [xy(p.lat, p.lon) for p in places if (p.code, p.lat, p.lon) not in in_scope]
    context = [(x, y) for x, y in context if inside(x, y)]
    colours, legend = _colours(points, report.map_scale, report.lang)
    dots = [Dot(p.code, *xy(p.lat, p.lon), colour, f"{p.name} ({p.code}): {p.label}")
            for p, colour in zip(points, colours, strict=True)]
    radius = max(3.0, min(7.0, 900 / math.sqrt(len(points) + 1) / math.sqrt(
        width_km * height_km))) * width / WIDTH
    km = next(k for k in (1, 2, 5, 10, 20, 50) if k * px_per_km >= width / 8)
    return Layout(width, height, hulls, context, dots, radius, labels, legend,
                  (km * px_per_km, f"{km} km"))


def to_svg(report: Report) -> str:
    """The map as inline SVG: one ``circle class="station"`` per station in scope."""
    drawn = layout(report)
    if drawn is None:
        return ""
    esc = html.escape
    w, h = drawn.width, drawn.height
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="map" viewBox="0 0 {w} {h}" '
             f'width="{w}" height="{h}" role="img" aria-label="{esc(report.map_caption)}">',
             f'<rect x="0" y="0" width="{w}" height="{h}" fill="#f4f7fa"/>',
             '<g class="districts" fill="#e3eaf1" stroke="#9fb3c8" stroke-width="1">']
    for name, outline in drawn.hulls:
        if len(outline) >= 3:
            pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in outline)
            parts.append(f'<polygon points="{pts}"><title>{esc(name)}</title></polygon>')
    parts.append('</g><g class="context" fill="#c9c9c9">')
    parts += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="1.8"/>' for x, y in drawn.context]
    parts.append('</g><g class="labels" font-size="11" fill="#44556a" text-anchor="middle" '
                 'font-family="sans-serif">')
    parts += [f'<text x="{x:.1f}" y="{y:.1f}">{esc(text)}</text>' for x, y, text in drawn.labels]
    parts.append('</g><g class="stations" stroke="#333" stroke-width="0.6">')
    r = drawn.radius
    parts += [f'<circle class="station" data-code="{esc(d.code)}" cx="{d.x:.1f}" '
              f'cy="{d.y:.1f}" r="{r:.1f}" fill="{d.colour}"><title>{esc(d.title)}</title>'
              "</circle>" for d in drawn.dots]
    parts.append("</g>")
    parts.append(_svg_legend(drawn))
    parts.append("</svg>")
    return "".join(parts)


def _svg_legend(drawn: Layout) -> str:
    esc = html.escape
    rows = len(drawn.legend)
    box_h = 14 + rows * 18
    parts = [f'<g class="legend" font-size="11" font-family="sans-serif">'
             f'<rect x="8" y="8" width="150" height="{box_h}" fill="#ffffff" '
             'fill-opacity="0.9" stroke="#999"/>']
    for i, (colour, label) in enumerate(drawn.legend):
        y = 22 + i * 18
        parts.append(f'<circle cx="22" cy="{y - 4}" r="5" fill="{colour}" stroke="#333" '
                     f'stroke-width="0.6"/><text x="34" y="{y}">{esc(label)}</text>')
    length, text = drawn.scale
    y = drawn.height - 14
    parts.append(f'<line x1="12" y1="{y}" x2="{12 + length:.1f}" y2="{y}" stroke="#333" '
                 f'stroke-width="2"/><text x="{12 + length / 2:.1f}" y="{y - 5}" '
                 f'text-anchor="middle">{esc(text)}</text></g>')
    return "".join(parts)


def to_png(report: Report, width: int = 1600) -> bytes | None:
    """The same map as a PNG for the Word document (drawn at 2x, then halved for smooth
    edges). Texts are numbers only, so Pillow's own font serves; the caption says the
    rest."""
    drawn = layout(report, width * 2)
    if drawn is None:
        return None
    import io

    from PIL import Image, ImageDraw

    f = drawn.width / WIDTH  # the SVG's sizes, scaled to this drawing
    image = Image.new("RGB", (drawn.width, drawn.height), "#f4f7fa")
    draw = ImageDraw.Draw(image)
    for _name, outline in drawn.hulls:
        if len(outline) >= 3:
            draw.polygon(outline, fill="#e3eaf1", outline="#9fb3c8", width=round(f))
    small = 1.8 * f
    for x, y in drawn.context:
        draw.ellipse((x - small, y - small, x + small, y + small), fill="#c9c9c9")
    r = drawn.radius
    for d in drawn.dots:
        draw.ellipse((d.x - r, d.y - r, d.x + r, d.y + r), fill=d.colour, outline="#333333",
                     width=max(1, round(0.6 * f)))
    font = _font(round(11 * f))
    rows = len(drawn.legend)
    draw.rectangle((8 * f, 8 * f, 158 * f, (8 + 14 + rows * 18) * f), fill="#ffffff",
                   outline="#999999", width=max(1, round(f / 2)))
    for i, (colour, label) in enumerate(drawn.legend):
        cy, cx = (18 + i * 18) * f, 22 * f
        draw.ellipse((cx - 5 * f, cy - 5 * f, cx + 5 * f, cy + 5 * f), fill=colour,
                     outline="#333333", width=max(1, round(0.6 * f)))
        draw.text((34 * f, cy), _ascii(label), font=font, fill="#222222", anchor="lm")
    length, text = drawn.scale
    y = drawn.height - 14 * f
    draw.line((12 * f, y, 12 * f + length, y), fill="#333333", width=round(2 * f))
    draw.text((12 * f + length / 2, y - 5 * f), text, font=font, fill="#222222", anchor="mb")
    image = image.resize((drawn.width // 2, drawn.height // 2), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _font(size: int) -> Any:
    from PIL import ImageFont

    return ImageFont.load_default(size=size)


def _ascii(text: str) -> str:
    """Legend labels are numbers; keep them in the characters Pillow's font has."""
    return text.replace("≥", ">=").replace("–", "-")


def map_points(report: Report, points: list[tuple[Any, float | None, str]], scale: str,
               caption: str, places: list[Any]) -> None:
    """Fill the report's map: ``points`` are the units in scope, each a registry Station
    (the unit as the report names it, with its lat and lon: a reused code has a point per
    unit) with its value (None: nothing to show) and label; ``places`` every unit of the
    city on one day, for the outlines and the grey context dots."""
    nan = float("nan")
    report.points = [
        MapPoint(st.code, st.name, st.lat if st.lat is not None else nan,
                 st.lon if st.lon is not None else nan,
                 nan if value is None else float(value or 0.0), label)
        for st, value, label in points]
    report.places = [Place(s.code, s.lat if s.lat is not None else nan,
                           s.lon if s.lon is not None else nan, s.district, s.district_name)
                     for s in places]
    report.map_scale = scale
    report.map_caption = caption
