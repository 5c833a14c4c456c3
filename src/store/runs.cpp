#include "store/runs.hpp"

#include "store/copy_format.hpp"
#include "store/postgres.hpp"
#include "util/sha256.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace hotref::store {

namespace {

std::int64_t hotspot_id_of(const std::vector<std::int64_t>& ids, int index) {
    return index >= 0 ? ids[static_cast<std::size_t>(index)] : 0;
}

/// PostgreSQL: a run's cells, locations, lineage and rasters in one COPY per table (a
/// Derbyshire grid is a quarter of a million cells: one round trip each would take minutes).
/// The same columns and NULLs as the row-by-row inserts below.
void copy_run_rows(pg::Connection& pg, std::int64_t run_id, const std::vector<std::int64_t>& hotspot_ids,
                   const std::vector<CellRecord>& cells, const std::vector<LocationRecord>& locations,
                   const std::vector<LineageRecord>& lineage, const std::vector<RasterRecord>& rasters) {
    CopyRows rows;
    const auto send = [&](const char* target) {
        if (rows.rows() > 0) {
            pg.copy_in(target, rows.data());
        }
        rows.clear();
    };
    rows.reserve(cells.size() * 96);
    for (const auto& cell : cells) {
        rows.integer(run_id).integer(cell.cell).integer(cell.col).integer(cell.row).real(cell.count);
        rows.real(cell.z).real(cell.p).real(cell.q).integer(cell.bin);
        rows.integer(hotspot_id_of(hotspot_ids, cell.hotspot), true).real(cell.density);
        rows.text(cell.trend, true).text(cell.trend_class, true).real(cell.mk_tau).real(cell.mk_p).end();
    }
    send("run_cell (run_id, cell, col, row, count, z, p, q, bin, hotspot_id, density, trend, trend_class, "
         "mk_tau, mk_p)");
    for (const auto& l : locations) {
        rows.integer(run_id).integer(l.location_id).real(l.incidents).integer(l.core ? 1 : 0);
        rows.integer(hotspot_id_of(hotspot_ids, l.hotspot), true).end();
    }
    send("run_location (run_id, location_id, incidents, core, hotspot_id)");
    for (const auto& e : lineage) {
        rows.integer(run_id).text(e.code).text(e.event).text(e.other_code, true);
        rows.real(e.overlap > 0 ? std::optional<double>{e.overlap} : std::nullopt).end();
    }
    send("hotspot_lineage (run_id, code, event, other_code, overlap)");
    for (const auto& raster : rasters) {
        rows.integer(run_id).text(raster.name).integer(raster.columns).integer(raster.rows);
        rows.real(raster.origin_x).real(raster.origin_y).real(raster.cell_size);
        rows.bytea({reinterpret_cast<const char*>(raster.values.data()), raster.values.size() * sizeof(float)}).end();
    }
    send("run_raster (run_id, name, columns, rows, origin_x, origin_y, cell_size, data)");
}

} // namespace

