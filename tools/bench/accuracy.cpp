// hotref-accuracy: out-of-sample capture of hotspot methods, rolling origin.
//
// For each origin month t: train on the stored months before t, test on t .. t+h-1.
// Every method picks its hotspots from the training months only; a hotspot set's
// capture is the share of the test months' incidents (in the study area) at
// locations inside it, and its PAI is that share over its share of the study area
// (Chainey, Tompson & Uhlig 2008). Methods, side by side for the same K:
//   patrol             hotref hotspots --method patrol (K, --max-area)
//   grid-150/250/500   the top K cells of a square grid by training count (what forces do)
//   gistar-250         hotref's Gi* hotspots on 250 m cells, whole hotspots by rank, trimmed
//                      to patrol's total area (the last one by its busiest cells)
//   kde-100            KDE (quartic, 300 m) on 100 m cells: the densest cells up to patrol's area
//   dbscan             hotref's DBSCAN hotspots (eps 100 m, minPts 15) by rank up to patrol's area
//
// Usage: hotref-accuracy --store S --area A [--origins 2025-07,2025-08,...] [--horizon 3]
//                        [--count 20] [--max-area 0.25] [--csv out.csv] [--chart out.png]
// The store is written to (the runs are stored): use a scratch copy.

#include "core/error.hpp"
#include "core/month.hpp"
#include "draw/chart.hpp"
#include "geo/area.hpp"
#include "geo/geos.hpp"
#include "hotspot/grid.hpp"
#include "hotspot/kde.hpp"
#include "hotspot/pipeline.hpp"
#include "store/incidents.hpp"
#include "store/runs.hpp"
#include "store/store.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

using namespace hotref;

struct Located {
    double x, y, train, test;
};

struct Score {
    double capture = 0; // share of test incidents
    double area_km2 = 0;
    double pai = 0;
    int hotspots = 0;
};

std::string month_add(const std::string& m, int k) {
    const auto p = Month::parse(m);
    if (!p) {
        throw UsageError("bad month '" + m + "'");
    }
    const int i = p->index() + k;
    return Month{i / 12, i % 12 + 1}.str();
}

// Capture of polygons (WKB), in order, optionally up to an area budget.
Score score_polygons(const geo::Context& ctx, const std::vector<store::StoredHotspot>& hs,
                     const std::vector<Located>& pts, double test_total, double study_m2, double budget_m2, int k,
                     double trim_cell) {
    Score s;
    std::vector<char> in(pts.size(), 0);
    double used = 0;
    for (const auto& h : hs) {
        if (s.hotspots >= k || used >= budget_m2 - 1e-6) {
            break;
        }
        geo::PreparedGeometry g{ctx, ctx.from_wkb(h.wkb)};
        if (used + h.area_m2 <= budget_m2 + 1e-6) {
            for (std::size_t i = 0; i < pts.size(); ++i) {
                if (in[i] == 0 && g.covers_point(pts[i].x, pts[i].y)) {
                    in[i] = 1;
                }
            }
            used += h.area_m2;
        } else {
            // The last hotspot: its busiest cells (by training count) up to the budget.
            std::map<std::pair<long, long>, std::pair<double, std::vector<std::size_t>>> cells;
            for (std::size_t i = 0; i < pts.size(); ++i) {
                if (in[i] == 0 && g.covers_point(pts[i].x, pts[i].y)) {
                    auto& c = cells[{std::lround(std::floor(pts[i].x / trim_cell)), std::lround(std::floor(pts[i].y / trim_cell))}];
                    c.first += pts[i].train;
                    c.second.push_back(i);
                }
            }
            std::vector<std::pair<double, std::vector<std::size_t>>> ranked;
            for (auto& [key, c] : cells) {
                ranked.push_back(std::move(c));
            }
            std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
            for (const auto& c : ranked) {
                if (used + trim_cell * trim_cell > budget_m2 + 1e-6) {
                    break;
                }
                for (const auto i : c.second) {
                    in[i] = 1;
                }
                used += trim_cell * trim_cell;
            }
        }
        ++s.hotspots;
    }
    double caught = 0;
    for (std::size_t i = 0; i < pts.size(); ++i) {
        caught += in[i] != 0 ? pts[i].test : 0;
    }
    s.capture = test_total > 0 ? caught / test_total : 0;
    s.area_km2 = used / 1e6;
    s.pai = used > 0 ? s.capture / (used / study_m2) : 0;
    return s;
}

