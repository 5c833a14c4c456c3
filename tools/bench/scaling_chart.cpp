// hotref-scaling-chart: the national benchmark's scaling curve (tools/bench/national.sh).
//
// Reads the lines national.sh appends with --csv, "rows,locations,ingest_s,rows_per_s,peak_rss_mb",
// and draws ingest's cost per row (µs) and per stored location against the input size.
// Linear scaling is a flat line: a row costs the same in a store of 1 million rows as in
// one of 20 million.
//
// Usage: hotref-scaling-chart RESULTS.csv OUT.png

#include "draw/chart.hpp"

#include <algorithm>
#include <cstdio>
#include <exception>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

struct Point {
    double rows = 0;
    double locations = 0;
    double seconds = 0;
    double rss_mb = 0;
};

std::vector<Point> read_points(const std::string& path) {
    std::ifstream in{path};
    if (!in) {
        throw std::runtime_error(path + ": cannot be read");
    }
    std::vector<Point> points;
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
        ++number;
        if (line.empty()) {
            continue;
        }
        std::replace(line.begin(), line.end(), ',', ' ');
        std::istringstream fields{line};
        Point p;
        double rows_per_s = 0;
        if (!(fields >> p.rows >> p.locations >> p.seconds >> rows_per_s >> p.rss_mb) || p.rows <= 0 ||
            p.seconds <= 0) {
            throw std::runtime_error(path + ":" + std::to_string(number) +
                                     ": expected rows,locations,ingest_s,rows_per_s,peak_rss_mb");
        }
        points.push_back(p);
    }
    if (points.empty()) {
        throw std::runtime_error(path + ": no results");
    }
    std::sort(points.begin(), points.end(), [](const Point& a, const Point& b) { return a.rows < b.rows; });
    return points;
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: hotref-scaling-chart RESULTS.csv OUT.png\n");
        return 2;
    }
    try {
        const auto points = read_points(argv[1]);
        std::vector<std::string> labels;
        hotref::draw::Series per_row{"µs per row", {}, {0.80, 0.10, 0.10}, false};
        hotref::draw::Series rss{"peak RSS, MB / 100", {}, {0.35, 0.35, 0.35}, true};
        for (const auto& p : points) {
            char label[48];
            std::snprintf(label, sizeof label, "%.0f M rows, %.0fk loc.", p.rows / 1e6, p.locations / 1e3);
            labels.emplace_back(label);
            per_row.values.push_back(p.seconds / p.rows * 1e6);
            rss.values.push_back(p.rss_mb / 100);
        }
        hotref::draw::line_chart(argv[2], "hotref ingest: cost per row as the national store grows",
                                 "tools/bench/national.sh; flat = linear scaling", labels, {per_row, rss}, -1);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "hotref-scaling-chart: error: %s\n", e.what());
        return 1;
    }
    return 0;
}
