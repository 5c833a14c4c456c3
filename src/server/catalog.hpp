#pragma once
// What the service publishes, built from the store and swapped in whole: the
// collections of OGC API - Features (hotspots, cells, incidents, KPIs,
// evaluation areas in the published profile; internal-profile twins; the
// referrals for caseworkers) with every feature serialised once as GeoJSON,
// and their vector tiles in memory. A request never recomputes anything: it
// filters and concatenates.
//
// The layers are the publication model's (publish/model.hpp), the same that
// `hotref layers` writes: one load, one disclosure gate, serialised in memory
// (tiles through /vsimem/); nothing is written to disk.

#include "server/auth.hpp"
#include "server/query.hpp"
#include "server/store_guard.hpp"

#include <nlohmann/json_fwd.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace hotref::v1 {
class HotspotList;
}

namespace hotref::server {

struct Feature {
    std::string id;       // featureId in URLs
    BBox bbox;            // WGS84
    TimeInterval time;
    std::string json;     // the whole GeoJSON Feature, with "id"
};

struct TileSet {
    int min_zoom = 6;
    int max_zoom = 14;
    std::string layer;    // the MVT layer name
    std::vector<std::pair<std::string, std::string>> fields; // name, type (TileJSON vector_layers)
    std::unordered_map<std::uint64_t, std::string> tiles;    // key(z, x, y) -> MVT bytes
    static std::uint64_t key(int z, std::uint32_t x, std::uint32_t y) noexcept {
        return (static_cast<std::uint64_t>(z) << 58) | (static_cast<std::uint64_t>(x) << 29) | y;
    }
};

struct Collection {
    std::string id;
    std::string title;
    std::string description;
    Permission access = Permission::read_published;
    std::string classification;  // OFFICIAL / OFFICIAL-SENSITIVE
    std::string geometry;        // Polygon, Point, ...
    std::vector<Feature> features;
    std::unordered_map<std::string, std::size_t> by_id;
    std::optional<BBox> extent;
    std::optional<TimeInterval> interval;
    std::vector<std::pair<std::string, std::string>> fields; // name, JSON type
    std::shared_ptr<const TileSet> tiles;                    // published layers only
    std::string qml;                                         // its QGIS style (empty: none)
};

struct RunParts; // what a publication keeps of its run for a referral update (catalog.cpp)

struct Snapshot {
    std::string key;            // what the store held when it was built
    std::string built_at;
    std::int64_t run_id = 0;
    std::string method, period_from, period_to, categories;
    std::string attribution;
    std::vector<std::shared_ptr<const Collection>> collections; // shared with the next snapshot where unchanged
    std::vector<std::string> notes;  // why a collection is missing, ...
    // The current run's patrol bulletin (publish::render_bulletin, published profile).
    std::string bulletin_pdf, bulletin_html, bulletin_period;
    // What GET /v1/hotspots answers: the published hotspots with their statistics and KPIs.
    std::shared_ptr<const v1::HotspotList> hotspot_list;
    double build_seconds = 0;
    // Where those seconds went, in order: "load", "gate", "collections", "tiles", ...
    std::vector<std::pair<std::string, double>> build_stages;
    bool referrals_only = false;    // made by update_referrals from the snapshot before
    std::shared_ptr<const RunParts> parts; // null when the store has no run to publish

    [[nodiscard]] const Collection* find(const std::string& id) const;
};

struct CatalogOptions {
    std::string store_path;
    std::string method;          // empty: patrol, else Gi*
    std::string force;           // the current run of this force (a store of several); empty: any
    std::int64_t run_id = 0;     // 0: the current run of `method` (latest period, then latest id)
    int tiles_min_zoom = 6;
    int tiles_max_zoom = 14;
    bool quiet = false;
    /// At least this long between two publications, so that a stream of referral
    /// updates does not keep the service publishing (each takes seconds of CPU).
    int min_interval_ms = 10000;
    /// The same after a change of the referrals alone, which republishes only what they change.
    int min_referral_interval_ms = 250;
};

/// Builds a snapshot from the store (seconds: the gate audits every count). Throws Error.
std::shared_ptr<const Snapshot> build_snapshot(const CatalogOptions& options);

/// True when the store, now at `key`, differs from `previous` only in its referrals and
/// their links: update_referrals publishes it.
bool referrals_only_change(const Snapshot& previous, const std::string& key);

/// `previous` with the referrals as the store holds them now: the hotspots' referral
/// attributes (and the published hotspots' tiles), the KPIs, the referrals and the bulletin
/// made again; every other collection shared with `previous`. The same snapshot as
/// build_snapshot would make, in a fraction of its time. Throws Error.
std::shared_ptr<const Snapshot> update_referrals(const Snapshot& previous, const CatalogOptions& options);

/// What the store holds that the snapshot depends on (runs, referrals, links,
/// evaluations, feeds): when it changes, the snapshot is rebuilt.
std::string store_key(const std::string& store_path);

/// Run `run_id`'s hotspots as the published profile shows them (the gate, as for the served
/// run): a GeoJSON FeatureCollection, for the web map's run selector. nullopt when the store
/// has no such run, or it is not of options.force when that is set.
std::optional<std::string> run_hotspots_geojson(const CatalogOptions& options, std::int64_t run_id);

/// The current snapshot, rebuilt in the background when the store changes
/// (checked every `poll` ms, and at once after a write through the service).
class Catalog {
public:
    explicit Catalog(CatalogOptions options, int poll_ms = 2000);
    ~Catalog();
    Catalog(const Catalog&) = delete;
    Catalog& operator=(const Catalog&) = delete;

    /// Builds the first snapshot in the background thread.
    void start();
    void stop();
    /// Null until the first snapshot is built.
    [[nodiscard]] std::shared_ptr<const Snapshot> current() const { return std::atomic_load(&m_current); }
    /// Ask for a check now (after a write).
    void poke();
    [[nodiscard]] std::string last_error() const;
    [[nodiscard]] std::int64_t builds() const noexcept { return m_builds.load(); }
    [[nodiscard]] const CatalogOptions& options() const noexcept { return m_options; }

private:
    void loop();

    CatalogOptions m_options;
    StoreGuard m_store_guard; // a replaced or deleted store is not published: the last snapshot stays
    int m_poll_ms;
    std::shared_ptr<const Snapshot> m_current;
    std::thread m_thread;
    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_stop = false;
    bool m_poked = false;
    std::string m_error;
    std::atomic<std::int64_t> m_builds{0};
    std::chrono::steady_clock::time_point m_last_build{};
};

} // namespace hotref::server
