#pragma once
// The bulletin as plain data (what bulletin.cpp reads from the store, after
// disclosure control) and its two renderings: the PDF and the HTML page
// (bulletin_render.cpp). Internal to publish/.

#include "publish/bulletin.hpp"

#include <array>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace hotref::publish::bulletin {

using Rings = std::vector<std::vector<std::array<double, 2>>>;

inline constexpr double nan = std::numeric_limits<double>::quiet_NaN();

struct Place {
    double x = 0, y = 0;     // BNG metres
    double count = 0;        // incidents of the evidence period (published: as published)
    std::string street;      // "Albert Street" (without "On or near")
    bool inside = false;     // inside the hotspot
};

struct Item {
    std::string code, name;
    int rank = 0;
    double run_incidents = 0;        // as stored with the run (its period)
    std::optional<int> confidence;   // Gi*
    std::string trend_class;
    Rings rings;                     // the hotspot polygon
    std::array<double, 4> bbox{};    // minx, miny, maxx, maxy
    std::array<double, 2> anchor{};  // a point inside it
    double now = 0;                  // incidents this period
    double prev = nan;               // previous period (NaN: not stored)
    double last_year = nan;          // same period a year before (NaN: not stored)
    std::vector<Place> places;       // published locations around it (for the inset)
    double places_withheld = 0;      // locations inside with fewer than min_count incidents
    std::vector<std::string> streets; // its busiest streets, "Albert Street (123)"
    std::vector<std::string> months; // the monthly trend
    std::vector<double> per_month;
    std::vector<char> month_missing;     // 1: the month is not stored (a gap, not a zero)
    std::vector<double> per_month_shown; // after disclosure control: NaN = withheld
    bool timed = false;              // day-of-week x hour available
    std::array<double, 168> week{};  // incidents per weekday x 24 + hour
    std::array<double, 168> week_shown{}; // after disclosure control: NaN = withheld
    double timed_total = 0;
    double untimed = 0;
    std::vector<PatrolWindow> windows;
    bool windows_withheld = false;   // published: windows under min_count incidents (published counts) dropped
    std::string evaluation;          // the latest before/after evaluation of this place ("" when none)
    std::string ij;                  // Immediate Justice: display text
    std::string ij_completion;
};

struct Model {
    std::string title;               // "ASB patrol bulletin"
    std::string force;               // "Derbyshire Constabulary"
    std::string period;              // "December 2025" / "2025-03-03 to 2025-03-09"
    std::string period_from_month, period_to_month; // YYYY-MM: the months the period touches
    std::string previous, last_year; // their labels
    std::string valid_from, valid_to;
    std::string generated;           // UTC
    std::string classification;
    Profile profile = Profile::published;
    double min_count = 5;
    std::string categories;
    std::string source;              // police.uk / force-export
    std::string evidence;            // "2025-01 to 2025-12": the run's period (insets, windows, trends)
    std::string ranking = "ranked by incidents in"; // how the run's hotspots are ranked, before the period
    std::string run_line;            // "run 3: Getis-Ord Gi* with FDR, 250 m cells, 2025-01 to 2025-12"
    std::int64_t run_id = 0;
    int run_hotspots = 0;
    double total_now = 0, total_prev = nan; // published: NaN = withheld
    bool has_previous = true, has_last_year = true; // the store holds the previous period / a year before
    Rings force_area;
    std::string area_label = "Force area"; // "Study area" when no boundaries file was read
    struct District {
        std::string name;
        Rings rings;
        std::array<double, 2> label{};
    };
    std::vector<District> districts;
    /// The district table: incidents this period and the previous one, and the current
    /// hotspots, per district of the force (published: as published, NaN = withheld).
    struct DistrictRow {
        std::string name;
        double now = 0, prev = nan;
        int hotspots = 0;
    };
    std::vector<DistrictRow> district_rows;
    double district_outside_now = 0;  // incidents in no district (0 when every one is in one)
    double rest_now = nan;           // incidents this period outside the top hotspots (published: as published)
    std::vector<Rings> others;       // the run's hotspots beyond the top ones
    std::vector<Item> items;
    std::array<double, 4> extent{};  // of the overview map
    std::vector<std::string> sources; // attribution lines
    std::vector<std::string> notes;
    bool referrals_linked = false;
    std::string evaluation;          // the latest evaluation of the series, for all hotspots ("" when none)
};

/// Text of a count under the model's profile: "123", or "<5" when withheld (NaN in the published profile).
std::string count_text(const Model& m, double v);

/// "93 in the top 3 hotspots (97%)": the top hotspots' share of this period's incidents, from
/// the top hotspots' count and the count outside them (so never above 100 %).
std::string top_share_text(const Model& m);

/// The district table, header first, shared by the PDF and the HTML page.
std::vector<std::vector<std::string>> district_table_rows(const Model& m);

/// The dosage guidance paragraph and its references, the same in both formats.
const std::vector<std::string>& guidance_paragraphs();
const std::vector<std::string>& guidance_references();

/// The PDF's bytes.
std::string render_pdf(const Model& model);
std::string render_html(const Model& model);

} // namespace hotref::publish::bulletin
