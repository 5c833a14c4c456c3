#include "store/copy.hpp"

#include "core/error.hpp"
#include "store/copy_format.hpp"
#include "store/postgres.hpp"
#include "store/store.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <optional>
#include <set>

namespace hotref::store {

namespace {

// Rows read (and written) per round: bounded memory whatever the table's size.
constexpr std::int64_t chunk_rows = 20000;

struct TableSpec {
    const char* name;
    // The primary key: rows are read in its order, in chunks after the last one; none: the
    // table is read in one go.
    std::vector<const char*> key;
};

const std::vector<TableSpec>& specs() {
    static const std::vector<TableSpec> tables = {
        {"meta", {"key"}},
        {"force", {"id"}},
        {"category", {"id"}},
        {"outcome", {"id"}},
        {"location", {"id"}},
        {"feed", {"id"}},
        {"feed_partition", {"id"}},
        {"incident", {"id"}},
        {"reject", {"id"}},
        {"run", {"id"}},
        {"run_cell", {"run_id", "cell"}},
        {"run_raster", {"run_id", "name"}},
        {"run_location", {"run_id", "location_id"}},
        {"hotspot", {"id"}},
        {"hotspot_lineage", {}}, // no key: read whole (a few rows per hotspot)
        {"referral", {"id"}},
        {"referral_incident", {"incident_ref"}},
        {"referral_audit", {"id"}},
        {"referral_link", {"referral_id", "run_id"}},
        {"referral_onward", {"referral_id", "seq"}},
        {"evaluation", {"id"}},
        {"evaluation_area", {"evaluation_id", "code"}},
        {"comparison_cohort", {"id"}},
        {"api_token", {"id"}},
        {"api_audit", {"id"}},
    };
    return tables;
}

// Geometry columns (read as WKB, written in SRID 27700, the store's only reference system).
bool is_geometry(std::string_view table, std::string_view column) {
    return (table == "location" && column == "geom") || (table == "hotspot" && column == "geom") ||
           (table == "run" && column == "area_geom");
}

bool is_crime_id(std::string_view table, std::string_view column) {
    return table == "incident" && column == "crime_id";
}

// The columns a table's rows are written with (generated columns left out), in table order.
std::vector<std::string> columns_of(Database& db, const std::string& table) {
    std::vector<std::string> out;
    if (db.postgres()) {
        Statement st{db, "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
                         "AND table_name = ? AND is_generated = 'NEVER' ORDER BY ordinal_position"};
        st.bind(1, table);
        while (st.step()) {
            out.push_back(st.column_text(0));
        }
    } else {
        Statement st{db, "SELECT name FROM pragma_table_info(?) ORDER BY cid"}; // generated columns are not listed
        st.bind(1, table);
        while (st.step()) {
            out.push_back(st.column_text(0));
        }
    }
    return out;
}

std::string joined(const std::vector<std::string>& names, const std::string& sep = ", ") {
    std::string out;
    for (const auto& n : names) {
        out += (out.empty() ? "" : sep) + n;
    }
    return out;
}

struct Value {
    ValueKind kind = ValueKind::null;
    std::int64_t i = 0;
    double d = 0;
    std::string s; // text or bytes
};

Value read_value(const Statement& st, int col) {
    Value v;
    v.kind = st.column_kind(col);
    switch (v.kind) {
    case ValueKind::null: break;
    case ValueKind::integer: v.i = st.column_int(col); break;
    case ValueKind::real: v.d = st.column_double(col); break;
    case ValueKind::text: v.s = st.column_text(col); break;
    case ValueKind::blob: v.s = st.column_blob(col); break;
    }
    return v;
}

void bind_value(Statement& st, int index, const Value& v) {
    switch (v.kind) {
    case ValueKind::null: st.bind_null(index); break;
    case ValueKind::integer: st.bind(index, v.i); break;
    case ValueKind::real: st.bind(index, v.d); break;
    case ValueKind::text: st.bind(index, std::string_view{v.s}); break;
    case ValueKind::blob: st.bind_blob(index, v.s.data(), v.s.size()); break;
    }
}

// A read-only snapshot of the source for the whole copy, so a concurrent writer cannot make
// the tables disagree with each other.
class Snapshot {
public:
    explicit Snapshot(Database& db) : m_db(db) {
        m_db.exec(db.postgres() ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN");
    }
    ~Snapshot() {
        try {
            m_db.exec("ROLLBACK");
        } catch (...) { // NOLINT(bugprone-empty-catch): nothing was written; closing the connection ends it
        }
    }
    Snapshot(const Snapshot&) = delete;
    Snapshot& operator=(const Snapshot&) = delete;

private:
    Database& m_db;
};

class TableCopier {
public:
    TableCopier(Database& src, Database& dst, const TableSpec& spec, std::vector<std::string> columns)
        : m_src(src), m_dst(dst), m_table(spec.name), m_columns(std::move(columns)) {
        for (const char* k : spec.key) {
            const auto it = std::find(m_columns.begin(), m_columns.end(), k);
            if (it == m_columns.end()) {
                throw StoreError("store copy: table " + m_table + " has no key column " + k);
            }
            m_key_index.push_back(static_cast<int>(it - m_columns.begin()));
            m_key.emplace_back(k);
        }
    }

