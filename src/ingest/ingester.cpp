#include "ingest/ingester.hpp"

#include "core/error.hpp"
#include "core/text.hpp"
#include "geo/gdal.hpp"
#include "geo/proj.hpp"
#include "ingest/background.hpp"
#include "ingest/policeuk_csv.hpp"
#include "ingest/policeuk_json.hpp"
#include "util/progress.hpp"
#include "util/sha256.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <unordered_map>

#include <sys/stat.h>

namespace hotref::ingest {

namespace {

/// Reads (and decompresses) the file and hashes it on a thread of its own, a
/// few MiB ahead of the parser: reading, gunzip/unzip and SHA-256 overlap
/// with parsing and writing.
class ReadAheadSource final : public ByteSource {
public:
    explicit ReadAheadSource(ByteSource& inner) : m_inner(inner), m_thread([this] { produce(); }) {}
    ~ReadAheadSource() override {
        {
            std::lock_guard lock{m_mutex};
            m_stop = true;
        }
        m_cv.notify_all();
        m_thread.join();
    }
    ReadAheadSource(const ReadAheadSource&) = delete;
    ReadAheadSource& operator=(const ReadAheadSource&) = delete;

    std::size_t read(char* buffer, std::size_t n) override {
        std::size_t copied = 0;
        while (copied < n) {
            if (m_current_pos == m_current.size) {
                std::unique_lock lock{m_mutex};
                m_cv.wait(lock, [this] { return !m_queue.empty() || m_done; });
                if (m_queue.empty()) {
                    if (m_error) {
                        std::rethrow_exception(m_error);
                    }
                    break; // end of input
                }
                if (m_current.data) {
                    m_free.push_back(std::move(m_current)); // recycle: no new pages to fault in
                }
                m_current = std::move(m_queue.front());
                m_queue.pop_front();
                m_current_pos = 0;
                lock.unlock();
                m_cv.notify_all();
            }
            const std::size_t take = std::min(n - copied, m_current.size - m_current_pos);
            std::memcpy(buffer + copied, m_current.data.get() + m_current_pos, take);
            copied += take;
            m_current_pos += take;
        }
        return copied;
    }

    /// Hex SHA-256 and size of everything the file held (waits for the reader).
    std::string digest() {
        std::unique_lock lock{m_mutex};
        m_drain = true;
        m_cv.notify_all();
        m_cv.wait(lock, [this] { return m_done; });
        if (m_error) {
            std::rethrow_exception(m_error);
        }
        return m_digest;
    }
    [[nodiscard]] std::int64_t bytes() const noexcept { return static_cast<std::int64_t>(m_bytes); }

private:
    static constexpr std::size_t chunk = std::size_t{4} << 20;
    static constexpr std::size_t max_queued = 4;

    void produce() {
        try {
            Sha256 hash;
            while (true) {
                Chunk buf;
                {
                    std::lock_guard lock{m_mutex};
                    if (!m_free.empty()) {
                        buf = std::move(m_free.back());
                        m_free.pop_back();
                    }
                }
                if (!buf.data) {
                    buf.data.reset(new char[chunk]);
                }
                const std::size_t got = m_inner.read(buf.data.get(), chunk);
                if (got == 0) {
                    break;
                }
                buf.size = got;
                hash.update(buf.data.get(), got);
                m_bytes += got;
                std::unique_lock lock{m_mutex};
                // When draining (the parser stopped early), bytes are hashed but not queued.
                m_cv.wait(lock, [this] { return m_queue.size() < max_queued || m_stop || m_drain; });
                if (m_stop) {
                    return;
                }
                if (!m_drain) {
                    m_queue.push_back(std::move(buf));
                }
                lock.unlock();
                m_cv.notify_all();
            }
            const std::string hex = hash.hex_digest();
            std::lock_guard lock{m_mutex};
            m_digest = hex;
            m_done = true;
        } catch (...) {
            std::lock_guard lock{m_mutex};
            m_error = std::current_exception();
            m_done = true;
        }
        m_cv.notify_all();
    }

