#include "ingest/policeuk_csv.hpp"

#include "core/error.hpp"
#include "core/text.hpp"

#include <array>

namespace hotref::ingest {

namespace {

enum Col { crime_id, month, reported_by, falls_within, longitude, latitude, location, lsoa_code, lsoa_name,
           crime_type, outcome, context, n_cols };

constexpr std::array<const char*, n_cols> column_names{
    "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
    "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context"};

// Columns without which a row cannot be stored.
constexpr std::array<Col, 6> required{month, reported_by, longitude, latitude, crime_type, location};

store::RejectRow make_reject(const RecordReader& csv, const char* field, const char* code, std::string reason) {
    return store::RejectRow{static_cast<std::int64_t>(csv.line()), field != nullptr ? field : "", code, std::move(reason),
                            std::string{csv.raw()}};
}

} // namespace

void read_policeuk_csv(ByteSource& source, const std::string& name, RowSink& sink, CsvOptions options) {
    if (options.name.empty()) {
        options.name = name;
    }
    options.multiline_fields = false; // police.uk fields never hold line breaks
    CsvReader csv{source, std::move(options)};
    if (!csv.next()) {
        throw InputError(name + ": the file is empty; expected a data.police.uk street-level CSV with a header line");
    }
    require_unique_columns(csv, name);
    // Map header names to positions; tolerate other orders and extra columns.
    std::array<int, n_cols> pos{};
    pos.fill(-1);
    for (std::size_t i = 0; i < csv.size(); ++i) {
        const auto h = trim(csv[i]);
        for (int c = 0; c < n_cols; ++c) {
            if (h == column_names[static_cast<std::size_t>(c)]) {
                pos[static_cast<std::size_t>(c)] = static_cast<int>(i);
            }
        }
    }
    std::string missing;
    for (const Col c : required) {
        if (pos[c] < 0) {
            missing += (missing.empty() ? "" : ", ") + std::string{"'"} + column_names[c] + "'";
        }
    }
    if (!missing.empty()) {
        throw InputError(name + ": line 1: not a data.police.uk street-level CSV header; missing column(s) " +
                         missing + " (expected: Crime ID,Month,Reported by,Falls within,Longitude,Latitude,"
                                   "Location,LSOA code,LSOA name,Crime type,Last outcome category,Context)");
    }
    const std::size_t width = csv.size();
    auto get = [&](Col c) -> std::string_view {
        return pos[c] < 0 ? std::string_view{} : trim(csv[static_cast<std::size_t>(pos[c])]);
    };

    SourceRow row;
    while (csv.next()) {
        sink.progress(csv.bytes_consumed());
        if (csv.size() < width && !csv.terminated()) {
            throw InputError(name + ": line " + std::to_string(csv.line()) + ": the last line is cut short (" +
                             std::to_string(csv.size()) + " of " + std::to_string(width) +
                             " columns and no line end): the file is incomplete; nothing of it was stored; "
                             "download it again");
        }
        if (csv.unbalanced_quote()) {
            sink.reject(make_reject(csv, nullptr, "unbalanced_quote",
                                    "a quote (\") opens a field that is not closed on this line"));
            continue;
        }
        if (csv.size() != width) {
            sink.reject(make_reject(csv, nullptr, "column_count",
                                    "expected " + std::to_string(width) + " columns, found " +
                                        std::to_string(csv.size())));
            continue;
        }
        const auto month_text = get(month);
        const auto m = Month::parse(month_text);
        if (!m) {
            sink.reject(make_reject(csv, "Month", "bad_month", "bad month " + quote_value(month_text) + " (expected YYYY-MM)"));
            continue;
        }
        const auto lon_text = get(longitude);
        const auto lat_text = get(latitude);
        if (lon_text.empty() || lat_text.empty()) {
            sink.reject(make_reject(csv, lon_text.empty() ? "Longitude" : "Latitude", "no_coordinates",
                                    "no coordinates (Longitude or Latitude is empty)"));
            continue;
        }
        const auto lon = parse_double(lon_text);
        if (!lon) {
            sink.reject(make_reject(csv, "Longitude", "bad_number", "Longitude " + quote_value(lon_text) + " is not a number"));
            continue;
        }
        const auto lat = parse_double(lat_text);
        if (!lat) {
            sink.reject(make_reject(csv, "Latitude", "bad_number", "Latitude " + quote_value(lat_text) + " is not a number"));
            continue;
        }
        const auto category = get(crime_type);
        if (category.empty()) {
            sink.reject(make_reject(csv, "Crime type", "missing_field", "Crime type is empty"));
            continue;
        }
        const auto force = get(reported_by);
        if (force.empty()) {
            sink.reject(make_reject(csv, "Reported by", "missing_field", "Reported by is empty"));
            continue;
        }
        row.line = static_cast<std::int64_t>(csv.line());
        row.month = *m;
        row.force = force;
        row.falls_within = get(falls_within);
        row.coords = Coords::lonlat;
        row.x = *lon;
        row.y = *lat;
        row.street = get(location);
        row.lsoa_code = get(lsoa_code);
        row.lsoa_name = get(lsoa_name);
        row.category = category;
        row.outcome = get(outcome);
        row.crime_id = get(crime_id);
        row.context = get(context);
        row.record = &csv;
        sink.row(row);
    }
}

} // namespace hotref::ingest