std::int64_t insert_run(Store& store, const RunRecord& run, const std::vector<CellRecord>& cells,
                        const std::vector<LocationRecord>& locations, const std::vector<HotspotRecord>& hotspots,
                        const std::vector<LineageRecord>& lineage, const std::vector<RasterRecord>& rasters) {
    auto& db = connection(store);
    Transaction tx{db};
    Statement r{db, "INSERT INTO run (method, params, period_from, period_to, categories, source, area, incidents, "
                    "incidents_outside, locations, grid_origin_x, grid_origin_y, cell_size, grid_columns, grid_rows, "
                    "cells, hotspots, software, created_at, seconds, area_geom, fingerprint) VALUES (?, ?, ?, ?, ?, ?, "
                    "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, CastToMultiPolygon(GeomFromWKB(?, 27700)), ?)"};
    r.bind(1, run.method).bind(2, run.params_json).bind(3, run.period_from).bind(4, run.period_to);
    r.bind(5, run.categories).bind(6, run.source).bind(7, run.area).bind(8, run.incidents);
    r.bind(9, run.incidents_outside).bind(10, run.locations).bind(11, run.grid_origin_x).bind(12, run.grid_origin_y);
    r.bind(13, run.cell_size).bind(14, run.grid_columns).bind(15, run.grid_rows).bind(16, run.cells);
    r.bind(17, run.hotspots).bind(18, std::string{"hotref "} + HOTREF_VERSION).bind(19, utc_now());
    r.bind(20, run.seconds);
    if (run.area_wkb.empty()) {
        r.bind_null(21);
    } else {
        r.bind_blob(21, run.area_wkb.data(), run.area_wkb.size());
    }
    r.bind(22, run.fingerprint);
    r.run();
    const auto run_id = db.last_insert_rowid();

    std::vector<std::int64_t> hotspot_ids;
    Statement h{db, "INSERT INTO hotspot (run_id, code, rank, name, cells, area_m2, incidents, density_km2, share, "
                    "mean_z, max_z, confidence, pai, geom, peak_density, trend, trend_class, expected) VALUES (?, ?, ?, ?, ?, "
                    "?, ?, ?, ?, ?, ?, ?, ?, CastToMultiPolygon(GeomFromWKB(?, 27700)), ?, ?, ?, ?)"};
    for (const auto& hs : hotspots) {
        h.bind(1, run_id).bind(2, hs.code).bind(3, hs.rank).bind(4, hs.name, true).bind(5, hs.cells);
        h.bind(6, hs.area_m2).bind(7, hs.incidents).bind(8, hs.density_km2).bind(9, hs.share);
        h.bind(10, hs.mean_z).bind(11, hs.max_z).bind(12, hs.confidence).bind(13, hs.pai);
        h.bind_blob(14, hs.wkb.data(), hs.wkb.size());
        h.bind(15, hs.peak_density).bind(16, hs.trend, true).bind(17, hs.trend_class, true).bind(18, hs.expected);
        h.run();
        hotspot_ids.push_back(db.last_insert_rowid());
    }
    if (db.postgres()) {
        copy_run_rows(db.pg(), run_id, hotspot_ids, cells, locations, lineage, rasters);
        tx.commit();
        return run_id;
    }
    Statement c{db, "INSERT INTO run_cell (run_id, cell, col, row, count, z, p, q, bin, hotspot_id, density, trend, "
                    "trend_class, mk_tau, mk_p) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"};
    for (const auto& cell : cells) {
        c.bind(1, run_id).bind(2, cell.cell).bind(3, cell.col).bind(4, cell.row).bind(5, cell.count);
        c.bind(6, cell.z).bind(7, cell.p).bind(8, cell.q).bind(9, cell.bin);
        if (cell.hotspot >= 0) {
            c.bind(10, hotspot_ids[static_cast<std::size_t>(cell.hotspot)]);
        }
        c.bind(11, cell.density).bind(12, cell.trend, true).bind(13, cell.trend_class, true);
        c.bind(14, cell.mk_tau).bind(15, cell.mk_p);
        c.run();
    }
    Statement loc{db, "INSERT INTO run_location (run_id, location_id, incidents, core, hotspot_id) VALUES (?, ?, ?, ?, ?)"};
    for (const auto& l : locations) {
        loc.bind(1, run_id).bind(2, l.location_id).bind(3, l.incidents).bind(4, l.core ? 1 : 0);
        if (l.hotspot >= 0) {
            loc.bind(5, hotspot_ids[static_cast<std::size_t>(l.hotspot)]);
        }
        loc.run();
    }
    Statement l{db, "INSERT INTO hotspot_lineage (run_id, code, event, other_code, overlap) VALUES (?, ?, ?, ?, ?)"};
    for (const auto& e : lineage) {
        l.bind(1, run_id).bind(2, e.code).bind(3, e.event).bind(4, e.other_code, true);
        if (e.overlap > 0) {
            l.bind(5, e.overlap);
        }
        l.run();
    }
    Statement ras{db, "INSERT INTO run_raster (run_id, name, columns, rows, origin_x, origin_y, cell_size, data) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"};
    for (const auto& raster : rasters) {
        ras.bind(1, run_id).bind(2, raster.name).bind(3, raster.columns).bind(4, raster.rows);
        ras.bind(5, raster.origin_x).bind(6, raster.origin_y).bind(7, raster.cell_size);
        ras.bind_blob(8, raster.values.data(), raster.values.size() * sizeof(float));
        ras.run();
    }
    tx.commit();
    return run_id;
}