    ByteSource& m_inner;
    std::mutex m_mutex;
    std::condition_variable m_cv;
    struct Chunk {
        std::unique_ptr<char[]> data;
        std::size_t size = 0;
    };
    std::deque<Chunk> m_queue;
    std::vector<Chunk> m_free;
    Chunk m_current;
    std::size_t m_current_pos = 0;
    bool m_done = false;
    bool m_stop = false;
    bool m_drain = false;
    std::exception_ptr m_error;
    std::string m_digest;
    std::atomic<std::uint64_t> m_bytes{0};
    std::thread m_thread; // last: started once everything above exists
};


// What we know about a distinct map point: its location id, or why it is rejected.
struct PointInfo {
    std::int64_t id = 0;          // 0: rejected
    bool area_checked = true;     // false: a stored location not yet checked against this ingest's area
    double easting = 0;
    double northing = 0;
    const char* code = nullptr;   // reject code
    std::string reason;
    bool has_lsoa = false;
};

/// Distinct map points by key: open addressing with the full hash kept per
/// slot, so a lookup is one hash of the key and (almost always) one compare.
/// Entries are never erased; after a rollback they are reset to "unknown".
class PointTable {
public:
    PointInfo* find(std::string_view key) {
        if (m_slots.empty()) {
            return nullptr;
        }
        const std::uint64_t h = hash(key);
        for (std::size_t i = h & m_mask;; i = (i + 1) & m_mask) {
            const Slot& slot = m_slots[i];
            if (slot.index == 0) {
                return nullptr;
            }
            if (slot.hash == h && m_keys[slot.index - 1] == key) {
                return &m_values[slot.index - 1];
            }
        }
    }

    /// Adds a key that find() did not find.
    PointInfo& insert(std::string_view key, PointInfo info) {
        if ((m_keys.size() + 1) * 2 > m_slots.size()) {
            grow();
        }
        m_keys.emplace_back(key);
        m_values.push_back(std::move(info));
        place(hash(key), static_cast<std::uint32_t>(m_keys.size()));
        return m_values.back();
    }

    void clear() {
        m_slots.clear();
        m_keys.clear();
        m_values.clear();
        m_mask = 0;
    }

private:
    struct Slot {
        std::uint64_t hash = 0;
        std::uint32_t index = 0; // 1-based into m_keys; 0 = empty
    };

    static std::uint64_t hash(std::string_view key) noexcept { return std::hash<std::string_view>{}(key); }

    void place(std::uint64_t h, std::uint32_t index) {
        std::size_t i = h & m_mask;
        while (m_slots[i].index != 0) {
            i = (i + 1) & m_mask;
        }
        m_slots[i] = Slot{h, index};
    }

    void grow() {
        const std::size_t size = m_slots.empty() ? 1024 : m_slots.size() * 2;
        m_slots.assign(size, Slot{});
        m_mask = size - 1;
        for (std::size_t k = 0; k < m_keys.size(); ++k) {
            place(hash(m_keys[k]), static_cast<std::uint32_t>(k + 1));
        }
    }

