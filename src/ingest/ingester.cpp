#include "ingest/ingester.hpp"

#include "core/error.hpp"
#include "core/text.hpp"
#include "geo/gdal.hpp"
#include "geo/proj.hpp"
#include "ingest/policeuk_csv.hpp"
#include "ingest/policeuk_json.hpp"
#include "util/progress.hpp"
#include "util/sha256.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <unordered_map>

namespace hotref::ingest {

namespace {

/// Passes bytes through while hashing them and counting them.
class HashingSource final : public ByteSource {
public:
    explicit HashingSource(ByteSource& inner) : m_inner(inner) {}
    std::size_t read(char* buffer, std::size_t n) override {
        const std::size_t got = m_inner.read(buffer, n);
        m_hash.update(buffer, got);
        m_bytes += got;
        return got;
    }
    std::string digest() { return m_hash.hex_digest(); }
    [[nodiscard]] std::int64_t bytes() const noexcept { return static_cast<std::int64_t>(m_bytes); }

private:
    ByteSource& m_inner;
    Sha256 m_hash;
    std::uint64_t m_bytes = 0;
};

struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

// What we know about a distinct map point: its location id, or why it is rejected.
struct PointInfo {
    std::int64_t id = 0;          // 0: rejected
    const char* code = nullptr;   // reject code
    std::string reason;
    bool has_lsoa = false;
};

// Key for identical rows without identity, collapsed into one row with a count.
struct AggKey {
    std::int64_t partition_id, location_id, category_id, outcome_id, falls_within_id;
    std::string context, nsir;
    bool operator==(const AggKey&) const = default;
};
struct AggKeyHash {
    std::size_t operator()(const AggKey& k) const noexcept {
        std::size_t h = std::hash<std::int64_t>{}(k.location_id);
        for (const std::int64_t v : {k.partition_id, k.category_id, k.outcome_id, k.falls_within_id}) {
            h = h * 1000003u ^ std::hash<std::int64_t>{}(v);
        }
        return h ^ (std::hash<std::string>{}(k.context) * 31u) ^ std::hash<std::string>{}(k.nsir);
    }
};
struct AggValue {
    std::int64_t seq;
    std::int64_t n;
};

struct PartitionState {
    std::int64_t id = 0;
    std::int64_t rows = 0;
    std::string label;
    std::optional<std::string> previous_sha;
};

std::string fmt_coord(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", v);
    return buf;
}

} // namespace

class Ingester::Impl final : public RowSink {
public:
    Impl(store::Store& store, IngestOptions options)
        : m_store(store), m_options(std::move(options)), m_wgs84_to_bng(geo::wgs84_to_bng()) {
        if (m_options.area == nullptr) {
            m_default_area.emplace(geo::StudyArea::england_and_wales());
            m_options.area = &*m_default_area;
        }
        if (m_options.mapping && m_options.mapping->crs != "EPSG:27700" && m_options.mapping->crs != "EPSG:4326") {
            m_export_to_bng.emplace(m_options.mapping->crs, "EPSG:27700");
        }
        load_points();
    }

    FileReport ingest(const InputFile& file) {
        const auto start = std::chrono::steady_clock::now();
        m_report = FileReport{};
        m_report.name = file.display;
        m_report.kind = kind_name(file.kind);
        m_file = &file;
        reset_file_state();
        try {
            run_file(file);
        } catch (const InputError& e) {
            m_progress.reset();
            undo_file_state();
            m_report.status = "failed";
            m_report.message = e.what();
            m_report.rows_stored = 0;
            record_failed_feed(file);
        }
        m_report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        return std::move(m_report);
    }