namespace {

constexpr const char* run_columns =
    "SELECT id, method, params, period_from, period_to, categories, source, area, created_at, "
    "coalesce(AsBinary(area_geom), ''), coalesce(cell_size, 0), coalesce(grid_origin_x, 0), "
    "coalesce(grid_origin_y, 0), coalesce(grid_columns, 0), coalesce(grid_rows, 0), incidents, hotspots, "
    "coalesce(json_extract(params, '$.force'), ''), coalesce(json_extract(params, '$.series'), ''), "
    "coalesce(CAST(json_extract(params, '$.continues_run') AS BIGINT), 0), incidents_outside, locations, coalesce(cells, 0), "
    "fingerprint, seconds FROM run ";

StoredRun run_from(Statement& st) {
    StoredRun r;
    r.id = st.column_int(0);
    r.method = st.column_text(1);
    r.params = st.column_text(2);
    r.period_from = st.column_text(3);
    r.period_to = st.column_text(4);
    r.categories = st.column_text(5);
    r.source = st.column_text(6);
    r.area = st.column_text(7);
    r.created_at = st.column_text(8);
    r.area_wkb = st.column_blob(9);
    r.cell_size = st.column_double(10);
    r.origin_x = st.column_double(11);
    r.origin_y = st.column_double(12);
    r.columns = st.column_int(13);
    r.rows = st.column_int(14);
    r.incidents = st.column_double(15);
    r.hotspots = st.column_int(16);
    r.force = st.column_text(17);
    r.series = st.column_text(18);
    r.continues_run = st.column_int(19);
    r.incidents_outside = st.column_double(20);
    r.locations = st.column_int(21);
    r.study_cells = st.column_int(22);
    r.fingerprint = st.column_text(23);
    r.seconds = st.column_double(24);
    return r;
}

} // namespace

std::optional<StoredRun> read_run(Store& store, std::int64_t id) {
    Statement st{connection(store), std::string{run_columns} + "WHERE id = ?"};
    st.bind(1, id);
    if (!st.step()) {
        return std::nullopt;
    }
    return run_from(st);
}

std::vector<StoredRun> list_runs(Store& store, const std::string& force) {
    Statement st{connection(store),
                 std::string{run_columns} +
                     "WHERE ?1 = '' OR coalesce(json_extract(params, '$.force'), '') = ?1 ORDER BY id"};
    st.bind(1, force);
    std::vector<StoredRun> out;
    while (st.step()) {
        out.push_back(run_from(st));
    }
    return out;
}

std::int64_t default_run_id(Store& store, const std::string& method, const std::string& force) {
    // The run whose period ends last (the latest stored period it covers); between methods
    // ending on the same month, patrol before Gi*; then the latest stored.
    Statement st{connection(store),
                 "SELECT id FROM run WHERE (method = ?1 OR (?1 = '' AND method IN ('patrol', 'gistar'))) "
                 "AND (?2 = '' OR coalesce(json_extract(params, '$.force'), '') = ?2) "
                 "ORDER BY substr(period_to, 1, 7) DESC, method = 'patrol' DESC, period_to DESC, id DESC "
                 "LIMIT 1"};
    st.bind(1, method).bind(2, force);
    return st.step() ? st.column_int(0) : 0;
}

