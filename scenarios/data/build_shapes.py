#!/usr/bin/env python3
"""Build scenarios/data/world_shapes.txt: simplified country outlines for blocsim's world maps.

Source: Natural Earth 1:110m admin-0 countries (public domain), v5.1.1 as shipped inside the
geopandas 0.14.4 wheel (geopandas/datasets/naturalearth_lowres). Needs `pip install pyshp`.

    pip download --no-deps -d /tmp/ne geopandas==0.14.4
    python3 scenarios/data/build_shapes.py --wheel /tmp/ne/geopandas-0.14.4-py3-none-any.whl

Only outer rings are kept (clockwise in the shapefile; holes such as Lesotho's in South Africa are
dropped, and the enclosed country is drawn on top). Each ring is simplified with the Douglas-Peucker algorithm (tolerance TOLERANCE degrees,
in plain lon/lat); rings whose simplified form has fewer than 4 points are dropped. Codes follow
scenarios/data/countries.csv: Natural Earth's `-99` (Kosovo) becomes XKX. Antarctica is left out.

Output format (UTF-8 text, one line per country, sorted by code):

    ISO3<TAB>ring|ring|...      ring = x,y x,y ...   (integers: degrees x 100; first point not repeated)
"""
import argparse
import zipfile
import tempfile
from pathlib import Path

TOLERANCE = 0.12  # degrees
SKIP = {"ATA"}
BASE = "geopandas/datasets/naturalearth_lowres/naturalearth_lowres"


def dp(points, tol):
    """Douglas-Peucker simplification of an open polyline (end points kept)."""
    if len(points) < 3:
        return list(points)
    (x0, y0), (x1, y1) = points[0], points[-1]
    dx, dy = x1 - x0, y1 - y0
    norm = (dx * dx + dy * dy) ** 0.5
    best, idx = -1.0, 0
    for i in range(1, len(points) - 1):
        px, py = points[i]
        if norm == 0:
            d = ((px - x0) ** 2 + (py - y0) ** 2) ** 0.5
        else:
            d = abs(dy * px - dx * py + x1 * y0 - y1 * x0) / norm
        if d > best:
            best, idx = d, i
    if best <= tol:
        return [points[0], points[-1]]
    left = dp(points[: idx + 1], tol)
    right = dp(points[idx:], tol)
    return left[:-1] + right


def simplify_ring(ring, tol):
    if ring[0] == ring[-1]:
        ring = ring[:-1]
    if len(ring) < 4:
        return ring
    # split the closed ring at its first point and the point farthest from it
    far = max(range(len(ring)), key=lambda i: (ring[i][0] - ring[0][0]) ** 2 + (ring[i][1] - ring[0][1]) ** 2)
    a = dp(ring[: far + 1], tol)
    b = dp(ring[far:] + [ring[0]], tol)
    return a[:-1] + b[:-1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wheel", required=True, help="path to geopandas-0.14.4-py3-none-any.whl")
    ap.add_argument("--out", default=str(Path(__file__).with_name("world_shapes.txt")))
    args = ap.parse_args()
    import shapefile  # pyshp

    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(args.wheel) as z:
            for n in z.namelist():
                if "/naturalearth_lowres/" in n:
                    z.extract(n, tmp)
        r = shapefile.Reader(str(Path(tmp) / BASE))
        fields = [f[0] for f in r.fields[1:]]
        lines = {}
        for sr in r.iterShapeRecords():
            rec = dict(zip(fields, sr.record))
            iso = rec["iso_a3"]
            if iso == "-99":
                assert rec["name"] == "Kosovo", rec
                iso = "XKX"
            if iso in SKIP:
                continue
            shp = sr.shape
            parts = list(shp.parts) + [len(shp.points)]
            rings = []
            for i in range(len(shp.parts)):
                ring = [tuple(p) for p in shp.points[parts[i]:parts[i + 1]]]
                area2 = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1]))
                if area2 > 0:  # counter-clockwise: a hole
                    continue
                s = simplify_ring(ring, TOLERANCE)
                if len(s) < 4:
                    continue
                rings.append(" ".join(f"{round(x * 100)},{round(y * 100)}" for x, y in s))
            if rings:
                assert iso not in lines, iso
                lines[iso] = rings
    with open(args.out, "w", encoding="utf-8", newline="\n") as f:
        for iso in sorted(lines):
            f.write(iso + "\t" + "|".join(lines[iso]) + "\n")
    print(f"wrote {len(lines)} countries to {args.out}")


if __name__ == "__main__":
    main()
