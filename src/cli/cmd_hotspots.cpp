#include "cli/commands.hpp"
#include "publish/model.hpp"

#include "core/error.hpp"
#include "core/text.hpp"
#include "referral/kpi.hpp"
#include "store/incidents.hpp"
#include "store/status.hpp"
#include "store/store.hpp"

#include <algorithm>
#include <cstdio>
#include <iostream>

namespace hotref::cli {

const char* HotspotsCommand::details() const {
    return R"(Methods (docs/hotspots.md gives every formula and reference):
  patrol  (default) --count micro-places a patrol can cover, each at most --max-area
          (0.25 km2) and --max-diameter (800 m) across, made of 50 m cells that follow
          where the incidents are, chosen so that together they hold the most expected
          ASB of the coming month (each location's recency-weighted mean monthly count,
          halving every --half-life months back). Each is ranked by its expected
          incidents, with its PAI and the Gi* z of its core (100 m cells, FDR); the
          bulletin, referral links, evaluation and the service use the latest patrol run.
  gistar  counts incidents in square grid cells, computes each cell's
          Getis-Ord Gi* z-score (binary distance band, the cell itself included, as R
          spdep's localG), adjusts p for false discoveries (Benjamini-Hochberg) and bins
          like ArcGIS's Gi_Bin (+-3/2/1 for 99/95/90 %). Cells at or above --confidence
          that share an edge are dissolved (GEOS) into hotspots.
  kde     kernel density on the grid (quartic by default, scaled to integrate to 1);
          cells at or above --threshold are dissolved into hotspots; --geotiff writes
          the surface.
  dbscan  density-based clusters of the incident locations (minPts counts the point
          itself and co-located incidents); each cluster's concave hull is a hotspot.
Analytical hotspots are ranked by incidents; those larger than 0.25 km2 are reported,
and --max-area splits them around their local peaks. Hotspots are named after their busiest street, and keep their
code (H-0042) from one run of the same method and categories to the next.

Defaults: ASB only; every month stored (a period with months not stored is refused, naming
them, unless --allow-gaps); the only force stored (a store of several needs --force); the
force's districts from the bundled English force areas (Welsh forces: a hull of the points);
cell size by sfhotspot's rule (shorter side of the bounding box / 50, floored to 100 m);
band = cell size x sqrt(2).
A run with the same parameters over unchanged feeds is not computed twice.

Examples:
  hotref hotspots --area geodata/derbyshire_force_area.gpkg --from 2025-01 --to 2025-09
  hotref hotspots --count 10 --max-area 0.1 --max-diameter 500
  hotref hotspots --method gistar --area geodata/derbyshire_force_area.gpkg --cell-size 250
  hotref hotspots --from 2025-06 --to 2025-08 --categories ij
  hotref hotspots --force nottinghamshire --from 2025-01 --to 2025-12
  hotref hotspots --method kde --cell-size 50 --bandwidth 400 --geotiff out/kde.tif
  hotref hotspots --method dbscan --eps 100 --min-pts 15
  hotref hotspots --categories "Public order,Criminal damage and arson" --confidence 99)";
}

void HotspotsCommand::add_options(po::options_description& options, po::positional_options_description&) {
    add_store_option(options);
    options.add_options()
        ("method,m", po::value<std::string>(&m_options.method)->default_value("patrol"), "patrol, gistar, kde or dbscan")
        ("count,k", po::value<int>(&m_options.count)->default_value(20), "patrol: how many hotspots")
        ("max-area", po::value<double>(&m_options.max_area_km2)->default_value(0),
         "largest area of one hotspot in km2 (patrol: 0 means 0.25; gistar, kde, dbscan: splits larger ones)")
        ("max-diameter", po::value<double>(&m_options.max_diameter)->default_value(0),
         "patrol: largest distance across a hotspot in metres (0: 1.6 x sqrt(max area), 800 m)")
        ("half-life", po::value<double>(&m_options.half_life)->default_value(6),
         "patrol: months after which a month's incidents count half")
        ("from", po::value<std::string>(&m_options.from),
         "first month YYYY-MM, or day YYYY-MM-DD for sources with times (default: first stored)")
        ("to", po::value<std::string>(&m_options.to), "last month YYYY-MM or day YYYY-MM-DD (default: last stored)")
        ("categories,c", po::value<std::string>(&m_options.categories)->default_value("asb"),
         "asb, ij (offences Immediate Justice covers), all, or a comma-separated list of names")
        ("source", po::value<std::string>(&m_options.source),
         "partition source (police.uk, police.uk-api, force-export); default police.uk")
        ("force", po::value<std::string>(&m_options.force),
         "only this force's incidents (its \"Reported by\" name, or a unique part: nottinghamshire); needed when "
         "the store holds several forces; 'all': one run over every force")
        ("allow-gaps", po::bool_switch(&m_options.allow_gaps),
         "run over a period with months not in the store (they are named); without it such a period is refused")
        ("area", po::value<std::string>(&m_options.area_path), "study area: polygons of a vector file")
        ("area-layer", po::value<std::string>(&m_options.area_layer), "layer of --area")
        ("cell-size", po::value<double>(&m_options.cell_size)->default_value(0),
         "grid cell size in metres (0: sfhotspot's rule)")
        ("band", po::value<double>(&m_options.band)->default_value(0),
         "neighbour distance band in metres (0: cell size x sqrt(2))")
        ("confidence", po::value<int>(&m_options.confidence)->default_value(95), "gistar: 90, 95 or 99")
        ("kernel", po::value<std::string>(&m_options.kernel)->default_value("quartic"),
         "kde: quartic, epanechnikov, triweight, uniform or triangular")
        ("bandwidth", po::value<double>(&m_options.bandwidth)->default_value(0),
         "kde: kernel radius in metres (0: rule of thumb)")
        ("threshold", po::value<std::string>(&m_options.threshold)->default_value("mean:3"),
         "kde: hotspot cells, mean:K (K x the mean density) or top:F (top share F of cells)")
        ("geotiff", po::value<std::string>(&m_options.geotiff), "kde: write the density surface (per km2) here")
        ("eps", po::value<double>(&m_options.eps)->default_value(100), "dbscan: neighbourhood radius in metres")
        ("min-pts", po::value<double>(&m_options.min_pts)->default_value(15),
         "dbscan: incidents within eps for a core point, itself included")
        ("top", po::value<int>(&m_top)->default_value(10), "how many hotspots to list")
        ("profile", po::value<std::string>(&m_profile)->default_value("published"),
         "the list as published (counts with cell-key noise, small hotspots withheld, no z) or internal (true "
         "figures, OFFICIAL-SENSITIVE); the store always holds the true run")
        ("rerun", po::bool_switch(&m_options.rerun), "compute again even when an identical run is stored")
        ("permutations", po::value<int>(&m_options.permutations)->default_value(0),
         "gistar: pseudo p-values from N conditional permutations (0: normal approximation)")
        ("seed", po::value<std::uint64_t>(&m_options.seed)->default_value(1), "gistar: seed of the permutations")
        ("trends", po::bool_switch(&m_options.trends),
         "gistar: monthly Gi* per cell, Emerging Hot Spot categories (Mann-Kendall) and classes");
}

void HotspotsCommand::apply(const po::variables_map&) {
    if (m_top < 0) {
        throw UsageError("--top must be 0 or more");
    }
    if (m_options.cell_size < 0 || m_options.band < 0) {
        throw UsageError("--cell-size and --band must not be negative");
    }
    if (m_options.method != "patrol" && m_options.method != "gistar" && m_options.method != "kde" &&
        m_options.method != "dbscan") {
        throw UsageError("--method must be patrol, gistar, kde or dbscan, not '" + m_options.method + "'");
    }
    if (m_options.confidence != 90 && m_options.confidence != 95 && m_options.confidence != 99) {
        throw UsageError("--confidence must be 90, 95 or 99");
    }
    if (!m_options.area_layer.empty() && m_options.area_path.empty()) {
        throw UsageError("--area-layer needs --area");
    }
    publish::profile_from_name(m_profile);
}

namespace {

// The run's hotspots as the published profile shows them (the same gate as the layers).
void print_published(store::Store& store, const hotspot::RunSummary& s, bool patrol, bool gistar, int top) {
    publish::LoadOptions load;
    load.run_id = s.run_id;
    const auto model = publish::build_model(store, load, publish::Profile::published, publish::DisclosureRules{});
    const auto* layer = model.find("hotspots");
    std::printf("\n%s (OFFICIAL)\n", model.disclosure.rule.c_str());
    if (layer == nullptr || layer->features.empty() || top == 0) {
        std::printf("%zu hotspots published.\n", layer == nullptr ? std::size_t{0} : layer->features.size());
        return;
    }
    auto real = [&](const publish::ModelFeature& f, const char* field) {
        const int i = layer->field(field);
        const auto* v = i < 0 ? nullptr : std::get_if<double>(&f.values[static_cast<std::size_t>(i)]);
        return v == nullptr ? std::nan("") : *v;
    };
    auto text = [&](const publish::ModelFeature& f, const char* field) {
        const int i = layer->field(field);
        const auto* v = i < 0 ? nullptr : std::get_if<std::string>(&f.values[static_cast<std::size_t>(i)]);
        return v == nullptr ? std::string{} : *v;
    };
    auto integer = [&](const publish::ModelFeature& f, const char* field) {
        const int i = layer->field(field);
        const auto* v = i < 0 ? nullptr : std::get_if<std::int64_t>(&f.values[static_cast<std::size_t>(i)]);
        return v == nullptr ? std::int64_t{0} : *v;
    };
    std::printf("\n%zu hotspots published", layer->features.size());
    if (model.disclosure.hotspots_withheld > 0) {
        std::printf(", %lld withheld (fewer than 5 locations or incidents)",
                    static_cast<long long>(model.disclosure.hotspots_withheld));
    }
    std::printf(" (the top %d):\n\n", std::min<int>(top, static_cast<int>(layer->features.size())));
    std::printf("%4s  %-7s %-36s %9s %7s %8s %9s %7s%s\n", "rank", "id", "name", "incidents", "share", "area km2",
                "per km2", "PAI", patrol ? "  exp/month  conf" : gistar ? "  conf" : "");
    int shown = 0;
    for (const auto& f : layer->features) {
        if (++shown > top) {
            break;
        }
        const double n = real(f, "incidents");
        std::printf("%4lld  %-7s %-36s %9s %6.1f%% %8.3f %9s %7.1f", static_cast<long long>(integer(f, "rank")),
                    text(f, "code").c_str(), text(f, "name").substr(0, 36).c_str(),
                    std::isfinite(n) ? with_commas(static_cast<std::int64_t>(n)).c_str() : "<5",
                    100 * real(f, "share"), real(f, "area_km2"),
                    with_commas(static_cast<std::int64_t>(real(f, "density_km2") + 0.5)).c_str(), real(f, "pai"));
        const auto conf = integer(f, "confidence");
        if (patrol) {
            std::printf(" %10.1f %5s", real(f, "expected"), conf > 0 ? (std::to_string(conf) + "%").c_str() : "n.s.");
        } else if (gistar) {
            std::printf(" %5s", conf > 0 ? (std::to_string(conf) + "%").c_str() : "n.s.");
        }
        std::printf("\n");
    }
}

} // namespace

int HotspotsCommand::run() {
    store::Store store{m_store_path, false};
    const auto s = hotspot::run_hotspots(store, m_options);
    std::string cats;
    for (const auto& c : s.categories) {
        cats += (cats.empty() ? "" : ", ") + c;
    }
    const bool gistar = s.method == "gistar";
    const bool kde = s.method == "kde";
    const bool patrol = s.method == "patrol";
    const char* title = patrol ? "Patrol hotspots" : gistar ? "Gi* hotspots" : kde ? "KDE hotspots" : "DBSCAN hotspots";
    std::printf("%s: %s, %s to %s, source %s\n", title, cats.c_str(), s.period_from.c_str(), s.period_to.c_str(),
                s.source.c_str());
    if (!s.force.empty()) {
        std::printf("  force      %s\n", s.force.c_str());
    } else if (to_lower(m_options.force) == "all") {
        std::printf("  force      all forces in the store, in one run\n");
    }
    if (!s.missing_months.empty()) {
        std::printf("  gaps       %zu month(s) not stored, left out: %s\n", s.missing_months.size(),
                    store::month_list(s.missing_months).c_str());
    }
    std::printf("  area       %s\n", s.area.c_str());
    std::printf("  incidents  %s at %s locations", with_commas(static_cast<std::int64_t>(s.incidents)).c_str(),
                with_commas(s.locations).c_str());
    if (s.incidents_outside > 0) {
        std::printf(" (%s outside the area left out)",
                    with_commas(static_cast<std::int64_t>(s.incidents_outside)).c_str());
    }
    std::printf("\n");
    if (gistar || kde) {
        std::printf("  grid       %.0f m cells%s, %d x %d, %s study cells\n", s.cell_size,
                    s.cell_size_default ? " (sfhotspot's rule)" : "", s.columns, s.rows,
                    with_commas(s.study_cells).c_str());
    }
    std::printf("  method     %s\n", s.parameters.c_str());
    if (patrol) {
        double covered = 0, expected = 0;
        for (const auto& h : s.hotspots) {
            covered += h.area_m2;
            expected += h.expected;
        }
        std::printf("  covers     %.2f km2 holding %.1f of the %.1f incidents expected per month (%.1f%%)\n",
                    covered / 1e6, expected, s.expected_total, s.expected_total > 0 ? 100 * expected / s.expected_total : 0.0);
    }
    if (s.oversized > 0) {
        std::printf("  too big    %d hotspot%s larger than %.2f km2 (the largest %.2f km2): more than a patrol can "
                    "cover; --max-area %.2f splits them around their local peaks\n",
                    s.oversized, s.oversized == 1 ? " is" : "s are", hotspot::default_max_area_km2, s.largest_km2,
                    hotspot::default_max_area_km2);
    }
    if (gistar) {
        std::printf("  cells      hot: %s at 99%%, %s at 95%%, %s at 90%%; cold: %s, %s, %s (FDR-adjusted)\n",
                    with_commas(s.hot_cells[3]).c_str(), with_commas(s.hot_cells[2]).c_str(),
                    with_commas(s.hot_cells[1]).c_str(), with_commas(s.cold_cells[3]).c_str(),
                    with_commas(s.cold_cells[2]).c_str(), with_commas(s.cold_cells[1]).c_str());
    } else if (kde) {
        std::printf("  cells      %s at or above the threshold\n", with_commas(s.hot_cells[1]).c_str());
    }
    if (s.trend_months > 0) {
        std::printf("  trends     %d months; cells by Emerging Hot Spot category:", s.trend_months);
        std::vector<std::pair<std::int64_t, std::string>> sorted;
        for (const auto& [name, n] : s.trend_cells) {
            sorted.emplace_back(n, name);
        }
        std::sort(sorted.rbegin(), sorted.rend());
        bool first = true;
        for (const auto& [n, name] : sorted) {
            std::printf("%s %s %s", first ? "" : ",", with_commas(n).c_str(), name.c_str());
            first = false;
        }
        std::printf("%s\n", sorted.empty() ? " none" : "");
    }
    std::fflush(stdout);
    for (const auto& note : s.notes) {
        std::fprintf(stderr, "note: %s\n", note.c_str());
    }
    const auto profile = publish::profile_from_name(m_profile);
    if (profile == publish::Profile::published) {
        print_published(store, s, patrol, gistar, m_top);
    } else {
        std::printf("\nInternal profile (OFFICIAL-SENSITIVE): true figures, not for publication.\n");
    std::printf("\n%zu hotspot%s", s.hotspots.size(), s.hotspots.size() == 1 ? "" : "s");
        if (s.hotspots.empty() || m_top == 0) {
            std::printf(".\n");
        } else {
            std::printf(" (the top %d):\n\n", std::min<int>(m_top, static_cast<int>(s.hotspots.size())));
            std::printf("%4s  %-7s %-36s %9s %7s %8s %9s %7s", "rank", "id", "name", "incidents", "share", "area km2",
                        "per km2", "PAI");
            if (patrol) {
                std::printf(" %9s %6s %5s", "exp/month", "core z", "conf");
            } else if (gistar) {
                std::printf(" %6s %5s", "mean z", "conf");
                if (s.trend_months > 0) {
                    std::printf("  %s", "trend");
                }
            } else if (kde) {
                std::printf(" %10s", "peak/km2");
            }
            std::printf("\n");
            for (const auto& h : s.hotspots) {
                if (h.rank > m_top) {
                    break;
                }
                std::printf("%4d  %-7s %-36s %9s %6.1f%% %8.3f %9s %7.1f", h.rank, h.code.c_str(),
                            h.name.substr(0, 36).c_str(), with_commas(static_cast<std::int64_t>(h.incidents)).c_str(),
                            100 * h.share, h.area_m2 / 1e6,
                            with_commas(static_cast<std::int64_t>(h.density_km2 + 0.5)).c_str(), h.pai);
                if (patrol) {
                    std::printf(" %9.1f %6.2f %4s", h.expected, h.max_z,
                                h.confidence > 0 ? (std::to_string(h.confidence) + "%").c_str() : "n.s.");
                } else if (gistar) {
                    std::printf(" %6.2f %4d%%", h.mean_z, h.confidence);
                    if (s.trend_months > 0) {
                        std::printf("  %s", h.trend.c_str());
                    }
                } else if (kde) {
                    std::printf(" %10s", with_commas(static_cast<std::int64_t>(h.peak_density + 0.5)).c_str());
                }
                std::printf("\n");
            }
        }
    }
    if (s.previous_run > 0 && !s.lineage_counts.empty()) {
        std::printf("\nidentity against run %lld:", static_cast<long long>(s.previous_run));
        for (const auto& [event, n] : s.lineage_counts) {
            std::printf(" %d %s", n, event.c_str());
        }
        std::printf("\n");
    }
    // Referrals follow their hotspots: link them to the new run (history kept per run).
    if (!s.unchanged && store::count_referrals(store) > 0) {
        const auto links = referral::link_referrals(store, s.run_id, 250);
        std::printf("\nreferrals linked to this run: %lld inside hotspots, %lld within 250 m, %lld outside\n",
                    static_cast<long long>(links.inside), static_cast<long long>(links.near),
                    static_cast<long long>(links.outside + links.no_location));
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