    // --- RowSink ---
    void row(const SourceRow& r) override {
        const PointInfo& point = resolve_point(r);
        if (point.id == 0) {
            reject(store::RejectRow{r.line, r.coords == Coords::lonlat ? "Longitude,Latitude" : "Easting,Northing", point.code,
                                    point.reason, std::string{r.raw}});
            return;
        }
        ++m_report.rows_read;
        PartitionState& part = partition_for(r);
        std::int64_t category_id = 0;
        if (!r.category_slug.empty()) {
            m_slug_buf.assign(r.category_slug);
            const auto id = m_store.category_id_by_slug(m_slug_buf);
            category_id = id ? *id : m_store.category_id(m_slug_buf);
        } else {
            m_text_buf.assign(r.category);
            category_id = m_store.category_id(m_text_buf);
        }
        std::int64_t outcome_id = 0;
        if (!r.outcome.empty()) {
            m_text_buf.assign(r.outcome);
            outcome_id = m_store.outcome_id(m_text_buf);
        }
        std::int64_t falls_within_id = 0;
        if (!r.falls_within.empty()) {
            m_text_buf.assign(r.falls_within);
            falls_within_id = m_store.force_id(m_text_buf);
        }
        ++part.rows;
        ++m_report.rows_stored;
        if (r.crime_id.empty() && !r.occurred && r.reference.empty()) {
            AggKey key{part.id, point.id, category_id, outcome_id, falls_within_id, std::string{r.context},
                       std::string{r.nsir}};
            auto [it, inserted] = m_agg.try_emplace(std::move(key), AggValue{r.line, 0});
            ++it->second.n;
            return;
        }
        m_incident.partition_id = part.id;
        m_incident.seq = r.line;
        m_incident.location_id = point.id;
        m_incident.category_id = category_id;
        m_incident.outcome_id = outcome_id;
        m_incident.falls_within_id = falls_within_id;
        m_incident.crime_id.assign(r.crime_id);
        m_incident.context.assign(r.context);
        m_incident.occurred_at = r.occurred ? r.occurred->iso() : std::string{};
        m_incident.nsir.assign(r.nsir);
        m_incident.reference.assign(r.reference);
        m_incident.n = 1;
        m_store.insert_incident(m_incident);
    }

    void reject(store::RejectRow rej) override {
        ++m_report.rows_read;
        ++m_report.rows_rejected;
        ++m_report.rejects_by_code[rej.code];
        m_store.insert_reject(m_feed_id, rej);
        if (m_report.reject_examples.size() < m_options.reject_examples) {
            m_report.reject_examples.push_back(std::move(rej));
        }
    }

    void progress(std::uint64_t bytes) override {
        if (m_progress) {
            m_progress->update(bytes, static_cast<std::uint64_t>(m_report.rows_read));
        }
    }

private:
    void load_points() {
        m_points.clear();
        m_store.for_each_location([this](std::int64_t id, const store::LocationRow& row) {
            PointInfo info;
            info.id = id;
            info.has_lsoa = !row.lsoa_code.empty();
            const std::string key = row.exact ? bng_key(row.easting, row.northing, row.street)
                                              : lonlat_key(row.lon, row.lat, row.street);
            m_points.emplace(key, std::move(info));
        });
    }

    static void append_int(std::string& key, std::int64_t v) {
        char buf[sizeof v];
        std::memcpy(buf, &v, sizeof v);
        key.append(buf, sizeof v);
    }
    // Keys: police.uk points by their published micro-degrees and street text;
    // a force's exact points by decimetres of easting/northing.
    static std::string lonlat_key(double lon, double lat, std::string_view street) {
        std::string key{"G"};
        append_int(key, std::llround(lon * 1e6));
        append_int(key, std::llround(lat * 1e6));
        key.append(street);
        return key;
    }
    static std::string bng_key(double e, double n, std::string_view street) {
        std::string key{"B"};
        append_int(key, std::llround(e * 10));
        append_int(key, std::llround(n * 10));
        key.append(street);
        return key;
    }

