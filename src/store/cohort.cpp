#include "store/cohort.hpp"

namespace hotref::store {

namespace {
std::optional<std::string> text_or_null(const std::string& s) {
    return s.empty() ? std::nullopt : std::optional<std::string>{s};
}
} // namespace

std::string upsert_cohort_row(Store& store, const CohortRow& row, const std::string& now) {
    auto& db = connection(store);
    Statement find{db, "SELECT id, age_band, first_time_entrant, coalesce(reoffence_date, '') FROM comparison_cohort "
                       "WHERE route = ? AND person_key = ? AND offence = ? AND disposal_date = ?"};
    find.bind(1, row.route).bind(2, row.person_key).bind(3, row.offence).bind(4, row.disposal_date);
    if (find.step()) {
        const auto id = find.column_int(0);
        if (find.column_text(1) == row.age_band && (find.column_int(2) != 0) == row.first_time_entrant &&
            find.column_text(3) == row.reoffence_date) {
            return "unchanged";
        }
        Statement upd{db, "UPDATE comparison_cohort SET age_band = ?, first_time_entrant = ?, reoffence_date = ?, "
                          "updated_at = ? WHERE id = ?"};
        upd.bind(1, row.age_band).bind(2, row.first_time_entrant ? 1 : 0).bind(3, text_or_null(row.reoffence_date));
        upd.bind(4, now).bind(5, id).run();
        return "updated";
    }
    Statement ins{db, "INSERT INTO comparison_cohort (route, person_key, offence, disposal_date, age_band, "
                      "first_time_entrant, reoffence_date, imported_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"};
    ins.bind(1, row.route).bind(2, row.person_key).bind(3, row.offence).bind(4, row.disposal_date);
    ins.bind(5, row.age_band).bind(6, row.first_time_entrant ? 1 : 0).bind(7, text_or_null(row.reoffence_date));
    ins.bind(8, now).bind(9, now).run();
    return "created";
}

std::vector<CohortRow> read_cohort(Store& store) {
    auto& db = connection(store);
    Statement st{db, "SELECT route, person_key, offence, disposal_date, age_band, first_time_entrant, "
                     "coalesce(reoffence_date, '') FROM comparison_cohort ORDER BY route, disposal_date, id"};
    std::vector<CohortRow> out;
    while (st.step()) {
        out.push_back({st.column_text(0), st.column_text(1), st.column_text(2), st.column_text(3), st.column_text(4),
                       st.column_int(5) != 0, st.column_text(6)});
    }
    return out;
}

std::int64_t purge_cohort(Store& store, const std::string& cutoff) {
    auto& db = connection(store);
    Statement st{db, "UPDATE comparison_cohort SET person_key = 'purged:' || id WHERE disposal_date < ? "
                     "AND person_key NOT LIKE 'purged:%'"};
    st.bind(1, cutoff).run();
    const auto n = db.changes();
    Statement meta{db, "INSERT INTO meta (key, value) VALUES ('cohort_purged_before', ?) ON CONFLICT (key) DO UPDATE "
                       "SET value = CASE WHEN excluded.value > meta.value THEN excluded.value ELSE meta.value END"};
    meta.bind(1, cutoff).run();
    return n;
}

std::string cohort_purged_before(Store& store) {
    auto& db = connection(store);
    Statement st{db, "SELECT value FROM meta WHERE key = 'cohort_purged_before'"};
    return st.step() ? st.column_text(0) : std::string{};
}

std::vector<ReferralOutcomeRow> read_referral_outcomes(Store& store) {
    auto& db = connection(store);
    Statement st{db, "SELECT person_key, created_at, offence, age_band, first_time_entrant, state, "
                     "coalesce(reoffence_date, '') FROM referral ORDER BY created_at, id"};
    std::vector<ReferralOutcomeRow> out;
    while (st.step()) {
        out.push_back({st.column_text(0), st.column_text(1), st.column_text(2), st.column_text(3),
                       st.column_int(4) != 0, st.column_text(5), st.column_text(6)});
    }
    return out;
}

} // namespace hotref::store
