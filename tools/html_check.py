#!/usr/bin/python3
"""Real-client check of an HTML bulletin: QtWebKit (as shipped with Debian's PyQt5) loads the
page offscreen, renders it and prints it to an A4 PDF, the way a planner opens and prints it.

Fails (exit 1) unless the page loads, the inline SVG maps are drawn (pixels of the top
hotspots' red) and the page asked for no file or address outside itself. The caller checks
the printed PDF (pdfinfo, pdftotext).

  /usr/bin/python3 tools/html_check.py out/bulletin.html --png /tmp/page.png --pdf /tmp/printed.pdf
"""
import argparse
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PyQt5.QtCore import QSize, QUrl  # noqa: E402
from PyQt5.QtGui import QColor, QImage, QPainter  # noqa: E402
from PyQt5.QtNetwork import QNetworkAccessManager  # noqa: E402
from PyQt5.QtPrintSupport import QPrinter  # noqa: E402
from PyQt5.QtWebKitWidgets import QWebPage  # noqa: E402
from PyQt5.QtWidgets import QApplication  # noqa: E402


class Recorder(QNetworkAccessManager):
    """Records every request the page makes besides the page itself."""

    def __init__(self, page_url):
        super().__init__()
        self.page_url = page_url
        self.requests = []

    def createRequest(self, op, request, data=None):
        url = request.url().toString()
        if url != self.page_url and not url.startswith("data:"):
            self.requests.append(url)
        return super().createRequest(op, request, data)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("html")
    ap.add_argument("--png", required=True)
    ap.add_argument("--pdf", required=True)
    ap.add_argument("--min-red", type=int, default=200)
    args = ap.parse_args()

    app = QApplication(["html_check"])
    page = QWebPage()
    url = QUrl.fromLocalFile(os.path.abspath(args.html))
    recorder = Recorder(url.toString())
    page.setNetworkAccessManager(recorder)
    result = {}

    def loaded(ok):
        result["ok"] = ok
        app.quit()

    page.mainFrame().loadFinished.connect(loaded)
    page.mainFrame().load(url)
    app.exec_()
    if not result.get("ok"):
        print("html_check: the page did not load", file=sys.stderr)
        return 1

    frame = page.mainFrame()
    page.setViewportSize(QSize(820, 600))
    size = frame.contentsSize()
    page.setViewportSize(size)
    image = QImage(size, QImage.Format_ARGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    frame.render(painter)
    painter.end()
    image.save(args.png)
    red = 0
    for y in range(0, image.height(), 2):
        for x in range(0, image.width(), 2):
            c = QColor(image.pixel(x, y))
            if abs(c.red() - 204) < 25 and abs(c.green() - 26) < 25 and abs(c.blue() - 31) < 25:
                red += 1

    printer = QPrinter(QPrinter.HighResolution)
    printer.setOutputFormat(QPrinter.PdfFormat)
    printer.setPaperSize(QPrinter.A4)
    printer.setOutputFileName(args.pdf)
    frame.print_(printer)
    del printer

    problems = []
    if red < args.min_red:
        problems.append("only %d red pixels: the inline SVG maps were not drawn" % red)
    if recorder.requests:
        problems.append("the page asked for %s" % ", ".join(recorder.requests[:5]))
    print("html_check: %dx%d page, %d red pixels (sampled), printed to %s" % (size.width(), size.height(), red, args.pdf))
    for p in problems:
        print("html_check: " + p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