    const PointInfo& resolve_point(const SourceRow& r) {
        const bool exact = m_file->kind == FeedKind::force_export;
        store::LocationRow loc;
        loc.exact = exact;
        loc.street = std::string{r.street};
        loc.lsoa_code = std::string{r.lsoa_code};
        loc.lsoa_name = std::string{r.lsoa_name};
        // Work out projected (E/N) and geographic (lon/lat) coordinates.
        if (r.coords == Coords::lonlat) {
            loc.lon = r.x;
            loc.lat = r.y;
        } else if (m_export_to_bng) {
            const auto p = m_export_to_bng->forward({r.x, r.y});
            loc.easting = p.x;
            loc.northing = p.y;
        } else {
            loc.easting = r.x;
            loc.northing = r.y;
        }
        m_key_buf = exact && r.coords != Coords::lonlat ? bng_key(loc.easting, loc.northing, r.street)
                                                        : lonlat_key(r.x, r.y, r.street);
        if (exact && r.coords == Coords::lonlat) {
            m_key_buf[0] = 'X'; // exact points given in lon/lat: a key space of their own
        }
        if (const auto it = m_points.find(m_key_buf); it != m_points.end()) {
            if (it->second.id != 0 && !it->second.has_lsoa && !r.lsoa_code.empty()) {
                m_store.update_location_lsoa(it->second.id, loc.lsoa_code, loc.lsoa_name);
                it->second.has_lsoa = true;
            }
            return it->second;
        }
        PointInfo info;
        if (r.x == 0.0 && r.y == 0.0) {
            info.code = "zero_coordinates";
            info.reason = "coordinates are (0, 0): a placeholder, not a place";
        } else if (r.coords == Coords::lonlat && (std::fabs(r.x) > 180 || std::fabs(r.y) > 90)) {
            info.code = "bad_coordinates";
            info.reason = "longitude/latitude out of range (" + std::to_string(r.x) + ", " + std::to_string(r.y) + ")";
        } else {
            if (r.coords == Coords::lonlat) {
                const auto p = m_wgs84_to_bng.forward({loc.lon, loc.lat});
                loc.easting = p.x;
                loc.northing = p.y;
            } else {
                const auto p = m_wgs84_to_bng.inverse({loc.easting, loc.northing});
                loc.lon = p.x;
                loc.lat = p.y;
            }
            if (!std::isfinite(loc.easting) || !std::isfinite(loc.northing) || !std::isfinite(loc.lon) ||
                !std::isfinite(loc.lat)) {
                info.code = "bad_coordinates";
                info.reason = "coordinates cannot be projected to British National Grid";
            } else if (!m_options.area->contains(loc.easting, loc.northing)) {
                info.code = "outside_area";
                info.reason = "outside " + m_options.area->name() + " (easting " + fmt_coord(loc.easting) +
                              ", northing " + fmt_coord(loc.northing) + ")";
            } else {
                info.id = m_store.insert_location(loc);
                info.has_lsoa = !loc.lsoa_code.empty();
                ++m_report.locations_added;
            }
        }
        m_added_keys.push_back(m_key_buf);
        return m_points.emplace(m_key_buf, std::move(info)).first->second;
    }

    PartitionState& partition_for(const SourceRow& r) {
        m_part_key.assign(r.force);
        m_part_key += '\x1f';
        m_part_key += r.month.str();
        if (const auto it = m_partitions.find(m_part_key); it != m_partitions.end()) {
            return it->second;
        }
        const std::string force{r.force};
        const std::string month = r.month.str();
        const char* source = source_name(m_file->kind);
        const auto force_id = m_store.force_id(force);
        PartitionState st;
        st.previous_sha = m_store.partition_owner_sha(source, force_id, month);
        st.id = m_store.claim_partition(source, force_id, month, m_feed_id);
        st.label = std::string{source} + " | " + force + " | " + month;
        return m_partitions.emplace(m_part_key, std::move(st)).first->second;
    }

    void reset_file_state() {
        m_partitions.clear();
        m_agg.clear();
        m_added_keys.clear();
        m_feed_id = 0;
        m_progress.reset();
    }

    // After a rollback: forget ids that were never committed.
    void undo_file_state() {
        for (const auto& key : m_added_keys) {
            m_points.erase(key);
        }
        m_added_keys.clear();
        m_store.clear_caches();
        m_partitions.clear();
        m_agg.clear();
    }