// The top k cells of a grid of `cell` m (origin at 0, 0) by training count.
Score score_grid(const std::vector<Located>& pts, double cell, int k, double test_total, double study_m2) {
    std::map<std::pair<long, long>, std::pair<double, double>> cells; // train, test
    for (const auto& p : pts) {
        auto& c = cells[{std::lround(std::floor(p.x / cell)), std::lround(std::floor(p.y / cell))}];
        c.first += p.train;
        c.second += p.test;
    }
    std::vector<std::pair<double, double>> ranked;
    for (const auto& [key, c] : cells) {
        if (c.first > 0) {
            ranked.push_back(c);
        }
    }
    std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    Score s;
    double caught = 0;
    for (std::size_t i = 0; i < ranked.size() && static_cast<int>(i) < k; ++i) {
        caught += ranked[i].second;
        ++s.hotspots;
    }
    s.area_km2 = s.hotspots * cell * cell / 1e6;
    s.capture = test_total > 0 ? caught / test_total : 0;
    s.pai = s.area_km2 > 0 ? s.capture / (s.area_km2 * 1e6 / study_m2) : 0;
    return s;
}

// KDE densest cells up to the budget.
Score score_kde(const std::vector<Located>& pts, const geo::StudyArea& area, double budget_m2, double test_total,
                double study_m2) {
    constexpr double cell = 100;
    std::vector<hotspot::WeightedPoint> wp;
    for (const auto& p : pts) {
        if (p.train > 0) {
            wp.push_back({p.x, p.y, p.train});
        }
    }
    const auto b = area.bounds();
    const hotspot::Grid grid{hotspot::Bounds{b[0], b[1], b[2], b[3]}, cell};
    const auto surface = hotspot::kde(grid, wp, 300, hotspot::Kernel::quartic);
    std::vector<std::pair<double, std::int64_t>> ranked;
    for (std::int64_t i = 0; i < grid.size(); ++i) {
        if (surface.raw[static_cast<std::size_t>(i)] > 0) {
            ranked.emplace_back(surface.raw[static_cast<std::size_t>(i)], i);
        }
    }
    std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& c) {
        return a.first != c.first ? a.first > c.first : a.second < c.second;
    });
    const auto n = std::min(ranked.size(), static_cast<std::size_t>(std::floor(budget_m2 / (cell * cell) + 1e-9)));
    std::vector<char> chosen(static_cast<std::size_t>(grid.size()), 0);
    for (std::size_t i = 0; i < n; ++i) {
        chosen[static_cast<std::size_t>(ranked[i].second)] = 1;
    }
    double caught = 0;
    for (const auto& p : pts) {
        const auto i = grid.index_of(p.x, p.y);
        if (i >= 0 && chosen[static_cast<std::size_t>(i)] != 0) {
            caught += p.test;
        }
    }
    Score s;
    s.hotspots = static_cast<int>(n);
    s.area_km2 = static_cast<double>(n) * cell * cell / 1e6;
    s.capture = test_total > 0 ? caught / test_total : 0;
    s.pai = s.area_km2 > 0 ? s.capture / (s.area_km2 * 1e6 / study_m2) : 0;
    return s;
}

std::vector<std::string> split(const std::string& s) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= s.size()) {
        const auto comma = s.find(',', start);
        out.push_back(s.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
        if (comma == std::string::npos) {
            break;
        }
        start = comma + 1;
    }
    return out;
}