    std::int64_t run() {
        std::vector<std::string> select_list;
        std::vector<std::string> values;
        for (const auto& c : m_columns) {
            select_list.push_back(is_geometry(m_table, c) ? "AsBinary(" + c + ")" : c);
            values.emplace_back(is_geometry(m_table, c) ? "GeomFromWKB(?, 27700)" : "?");
        }
        const std::string base = "SELECT " + joined(select_list) + " FROM " + m_table;
        const std::string order =
            m_key.empty() ? std::string{} : " ORDER BY " + joined(m_key) + " LIMIT " + std::to_string(chunk_rows);
        std::string after = " WHERE ";
        if (m_key.empty()) {
            after = " WHERE 0 = 1"; // never asked: one round reads everything
        } else if (m_key.size() == 1) {
            after += m_key[0] + " > ?";
        } else {
            std::vector<std::string> marks(m_key.size(), "?");
            after += "(" + joined(m_key) + ") > (" + joined(marks) + ")";
        }
        Statement first{m_src, base + order};
        Statement next{m_src, base + after + order};
        std::optional<Statement> insert;
        if (!m_dst.postgres()) {
            insert.emplace(m_dst, "INSERT INTO " + m_table + " (" + joined(m_columns) + ") VALUES (" +
                                      joined(values) + ")");
        }
        std::vector<Value> last_key;
        std::int64_t total = 0;
        std::vector<std::vector<Value>> rows;
        for (;;) {
            Statement& st = last_key.empty() ? first : next;
            st.reset();
            for (std::size_t k = 0; k < last_key.size(); ++k) {
                bind_value(st, static_cast<int>(k) + 1, last_key[k]);
            }
            rows.clear();
            while (st.step()) {
                std::vector<Value> row;
                row.reserve(m_columns.size());
                for (int c = 0; c < static_cast<int>(m_columns.size()); ++c) {
                    row.push_back(read_value(st, c));
                }
                rows.push_back(std::move(row));
            }
            st.reset();
            if (rows.empty()) {
                break;
            }
            if (insert) {
                write_sqlite(*insert, rows);
            } else {
                write_postgres(rows);
            }
            total += static_cast<std::int64_t>(rows.size());
            last_key.clear();
            for (const int k : m_key_index) {
                last_key.push_back(rows.back()[static_cast<std::size_t>(k)]);
            }
            if (m_key.empty() || static_cast<std::int64_t>(rows.size()) < chunk_rows) {
                break;
            }
        }
        return total;
    }

private:
    void write_sqlite(Statement& insert, const std::vector<std::vector<Value>>& rows) {
        for (const auto& row : rows) {
            for (std::size_t c = 0; c < row.size(); ++c) {
                const auto& v = row[c];
                unsigned char bytes[32];
                if (v.kind == ValueKind::text && is_crime_id(m_table, m_columns[c]) && crime_id_bytes(v.s, bytes)) {
                    insert.bind_blob(static_cast<int>(c) + 1, bytes, sizeof bytes); // as the SpatiaLite ingest keeps it
                } else {
                    bind_value(insert, static_cast<int>(c) + 1, v);
                }
            }
            insert.run();
        }
    }

    void write_postgres(const std::vector<std::vector<Value>>& rows) {
        std::string data;
        for (const auto& row : rows) {
            for (std::size_t c = 0; c < row.size(); ++c) {
                if (c > 0) {
                    data += '\t';
                }
                const auto& v = row[c];
                switch (v.kind) {
                case ValueKind::null: data += "\\N"; break;
                case ValueKind::integer: copy_int(data, v.i, false); break;
                case ValueKind::real: copy_double(data, v.d); break;
                case ValueKind::text: copy_text(data, v.s, false); break;
                case ValueKind::blob:
                    if (is_geometry(m_table, m_columns[c])) {
                        if (!copy_wkb_as_ewkb(data, v.s, 27700)) {
                            throw StoreError("store copy: table " + m_table + ", column " + m_columns[c] +
                                             ": a geometry that is not WKB (" + std::to_string(v.s.size()) +
                                             " bytes); check the source with `hotref status`");
                        }
                    } else if (is_crime_id(m_table, m_columns[c])) {
                        data += hex(v.s); // SpatiaLite's 32 bytes; PostgreSQL keeps the hex text
                    } else {
                        copy_bytea(data, v.s);
                    }
                    break;
                }
            }
            data += '\n';
        }
        m_dst.pg().copy_in(m_table + " (" + joined(m_columns) + ")", data);
    }

