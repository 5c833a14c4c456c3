#include "cli/commands.hpp"

#include "core/error.hpp"
#include "core/text.hpp"
#include "geo/area.hpp"
#include "ingest/ingester.hpp"
#include "ingest/report.hpp"
#include "hotref/v1/store.pb.h"
#include "store/store.hpp"

#include <google/protobuf/util/json_util.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>

namespace hotref::cli {

const char* IngestCommand::details() const {
    return R"(PATH may be a data.police.uk street-level CSV (or .csv.gz), a folder tree as in the
monthly archive (YYYY-MM/YYYY-MM-<force>-street.csv), the archive .zip itself, or a
police.uk API crimes-street / crimes-at-location JSON response (.json). With --mapping,
every CSV is a force's own incident export described by the mapping (docs/formats.md).

Each file is one transaction. A file whose (source, force, month) partitions are
already held by identical content changes nothing; a new version replaces them.
Rows with no or (0,0) coordinates, or outside the area, are rejected and reported
(see 'hotref status --rejects'); a wrong header fails the file and stores nothing of it.

Examples:
  hotref ingest geodata/police-uk/derbyshire-2025
  hotref ingest --area geodata/derbyshire_force_area.gpkg 2025-01-derbyshire-street.csv
  hotref ingest ~/Downloads/2025-06.zip
  hotref ingest --api-force "Derbyshire Constabulary" crimes-street-2025-06.json
  hotref ingest --mapping docs/examples/force-export-mapping.json incidents-2025.csv

Exit status: 0 all files stored or unchanged; 1 a file failed or the store could not
be written; 2 bad arguments.)";
}

void IngestCommand::add_options(po::options_description& options, po::positional_options_description& positional) {
    add_store_option(options);
    options.add_options()
        ("path", po::value<std::vector<std::string>>(&m_paths), "files, folders or archives to ingest")
        ("mapping,m", po::value<std::string>(&m_mapping), "force export column mapping (JSON); CSVs are force exports")
        ("api-force", po::value<std::string>(&m_api_force)->default_value("police.uk API"),
         "partition label for police.uk API JSON feeds (the API names no force)")
        ("area", po::value<std::string>(&m_area),
         "keep only incidents inside the polygons of this vector file (default: England and Wales)")
        ("area-layer", po::value<std::string>(&m_area_layer), "layer of --area (default: its first layer)")
        ("report-json", po::value<std::string>(&m_report_json), "write the ingest report as JSON to this file")
        ("reingest", po::bool_switch(&m_reingest),
         "store files even when identical content is stored (e.g. after changing --area)")
        ("encoding", po::value<std::string>(&m_encoding)->default_value("utf-8"),
         "text encoding of CSV files: utf-8, or windows-1252 for old Excel exports")
        ("quiet,q", po::bool_switch(&m_quiet), "print only warnings and errors");
    m_limit_options.add(options, true);
    positional.add("path", -1);
}

void IngestCommand::apply(const po::variables_map&) {
    if (m_paths.empty()) {
        throw UsageError("give at least one file, folder or archive to ingest (see 'hotref ingest -h')");
    }
    if (!m_area_layer.empty() && m_area.empty()) {
        throw UsageError("--area-layer needs --area");
    }
    m_encoding_value = ingest::parse_encoding(m_encoding);
    m_limits = m_limit_options.parse();
}

namespace {

void print_file(const ingest::FileReport& r, bool quiet) {
    if (r.status == "failed") {
        std::cerr << "error: " << r.message << "\n";
        return;
    }
    if (!quiet) {
        if (r.status == "unchanged") {
            std::cout << "unchanged  " << r.name << "  (" << r.message << ")\n";
        } else {
            std::cout << "stored     " << r.name << "  " << with_commas(r.rows_stored)
                      << (r.rows_stored == 1 ? " row" : " rows");
            if (r.partitions.size() == 1) {
                std::cout << "  [" << r.partitions.front() << "]";
            } else {
                std::cout << "  [" << r.partitions.size() << " partitions]";
            }
            if (r.partitions_replaced > 0) {
                std::cout << "  replaced " << r.partitions_replaced << " partition"
                          << (r.partitions_replaced == 1 ? "" : "s");
            }
            std::cout << "\n";
        }
    }
    for (const auto& note : r.notes) {
        std::cerr << "note: " << r.name << ": " << note << "\n";
    }
    // police.uk publishes every crime it cannot place as a "No Location" row (no coordinates):
    // those are normal, counted once for the whole run (print_no_location), not per file.
    const auto no_location = r.rejects_by_code.count("no_coordinates") != 0 ? r.rejects_by_code.at("no_coordinates") : 0;
    const auto other = r.rows_rejected - no_location;
    if (other > 0) {
        std::cerr << "warning: " << r.name << ": " << with_commas(other) << " of " << with_commas(r.rows_read)
                  << " rows rejected (";
        bool first = true;
        for (const auto& [code, n] : r.rejects_by_code) {
            if (code == "no_coordinates") {
                continue;
            }
            std::cerr << (first ? "" : ", ") << code << " " << with_commas(n);
            first = false;
        }
        std::cerr << ")\n";
        std::int64_t shown = 0;
        for (const auto& ex : r.reject_examples) {
            if (ex.code == "no_coordinates") {
                continue;
            }
            ++shown;
            std::cerr << "  " << r.name << ":" << ex.line << ": " << (ex.field.empty() ? "" : ex.field + ": ")
                      << ex.reason << "\n";
        }
        if (other > shown) {
            std::cerr << "  (all of them: hotref status --rejects)\n";
        }
    }
}

void print_no_location(std::int64_t rows, std::int64_t files) {
    if (rows == 0) {
        return;
    }
    std::cerr << "note: " << with_commas(rows) << (rows == 1 ? " row" : " rows") << " in " << files
              << (files == 1 ? " file" : " files")
              << " had no coordinates (police.uk \"No Location\" rows: not mapped, kept as rejects; "
                 "hotref status --rejects)\n";
}

} // namespace