namespace {
std::optional<double> optional_real(Statement& st, int col) {
    return st.column_is_null(col) ? std::nullopt : std::optional<double>{st.column_double(col)};
}
} // namespace

std::vector<StoredHotspot> read_hotspots(Store& store, std::int64_t run_id) {
    Statement st{connection(store),
                 "SELECT id, code, rank, coalesce(name, ''), incidents, share, area_m2, density_km2, pai, "
                 "mean_z, max_z, confidence, peak_density, coalesce(trend, ''), coalesce(trend_class, ''), "
                 "AsBinary(geom), expected, coalesce(cells, 0) FROM hotspot WHERE run_id = ? ORDER BY rank"};
    st.bind(1, run_id);
    std::vector<StoredHotspot> out;
    while (st.step()) {
        StoredHotspot h;
        h.id = st.column_int(0);
        h.code = st.column_text(1);
        h.rank = static_cast<int>(st.column_int(2));
        h.name = st.column_text(3);
        h.incidents = st.column_double(4);
        h.share = st.column_double(5);
        h.area_m2 = st.column_double(6);
        h.density_km2 = st.column_double(7);
        h.pai = st.column_double(8);
        h.mean_z = optional_real(st, 9);
        h.max_z = optional_real(st, 10);
        if (!st.column_is_null(11)) {
            h.confidence = static_cast<int>(st.column_int(11));
        }
        h.peak_density = optional_real(st, 12);
        h.trend = st.column_text(13);
        h.trend_class = st.column_text(14);
        h.wkb = st.column_blob(15);
        h.expected = optional_real(st, 16);
        h.cells = st.column_int(17);
        out.push_back(std::move(h));
    }
    return out;
}

std::vector<RunCell> read_run_cells(Store& store, std::int64_t run_id) {
    Statement st{connection(store), "SELECT c.cell, c.col, c.row, c.count, c.z, c.p, c.q, c.bin, c.density, "
                                    "coalesce(c.trend, ''), coalesce(c.trend_class, ''), coalesce(h.code, '') "
                                    "FROM run_cell c LEFT JOIN hotspot h ON h.id = c.hotspot_id WHERE c.run_id = ? "
                                    "ORDER BY c.cell"};
    st.bind(1, run_id);
    std::vector<RunCell> out;
    while (st.step()) {
        RunCell c;
        c.cell = st.column_int(0);
        c.col = st.column_int(1);
        c.row = st.column_int(2);
        c.count = st.column_double(3);
        c.z = optional_real(st, 4);
        c.p = optional_real(st, 5);
        c.q = optional_real(st, 6);
        c.bin = static_cast<int>(st.column_int(7));
        c.density = optional_real(st, 8);
        c.trend = st.column_text(9);
        c.trend_class = st.column_text(10);
        c.hotspot = st.column_text(11);
        out.push_back(std::move(c));
    }
    return out;
}

std::int64_t latest_run_id(Store& store, const std::string& method, const std::string& force) {
    Statement st{connection(store), "SELECT coalesce(max(id), 0) FROM run WHERE method = ?1 AND "
                                    "(?2 = '' OR coalesce(json_extract(params, '$.force'), '') = ?2)"};
    st.bind(1, method).bind(2, force);
    st.step();
    return st.column_int(0);
}

CellTallies tally_run_cells(Store& store, std::int64_t run_id) {
    CellTallies out;
    Statement bins{connection(store), "SELECT bin, count(*) FROM run_cell WHERE run_id = ? GROUP BY bin"};
    bins.bind(1, run_id);
    while (bins.step()) {
        out.bins[static_cast<int>(bins.column_int(0))] = bins.column_int(1);
    }
    Statement trends{connection(store),
                     "SELECT trend, count(*) FROM run_cell WHERE run_id = ? AND trend IS NOT NULL AND "
                     "trend != 'no pattern detected' GROUP BY trend"};
    trends.bind(1, run_id);
    while (trends.step()) {
        out.trends[trends.column_text(0)] = trends.column_int(1);
    }
    return out;
}