    Database& m_src;
    Database& m_dst;
    std::string m_table;
    std::vector<std::string> m_columns;
    std::vector<std::string> m_key;
    std::vector<int> m_key_index;
};

std::int64_t count_rows(Database& db, const std::string& table) {
    return db.query_int("SELECT count(*) FROM " + table);
}

} // namespace

const std::vector<std::string>& store_tables() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> out;
        for (const auto& s : specs()) {
            out.emplace_back(s.name);
        }
        return out;
    }();
    return names;
}

CopyReport copy_store(const std::string& from, const std::string& to,
                      const std::function<void(const CopiedTable&)>& progress) {
    const auto shown_from = pg::is_url(from) ? pg::redacted(from) : from;
    const auto shown_to = pg::is_url(to) ? pg::redacted(to) : to;
    if (from == to) {
        throw StoreError("store copy: FROM and TO are the same store (" + shown_from + ")");
    }
    if (!may_exist(from)) {
        throw StoreError("store copy: " + shown_from + " does not exist (give the store to copy first, then the new one)");
    }
    const bool created_file = !pg::is_url(to) && !std::filesystem::exists(to);
    const auto start = std::chrono::steady_clock::now();
    CopyReport report;
    try {
        Store source{from, OpenMode::read_only};
        Store target{to, true};
        auto& src = connection(source);
        auto& dst = connection(target);
        // A new store: only the schema's own rows (meta, the police.uk categories).
        for (const auto& t : store_tables()) {
            if (t == "meta" || t == "category") {
                continue;
            }
            if (const auto n = count_rows(dst, t); n > 0) {
                throw StoreError("store copy: " + shown_to + " is not empty (" + std::to_string(n) + " rows in " + t +
                                 "); copy into a new store (a file that does not exist, or an empty database)");
            }
        }
        Snapshot snapshot{src};
        Transaction tx{target};
        dst.exec("DELETE FROM category");
        dst.exec("DELETE FROM meta");
        // SpatiaLite: the location index is built in bulk once all points are in (store.hpp).
        std::optional<LocationBatch> locations;
        std::vector<std::string> with_id; // tables with an id column (identity sequences on PostgreSQL)
        for (const auto& spec : specs()) {
            const std::string table = spec.name;
            auto columns = columns_of(dst, table);
            auto source_columns = columns_of(src, table);
            if (columns.empty()) {
                throw StoreError("store copy: " + shown_to + " has no table " + table);
            }
            std::vector<std::string> a = columns;
            std::vector<std::string> b = source_columns;
            std::sort(a.begin(), a.end());
            std::sort(b.begin(), b.end());
            if (a != b) {
                throw StoreError("store copy: table " + table + " has columns (" + joined(source_columns) + ") in " +
                                 shown_from + " but (" + joined(columns) + ") in " + shown_to +
                                 "; both must be at schema version " + std::to_string(schema_version) +
                                 " (open each once with this hotref to migrate it)");
            }
            if (std::find(columns.begin(), columns.end(), "id") != columns.end()) {
                with_id.push_back(table);
            }
            if (table == "location" && !dst.postgres()) {
                locations.emplace(target);
            }
            const auto t0 = std::chrono::steady_clock::now();
            CopiedTable done;
            done.name = table;
            done.rows = TableCopier{src, dst, spec, columns}.run();
            if (table == "location" && locations) {
                locations->finish();
                locations.reset();
            }
            const auto expected = count_rows(src, table);
            const auto stored = count_rows(dst, table);
            if (done.rows != expected || stored != expected) {
                throw StoreError("store copy: table " + table + " has " + std::to_string(expected) + " rows in " +
                                 shown_from + " but " + std::to_string(stored) + " were stored in " + shown_to +
                                 " (" + std::to_string(done.rows) + " read); nothing was copied");
            }
            done.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            report.rows += done.rows;
            report.tables.push_back(done);
            if (progress) {
                progress(done);
            }
        }
        if (dst.postgres()) {
            // Ids were copied as they are: move each identity sequence past them.
            for (const auto& t : with_id) {
                if (const auto max_id = dst.query_int("SELECT coalesce(max(id), 0) FROM " + t); max_id > 0) {
                    dst.exec("SELECT setval(pg_get_serial_sequence('" + t + "', 'id'), " + std::to_string(max_id) +
                             ")");
                }
            }
        }
        if (!location_index_consistent(target)) {
            throw StoreError("store copy: the spatial index of " + shown_to + " does not match its locations; "
                             "nothing was copied");
        }
        tx.commit();
    } catch (...) {
        if (created_file) {
            std::error_code ec;
            for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
                std::filesystem::remove(to + suffix, ec);
            }
        }
        throw;
    }
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return report;
}

} // namespace hotref::store
