#!/usr/bin/python3
"""Opens a QGIS project with QGIS itself (headless), checks every layer is valid and
styled as the project says, and renders the project to a PNG in its own layer order.

  qgis_project_check.py PROJECT.qgs --png OUT.png [--size 1200x900] [--extent minx,miny,maxx,maxy]

Exit status 1 if the project cannot be read, a layer is invalid or has no features
where the project expects some, or the PNG is blank. Run with Debian's /usr/bin/python3.
"""
import argparse
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp/runtime-qgischeck")
os.makedirs(os.environ["XDG_RUNTIME_DIR"], mode=0o700, exist_ok=True)

from qgis.core import (QgsApplication, QgsMapRendererSequentialJob, QgsMapSettings,  # noqa: E402
                       QgsProject, QgsRectangle)
from qgis.PyQt.QtCore import QSize  # noqa: E402
from qgis.PyQt.QtGui import QColor  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("project")
    ap.add_argument("--png", required=True)
    ap.add_argument("--size", default="1200x900")
    ap.add_argument("--extent")
    a = ap.parse_args()

    app = QgsApplication([], False)
    app.initQgis()
    failed = 0
    project = QgsProject.instance()
    if not project.read(a.project):
        print(f"[FAIL] project {a.project}: cannot be read: {project.error()}")
        return 1
    print(f"[PASS] project {a.project}: title={project.title()!r} crs={project.crs().authid()}")
    if project.crs().authid() != "EPSG:27700":
        print("[FAIL] project CRS is not EPSG:27700")
        failed += 1
    order = project.layerTreeRoot().layerOrder()
    for layer in order:
        ok = layer.isValid()
        renderer = layer.renderer().type() if ok and layer.renderer() else None
        count = layer.featureCount() if ok else -1
        labels = layer.labelsEnabled() if ok else False
        print(f"[{'PASS' if ok else 'FAIL'}] layer {layer.name()}: valid={ok} features={count} "
              f"crs={layer.crs().authid()} renderer={renderer} labels={labels}")
        failed += 0 if ok else 1
    if not order:
        print("[FAIL] the project has no layers")
        failed += 1

    width, height = (int(v) for v in a.size.split("x"))
    settings = QgsMapSettings()
    settings.setLayers(order)
    settings.setDestinationCrs(project.crs())
    settings.setOutputSize(QSize(width, height))
    settings.setBackgroundColor(QColor(255, 255, 255))
    if a.extent:
        xmin, ymin, xmax, ymax = (float(v) for v in a.extent.split(","))
        settings.setExtent(QgsRectangle(xmin, ymin, xmax, ymax))
    else:
        settings.setExtent(project.viewSettings().defaultViewExtent() if not project.viewSettings().defaultViewExtent().isEmpty()
                           else order[-1].extent())
    job = QgsMapRendererSequentialJob(settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage()
    image.save(a.png)
    white = QColor(255, 255, 255).rgb()
    painted = sum(1 for x in range(0, width, 10) for y in range(0, height, 10) if image.pixel(x, y) != white)
    fraction = painted / ((width // 10 + 1) * (height // 10 + 1))
    ok = fraction > 0.01
    print(f"[{'PASS' if ok else 'FAIL'}] render {a.png}: {width}x{height}, painted {fraction:.3f}")
    failed += 0 if ok else 1
    print(f"SUMMARY: {len(order) + 2 - failed} passed, {failed} failed")
    app.exitQgis()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