int IngestCommand::run() {
    const auto start = std::chrono::steady_clock::now();
    ingest::IngestOptions options;
    options.api_force = m_api_force;
    options.reingest = m_reingest;
    options.limits = m_limits;
    options.encoding = m_encoding_value;
    if (!m_mapping.empty()) {
        options.mapping = ingest::ExportMapping::from_file(m_mapping);
    }
    std::optional<geo::StudyArea> area;
    if (!m_area.empty()) {
        area.emplace(geo::StudyArea::from_file(m_area, m_area_layer));
        options.area = &*area;
    }
    const auto plan = ingest::plan_inputs(m_paths, options.mapping.has_value());
    if (plan.files.empty()) {
        throw InputError("no feed files found in " + std::to_string(m_paths.size()) + " path(s)" +
                         (plan.skipped.empty() ? "" : "; skipped: " + plan.skipped.front()));
    }
    if (plan.files.size() > m_limits.max_files) {
        throw InputError("the paths hold " + with_commas(static_cast<std::int64_t>(plan.files.size())) +
                         " feed files, more than " + with_commas(static_cast<std::int64_t>(m_limits.max_files)) +
                         " (--max-files); ingest them in parts, or raise the limit with --max-files");
    }
    store::Store store{m_store_path, true};
    ingest::Ingester ingester{store, std::move(options)};

    hotref::v1::IngestReport report;
    for (const auto& s : plan.skipped) {
        report.add_skipped(s);
    }
    if (!plan.skipped.empty() && !m_quiet) {
        std::cerr << "note: skipped " << plan.skipped.size() << " file(s) that are not feeds, e.g. "
                  << plan.skipped.front() << "\n";
    }
    std::int64_t no_location = 0, no_location_files = 0;
    for (const auto& file : plan.files) {
        const auto r = ingester.ingest(file);
        print_file(r, m_quiet);
        if (const auto it = r.rejects_by_code.find("no_coordinates"); it != r.rejects_by_code.end()) {
            no_location += it->second;
            ++no_location_files;
        }
        ingest::add_file_report(report, r);
    }
    print_no_location(no_location, no_location_files);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    report.set_seconds(seconds);
    if (!m_quiet) {
        char secs[32];
        std::snprintf(secs, sizeof secs, "%.2f", seconds);
        std::cout << plan.files.size() << " file(s): " << report.files_stored() << " stored, "
                  << report.files_unchanged() << " unchanged, " << report.files_failed() << " failed; "
                  << with_commas(report.rows_read()) << " rows read, " << with_commas(report.rows_stored())
                  << " stored, " << with_commas(report.rows_rejected()) << " rejected; " << secs << " s -> "
                  << m_store_path << "\n";
    }
    if (!m_report_json.empty()) {
        std::string json;
        google::protobuf::util::JsonPrintOptions opts;
        opts.add_whitespace = true;
        opts.preserve_proto_field_names = true;
        opts.always_print_primitive_fields = true;
        if (!google::protobuf::util::MessageToJsonString(report, &json, opts).ok()) {
            throw Error("cannot encode the ingest report as JSON");
        }
        std::ofstream out{m_report_json};
        out << json;
        if (!out) {
            throw Error(m_report_json + ": cannot write the ingest report");
        }
    }
    return report.files_failed() > 0 ? 1 : 0;
}

} // namespace hotref::cli