std::optional<RasterRecord> read_raster(Store& store, std::int64_t run_id, const std::string& name) {
    Statement st{connection(store), "SELECT columns, rows, origin_x, origin_y, cell_size, data FROM run_raster "
                                    "WHERE run_id = ? AND name = ?"};
    st.bind(1, run_id).bind(2, name);
    if (!st.step()) {
        return std::nullopt;
    }
    RasterRecord r;
    r.name = name;
    r.columns = static_cast<int>(st.column_int(0));
    r.rows = static_cast<int>(st.column_int(1));
    r.origin_x = st.column_double(2);
    r.origin_y = st.column_double(3);
    r.cell_size = st.column_double(4);
    const std::string data = st.column_blob(5);
    r.values.resize(data.size() / sizeof(float));
    std::memcpy(r.values.data(), data.data(), r.values.size() * sizeof(float));
    return r;
}

std::string run_fingerprint(Store& store, const std::string& params_json, const std::string& source,
                            const std::string& from, const std::string& to) {
    Sha256 hash;
    hash.update(params_json.data(), params_json.size());
    Statement st{connection(store),
                 "SELECT p.month, p.force_id, f.sha256 FROM feed_partition p JOIN feed f ON f.id = p.feed_id "
                 "WHERE p.source = ? AND p.month >= ? AND p.month <= ? ORDER BY p.month, p.force_id"};
    st.bind(1, source).bind(2, from).bind(3, to);
    while (st.step()) {
        const std::string line = "\n" + st.column_text(0) + " " + std::to_string(st.column_int(1)) + " " +
                                 st.column_text(2);
        hash.update(line.data(), line.size());
    }
    return hash.hex_digest();
}

std::int64_t run_with_fingerprint(Store& store, const std::string& fingerprint) {
    Statement st{connection(store), "SELECT max(id) FROM run WHERE fingerprint = ?"};
    st.bind(1, fingerprint);
    return st.step() && !st.column_is_null(0) ? st.column_int(0) : 0;
}

PreviousHotspots previous_hotspots(Store& store, const std::string& method, const std::string& categories,
                                   const std::string& source, const std::string& series) {
    auto& db = connection(store);
    PreviousHotspots out;
    {
        // The latest run of the series that found any hotspot: a run with none (too strict a
        // setting, a quiet month) does not retire the codes.
        // Only the runs of the same series (method, parameters, force): a trial with another cell
        // size continues its own codes, not those of the runs in use.
        Statement st{db, "SELECT max(id) FROM run WHERE method = ? AND categories = ? AND source = ? AND hotspots > 0 "
                         "AND coalesce(json_extract(params, '$.series'), '') = ?"};
        st.bind(1, method).bind(2, categories).bind(3, source).bind(4, series);
        if (st.step() && !st.column_is_null(0)) {
            out.run_id = st.column_int(0);
        }
    }
    if (out.run_id == 0) {
        return out;
    }
    for (auto& h : read_hotspots(store, out.run_id)) {
        out.codes.push_back(std::move(h.code));
        out.areas.push_back(h.area_m2);
        out.wkbs.push_back(std::move(h.wkb));
    }
    Statement codes{db, "SELECT DISTINCT h.code FROM hotspot h JOIN run r ON r.id = h.run_id "
                        "WHERE r.method = ? AND r.categories = ? AND r.source = ?"};
    codes.bind(1, method).bind(2, categories).bind(3, source);
    while (codes.step()) {
        const auto code = codes.column_text(0);
        if (code.size() > 2 && code.compare(0, 2, "H-") == 0) {
            out.max_number = std::max(out.max_number, std::atoi(code.c_str() + 2));
        }
    }
    return out;
}

} // namespace hotref::store
