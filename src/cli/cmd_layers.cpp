#include "cli/commands.hpp"

#include "core/error.hpp"
#include "core/text.hpp"
#include "store/store.hpp"

#include <cstdio>
#include <iostream>

namespace hotref::cli {

const char* LayersCommand::details() const {
    return R"(Writes the layers of a hotspot run (the latest of --method unless --run is given) into
--out: hotref.gpkg (EPSG:27700; layers hotspots, hotspot_cells, incidents, study_area,
each with a default QGIS style in layer_styles and metadata: title, period, method and
parameters, source and licence, generation time, classification), GeoJSON (RFC 7946,
WGS84) and FlatGeobuf of each layer, hotspots.csv, vector tiles (tiles/{z}/{x}/{y}.pbf,
Web Mercator) of hotspots and cells, and for KDE runs kde_density.tif. With --xlsx also
hotref.xlsx: the hotspots (with the bulletin's patrol windows), the referral KPIs, the latest
evaluation and the bulletin's district table, every figure as the other outputs publish it.

Disclosure control: the published profile (default, OFFICIAL) withholds counts from 1 to
--min-count - 1 with secondary suppression, withholds incident locations with fewer than
--min-count incidents, and folds a force's exact points into 100 m squares; the internal
profile (OFFICIAL-SENSITIVE) is for the force's own analysts.

Examples:
  hotref layers --out out/layers
  hotref layers --method kde --out out/kde-layers --overwrite
  hotref layers --xlsx --out out/layers --overwrite
  hotref layers --run 3 --profile internal --out /secure/analysts/run3)";
}

void LayersCommand::add_options(po::options_description& options, po::positional_options_description&) {
    add_store_option(options);
    options.add_options()
        ("run", po::value<std::int64_t>(&m_options.run_id)->default_value(0), "run id (0: the current run of --method)")
        ("method,m", po::value<std::string>(&m_options.method)->default_value(""),
         "patrol, gistar, kde or dbscan (default: the current patrol run, else Gi*)")
        ("force", po::value<std::string>(&m_options.force),
         "the current run of this force (needed when the store holds several forces)")
        ("out,o", po::value<std::string>(&m_options.out_dir)->default_value("out/layers"), "output folder")
        ("profile", po::value<std::string>(&m_profile)->default_value("published"), "published or internal")
        ("min-count", po::value<double>(&m_options.rules.min_count)->default_value(5),
         "published: the smallest count shown (at least 5)")
        ("overwrite", po::bool_switch(&m_options.overwrite), "replace layers already in --out")
        ("xlsx", po::bool_switch(&m_options.xlsx),
         "also hotref.xlsx: sheets Hotspots, KPIs, Evaluation, Districts and About (libxlsxwriter)")
        ("no-tiles", "skip the vector tiles")
        ("min-zoom", po::value<int>(&m_options.tiles_min_zoom)->default_value(8), "vector tiles: lowest zoom")
        ("max-zoom", po::value<int>(&m_options.tiles_max_zoom)->default_value(14), "vector tiles: highest zoom");
}

void LayersCommand::apply(const po::variables_map& vm) {
    m_options.profile = publish::profile_from_name(m_profile);
    m_options.vector_tiles = vm.count("no-tiles") == 0;
    if (m_options.profile == publish::Profile::published && m_options.rules.min_count < 5) {
        throw UsageError("--min-count below 5 is not allowed for the published profile");
    }
    if (m_options.tiles_min_zoom < 0 || m_options.tiles_max_zoom > 22 ||
        m_options.tiles_min_zoom > m_options.tiles_max_zoom) {
        throw UsageError("zooms must satisfy 0 <= --min-zoom <= --max-zoom <= 22");
    }
}

int LayersCommand::run() {
    store::Store store{m_store_path, store::OpenMode::read_only};
    const auto r = publish::write_layers(store, m_options);
    std::printf("layers of run %lld (%s), %s profile (%s) -> %s\n", static_cast<long long>(r.run_id), r.method.c_str(),
                publish::profile_name(m_options.profile), publish::classification(m_options.profile),
                m_options.out_dir.c_str());
    for (const auto& [layer, n] : r.features) {
        std::printf("  %-14s %s features\n", layer.c_str(), with_commas(n).c_str());
    }
    if (m_options.profile == publish::Profile::published) {
        std::printf("  disclosure     %s counts withheld (%s primary, %s secondary), %s locations with fewer than %.0f "
                    "incidents withheld",
                    with_commas(r.suppressed_primary + r.suppressed_secondary).c_str(),
                    with_commas(r.suppressed_primary).c_str(), with_commas(r.suppressed_secondary).c_str(),
                    with_commas(r.locations_withheld).c_str(), m_options.rules.min_count);
        if (r.points_generalised > 0) {
            std::printf(", %s exact points folded into 100 m squares", with_commas(r.points_generalised).c_str());
        }
        std::printf("\n  noise          %s published counts differ from the truth by 1 or 2 (cell-key perturbation)",
                    with_commas(r.perturbed).c_str());
        if (r.hotspots_withheld > 0) {
            std::printf("; %s hotspots of fewer than %.0f locations or incidents withheld",
                        with_commas(r.hotspots_withheld).c_str(), m_options.rules.min_count);
        }
        std::printf("\n");
        for (const auto& n : r.notes) {
            std::printf("  note           %s\n", n.c_str());
        }
    }
    std::fflush(stdout);
    if (r.features.count("hotspots") != 0 && r.features.at("hotspots") == 0) {
        std::fprintf(stderr, "note: run %lld found no hotspots: the hotspots layer is empty\n",
                     static_cast<long long>(r.run_id));
    }
    for (const auto& f : r.files) {
        std::printf("  wrote %s\n", f.c_str());
    }
    return 0;
}

} // namespace hotref::cli