    std::vector<Slot> m_slots;
    std::size_t m_mask = 0;
    std::vector<std::string> m_keys;
    std::deque<PointInfo> m_values; // stable references
};

// Key for identical rows without identity, collapsed into one row with a count.
// Texts (context, NSIR qualifier) enter the key as small interned ids.
struct AggKey {
    std::int64_t partition_id, location_id, category_id, outcome_id, falls_within_id, context_id, nsir_id;
    bool operator==(const AggKey&) const = default;
};
struct AggKeyHash {
    std::size_t operator()(const AggKey& k) const noexcept {
        std::uint64_t h = static_cast<std::uint64_t>(k.location_id) * 0x9E3779B97F4A7C15ULL;
        for (const std::int64_t v : {k.partition_id, k.category_id, k.outcome_id, k.falls_within_id, k.context_id,
                                     k.nsir_id}) {
            h = (h ^ static_cast<std::uint64_t>(v)) * 0x100000001B3ULL;
        }
        return static_cast<std::size_t>(h ^ (h >> 29));
    }
};

/// Ids of a few dozen names at most (categories, outcomes, forces): a linear
/// scan over short strings beats hashing every row.
class IdCache {
public:
    const std::int64_t* find(std::string_view key) const noexcept {
        for (const auto& [name, id] : m_entries) {
            if (name.size() == key.size() && name == key) {
                return &id;
            }
        }
        return nullptr;
    }
    void add(std::string name, std::int64_t id) { m_entries.emplace_back(std::move(name), id); }
    void clear() noexcept { m_entries.clear(); }

private:
    std::vector<std::pair<std::string, std::int64_t>> m_entries;
};
struct AggValue {
    std::int64_t seq;
    std::int64_t n;
};

/// Collapsed rows by key: open addressing over a flat array of entries, so a
/// million ASB rows cost a hash and (mostly) one probe each, not a node walk.
class AggTable {
public:
    AggValue& find_or_add(const AggKey& key, std::int64_t seq) {
        if ((m_entries.size() + 1) * 2 > m_slots.size()) {
            grow();
        }
        const std::uint64_t h = AggKeyHash{}(key);
        std::size_t i = h & m_mask;
        while (true) {
            const std::uint32_t e = m_slots[i];
            if (e == 0) {
                m_entries.emplace_back(key, AggValue{seq, 0});
                m_slots[i] = static_cast<std::uint32_t>(m_entries.size());
                return m_entries.back().second;
            }
            if (m_entries[e - 1].first == key) {
                return m_entries[e - 1].second;
            }
            i = (i + 1) & m_mask;
        }
    }
    [[nodiscard]] const std::vector<std::pair<AggKey, AggValue>>& entries() const noexcept { return m_entries; }
    void clear() {
        m_entries.clear();
        m_slots.clear();
        m_mask = 0;
    }

private:
    void grow() {
        const std::size_t size = m_slots.empty() ? 4096 : m_slots.size() * 2;
        m_slots.assign(size, 0);
        m_mask = size - 1;
        for (std::size_t k = 0; k < m_entries.size(); ++k) {
            std::size_t i = AggKeyHash{}(m_entries[k].first) & m_mask;
            while (m_slots[i] != 0) {
                i = (i + 1) & m_mask;
            }
            m_slots[i] = static_cast<std::uint32_t>(k + 1);
        }
    }

    std::vector<std::pair<AggKey, AggValue>> m_entries;
    std::vector<std::uint32_t> m_slots;
    std::size_t m_mask = 0;
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
        if (m_options.mapping && !m_options.mapping->lonlat && m_options.mapping->crs != "EPSG:27700") {
            m_export_to_bng.emplace(m_options.mapping->crs, "EPSG:27700");
        }
        load_points();
        if (const char* k = std::getenv("HOTREF_TEST_KILL_AFTER_ROWS")) {
            m_kill_after = std::atoll(k);
        }
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
            m_store.take_new_categories();
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
            reject(store::RejectRow{r.line, r.coords == Coords::lonlat ? "Longitude,Latitude" : "Easting,Northing",
                                    point.code, point.reason, r.raw_text()});
            return;
        }
        ++m_report.rows_read;
        check_row_limit();
        if (m_report.rows_read == m_kill_after) {
            std::raise(SIGKILL); // test hook: a process killed mid-ingest (see tests/cli)
        }
        PartitionState& part = partition_for(r);
        const std::int64_t category_id = !r.category_slug.empty()
                                             ? cached(m_slug_ids, r.category_slug, [this](const std::string& slug) {
                                                   const auto id = m_store.category_id_by_slug(slug);
                                                   return id ? *id : m_store.category_id(slug);
                                               })
                                             : cached(m_category_ids, r.category, [this](const std::string& name) {
                                                   return m_store.category_id(name);
                                               });
        const std::int64_t outcome_id =
            r.outcome.empty() ? 0 : cached(m_outcome_ids, r.outcome, [this](const std::string& name) {
                return m_store.outcome_id(name);
            });
        const std::int64_t falls_within_id =
            r.falls_within.empty() ? 0 : cached(m_force_ids, r.falls_within, [this](const std::string& name) {
                return m_store.force_id(name);
            });
        ++part.rows;
        ++m_report.rows_stored;
        if (r.crime_id.empty() && !r.occurred && r.reference.empty()) {
            const AggKey key{part.id, point.id, category_id, outcome_id, falls_within_id, intern_text(r.context),
                             intern_text(r.nsir)};
            ++m_agg.find_or_add(key, r.line).n;
            return;
        }
        if (m_batch_size == m_batch.size()) {
            m_batch.emplace_back();
        }
        store::IncidentRow& row = m_batch[m_batch_size++];
        row.partition_id = part.id;
        row.seq = r.line;
        row.location_id = point.id;
        row.category_id = category_id;
        row.outcome_id = outcome_id;
        row.falls_within_id = falls_within_id;
        row.crime_id.assign(r.crime_id);
        row.context.assign(r.context);
        if (r.occurred) {
            row.occurred_at = r.occurred->iso();
        } else {
            row.occurred_at.clear();
        }
        row.nsir.assign(r.nsir);
        row.reference.assign(r.reference);
        row.n = 1;
        if (m_batch_size == batch_rows) {
            flush_batch();
        }
    }

