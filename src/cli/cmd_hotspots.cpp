#include "cli/commands.hpp"

#include "core/error.hpp"
#include "core/text.hpp"
#include "store/store.hpp"

#include <cstdio>
#include <iostream>

namespace hotref::cli {

const char* HotspotsCommand::details() const {
    return R"(Counts incidents of the period and categories in square grid cells, computes the
Getis-Ord Gi* z-score of every cell (binary distance band, the cell itself included, as
R spdep's localG), adjusts the p-values for false discoveries (Benjamini-Hochberg) and
bins them like ArcGIS's Gi_Bin (+-3/2/1 for 99/95/90 %). Cells at or above --confidence
that share an edge are dissolved (GEOS) into hotspot polygons, ranked by incidents and
named after their busiest street. The run, its cells and hotspots are stored.

Defaults: ASB only; every month stored; the data's extent; cell size by sfhotspot's rule
(shorter side of the bounding box / 50, floored to 100 m); band = cell size x sqrt(2)
(the 8 surrounding cells); hotspots at 95 % confidence.

Examples:
  hotref hotspots
  hotref hotspots --from 2025-06 --to 2025-08 --categories ij
  hotref hotspots --area geodata/derbyshire_force_area.gpkg --cell-size 200 --band 400
  hotref hotspots --categories "Public order,Criminal damage and arson" --confidence 99)";
}

void HotspotsCommand::add_options(po::options_description& options, po::positional_options_description&) {
    add_store_option(options);
    options.add_options()
        ("method", po::value<std::string>(&m_options.method)->default_value("gistar"), "gistar")
        ("from", po::value<std::string>(&m_options.from), "first month, YYYY-MM (default: first stored)")
        ("to", po::value<std::string>(&m_options.to), "last month, YYYY-MM (default: last stored)")
        ("categories,c", po::value<std::string>(&m_options.categories)->default_value("asb"),
         "asb, ij (offences Immediate Justice covers), all, or a comma-separated list of names")
        ("source", po::value<std::string>(&m_options.source),
         "partition source (police.uk, police.uk-api, force-export); default police.uk")
        ("area", po::value<std::string>(&m_options.area_path), "study area: polygons of a vector file")
        ("area-layer", po::value<std::string>(&m_options.area_layer), "layer of --area")
        ("cell-size", po::value<double>(&m_options.cell_size)->default_value(0),
         "grid cell size in metres (0: sfhotspot's rule)")
        ("band", po::value<double>(&m_options.band)->default_value(0),
         "neighbour distance band in metres (0: cell size x sqrt(2))")
        ("confidence", po::value<int>(&m_options.confidence)->default_value(95), "90, 95 or 99")
        ("top", po::value<int>(&m_top)->default_value(10), "how many hotspots to list")
        ("rerun", po::bool_switch(&m_options.rerun), "compute again even when an identical run is stored");
}

void HotspotsCommand::apply(const po::variables_map&) {
    if (m_options.cell_size < 0 || m_options.band < 0) {
        throw UsageError("--cell-size and --band must not be negative");
    }
    if (m_options.confidence != 90 && m_options.confidence != 95 && m_options.confidence != 99) {
        throw UsageError("--confidence must be 90, 95 or 99");
    }
    if (!m_options.area_layer.empty() && m_options.area_path.empty()) {
        throw UsageError("--area-layer needs --area");
    }
}

int HotspotsCommand::run() {
    store::Store store{m_store_path, false};
    const auto s = hotspot::run_hotspots(store, m_options);
    std::string cats;
    for (const auto& c : s.categories) {
        cats += (cats.empty() ? "" : ", ") + c;
    }
    std::printf("Gi* hotspots: %s, %s to %s, source %s\n", cats.c_str(), s.period_from.c_str(), s.period_to.c_str(),
                s.source.c_str());
    std::printf("  area       %s\n", s.area.c_str());
    std::printf("  incidents  %s at %s locations", with_commas(static_cast<std::int64_t>(s.incidents)).c_str(),
                with_commas(s.locations).c_str());
    if (s.incidents_outside > 0) {
        std::printf(" (%s outside the area left out)", with_commas(static_cast<std::int64_t>(s.incidents_outside)).c_str());
    }
    std::printf("\n  grid       %.0f m cells%s, %d x %d, %s study cells; mean %.3f, variance %.3f per cell\n",
                s.cell_size, s.cell_size_default ? " (sfhotspot's rule)" : "", s.columns, s.rows,
                with_commas(s.study_cells).c_str(), s.mean, s.variance);
    std::printf("  neighbours band %.1f m (%d cells with itself), binary weights\n", s.band, s.neighbours);
    std::printf("  cells      hot: %s at 99%%, %s at 95%%, %s at 90%%; cold: %s, %s, %s (FDR-adjusted)\n",
                with_commas(s.hot_cells[3]).c_str(), with_commas(s.hot_cells[2]).c_str(),
                with_commas(s.hot_cells[1]).c_str(), with_commas(s.cold_cells[3]).c_str(),
                with_commas(s.cold_cells[2]).c_str(), with_commas(s.cold_cells[1]).c_str());
    std::fflush(stdout);
    for (const auto& note : s.notes) {
        std::fprintf(stderr, "note: %s\n", note.c_str());
    }
    std::printf("\n%zu hotspot%s at %d%% confidence or more", s.hotspots.size(), s.hotspots.size() == 1 ? "" : "s",
                m_options.confidence);
    if (s.hotspots.empty()) {
        std::printf(".\n");
    } else {
        std::printf(" (the top %d):\n\n", std::min<int>(m_top, static_cast<int>(s.hotspots.size())));
        std::printf("%4s  %-7s %-36s %9s %7s %8s %9s %7s %6s %6s\n", "rank", "id", "name", "incidents", "share",
                    "area km2", "per km2", "PAI", "mean z", "conf");
        for (const auto& h : s.hotspots) {
            if (h.rank > m_top) {
                break;
            }
            std::printf("%4d  %-7s %-36s %9s %6.1f%% %8.3f %9s %7.1f %6.2f %5d%%\n", h.rank, h.code.c_str(),
                        h.name.substr(0, 36).c_str(), with_commas(static_cast<std::int64_t>(h.incidents)).c_str(),
                        100 * h.share, h.area_m2 / 1e6,
                        with_commas(static_cast<std::int64_t>(h.density_km2 + 0.5)).c_str(), h.pai, h.mean_z,
                        h.confidence);
        }
    }
    if (s.previous_run > 0) {
        std::printf("\nidentity against run %lld:", static_cast<long long>(s.previous_run));
        for (const auto& [event, n] : s.lineage_counts) {
            std::printf(" %d %s", n, event.c_str());
        }
        std::printf("\n");
    }
    if (s.unchanged) {
        std::printf("\nunchanged: run %lld in %s has the same parameters and input (--rerun computes again)\n",
                    static_cast<long long>(s.run_id), m_store_path.c_str());
    } else {
        std::printf("\nstored as run %lld in %s (%.2f s)\n", static_cast<long long>(s.run_id), m_store_path.c_str(),
                    s.seconds);
    }
    return 0;
}

} // namespace hotref::cli
