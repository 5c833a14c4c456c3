# Peer jobs in R for tools/bench/hotspots.sh (see tools/bench/HOTSPOTS.md).
#
#   Rscript tools/bench/hotspots_peers.R JOB POINTS.csv [PARAMS...]
#
# POINTS.csv: header "x,y", one row per incident, British National Grid metres.
# JOB (only the package a job needs is loaded):
#   gistar CELL BAND    spdep: counts per CELL m cell of the bounding-box grid (zero
#                       counts included), dnearneigh(centres, 0, BAND), include.self,
#                       nb2listw(style = "B"), localG, p.adjust(2 * pnorm(-|z|), "BH")
#   kde EPS H EDGE      spatstat: density.ppp(kernel = "quartic", sigma = H / sqrt(8),
#                       eps = EPS, edge = EDGE) over the points' bounding box
#   dbscan EPS MINPTS   dbscan::dbscan(xy, eps = EPS, minPts = MINPTS)
#
# Output (stdout), one "key value" per line: "seconds S" is the elapsed time of the
# algorithm calls only (system.time, after the CSV has been read), then "result_*"
# lines for the sanity checks.

args <- commandArgs(trailingOnly = TRUE)
if (length(args) < 2) stop("usage: hotspots_peers.R JOB POINTS.csv [PARAMS...]")
job <- args[1]
num <- function(i) as.numeric(args[i])

pts <- scan(args[2], what = list(x = 0, y = 0), sep = ",", skip = 1, quiet = TRUE)
x <- pts$x
y <- pts$y
out <- function(key, value) cat(key, " ", format(value, digits = 10, scientific = FALSE), "\n", sep = "")
out("points", length(x))

if (job == "gistar") {
  suppressPackageStartupMessages(library(spdep))
  cell <- num(3); band <- num(4)
  res <- NULL
  t <- system.time({
    # Grid over the bounding box, origin at (min x, min y). Centres are taken in
    # grid-local coordinates ((col + 0.5) * cell), which are exact in double, so a
    # centre-to-centre distance of exactly BAND is not lost to rounding.
    x0 <- min(x); y0 <- min(y)
    ncol <- max(1, ceiling((max(x) - x0) / cell))
    nrow <- max(1, ceiling((max(y) - y0) / cell))
    col <- pmin(floor((x - x0) / cell), ncol - 1)
    row <- pmin(floor((y - y0) / cell), nrow - 1)
    counts <- tabulate(row * ncol + col + 1, nbins = ncol * nrow)
    centres <- cbind(rep((seq_len(ncol) - 0.5) * cell, times = nrow),
                     rep((seq_len(nrow) - 0.5) * cell, each = ncol))
    nb <- dnearneigh(centres, 0, band)
    nb <- include.self(nb)
    lw <- nb2listw(nb, style = "B")
    z <- as.numeric(localG(counts, lw))
    q <- p.adjust(2 * pnorm(-abs(z)), "BH")
    res <- list(ncol = ncol, nrow = nrow, z = z, q = q, nb = nb)
  })
  out("seconds", unname(t["elapsed"]))
  out("result_grid", paste0(res$ncol, "x", res$nrow))
  out("result_cells", res$ncol * res$nrow)
  out("result_neighbours_max", max(card(res$nb)))
  out("result_hot99", sum(res$q <= 0.01 & res$z > 0))
  out("result_hot95", sum(res$q <= 0.05 & res$z > 0))
  out("result_hot90", sum(res$q <= 0.10 & res$z > 0))
  out("result_cold95", sum(res$q <= 0.05 & res$z < 0))
  out("result_max_z", max(res$z))
} else if (job == "kde") {
  suppressPackageStartupMessages(library(spatstat.explore))  # loads spatstat.geom too
  eps <- num(3); h <- num(4); edge <- as.logical(args[5])
  # spatstat's "quartic" template is (3/pi)(1 - r^2)^2 on the unit disc, whose
  # standard deviation (per coordinate) is 1/sqrt(8); sigma is that sd after scaling,
  # so a support radius of h is sigma = h / sqrt(8) (the cut-off is sqrt(8) * sigma = h).
  sigma <- h / sqrt(8)
  D <- NULL
  t <- system.time({
    X <- ppp(x, y, window = owin(range(x), range(y)), check = FALSE)
    D <- density.ppp(X, sigma = sigma, kernel = "quartic", eps = eps, edge = edge)
  })
  v <- as.vector(D$v) * 1e6                      # intensity per m^2 -> per km^2
  v <- v[!is.na(v)]
  m <- mean(v)
  out("seconds", unname(t["elapsed"]))
  out("result_sigma", sigma)
  out("result_grid", paste0(D$dim[2], "x", D$dim[1]))
  out("result_pixel", paste0(signif(D$xstep, 6), "x", signif(D$ystep, 6)))
  out("result_cells", length(v))
  out("result_mean_km2", m)
  out("result_max_km2", max(v))
  out("result_threshold_km2", 3 * m)
  out("result_hot_cells", sum(v >= 3 * m))
} else if (job == "dbscan") {
  suppressPackageStartupMessages(library(dbscan))
  eps <- num(3); minpts <- num(4)
  cl <- NULL
  xy <- cbind(x, y)
  t <- system.time(cl <- dbscan::dbscan(xy, eps = eps, minPts = minpts))
  out("seconds", unname(t["elapsed"]))
  out("result_clusters", length(unique(cl$cluster[cl$cluster > 0])))
  out("result_noise", sum(cl$cluster == 0))
} else {
  stop("unknown job '", job, "' (gistar, kde or dbscan)")
}