    void flush_batch() {
        m_batch.resize(m_batch_size);
        m_store.insert_incidents(m_batch);
        m_batch_size = 0;
    }

    template <typename Lookup>
    std::int64_t cached(IdCache& cache, std::string_view key, Lookup&& lookup) {
        if (const std::int64_t* id = cache.find(key)) {
            return *id;
        }
        std::string k{key};
        const std::int64_t id = lookup(k);
        cache.add(std::move(k), id);
        return id;
    }

    std::int64_t intern_text(std::string_view text) {
        if (text.empty()) {
            return 0;
        }
        return cached(m_text_ids, text, [this](const std::string& t) {
            m_texts.push_back(t);
            return static_cast<std::int64_t>(m_texts.size());
        });
    }

    void reject(store::RejectRow rej) override {
        ++m_report.rows_read;
        ++m_report.rows_rejected;
        check_row_limit();
        ++m_report.rejects_by_code[rej.code];
        m_store.insert_reject(m_feed_id, rej);
        // police.uk "No Location" rows (no coordinates) are normal: counted, not examples, so
        // the examples show the rows that are wrong.
        if (rej.code != "no_coordinates" && m_report.reject_examples.size() < m_options.reject_examples) {
            m_report.reject_examples.push_back(std::move(rej));
        }
    }

    void progress(std::uint64_t bytes) override {
        if (m_progress) {
            m_progress->update(bytes, static_cast<std::uint64_t>(m_report.rows_read));
        }
    }

private:

    // Keys: police.uk points by their published micro-degrees and street text
    // ('G'); a force's exact points by decimetres of easting/northing ('B').
    static void make_key(std::string& key, char space, double a, double b, std::string_view street) {
        const std::int64_t ia = std::isfinite(a) ? std::llround(a) : 0;
        const std::int64_t ib = std::isfinite(b) ? std::llround(b) : 0;
        key.resize(1 + 2 * sizeof(std::int64_t));
        key[0] = space;
        std::memcpy(key.data() + 1, &ia, sizeof ia);
        std::memcpy(key.data() + 1 + sizeof ia, &ib, sizeof ib);
        key.append(street);
    }

    // Locations stored since the last call (all of them the first time). Called again once a
    // file's transaction holds the write lock, so points another process stored meanwhile are
    // known and never stored twice (docs/store.md: one row per point).
    void load_points() {
        m_store.for_each_location([this](std::int64_t id, const store::LocationRow& row) {
            m_points_loaded = std::max(m_points_loaded, id);
            PointInfo info;
            info.id = id;
            info.has_lsoa = !row.lsoa_code.empty();
            info.area_checked = false;
            info.easting = row.easting;
            info.northing = row.northing;
            if (row.exact) {
                // Exact points are keyed as their feed gave them; E/N is canonical.
                make_key(m_key_buf, 'B', row.easting * 10, row.northing * 10, row.street);
            } else {
                make_key(m_key_buf, 'G', row.lon * 1e6, row.lat * 1e6, row.street);
            }
            if (PointInfo* known = m_points.find(m_key_buf)) {
                if (known->id == 0 && known->code == nullptr) {
                    *known = std::move(info); // unknown since a rollback: stored by another process
                }
                return;
            }
            m_points.insert(m_key_buf, std::move(info));
        }, m_points_loaded);
    }

