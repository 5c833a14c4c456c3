#pragma once
// What every feed reader produces: one validated source row (or a reject),
// handed to a RowSink. Views point into the reader's buffer and are valid only
// during the call.

#include "core/csv.hpp"
#include "core/month.hpp"
#include "store/store.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hotref::ingest {

enum class Coords {
    lonlat,   // WGS84 longitude, latitude (police.uk)
    projected // easting, northing in the feed's CRS (force exports)
};

struct SourceRow {
    std::int64_t line = 0;           // line in the file (record index for JSON)
    Month month;
    std::string_view force;          // "Reported by" or the configured force
    std::string_view falls_within;
    Coords coords = Coords::lonlat;
    double x = 0;
    double y = 0;
    std::string_view street;         // "On or near ..."
    std::string_view lsoa_code;
    std::string_view lsoa_name;
    std::string_view category;       // a police.uk category name (or a force's own)
    std::string_view category_slug;  // police.uk API slug, when the feed gives slugs
    std::string_view outcome;
    std::string_view crime_id;
    std::string_view context;
    std::optional<DateTime> occurred;
    std::string_view nsir;
    std::string_view reference;
    std::string_view raw;            // the source text (JSON), for reject reports
    const RecordReader* record = nullptr; // CSV: the record, whose text is made on demand

    /// The source text of the row, for a reject report.
    [[nodiscard]] std::string raw_text() const { return record != nullptr ? std::string{record->raw()} : std::string{raw}; }
};

class RowSink {
public:
    RowSink() = default;
    RowSink(const RowSink&) = delete;
    RowSink& operator=(const RowSink&) = delete;
    virtual ~RowSink() = default;

    virtual void row(const SourceRow& row) = 0;
    virtual void reject(store::RejectRow reject) = 0;
    /// Called by readers as they go (bytes consumed so far).
    virtual void progress(std::uint64_t /*bytes*/) {}
};

} // namespace hotref::ingest
