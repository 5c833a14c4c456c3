#include "store/referrals.hpp"

namespace hotref::store {

void replace_onward(Database& db, std::int64_t referral_id, const std::vector<OnwardRow>& rows) {
    Statement del{db, "DELETE FROM referral_onward WHERE referral_id = ?"};
    del.bind(1, referral_id).run();
    Statement ins{db, "INSERT INTO referral_onward (referral_id, seq, agency, referred_on, taken_up) "
                      "VALUES (?, ?, ?, ?, ?)"};
    for (std::size_t i = 0; i < rows.size(); ++i) {
        ins.bind(1, referral_id).bind(2, static_cast<std::int64_t>(i + 1)).bind(3, rows[i].agency);
        ins.bind(4, rows[i].referred_on).bind(5, rows[i].taken_up).run();
    }
}

std::vector<OnwardRow> read_onward(Database& db, std::int64_t referral_id) {
    Statement st{db, "SELECT agency, referred_on, taken_up FROM referral_onward WHERE referral_id = ? ORDER BY seq"};
    st.bind(1, referral_id);
    std::vector<OnwardRow> out;
    while (st.step()) {
        out.push_back({st.column_text(0), st.column_text(1), st.column_text(2)});
    }
    return out;
}

std::map<std::int64_t, std::vector<OnwardRow>> read_all_onward(Store& store) {
    Statement st{store.db(), "SELECT referral_id, agency, referred_on, taken_up FROM referral_onward ORDER BY referral_id, seq"};
    std::map<std::int64_t, std::vector<OnwardRow>> out;
    while (st.step()) {
        out[st.column_int(0)].push_back({st.column_text(1), st.column_text(2), st.column_text(3)});
    }
    return out;
}

std::int64_t delete_purged_onward(Database& db) {
    Statement st{db, "DELETE FROM referral_onward WHERE referral_id IN "
                     "(SELECT id FROM referral WHERE person_key = 'purged')"};
    st.run();
    return db.changes();
}

} // namespace hotref::store
