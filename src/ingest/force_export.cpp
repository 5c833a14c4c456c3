#include "ingest/force_export.hpp"

#include "core/error.hpp"
#include "core/text.hpp"
#include "geo/gdal.hpp"
#include "geo/proj.hpp"

#include <nlohmann/json.hpp>

#include <vector>

namespace hotref::ingest {

namespace {

using nlohmann::json;

std::string string_member(const json& obj, const char* key, const std::string& where, bool required) {
    const auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) {
        if (required) {
            throw InputError(where + ": missing \"" + key + "\"");
        }
        return {};
    }
    if (!it->is_string()) {
        throw InputError(where + ": \"" + key + "\" must be a string");
    }
    return it->get<std::string>();
}

} // namespace

ExportMapping ExportMapping::from_file(const std::string& path) {
    return from_json(geo::read_whole_file(path), path);
}

ExportMapping ExportMapping::from_json(const std::string& text, const std::string& name) {
    json doc;
    try {
        doc = json::parse(text);
    } catch (const json::parse_error& e) {
        throw InputError(name + ": mapping is not valid JSON at byte " + std::to_string(e.byte) +
                         "; see docs/formats.md for the mapping format");
    } catch (const json::exception& e) {
        // out_of_range: a number such as 1e999 that no double holds.
        throw InputError(name + ": mapping cannot be read (" + e.what() + "); see docs/formats.md");
    }
    if (!doc.is_object()) {
        throw InputError(name + ": a mapping must be a JSON object; see docs/formats.md");
    }
    ExportMapping m;
    m.force = string_member(doc, "force", name, true);
    const std::string delim = string_member(doc, "delimiter", name, false);
    if (!delim.empty()) {
        if (delim == "\\t" || delim == "tab") {
            m.delimiter = '\t';
        } else if (delim.size() == 1) {
            m.delimiter = delim[0];
        } else {
            throw InputError(name + ": \"delimiter\" must be one character (or \"tab\"), not " + quote_value(delim));
        }
    }
    if (const auto f = string_member(doc, "datetime_format", name, false); !f.empty()) {
        m.datetime_format = f;
    }
    const auto cols = doc.find("columns");
    if (cols == doc.end() || !cols->is_object()) {
        throw InputError(name + ": missing \"columns\" object naming the export's columns");
    }
    const std::string where = name + ": columns";
    m.col_datetime = string_member(*cols, "datetime", where, true);
    m.col_category = string_member(*cols, "category", where, true);
    const bool has_en = cols->contains("easting") || cols->contains("northing");
    const bool has_ll = cols->contains("longitude") || cols->contains("latitude");
    if (has_en == has_ll) {
        throw InputError(where + ": give either \"easting\" and \"northing\" or \"longitude\" and \"latitude\"");
    }
    if (has_en) {
        m.col_x = string_member(*cols, "easting", where, true);
        m.col_y = string_member(*cols, "northing", where, true);
        m.crs = "EPSG:27700";
    } else {
        m.col_x = string_member(*cols, "longitude", where, true);
        m.col_y = string_member(*cols, "latitude", where, true);
        m.crs = "EPSG:4326";
    }
    if (const auto crs = string_member(doc, "crs", name, false); !crs.empty()) {
        m.crs = crs;
        // Checked now, before any store is touched.
        try {
            geo::Transformer check{m.crs, "EPSG:27700"};
        } catch (const Error& e) {
            throw InputError(name + ": \"crs\" " + quote_value(m.crs) +
                             " is not a coordinate reference system PROJ can transform to British National Grid (" +
                             e.what() + "); give an EPSG code such as \"EPSG:27700\" or \"EPSG:4326\"");
        }
    }
    // x/y are longitude/latitude exactly when the CRS is WGS84; any other CRS is transformed by PROJ.
    m.lonlat = m.crs == "EPSG:4326";
    // Only the codes parse_datetime understands, and a whole date.
    for (std::size_t i = 0; i < m.datetime_format.size(); ++i) {
        if (m.datetime_format[i] == '%') {
            const char c = i + 1 < m.datetime_format.size() ? m.datetime_format[i + 1] : '\0';
            if (std::string_view{"YmdHMS%"}.find(c) == std::string_view::npos || c == '\0') {
                throw InputError(name + ": datetime_format " + quote_value(m.datetime_format) + ": " +
                                 (c == '\0' ? std::string{"a lone % at the end"} : "%" + std::string(1, c)) +
                                 " is not supported (use %Y %m %d %H %M %S)");
            }
            ++i;
        }
    }
    for (const char* need : {"%Y", "%m", "%d"}) {
        if (m.datetime_format.find(need) == std::string::npos) {
            throw InputError(name + ": datetime_format " + quote_value(m.datetime_format) + " lacks " + need +
                             " (a whole date is needed)");
        }
    }
    m.col_nsir = string_member(*cols, "nsir", where, false);
    m.col_reference = string_member(*cols, "reference", where, false);
    m.col_location = string_member(*cols, "location", where, false);
    if (const auto cats = doc.find("categories"); cats != doc.end()) {
        if (!cats->is_object()) {
            throw InputError(name + ": \"categories\" must map the force's categories to police.uk names");
        }
        for (const auto& [key, value] : cats->items()) {
            if (!value.is_string()) {
                throw InputError(name + ": categories: the value for " + quote_value(key) + " must be a string");
            }
            m.categories.emplace(key, value.get<std::string>());
        }
    }
    return m;
}

