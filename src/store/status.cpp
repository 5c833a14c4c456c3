#include "store/status.hpp"

#include "store/sqlite.hpp"

namespace hotref::store {

hotref::v1::StoreStatus read_status(Store& store, int recent) {
    auto& db = connection(store);
    hotref::v1::StoreStatus s;
    s.set_path(store.path());
    s.set_schema_version(static_cast<std::int32_t>(
        db.query_int("SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'schema_version'")));
    {
        Statement st{db, "SELECT value FROM meta WHERE key = 'created_at'"};
        if (st.step()) {
            s.set_created_at(st.column_text(0));
        }
    }
    s.set_locations(db.query_int("SELECT count(*) FROM location"));
    s.set_incidents(db.query_int("SELECT coalesce(sum(n), 0) FROM incident"));
    s.set_incident_records(db.query_int("SELECT count(*) FROM incident"));
    s.set_feeds(db.query_int("SELECT count(*) FROM feed"));
    s.set_rejects(db.query_int("SELECT count(*) FROM reject r JOIN feed f ON f.id = r.feed_id "
                               "WHERE f.status = 'stored'"));
    {
        Statement st{db, R"SQL(
SELECT p.source, f.name, p.month, p.rows,
       (SELECT coalesce(sum(i.n), 0) FROM incident i JOIN category c ON c.id = i.category_id
         WHERE i.id >= (p.id << 32) AND i.id < ((p.id + 1) << 32) AND c.is_asb = 1),
       fd.name
FROM feed_partition p JOIN force f ON f.id = p.force_id JOIN feed fd ON fd.id = p.feed_id
ORDER BY p.source, f.name, p.month)SQL"};
        while (st.step()) {
            auto* p = s.add_partitions();
            p->set_source(st.column_text(0));
            p->set_force(st.column_text(1));
            p->set_month(st.column_text(2));
            p->set_rows(st.column_int(3));
            p->set_asb_rows(st.column_int(4));
            p->set_feed(st.column_text(5));
        }
    }
    {
        Statement st{db, R"SQL(
SELECT c.name, p.month, sum(i.n) FROM incident i
JOIN category c ON c.id = i.category_id JOIN feed_partition p ON p.id = (i.id >> 32)
GROUP BY c.name, p.month ORDER BY c.name, p.month)SQL"};
        std::string current;
        std::int64_t total = 0;
        auto flush = [&] {
            if (!current.empty()) {
                auto* c = s.add_categories();
                c->set_category(current);
                c->set_rows(total);
            }
        };
        while (st.step()) {
            const std::string name = st.column_text(0);
            if (name != current) {
                flush();
                current = name;
                total = 0;
            }
            auto* c = s.add_category_by_month();
            c->set_category(name);
            c->set_month(st.column_text(1));
            c->set_rows(st.column_int(2));
            total += st.column_int(2);
        }
        flush();
    }
    {
        Statement st{db, "SELECT id, name, kind, sha256, bytes, status, coalesce(message, ''), rows_read, rows_stored, "
                         "rows_rejected, coalesce(finished_at, '') FROM feed ORDER BY id DESC LIMIT ?"};
        st.bind(1, static_cast<std::int64_t>(recent));
        while (st.step()) {
            auto* f = s.add_recent_feeds();
            f->set_feed_id(st.column_int(0));
            f->set_name(st.column_text(1));
            f->set_kind(st.column_text(2));
            f->set_sha256(st.column_text(3));
            f->set_bytes(st.column_int(4));
            f->set_status(st.column_text(5));
            f->set_message(st.column_text(6));
            f->set_rows_read(st.column_int(7));
            f->set_rows_stored(st.column_int(8));
            f->set_rows_rejected(st.column_int(9));
            f->set_finished_at(st.column_text(10));
        }
    }
    {
        Statement st{db, R"SQL(
SELECT f.name, r.code, count(*), min(r.line),
       (SELECT r2.reason FROM reject r2 WHERE r2.feed_id = r.feed_id AND r2.code = r.code ORDER BY r2.line LIMIT 1)
FROM reject r JOIN feed f ON f.id = r.feed_id
WHERE f.status = 'stored'
GROUP BY r.feed_id, f.name, r.code ORDER BY f.name, r.code)SQL"};
        while (st.step()) {
            auto* r = s.add_rejects_by_feed();
            r->set_feed(st.column_text(0));
            r->set_code(st.column_text(1));
            r->set_count(st.column_int(2));
            r->set_first_line(st.column_int(3));
            r->set_first_reason(st.column_text(4));
        }
    }
    return s;
}

std::vector<RejectLine> first_rejects(Store& store, std::int64_t limit) {
    Statement st{connection(store), "SELECT f.name, r.line, coalesce(r.field, ''), r.code, r.reason "
                                    "FROM reject r JOIN feed f ON f.id = r.feed_id ORDER BY r.feed_id, r.line LIMIT ?"};
    st.bind(1, limit);
    std::vector<RejectLine> out;
    while (st.step()) {
        out.push_back({st.column_text(0), st.column_int(1), st.column_text(2), st.column_text(3), st.column_text(4)});
    }
    return out;
}

std::int64_t count_rejects(Store& store) {
    return connection(store).query_int("SELECT count(*) FROM reject");
}

std::int64_t count_referrals(Store& store) {
    return connection(store).query_int("SELECT count(*) FROM referral");
}

std::string change_key(const std::string& path) {
    Database db{path, OpenMode::read_only};
    Statement st{db, "SELECT (SELECT coalesce(max(id), 0) FROM run) || '/' || "
                     "(SELECT coalesce(max(id), 0) FROM evaluation) || '/' || "
                     "(SELECT coalesce(max(id), 0) FROM feed) || '|' || "
                     "(SELECT count(*) || '.' || coalesce(max(updated_at), '') FROM referral) || '/' || "
                     "(SELECT coalesce(max(id), 0) FROM referral_audit) || '/' || "
                     "(SELECT count(*) || '.' || coalesce(max(linked_at), '') FROM referral_link)"};
    st.step();
    return st.column_text(0);
}

} // namespace hotref::store
