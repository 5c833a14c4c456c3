#!/usr/bin/env python3
"""Writes the small two-force police.uk fixtures of the force tests (deterministic).

nottinghamshire/2025-01 and 2025-03 (no 2025-02: a gap): ASB around Nottingham, Mansfield,
Worksop and Newark, plus 20 rows a month at Ilkeston and Derby (Derbyshire: outside the
force area). dyfed-powys/2025-01: a Welsh force (no bundled boundaries).
Run from this folder: python3 make_forces.py
"""
import os
import random

HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
          "Crime type,Last outcome category,Context\n")

NOTTS = [  # (lon, lat, street, lsoa name, rows per month)
    (-1.1500, 52.9530, "Upper Parliament Street", "Nottingham 039C", 70),
    (-1.1445, 52.9515, "Goose Gate", "Nottingham 039D", 45),
    (-1.1970, 53.1440, "Westgate", "Mansfield 008B", 40),
    (-1.1230, 53.3010, "Bridge Street", "Bassetlaw 006A", 30),
    (-0.8100, 53.0760, "Middle Gate", "Newark and Sherwood 009C", 25),
]
NOTTS_STRAYS = [
    (-1.3090, 52.9710, "Bath Street", "Erewash 003A", 15),
    (-1.4776, 52.9225, "Corporation Street", "Derby 015B", 5),
]
WELSH = [
    (-4.0820, 52.4150, "Terrace Road", "Ceredigion 003A", 40),
    (-4.3060, 51.8570, "Lammas Street", "Carmarthenshire 015B", 30),
    (-3.3790, 52.2420, "Middleton Street", "Powys 010C", 20),
]


def rows(month, force, places, rng):
    out = []
    for lon, lat, street, lsoa, n in places:
        # a few snap points per place, as police.uk anonymises to nearby points
        points = [(lon + rng.randint(-25, 25) / 10000, lat + rng.randint(-15, 15) / 10000) for _ in range(6)]
        for i in range(n):
            x, y = points[i % len(points)]
            out.append(f",{month},{force},{force},{x:.6f},{y:.6f},On or near {street},E01000000,{lsoa},"
                       "Anti-social behaviour,,\n")
    return out


def write(path, lines):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", newline="\n") as f:
        f.write(HEADER)
        f.writelines(lines)


rng = random.Random(16)
for month, extra in (("2025-01", 0), ("2025-03", 1)):
    places = [(lo, la, s, l, n + 5 * extra) for lo, la, s, l, n in NOTTS] + NOTTS_STRAYS
    write(f"nottinghamshire/{month}-nottinghamshire-street.csv", rows(month, "Nottinghamshire Police", places, rng))
write("dyfed-powys/2025-01-dyfed-powys-street.csv", rows("2025-01", "Dyfed-Powys Police", WELSH, rng))