    const PointInfo& resolve_point(const SourceRow& r) {
        const bool exact = m_file->kind == FeedKind::force_export;
        double easting = 0;
        double northing = 0;
        if (r.coords == Coords::projected) {
            if (m_export_to_bng) {
                const auto p = m_export_to_bng->forward({r.x, r.y});
                easting = p.x;
                northing = p.y;
            } else {
                easting = r.x;
                northing = r.y;
            }
            make_key(m_key_buf, 'B', easting * 10, northing * 10, r.street);
        } else if (exact) {
            const auto p = m_wgs84_to_bng.forward({r.x, r.y});
            make_key(m_key_buf, 'B', p.x * 10, p.y * 10, r.street);
        } else {
            make_key(m_key_buf, 'G', r.x * 1e6, r.y * 1e6, r.street);
        }
        PointInfo* known = m_points.find(m_key_buf);
        if (known != nullptr && known->id != 0 && !known->area_checked) {
            // A location stored by an earlier ingest: it must lie in this ingest's area too.
            known->area_checked = true;
            if (!m_options.area->contains(known->easting, known->northing)) {
                known->id = 0;
                known->code = "outside_area";
                known->reason = "outside " + m_options.area->name() + " (easting " + fmt_coord(known->easting) +
                                ", northing " + fmt_coord(known->northing) + ")";
            }
        }
        if (known != nullptr && (known->id != 0 || known->code != nullptr)) {
            if (known->id != 0 && !known->has_lsoa && !r.lsoa_code.empty()) {
                m_store.update_location_lsoa(known->id, std::string{r.lsoa_code}, std::string{r.lsoa_name});
                known->has_lsoa = true;
            }
            return *known;
        }
        store::LocationRow loc;
        loc.exact = exact;
        loc.street = std::string{r.street};
        loc.lsoa_code = std::string{r.lsoa_code};
        loc.lsoa_name = std::string{r.lsoa_name};
        if (r.coords == Coords::lonlat) {
            loc.lon = r.x;
            loc.lat = r.y;
        } else {
            loc.easting = easting;
            loc.northing = northing;
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
        if (known != nullptr) {
            *known = std::move(info); // an entry reset by a rollback
            return *known;
        }
        return m_points.insert(m_key_buf, std::move(info));
    }

    PartitionState& partition_for(const SourceRow& r) {
        // Rows of one partition come together: check the last one first.
        if (m_last_part != nullptr && r.month == m_last_month && r.force == m_last_force) {
            return *m_last_part;
        }
        m_part_key.assign(r.force);
        m_part_key += '\x1f';
        m_part_key += r.month.str();
        if (const auto it = m_partitions.find(m_part_key); it != m_partitions.end()) {
            remember_partition(r, it->second);
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
        PartitionState& stored = m_partitions.emplace(m_part_key, std::move(st)).first->second;
        remember_partition(r, stored);
        return stored;
    }

    void remember_partition(const SourceRow& r, PartitionState& part) {
        m_last_part = &part;
        m_last_month = r.month;
        m_last_force.assign(r.force);
    }

    void check_row_limit() const {
        if (m_report.rows_read + m_report.rows_rejected > m_options.limits.max_rows) {
            throw InputError(m_file->display + ": more than " + with_commas(m_options.limits.max_rows) +
                             " rows (--max-rows); raise the limit with --max-rows if the file is genuine");
        }
    }

    void reset_file_state() {
        clear_file_caches();
        m_added_keys.clear();
        m_feed_id = 0;
        m_progress.reset();
    }

    // After a rollback: forget ids that were never committed.
    void undo_file_state() {
        for (const auto& key : m_added_keys) {
            if (PointInfo* p = m_points.find(key)) {
                *p = PointInfo{}; // unknown again: its location row was rolled back
            }
        }
        m_added_keys.clear();
        m_store.clear_caches();
        clear_file_caches();
    }

    // Ids may come from a transaction that is rolled back: cache them per file only.
    void clear_file_caches() {
        m_partitions.clear();
        m_last_part = nullptr;
        m_agg.clear();
        m_batch_size = 0;
        m_slug_ids.clear();
        m_category_ids.clear();
        m_outcome_ids.clear();
        m_force_ids.clear();
        m_text_ids.clear();
        m_texts.clear();
    }

    // The file on disk as it was when reading began: a file that changes while it is read fails.
    struct DiskState {
        bool known = false;
        std::uint64_t size = 0;
        std::int64_t mtime_ns = 0;
        std::uint64_t inode = 0;
        bool operator==(const DiskState&) const = default;
    };

    static DiskState disk_state(const std::string& os_path) {
        DiskState d;
        struct stat st {};
        if (!os_path.empty() && ::stat(os_path.c_str(), &st) == 0) {
            d.known = true;
            d.size = static_cast<std::uint64_t>(st.st_size);
            d.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
            d.inode = static_cast<std::uint64_t>(st.st_ino);
        }
        return d;
    }

    std::string file_limit_message(const InputFile& file) const {
        return file.display + ": the file expands to more than " + format_size(m_options.limits.max_file_bytes) +
               " (--max-file-size); a data.police.uk month is far smaller, so this looks like a damaged file or "
               "a decompression bomb; raise the limit with --max-file-size if the file is genuine";
    }

    // A police.uk API response is parsed whole, so it is read into memory under its own limit.
    std::string read_json_text(ByteSource& source, const InputFile& file) const {
        std::string text;
        char buf[1 << 16];
        while (const std::size_t n = source.read(buf, sizeof buf)) {
            text.append(buf, n);
            if (text.size() > m_options.limits.max_json_bytes) {
                throw InputError(file.display + ": JSON larger than " +
                                 format_size(m_options.limits.max_json_bytes) +
                                 " (--max-json-size); a police.uk API response holds at most 10,000 crimes "
                                 "(a few MB); raise the limit with --max-json-size if the file is genuine");
            }
        }
        return text;
    }

    void read_file(const InputFile& file, ReadAheadSource& source) {
        std::optional<Windows1252Source> transcoded;
        ByteSource* text = &source;
        if (m_options.encoding == Encoding::windows1252 && file.kind != FeedKind::policeuk_json) {
            text = &transcoded.emplace(source);
        }
        switch (file.kind) {
        case FeedKind::policeuk_csv: {
            const auto csv = csv_options(file.display, ',', m_options.limits, m_options.encoding);
            read_in_background([&](RowSink& sink) { read_policeuk_csv(*text, file.display, sink, csv); }, *this);
            break;
        }
        case FeedKind::policeuk_json:
            read_policeuk_json(read_json_text(source, file), file.display, m_options.api_force, *this);
            break;
        case FeedKind::force_export: {
            if (!m_options.mapping) {
                throw UsageError("force exports need --mapping FILE");
            }
            const auto csv = csv_options(file.display, m_options.mapping->delimiter, m_options.limits,
                                         m_options.encoding);
            read_in_background(
                [&](RowSink& sink) { read_force_export(*text, file.display, *m_options.mapping, sink, csv); },
                *this);
            break;
        }
        }
    }

    void run_file(const InputFile& file) {
        const DiskState before = disk_state(file.os_path);
        geo::VsiFile raw{file.vsi};
        LimitedSource limited{raw, m_options.limits.max_file_bytes, file_limit_message(file)};
        ReadAheadSource source{limited};
        store::Transaction tx{m_store};
        load_points(); // BEGIN IMMEDIATE holds the write lock: no other writer adds points until commit
        std::optional<store::LocationBatch> locations; // new points indexed in bulk before commit (docs/store.md)
        if (m_options.bulk_locations) {
            locations.emplace(m_store);
        }
        store::FeedRecord feed;
        feed.path = file.vsi;
        feed.name = file.display;
        feed.kind = kind_name(file.kind);
        feed.sha256 = "";
        feed.status = "loading";
        m_feed_id = m_store.insert_feed(feed);
        m_report.feed_id = m_feed_id;
        m_progress.emplace(file.display, file.size);
        read_file(file, source);
        m_progress->finish();
        m_progress.reset();
        m_report.sha256 = source.digest(); // of the whole file, even if a reader stopped early
        m_report.bytes = source.bytes();
        if (const DiskState after = disk_state(file.os_path); !(after == before)) {
            throw InputError(file.display + ": the file changed while it was read (" + std::to_string(before.size) +
                             " bytes when reading began, " + std::to_string(after.size) +
                             " now); nothing of it was stored; ingest it again once it is complete");
        }

        if (!m_options.reingest && is_unchanged()) {
            // Identical content already owns every partition: change nothing.
            undo_file_state();
            m_report.status = "unchanged";
            m_report.message = "identical content (SHA-256) is already stored";
            m_report.feed_id = 0;
            m_report.rows_stored = 0;
            m_report.rows_rejected = 0;
            m_report.locations_added = 0; // rolled back with everything else
            m_report.rejects_by_code.clear();
            m_report.reject_examples.clear();
            return; // tx rolls back
        }
        flush_batch();
        // The collapsed rows, in source order.
        std::vector<std::pair<const AggKey*, AggValue>> collapsed;
        collapsed.reserve(m_agg.entries().size());
        for (const auto& [key, value] : m_agg.entries()) {
            collapsed.emplace_back(&key, value);
        }
        std::sort(collapsed.begin(), collapsed.end(), [](const auto& a, const auto& b) {
            return std::pair{a.first->partition_id, a.second.seq} < std::pair{b.first->partition_id, b.second.seq};
        });
        m_batch.assign(collapsed.size(), store::IncidentRow{});
        for (std::size_t i = 0; i < collapsed.size(); ++i) {
            const AggKey& key = *collapsed[i].first;
            store::IncidentRow& row = m_batch[i];
            row.partition_id = key.partition_id;
            row.seq = collapsed[i].second.seq;
            row.location_id = key.location_id;
            row.category_id = key.category_id;
            row.outcome_id = key.outcome_id;
            row.falls_within_id = key.falls_within_id;
            row.context = key.context_id == 0 ? std::string{} : m_texts[static_cast<std::size_t>(key.context_id - 1)];
            row.nsir = key.nsir_id == 0 ? std::string{} : m_texts[static_cast<std::size_t>(key.nsir_id - 1)];
            row.n = collapsed[i].second.n;
        }
        m_store.insert_incidents(m_batch);
        m_batch.clear();
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
        if (locations) {
            locations->finish();
        }
        tx.commit();
        m_added_keys.clear();
        m_report.status = "stored";
        for (const auto& c : m_store.take_new_categories()) {
            m_report.notes.push_back("new category '" + c + "' (not one of police.uk's" +
                                     (m_file->kind == FeedKind::force_export
                                          ? std::string{"; map it to one with \"categories\" in the mapping)"}
                                          : std::string{")"}));
        }
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
        store::Transaction tx{m_store};
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
    PointTable m_points;
    std::int64_t m_points_loaded = 0; // the highest location id in m_points
    std::vector<std::string> m_added_keys;
    std::unordered_map<std::string, PartitionState> m_partitions;
    AggTable m_agg;
    std::optional<Progress> m_progress;
    const InputFile* m_file = nullptr;
    FileReport m_report;
    std::int64_t m_feed_id = 0;
    static constexpr std::size_t batch_rows = 4096;
    std::vector<store::IncidentRow> m_batch;
    std::size_t m_batch_size = 0;
    IdCache m_slug_ids, m_category_ids, m_outcome_ids, m_force_ids, m_text_ids;
    std::vector<std::string> m_texts;
    PartitionState* m_last_part = nullptr;
    std::int64_t m_kill_after = -1;
    Month m_last_month;
    std::string m_last_force;
    std::string m_key_buf;
    std::string m_part_key;
};

Ingester::Ingester(store::Store& store, IngestOptions options)
    : m_impl(std::make_unique<Impl>(store, std::move(options))) {}

Ingester::~Ingester() = default;

FileReport Ingester::ingest(const InputFile& file) {
    return m_impl->ingest(file);
}

} // namespace hotref::ingest
