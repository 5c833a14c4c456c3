"""scikit-learn DBSCAN peer for tools/bench/hotspots.sh (see tools/bench/HOTSPOTS.md).

    /usr/bin/python3 tools/bench/hotspots_sklearn.py POINTS.csv EPS MINPTS NJOBS

POINTS.csv has the header "x,y" (one row per incident) or "x,y,n" (one row per
location, n incidents there: n is passed as sample_weight, so that a location counts
n times towards min_samples, as hotref counts it).

Output (stdout), one "key value" per line: "seconds S" is the elapsed time of
DBSCAN(...).fit only (time.perf_counter, after the CSV has been read), then
"result_*" lines for the sanity checks.
"""

import sys
import time

import numpy as np
from sklearn.cluster import DBSCAN


def main() -> None:
    if len(sys.argv) != 5:
        sys.exit("usage: hotspots_sklearn.py POINTS.csv EPS MINPTS NJOBS")
    path, eps, min_pts, n_jobs = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    with open(path) as f:
        header = f.readline().strip().split(",")
    data = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    xy = np.ascontiguousarray(data[:, :2])
    weight = data[:, 2] if header == ["x", "y", "n"] else None
    print(f"points {len(xy)}")

    model = DBSCAN(eps=eps, min_samples=min_pts, n_jobs=n_jobs)
    start = time.perf_counter()
    model.fit(xy, sample_weight=weight)
    seconds = time.perf_counter() - start

    labels = model.labels_
    noise = labels == -1
    print(f"seconds {seconds:.3f}")
    print(f"result_clusters {len(np.unique(labels[~noise]))}")
    print(f"result_noise {int(noise.sum() if weight is None else weight[noise].sum())}")


if __name__ == "__main__":
    main()