    void run_file(const InputFile& file) {
        geo::VsiFile raw{file.vsi};
        HashingSource source{raw};
        store::Transaction tx{m_store.db()};
        store::FeedRecord feed;
        feed.path = file.vsi;
        feed.name = file.display;
        feed.kind = kind_name(file.kind);
        feed.sha256 = "";
        feed.status = "loading";
        m_feed_id = m_store.insert_feed(feed);
        m_report.feed_id = m_feed_id;
        m_progress.emplace(file.display, file.size);
        switch (file.kind) {
        case FeedKind::policeuk_csv:
            read_policeuk_csv(source, file.display, *this);
            break;
        case FeedKind::policeuk_json: {
            std::string text;
            char buf[1 << 16];
            while (const std::size_t n = source.read(buf, sizeof buf)) {
                text.append(buf, n);
            }
            read_policeuk_json(text, file.display, m_options.api_force, *this);
            break;
        }
        case FeedKind::force_export:
            if (!m_options.mapping) {
                throw UsageError("force exports need --mapping FILE");
            }
            read_force_export(source, file.display, *m_options.mapping, *this);
            break;
        }
        m_progress->finish();
        m_progress.reset();
        // Drain whatever the reader left unread (so the digest covers the whole file).
        {
            char buf[1 << 16];
            while (source.read(buf, sizeof buf) != 0) {
            }
        }
        m_report.sha256 = source.digest();
        m_report.bytes = source.bytes();

        if (is_unchanged()) {
            // Identical content already owns every partition: change nothing.
            undo_file_state();
            m_report.status = "unchanged";
            m_report.message = "identical content (SHA-256) is already stored";
            m_report.feed_id = 0;
            m_report.rows_stored = 0;
            m_report.rows_rejected = 0;
            m_report.rejects_by_code.clear();
            m_report.reject_examples.clear();
            return; // tx rolls back
        }
        store::IncidentRow row;
        for (const auto& [key, value] : m_agg) {
            row.partition_id = key.partition_id;
            row.seq = value.seq;
            row.location_id = key.location_id;
            row.category_id = key.category_id;
            row.outcome_id = key.outcome_id;
            row.falls_within_id = key.falls_within_id;
            row.context = key.context;
            row.nsir = key.nsir;
            row.n = value.n;
            m_store.insert_incident(row);
        }
        for (auto& [key, part] : m_partitions) {
            m_store.set_partition_rows(part.id, part.rows);
            m_report.partitions.push_back(part.label);
            if (part.previous_sha) {
                ++m_report.partitions_replaced;
            }
        }
        std::sort(m_report.partitions.begin(), m_report.partitions.end());
        feed.sha256 = m_report.sha256;
        feed.bytes = m_report.bytes;
        feed.rows_read = m_report.rows_read;
        feed.rows_stored = m_report.rows_stored;
        feed.rows_rejected = m_report.rows_rejected;
        feed.status = "stored";
        m_store.finish_feed(m_feed_id, feed);
        tx.commit();
        m_added_keys.clear();
        m_report.status = "stored";
    }

    bool is_unchanged() {
        if (m_partitions.empty()) {
            return m_store.has_stored_feed(m_report.sha256);
        }
        for (const auto& [key, part] : m_partitions) {
            if (!part.previous_sha || *part.previous_sha != m_report.sha256) {
                return false;
            }
        }
        return true;
    }

    void record_failed_feed(const InputFile& file) {
        store::Transaction tx{m_store.db()};
        store::FeedRecord feed;
        feed.path = file.vsi;
        feed.name = file.display;
        feed.kind = kind_name(file.kind);
        feed.sha256 = m_report.sha256.empty() ? "unknown" : m_report.sha256;
        feed.status = "failed";
        feed.message = m_report.message;
        feed.rows_read = m_report.rows_read;
        m_report.feed_id = m_store.insert_feed(feed);
        m_store.finish_feed(m_report.feed_id, feed);
        tx.commit();
    }

    store::Store& m_store;
    IngestOptions m_options;
    std::optional<geo::StudyArea> m_default_area;
    geo::Transformer m_wgs84_to_bng;
    std::optional<geo::Transformer> m_export_to_bng;
    std::unordered_map<std::string, PointInfo, StringHash, std::equal_to<>> m_points;
    std::vector<std::string> m_added_keys;
    std::unordered_map<std::string, PartitionState> m_partitions;
    std::unordered_map<AggKey, AggValue, AggKeyHash> m_agg;
    std::optional<Progress> m_progress;
    const InputFile* m_file = nullptr;
    FileReport m_report;
    std::int64_t m_feed_id = 0;
    store::IncidentRow m_incident;
    std::string m_key_buf;
    std::string m_part_key;
    std::string m_text_buf;
    std::string m_slug_buf;
};

Ingester::Ingester(store::Store& store, IngestOptions options)
    : m_impl(std::make_unique<Impl>(store, std::move(options))) {}

Ingester::~Ingester() = default;

FileReport Ingester::ingest(const InputFile& file) {
    return m_impl->ingest(file);
}

} // namespace hotref::ingest
