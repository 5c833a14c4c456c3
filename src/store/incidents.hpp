#pragma once
// Reading incidents back for analysis, aggregated per location: police.uk
// points are shared snap points, so a million incidents are a few tens of
// thousands of weighted points.

#include "store/store.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace hotref::store {

struct IncidentQuery {
    std::string from;                        // YYYY-MM, inclusive
    std::string to;                          // YYYY-MM, inclusive
    std::vector<std::int64_t> category_ids;  // empty: all
    std::string source;                      // partition source; empty: all
    std::string date_from;                   // YYYY-MM-DD: only incidents with a time on or after it
    std::string date_to;                     // YYYY-MM-DD: ... on or before it
    std::string force;                       // "Reported by" force name: only its partitions; empty: all
};

struct LocationCount {
    std::int64_t location_id = 0;
    double easting = 0;
    double northing = 0;
    double count = 0;
};

/// Incidents per location (sum of n) for the query, locations with none left out.
std::vector<LocationCount> location_counts(Store& store, const IncidentQuery& query);

struct LocationMonthCount {
    std::int64_t location_id = 0;
    std::string month;  // YYYY-MM
    double count = 0;
};

/// Incidents per location and month for the query.
std::vector<LocationMonthCount> location_month_counts(Store& store, const IncidentQuery& query);

struct LocationCategoryCount {
    std::int64_t location_id = 0;
    std::int64_t category_id = 0;
    double count = 0;
};

/// Incidents per location and category for the query.
std::vector<LocationCategoryCount> location_category_counts(Store& store, const IncidentQuery& query);

struct LocationMonthCategoryCount {
    std::int64_t location_id = 0;
    std::string month;  // YYYY-MM
    std::int64_t category_id = 0;
    double count = 0;
};

/// Incidents per location, month and category: the finest counts anything is published from.
std::vector<LocationMonthCategoryCount> location_month_category_counts(Store& store, const IncidentQuery& query);

/// A location as stored.
struct LocationDetail {
    std::int64_t id = 0;
    double easting = 0, northing = 0;
    std::string street, lsoa_code, lsoa_name;
    bool exact = false;  // a force's own point (not a police.uk snap point)
};

/// The locations with these ids (unknown ids left out).
std::vector<LocationDetail> location_details(Store& store, const std::vector<std::int64_t>& ids);

struct LocationTimeCount {
    std::int64_t location_id = 0;
    int weekday = 0;  // 0 = Monday ... 6 = Sunday (local time, as the force recorded it)
    int hour = 0;     // 0..23
    double count = 0;
};

struct TimedCounts {
    std::vector<LocationTimeCount> counts;  // incidents with a time of day
    double untimed = 0;                     // incidents with a date only, or no date (police.uk)
};

/// Incidents per location, day of the week and hour, for the query: force exports only
/// carry times; everything else is counted in `untimed`.
TimedCounts location_weekday_hour_counts(Store& store, const IncidentQuery& query);

/// Months (YYYY-MM) for which the source (empty: any) holds any partition of `force`
/// (empty: any force), sorted.
std::vector<std::string> stored_months(Store& store, const std::string& source, const std::string& force = "");
/// The months from..to (YYYY-MM, inclusive) without a partition of the source and force
/// (empty: any), in order: the gaps a count over from..to would silently read as zero.
std::vector<std::string> missing_months(Store& store, const std::string& source, const std::string& from,
                                        const std::string& to, const std::string& force = "");
/// "2020-07, 2020-08 and 2020-09" (at most 12 named, then "and N more").
std::string month_list(const std::vector<std::string>& months);

/// Partition sources present in the store, sorted.
std::vector<std::string> stored_sources(Store& store);

/// Forces ("Reported by") holding partitions of `source` (empty: any) in months from..to, sorted.
std::vector<std::string> stored_forces(Store& store, const std::string& source, const std::string& from,
                                       const std::string& to);

/// The force a run or a publication is about: `given` matched against the forces that
/// hold partitions of `source` (empty: any) - the exact name, else the one name equal to
/// it ignoring case, else the one name containing it ("nottinghamshire"); with `given`
/// empty, the only force stored ("" when none). Throws UsageError listing the stored
/// forces when `given` matches none or several, or is empty and several forces are
/// stored (`command` names the command in the message: "hotspots"). For "hotspots",
/// `given` "all" (any case) is every force: "", the empty filter.
std::string resolve_force(Store& store, const std::string& given, const std::string& source,
                          const std::string& command);

struct LocationLabel {
    std::string street;     // "On or near Albert Street"
    std::string lsoa_name;  // "Derby 015B"
};

/// Street and LSOA of each location id (empty strings where unknown).
std::vector<LocationLabel> location_labels(Store& store, const std::vector<std::int64_t>& ids);

struct CategoryInfo {
    std::int64_t id = 0;
    std::string name;
    std::string slug;
};
std::vector<CategoryInfo> categories(Store& store);

/// Ids of the categories named in a run's comma-separated list ("Anti-social behaviour,Drugs").
std::vector<std::int64_t> category_ids_named(Store& store, const std::string& names);

} // namespace hotref::store
