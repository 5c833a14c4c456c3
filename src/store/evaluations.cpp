#include "store/evaluations.hpp"

namespace hotref::store {

namespace {

EvaluationRow evaluation_of(Statement& st) {
    return EvaluationRow{st.column_int(0), st.column_int(1), st.column_text(2), st.column_text(3)};
}

} // namespace

std::int64_t insert_evaluation(Store& store, std::int64_t run_id, const std::string& params_json,
                               const std::vector<EvaluationAreaRow>& areas) {
    Transaction tx{store};
    Statement ev{connection(store), "INSERT INTO evaluation (run_id, created_at, params) VALUES (?, ?, ?)"};
    ev.bind(1, run_id).bind(2, utc_now()).bind(3, params_json).run();
    const auto id = connection(store).last_insert_rowid();
    Statement area{connection(store),
                   "INSERT INTO evaluation_area (evaluation_id, code, name, measures) VALUES (?, ?, ?, ?)"};
    for (const auto& a : areas) {
        area.bind(1, id).bind(2, a.code).bind(3, a.name, true).bind(4, a.measures).run();
    }
    tx.commit();
    return id;
}

std::optional<EvaluationRow> read_evaluation_row(Store& store, std::int64_t id) {
    Statement st{connection(store),
                 id == 0 ? "SELECT id, run_id, created_at, params FROM evaluation ORDER BY id DESC LIMIT 1"
                         : "SELECT id, run_id, created_at, params FROM evaluation WHERE id = ?"};
    if (id != 0) {
        st.bind(1, id);
    }
    return st.step() ? std::optional<EvaluationRow>{evaluation_of(st)} : std::nullopt;
}

std::vector<EvaluationRow> list_evaluations(Store& store) {
    Statement st{connection(store), "SELECT id, run_id, created_at, params FROM evaluation ORDER BY id"};
    std::vector<EvaluationRow> out;
    while (st.step()) {
        out.push_back(evaluation_of(st));
    }
    return out;
}

std::optional<EvaluationRow> latest_evaluation_of_series(Store& store, const std::string& method,
                                                         const std::string& categories, const std::string& source) {
    Statement st{connection(store),
                 "SELECT e.id, e.run_id, e.created_at, e.params FROM evaluation e "
                 "JOIN run r ON r.id = e.run_id WHERE r.method = ? AND r.categories = ? AND r.source = ? "
                 "ORDER BY e.id DESC LIMIT 1"};
    st.bind(1, method).bind(2, categories).bind(3, source);
    return st.step() ? std::optional<EvaluationRow>{evaluation_of(st)} : std::nullopt;
}

std::vector<EvaluationAreaRow> read_evaluation_areas(Store& store, std::int64_t id) {
    Statement st{connection(store), "SELECT a.code, coalesce(a.name, ''), a.measures, h.rank, AsBinary(h.geom) "
                                    "FROM evaluation_area a JOIN evaluation e ON e.id = a.evaluation_id "
                                    "LEFT JOIN hotspot h ON h.run_id = e.run_id AND h.code = a.code "
                                    "WHERE a.evaluation_id = ? ORDER BY a.code"};
    st.bind(1, id);
    std::vector<EvaluationAreaRow> out;
    while (st.step()) {
        EvaluationAreaRow a;
        a.code = st.column_text(0);
        a.name = st.column_text(1);
        a.measures = st.column_text(2);
        if (!st.column_is_null(3)) {
            a.hotspot_rank = static_cast<int>(st.column_int(3));
        }
        if (!st.column_is_null(4)) {
            a.hotspot_wkb = st.column_blob(4);
        }
        out.push_back(std::move(a));
    }
    return out;
}

} // namespace hotref::store
