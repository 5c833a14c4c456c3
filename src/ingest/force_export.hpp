#pragma once
// A force's own incident export: a delimited text file whose columns are
// named by a mapping file (JSON; see docs/formats.md). It carries what
// police.uk does not publish: the date and time of each incident.

#include "core/csv.hpp"
#include "ingest/row.hpp"

#include <map>
#include <string>

namespace hotref::ingest {

struct ExportMapping {
    std::string force;                 // partition label, e.g. "Derbyshire Constabulary"
    char delimiter = ',';
    std::string crs = "EPSG:27700";    // of x/y; EPSG:4326 for longitude/latitude
    bool lonlat = false;               // columns are longitude/latitude
    std::string datetime_format = "%Y-%m-%d %H:%M";
    // Column names in the export's header.
    std::string col_datetime;
    std::string col_x;                 // easting or longitude
    std::string col_y;                 // northing or latitude
    std::string col_category;
    std::string col_nsir;              // optional
    std::string col_reference;         // optional
    std::string col_location;          // optional
    /// Force category -> police.uk category name ("ASB - Nuisance" -> "Anti-social behaviour").
    std::map<std::string, std::string> categories;

    /// Reads a mapping file; throws InputError naming the file and the key at fault.
    static ExportMapping from_file(const std::string& path);
    static ExportMapping from_json(const std::string& text, const std::string& name);
};

/// Normalises an NSIR ASB qualifier: "personal", "nuisance", "environmental",
/// or "" when the text is none of them (matched case-insensitively anywhere
/// in the value, so "ASB - Personal" is "personal").
std::string nsir_of(std::string_view text);

void read_force_export(ByteSource& source, const std::string& name, const ExportMapping& mapping, RowSink& sink,
                       CsvOptions csv = {});

} // namespace hotref::ingest