std::string nsir_of(std::string_view text) {
    const std::string lower = to_lower(text);
    for (const char* q : {"personal", "nuisance", "environmental"}) {
        if (lower.find(q) != std::string::npos) {
            return q;
        }
    }
    return {};
}

void read_force_export(ByteSource& source, const std::string& name, const ExportMapping& mapping, RowSink& sink,
                       CsvOptions options) {
    options.delimiter = mapping.delimiter;
    if (options.name.empty()) {
        options.name = name;
    }
    CsvReader csv{source, std::move(options)};
    if (!csv.next()) {
        throw InputError(name + ": the file is empty; expected a header line naming the mapped columns");
    }
    require_unique_columns(csv, name);
    auto find = [&](const std::string& col) -> int {
        if (col.empty()) {
            return -1;
        }
        for (std::size_t i = 0; i < csv.size(); ++i) {
            if (trim(csv[i]) == col) {
                return static_cast<int>(i);
            }
        }
        return -2;
    };
    struct Wanted {
        const std::string* col;
        int pos;
    };
    std::vector<Wanted> wanted{{&mapping.col_datetime, 0}, {&mapping.col_x, 0},        {&mapping.col_y, 0},
                               {&mapping.col_category, 0}, {&mapping.col_nsir, 0},   {&mapping.col_reference, 0},
                               {&mapping.col_location, 0}};
    std::string missing;
    for (auto& w : wanted) {
        w.pos = find(*w.col);
        if (w.pos == -2) {
            missing += (missing.empty() ? "'" : ", '") + *w.col + "'";
        }
    }
    if (!missing.empty()) {
        throw InputError(name + ": line 1: the header lacks mapped column(s) " + missing +
                         "; check the export or the mapping's \"columns\"");
    }
    const std::size_t width = csv.size();
    auto get = [&](std::size_t k) -> std::string_view {
        const int p = wanted[k].pos;
        return p < 0 ? std::string_view{} : trim(csv[static_cast<std::size_t>(p)]);
    };
    const char* x_name = mapping.lonlat ? "longitude" : "easting";
    const char* y_name = mapping.lonlat ? "latitude" : "northing";

    SourceRow row;
    std::string category_buf;
    std::string nsir_buf;
    while (csv.next()) {
        sink.progress(csv.bytes_consumed());
        auto reject = [&](const std::string& field, const char* code, std::string reason) {
            sink.reject(store::RejectRow{static_cast<std::int64_t>(csv.line()), field, code, std::move(reason),
                                         std::string{csv.raw()}});
        };
        if (csv.size() != width) {
            reject("", "column_count",
                   "expected " + std::to_string(width) + " columns, found " + std::to_string(csv.size()));
            continue;
        }
        const auto dt_text = get(0);
        const auto dt = parse_datetime(dt_text, mapping.datetime_format);
        if (!dt) {
            reject(mapping.col_datetime, "bad_datetime",
                   "bad date-time " + quote_value(dt_text) + " (expected format " + mapping.datetime_format + ")");
            continue;
        }
        const auto x_text = get(1);
        const auto y_text = get(2);
        if (x_text.empty() || y_text.empty()) {
            reject(x_text.empty() ? mapping.col_x : mapping.col_y, "no_coordinates",
                   std::string{"no coordinates ("} + x_name + " or " + y_name + " is empty)");
            continue;
        }
        const auto x = parse_double(x_text);
        if (!x) {
            reject(mapping.col_x, "bad_number", std::string{x_name} + " " + quote_value(x_text) + " is not a number");
            continue;
        }
        const auto y = parse_double(y_text);
        if (!y) {
            reject(mapping.col_y, "bad_number", std::string{y_name} + " " + quote_value(y_text) + " is not a number");
            continue;
        }
        const auto cat_text = get(3);
        if (cat_text.empty()) {
            reject(mapping.col_category, "missing_field", "category is empty");
            continue;
        }
        category_buf = std::string{cat_text};
        if (const auto it = mapping.categories.find(category_buf); it != mapping.categories.end()) {
            category_buf = it->second;
        }
        const auto nsir_text = get(4);
        nsir_buf = nsir_of(nsir_text);
        if (!nsir_text.empty() && nsir_buf.empty()) {
            reject(mapping.col_nsir, "bad_value",
                   "NSIR qualifier " + quote_value(nsir_text) + " is not personal, nuisance or environmental");
            continue;
        }
        row.line = static_cast<std::int64_t>(csv.line());
        row.month = dt->to_month();
        row.force = mapping.force;
        row.falls_within = mapping.force;
        row.coords = mapping.lonlat ? Coords::lonlat : Coords::projected;
        row.x = *x;
        row.y = *y;
        row.street = get(6);
        row.category = category_buf;
        row.occurred = dt;
        row.nsir = nsir_buf;
        row.reference = get(5);
        row.record = &csv;
        sink.row(row);
    }
}

} // namespace hotref::ingest
