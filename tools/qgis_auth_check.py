#!/usr/bin/python3
"""QGIS itself, headless, reading hotref serve's OGC API - Features and vector tiles
with a bearer token, the way a hotspot manager sets it up in QGIS 3.22: an
authentication configuration of QGIS's built-in "ESRI token" method (it sends
`X-Esri-Authorization: Bearer TOKEN`, which hotref serve accepts), chosen on the
OGC API - Features connection.

  /usr/bin/python3 tools/qgis_auth_check.py --url http://127.0.0.1:8080 --token hr_... \
      --collection hotspots --expect-features 64 [--forbidden referrals] [--png out.png]

Exit 0 when every collection loads with the expected feature count (and every
--forbidden one does not), 1 otherwise.
"""
import argparse
import os
import sys
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import (QgsApplication, QgsAuthMethodConfig, QgsCoordinateReferenceSystem,  # noqa: E402
                       QgsMapRendererParallelJob, QgsMapSettings, QgsProject, QgsVectorLayer,
                       QgsVectorTileLayer)
from qgis.PyQt.QtCore import QSize  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--collection", action="append", default=[])
    ap.add_argument("--expect-features", type=int, action="append", default=[])
    ap.add_argument("--forbidden", action="append", default=[])
    ap.add_argument("--tiles", help="collection whose vector tiles to load with the token")
    ap.add_argument("--png")
    a = ap.parse_args()

    profile = tempfile.mkdtemp(prefix="qgis-auth-")
    QgsApplication.setPrefixPath("/usr", True)
    app = QgsApplication([], False, profile)
    app.initQgis()
    auth = QgsApplication.authManager()
    if not auth.setMasterPassword("hotref-test", True):
        print("FAIL cannot open QGIS's authentication database", file=sys.stderr)
        return 1
    cfg = QgsAuthMethodConfig("EsriToken")
    cfg.setName("hotref bearer token")
    cfg.setConfig("token", a.token)
    ok, cfg = auth.storeAuthenticationConfig(cfg)
    if not ok:
        print("FAIL cannot store the authentication configuration", file=sys.stderr)
        return 1
    authcfg = cfg.id()

    failures = 0
    layers = []
    for i, c in enumerate(a.collection):
        uri = f"url='{a.url}' typename='{c}' restrictToRequestBBOX='0' authcfg={authcfg}"
        lyr = QgsVectorLayer(uri, c, "OAPIF")
        n = len(list(lyr.getFeatures())) if lyr.isValid() else -1
        expected = a.expect_features[i] if i < len(a.expect_features) else None
        good = lyr.isValid() and n > 0 and (expected is None or n == expected)
        print(f"[{'PASS' if good else 'FAIL'}] oapif+token {c}: valid={lyr.isValid()} features={n}"
              + (f" expected={expected}" if expected is not None else ""))
        failures += 0 if good else 1
        if lyr.isValid():
            layers.append(lyr)
    for c in a.forbidden:
        lyr = QgsVectorLayer(f"url='{a.url}' typename='{c}' authcfg={authcfg}", c, "OAPIF")
        n = len(list(lyr.getFeatures())) if lyr.isValid() else 0
        good = n == 0
        print(f"[{'PASS' if good else 'FAIL'}] forbidden {c}: features={n}")
        failures += 0 if good else 1
    if a.tiles:
        src = f"type=xyz&url={a.url}/tiles/{a.tiles}/{{z}}/{{x}}/{{y}}.pbf&zmin=6&zmax=14&authcfg={authcfg}"
        vt = QgsVectorTileLayer(src, "tiles")
        print(f"[{'PASS' if vt.isValid() else 'FAIL'}] tiles+token {a.tiles}: valid={vt.isValid()}")
        failures += 0 if vt.isValid() else 1
        if vt.isValid():
            layers.append(vt)
    if a.png and layers:
        settings = QgsMapSettings()
        settings.setLayers(layers)
        settings.setDestinationCrs(QgsCoordinateReferenceSystem("EPSG:27700"))
        extent = None
        for lyr in layers:
            if isinstance(lyr, QgsVectorLayer):
                from qgis.core import QgsCoordinateTransform
                tr = QgsCoordinateTransform(lyr.crs(), settings.destinationCrs(), QgsProject.instance())
                e = tr.transformBoundingBox(lyr.extent())
                extent = e if extent is None else extent.combineExtentWith(e) or extent
        if extent is not None:
            settings.setExtent(extent)
        settings.setOutputSize(QSize(1000, 800))
        job = QgsMapRendererParallelJob(settings)
        job.start()
        job.waitForFinished()
        job.renderedImage().save(a.png, "png")
        print(f"rendered {a.png}")
    print(f"SUMMARY: {'OK' if failures == 0 else str(failures) + ' failed'}")
    return 1 if failures else 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # QGIS 3.22 can crash while tearing down network-backed layers at exit: skip the teardown.
    os._exit(code)
