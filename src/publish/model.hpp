#pragma once
// The publication model: one run as the layers every output is written from.
//
//   store --load_run()--> RawRun --disclose(profile)--> RunModel --> writers
//
// load_run() reads everything a run publishes from the store, as true values
// (src/store holds the SQL). disclose() (publish/gate.cpp) is the one place that
// applies disclosure control: for the published profile it generalises points and
// outlines, withholds small hotspots, perturbs and suppresses every count with
// complementary suppression across the margins (publish/sdc.hpp), and derives
// PAI, share, density and percentages from the published counts only; for the
// internal profile it passes the true values through. The writers (GeoPackage,
// GeoJSON, FlatGeobuf, CSV, tiles, GeoTIFF, the service's collections) only
// serialise a RunModel: none of them reads the store or suppresses anything.

#include "evaluate/evaluation.hpp"
#include "geo/vector.hpp"
#include "publish/disclosure.hpp"
#include "referral/kpi.hpp"
#include "store/incidents.hpp"
#include "store/runs.hpp"
#include "store/store.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace hotref::publish {

// ---------------------------------------------------------------------------
// What the store holds for a run (true values; never written anywhere as is)
// ---------------------------------------------------------------------------

struct RawPlace {
    double x = 0, y = 0;
    std::string street, lsoa_code, lsoa_name;
    bool exact = false;        // a force's own point: generalised before publication
    /// Incidents by (month index, category index).
    std::map<std::pair<int, int>, double> counts;
    int hotspot = -1;          // index into RawRun::hotspots; -1: outside every hotspot
    std::int64_t cell = -1;    // grid cell (col + row * columns) for grid methods; -1: none
    [[nodiscard]] double total() const;
};

struct RawRun {
    store::StoredRun run;
    std::string secret;                        // the store's disclosure key
    std::vector<std::string> months;           // YYYY-MM
    std::vector<store::CategoryInfo> categories;
    std::vector<store::StoredHotspot> hotspots; // by rank
    std::vector<store::RunCell> cells;         // Gi*, KDE
    std::vector<RawPlace> places;
    std::optional<store::RasterRecord> kde;
    double study_area_m2 = 0;
    bool referrals_linked = false;
    std::vector<referral::Kpis> kpis;          // true values: the scheme, each hotspot, outside
};

struct LoadOptions {
    std::int64_t run_id = 0;  // 0: the current run of `method` (store::default_run_id)
    std::string method;       // empty: the current patrol run, else the current Gi* run
    std::string force;        // the current run of this force (store::resolve_force); empty: the only force
};

/// Reads run `run_id` (or the current one) and its incidents. Throws Error naming what to run first.
RawRun load_run(store::Store& store, const LoadOptions& options);

/// What load_run reads of the run's referrals (RawRun::referrals_linked and kpis): the only
/// part of a publication that a referral update changes.
struct RunReferrals {
    bool linked = false;                       // referrals are linked to the run's hotspots
    std::vector<referral::Kpis> kpis;          // true values (empty when none are linked)
};
RunReferrals load_run_referrals(store::Store& store, std::int64_t run_id);

// ---------------------------------------------------------------------------
// What a profile publishes
// ---------------------------------------------------------------------------

struct ModelFeature {
    std::vector<geo::FieldValue> values;  // in the layer's field order
    std::string wkb;                      // EPSG:27700; empty: no geometry
    bool tiled = true;                    // drawn in the vector tiles
};

struct ModelLayer {
    std::string name;                     // hotspots, hotspot_cells, incidents, study_area
    std::string title, description;
    geo::GeometryKind geometry = geo::GeometryKind::none;
    std::vector<geo::FieldDef> fields;
    std::vector<ModelFeature> features;
    std::string id_field;                 // the field features are known by ("code"); empty: their order
    [[nodiscard]] int field(const std::string& wanted) const;  // -1 when absent
};

struct ModelRaster {
    std::vector<double> values;
    int columns = 0, rows = 0;
    double origin_x = 0, origin_y = 0, cell_size = 0;  // top-left corner, metres
    std::string description;
};

struct DisclosureSummary {
    std::int64_t primary = 0;            // counts from 1 to threshold - 1 withheld
    std::int64_t secondary = 0;          // counts withheld so that no withheld one can be got back
    std::int64_t perturbed = 0;          // published counts that carry cell-key noise
    std::int64_t locations_withheld = 0; // places with fewer than threshold incidents (not drawn)
    std::int64_t points_generalised = 0; // exact points folded into 100 m squares
    std::int64_t hotspots_withheld = 0;  // hotspots with fewer than k locations or k incidents
    std::int64_t outlines_generalised = 0; // outlines snapped out to the 100 m grid
    std::int64_t names_replaced = 0;     // hotspot names not from police.uk streets
    std::string rule;                    // one line for the layers' DISCLOSURE metadata
    std::vector<std::string> notes;      // layers left out and why
};

struct RunModel {
    Profile profile = Profile::published;
    DisclosureRules rules;
    store::StoredRun run;
    std::string generated;               // UTC
    std::vector<ModelLayer> layers;      // hotspots, hotspot_cells, incidents, study_area
    std::optional<ModelRaster> kde;      // the KDE surface (published: classes 1..5 on >= 100 m cells)
    DisclosureSummary disclosure;
    [[nodiscard]] const ModelLayer* find(const std::string& name) const;
};

/// The one disclosure gate: the run as `profile` publishes it.
RunModel disclose(const RawRun& raw, Profile profile, const DisclosureRules& rules);

/// Sets the referral attributes of a hotspots layer made by disclose() (ij_referrals and the
/// ij_*_pct shares) to what `profile` publishes of `referrals` (disclose_kpis): disclose()
/// itself ends with this, and the service calls it again after a referral update. A hotspot
/// with no referral has 0 when referrals are linked to the run, else nulls. Throws Error
/// when the layer has no such fields.
void set_hotspot_referrals(ModelLayer& hotspots, const RunReferrals& referrals, Profile profile,
                           const DisclosureRules& rules, const std::string& secret);

/// Referral KPIs as `profile` publishes them: for the published profile, referral counts
/// below rules.min_referral_count withheld, the rest perturbed (cell key from the group and
/// count), the scheme total protected against its groups, ratios and medians only where
/// every count they are made from is published. The internal profile is unchanged.
std::vector<referral::Kpis> disclose_kpis(const std::vector<referral::Kpis>& kpis, Profile profile,
                                          const DisclosureRules& rules, const std::string& secret);

/// An evaluation as `profile` publishes it: for the published profile every count
/// (target, buffer and control, before and after, and each month of their series) is
/// perturbed and suppressed with complementary suppression (the scheme against its
/// hotspots, each window against its months), and the measures are computed again from
/// the published counts, only where all six are published; the capture-against-area
/// curve only where every hotspot's counts are. The internal profile is unchanged.
evaluate::EvaluationSummary disclose_evaluation(const evaluate::EvaluationSummary& summary, Profile profile,
                                                const DisclosureRules& rules, const std::string& secret);

/// load_run + disclose.
RunModel build_model(store::Store& store, const LoadOptions& load, Profile profile, const DisclosureRules& rules);

/// The method of a run as its users read it ("Getis-Ord Gi* with FDR"): layer titles and metadata.
std::string method_title(const std::string& method);

} // namespace hotref::publish