int run(int argc, char** argv) {
    std::string store_path, area_path, csv_path, chart_path, categories = "asb";
    std::vector<std::string> origins{"2025-07", "2025-08", "2025-09", "2025-10"};
    int horizon = 3, count = 20;
    double max_area = 0.25, half_life = 6, max_diameter = 0, fine_cell = 50;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) {
                throw UsageError(a + " needs a value");
            }
            return argv[++i];
        };
        if (a == "--store") store_path = next();
        else if (a == "--area") area_path = next();
        else if (a == "--origins") origins = split(next());
        else if (a == "--horizon") horizon = std::stoi(next());
        else if (a == "--count") count = std::stoi(next());
        else if (a == "--max-area") max_area = std::stod(next());
        else if (a == "--half-life") half_life = std::stod(next());
        else if (a == "--max-diameter") max_diameter = std::stod(next());
        else if (a == "--fine-cell") fine_cell = std::stod(next());
        else if (a == "--categories") categories = next();
        else if (a == "--csv") csv_path = next();
        else if (a == "--chart") chart_path = next();
        else throw UsageError("unknown argument " + a);
    }
    if (store_path.empty() || area_path.empty()) {
        throw UsageError("usage: hotref-accuracy --store S --area A [--origins M,M] [--horizon 3] [--count 20] "
                         "[--max-area 0.25] [--csv F] [--chart F.png]");
    }
    store::Store store{store_path, false};
    const auto area = geo::StudyArea::from_file(area_path);
    const double study_m2 = area.area_m2();
    const auto months = store::stored_months(store, "police.uk");
    geo::Context ctx;
    std::vector<std::string> names{"patrol", "grid-150", "grid-250", "grid-500", "gistar-250", "kde-100", "dbscan"};
    std::map<std::string, std::vector<Score>> scores;
    std::FILE* csv = csv_path.empty() ? nullptr : std::fopen(csv_path.c_str(), "w");
    if (csv != nullptr) {
        std::fprintf(csv, "origin,method,hotspots,area_km2,capture,pai\n");
    }
    std::vector<std::string> cats;
    const auto cat_ids = hotspot::resolve_categories(store, categories, cats);
    for (const auto& t : origins) {
        const std::string train_to = month_add(t, -1);
        const std::string test_to = month_add(t, horizon - 1);
        store::IncidentQuery train_q{months.front(), train_to, cat_ids, "police.uk", "", "", ""};
        store::IncidentQuery test_q{t, test_to, cat_ids, "police.uk", "", "", ""};
        std::unordered_map<std::int64_t, Located> pts_by_id;
        for (const auto& l : store::location_counts(store, train_q)) {
            if (area.contains(l.easting, l.northing)) {
                pts_by_id[l.location_id] = Located{l.easting, l.northing, l.count, 0};
            }
        }
        double test_total = 0;
        for (const auto& l : store::location_counts(store, test_q)) {
            if (area.contains(l.easting, l.northing)) {
                auto& p = pts_by_id.try_emplace(l.location_id, Located{l.easting, l.northing, 0, 0}).first->second;
                p.test += l.count;
                test_total += l.count;
            }
        }
        std::vector<std::pair<std::int64_t, Located>> sorted(pts_by_id.begin(), pts_by_id.end());
        std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
        std::vector<Located> pts;
        for (const auto& [id, p] : sorted) {
            pts.push_back(p);
        }
        auto run_method = [&](hotspot::HotspotOptions o) {
            o.from = months.front();
            o.to = train_to;
            o.area_path = area_path;
            o.categories = categories;
            const auto sum = hotspot::run_hotspots(store, o);
            return store::read_hotspots(store, sum.run_id);
        };
        hotspot::HotspotOptions patrol;
        patrol.method = "patrol";
        patrol.count = count;
        patrol.max_area_km2 = max_area;
        patrol.half_life = half_life;
        patrol.max_diameter = max_diameter;
        patrol.patrol_cell = fine_cell;
        const auto p = score_polygons(ctx, run_method(patrol), pts, test_total, study_m2, 1e18, count, 50);
        const double budget = p.area_km2 * 1e6;
        std::map<std::string, Score> row;
        row["patrol"] = p;
        row["grid-150"] = score_grid(pts, 150, count, test_total, study_m2);
        row["grid-250"] = score_grid(pts, 250, count, test_total, study_m2);
        row["grid-500"] = score_grid(pts, 500, count, test_total, study_m2);
        hotspot::HotspotOptions gi;
        gi.method = "gistar";
        gi.cell_size = 250;
        row["gistar-250"] = score_polygons(ctx, run_method(gi), pts, test_total, study_m2, budget, 1 << 30, 250);
        row["kde-100"] = score_kde(pts, area, budget, test_total, study_m2);
        hotspot::HotspotOptions db;
        db.method = "dbscan";
        row["dbscan"] = score_polygons(ctx, run_method(db), pts, test_total, study_m2, budget, 1 << 30, 50);
        std::printf("origin %s: train %s..%s, test %s..%s (%.0f incidents)\n", t.c_str(), months.front().c_str(),
                    train_to.c_str(), t.c_str(), test_to.c_str(), test_total);
        for (const auto& n : names) {
            const auto& s = row[n];
            std::printf("  %-11s %4d hotspots %6.2f km2  capture %5.1f%%  PAI %6.1f\n", n.c_str(), s.hotspots,
                        s.area_km2, 100 * s.capture, s.pai);
            if (csv != nullptr) {
                std::fprintf(csv, "%s,%s,%d,%.4f,%.5f,%.2f\n", t.c_str(), n.c_str(), s.hotspots, s.area_km2,
                             s.capture, s.pai);
            }
            scores[n].push_back(s);
        }
    }
    if (csv != nullptr) {
        std::fclose(csv);
    }
    std::printf("\nmean over %zu origins (K = %d, cap %.2f km2, test horizon %d months)\n", origins.size(), count,
                max_area, horizon);
    std::printf("| method | hotspots | area km2 | capture | PAI |\n|---|---:|---:|---:|---:|\n");
    double best_grid = 0;
    for (const auto& n : names) {
        Score m;
        for (const auto& s : scores[n]) {
            m.capture += s.capture / static_cast<double>(origins.size());
            m.area_km2 += s.area_km2 / static_cast<double>(origins.size());
            m.pai += s.pai / static_cast<double>(origins.size());
            m.hotspots += s.hotspots;
        }
        std::printf("| %s | %.1f | %.2f | %.1f %% | %.1f |\n", n.c_str(),
                    static_cast<double>(m.hotspots) / static_cast<double>(origins.size()), m.area_km2,
                    100 * m.capture, m.pai);
        if (n.rfind("grid-", 0) == 0 && std::stod(n.substr(5)) * std::stod(n.substr(5)) <= max_area * 1e6 + 1e-6) {
            best_grid = std::max(best_grid, m.capture);
        }
    }
    double patrol_mean = 0;
    for (const auto& s : scores["patrol"]) {
        patrol_mean += s.capture / static_cast<double>(origins.size());
    }
    std::printf("\npatrol / best top-%d grid with cells within the cap: %.2fx\n", count,
                best_grid > 0 ? patrol_mean / best_grid : 0.0);
    if (!chart_path.empty()) {
        std::vector<draw::Series> series;
        const draw::Colour colours[] = {{0.80, 0.10, 0.10}, {0.55, 0.55, 0.55}, {0.35, 0.35, 0.35}, {0.10, 0.10, 0.10},
                                        {0.10, 0.35, 0.75}, {0.20, 0.60, 0.30}, {0.60, 0.35, 0.70}};
        for (std::size_t i = 0; i < names.size(); ++i) {
            draw::Series s{names[i], {}, colours[i], names[i].rfind("grid-", 0) == 0};
            for (const auto& sc : scores[names[i]]) {
                s.values.push_back(100 * sc.capture);
            }
            series.push_back(std::move(s));
        }
        draw::line_chart(chart_path, "Next " + std::to_string(horizon) + " months' ASB caught (%), top " +
                                         std::to_string(count) + " hotspots",
                         "x: first test month (trained on the months before it)", origins, series, -1);
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const hotref::UsageError& e) {
        std::fprintf(stderr, "hotref-accuracy: %s\n", e.what());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "hotref-accuracy: %s\n", e.what());
        return 1;
    }
}
