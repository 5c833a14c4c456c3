#pragma once
// `hotref bulletin`: a printable patrol briefing for a period (a week or
// months) from a stored hotspot run: a map of the force area with the hotspots
// numbered by rank, a table of the top hotspots (incidents this period, change
// against the previous period and the same period a year before, confidence,
// trend, Immediate Justice referrals), for each top hotspot an inset map with
// its streets and when to patrol (day-of-week x hour where the source has
// times, else the monthly trend), recommended patrol windows, and the hot-spot
// dosage guidance with its sources. A4 PDF (cairo) and self-contained HTML
// (inline SVG). Everything passes disclosure control (published by default).

#include "publish/disclosure.hpp"
#include "publish/model.hpp"
#include "store/store.hpp"

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace hotref::publish {

struct BulletinOptions {
    std::int64_t run_id = 0;         // 0: the current run of `method` (store::default_run_id)
    std::string method;               // empty: the current patrol run, else the current Gi* run
    std::string force;                // the current run of this force; empty: the only force stored
    std::string from, to;            // the period: YYYY-MM, or YYYY-MM-DD for sources with dates; empty: the run's last month
    int top = 5;                     // hotspots in the table and with a detail panel
    std::string out_dir = "out";
    std::string stem = "bulletin";   // writes STEM.pdf and STEM.html
    Profile profile = Profile::published;
    DisclosureRules rules;
    std::string valid_from, valid_to; // YYYY-MM-DD; empty: from the generation date for the period's length
    std::string boundaries;          // polygon file of the districts (and a force_area layer); empty: the run's --area file, else the bundled force areas
    std::string boundary_layer;      // its districts' layer; empty: `districts`, else its only polygon layer
    std::string boundary_name_field; // the districts' name field; empty: `name`, else the one field named like a name
    std::string boundaries_attribution =
        "Contains National Statistics data \xC2\xA9 Crown copyright and database right 2011.";
    bool pdf = true;
    bool html = true;
    /// The run already loaded and passed through the gate (published profile, these rules),
    /// as the service holds them: used instead of loading and auditing the run a second time
    /// (at national scale the audit is most of a publication). Both or neither; they are
    /// used only when they are of the bulletin's run.
    const RawRun* loaded = nullptr;
    const RunModel* published_model = nullptr;
};

/// The recommended patrol windows of one hotspot in the bulletin, as printed ("Fri 21:00-23:00").
struct HotspotWindows {
    std::string code;
    std::vector<std::string> labels; // from the published counts; fewer than 3 when some were withheld
    bool timed = false;              // false: the source has no times, so there are no windows
};

/// One district's row of the bulletin's district table, as the bulletin prints it
/// (published: perturbed, NaN when withheld).
struct DistrictFigures {
    std::string name;
    double now = 0;                  // incidents this period
    double prev = 0;                 // the previous period (NaN: withheld or not stored)
    int hotspots = 0;                // current hotspots in it
};

struct BulletinReport {
    std::string pdf, html;           // paths written ("" when not asked for)
    std::int64_t run_id = 0;
    std::string period_from, period_to;
    int hotspots = 0;                // hotspots in the bulletin (at most `top`)
    std::vector<std::string> notes;  // what a reader should know (nothing found, data missing, ...)
    std::vector<HotspotWindows> windows; // per hotspot in the bulletin, by rank
    std::vector<DistrictFigures> districts; // the district table (empty when no districts were read)
    std::string previous_from, previous_to; // the period the districts are compared with ("" when not stored)
    double seconds = 0;
};

/// Writes STEM.pdf and STEM.html (as asked by `pdf` and `html`) into `out_dir`.
BulletinReport write_bulletin(store::Store& store, const BulletinOptions& options);

struct BulletinDocuments {
    std::string pdf;                 // the PDF's bytes ("" when not asked for)
    std::string html;                // the HTML page (UTF-8; "" when not asked for)
    BulletinReport report;           // its pdf and html paths are empty
};

/// The same bulletin in memory, nothing written (for the service: Accept application/pdf
/// or text/html). `out_dir` and `stem` are not used. draft_bulletin, then finish_bulletin.
BulletinDocuments render_bulletin(store::Store& store, const BulletinOptions& options);

namespace bulletin {
struct Model;
}

/// A bulletin read, counted and through disclosure control, but without its Immediate
/// Justice columns and not yet rendered: what the service keeps, so that a referral update
/// renders the bulletin again from the referrals alone, without reading or auditing the run.
struct BulletinDraft {
    std::shared_ptr<const bulletin::Model> model;
    BulletinReport report;           // notes, windows and districts are filled by finish_bulletin
    /// The patrol windows of its hotspots (they do not depend on the referrals).
    [[nodiscard]] std::vector<HotspotWindows> windows() const;
};

/// Everything of the bulletin but its referrals. Throws as render_bulletin does.
BulletinDraft draft_bulletin(store::Store& store, const BulletinOptions& options);

/// The draft with the run's referral KPIs as the store holds them now (as `options.profile`
/// publishes them), rendered as `options.pdf` and `options.html` ask; generated now.
BulletinDocuments finish_bulletin(store::Store& store, const BulletinDraft& draft, const BulletinOptions& options);

/// The patrol windows of a hotspot as the service and the workbook show them: "Fri 21:00-23:00;
/// Sat 22:00-00:00", or why there are none.
std::string windows_text(const HotspotWindows& w);

/// A patrol window: `hours` consecutive hours from `weekday` (0 = Monday) `hour`:00.
struct PatrolWindow {
    int weekday = 0;
    int hour = 0;
    int hours = 2;
    double incidents = 0;
};

/// The `count` busiest windows of `hours` consecutive hours in a week of hourly counts
/// (index weekday × 24 + hour, Monday 00:00 first; windows wrap from Sunday night into
/// Monday), chosen greedily: the busiest first, then the busiest that shares no hour
/// with one already chosen; ties go to the earlier start in the week. Windows without
/// incidents are never recommended, so fewer than `count` can come back.
std::vector<PatrolWindow> patrol_windows(const std::array<double, 168>& week, int count = 3, int hours = 2);

/// "Fri 21:00-23:00".
std::string window_label(const PatrolWindow& w);

} // namespace hotref::publish
