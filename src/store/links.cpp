#include "store/links.hpp"

namespace hotref::store {

namespace {

std::optional<bool> flag_or_null(const Statement& st, int col) {
    return st.column_is_null(col) ? std::nullopt : std::optional<bool>{st.column_int(col) != 0};
}

} // namespace

void relink_referrals(Store& store, std::int64_t run_id, const std::function<LinkRow(const ReferralPoint&)>& decide) {
    Transaction tx{store};
    Statement del{connection(store), "DELETE FROM referral_link WHERE run_id = ?"};
    del.bind(1, run_id).run();
    Statement ins{connection(store), "INSERT INTO referral_link (referral_id, run_id, hotspot_id, hotspot_code, kind, "
                                     "distance_m, linked_at) VALUES (?, ?, ?, ?, ?, ?, ?)"};
    Statement refs{connection(store), "SELECT id, easting, northing FROM referral"};
    const std::string now = utc_now();
    while (refs.step()) {
        ReferralPoint p{refs.column_int(0), std::nullopt, std::nullopt};
        if (!refs.column_is_null(1) && !refs.column_is_null(2)) {
            p.easting = refs.column_double(1);
            p.northing = refs.column_double(2);
        }
        const LinkRow link = decide(p);
        ins.bind(1, p.referral_id).bind(2, run_id).bind(5, link.kind).bind(6, link.distance_m).bind(7, now);
        if (link.hotspot_id != 0) {
            ins.bind(3, link.hotspot_id).bind(4, link.hotspot_code);
        }
        ins.run();
    }
    tx.commit();
}

std::map<std::string, std::string> first_referral_inside(Store& store, std::int64_t run_id) {
    Statement st{connection(store),
                 "SELECT l.hotspot_code, min(r.created_at) FROM referral_link l JOIN referral r "
                 "ON r.id = l.referral_id WHERE l.run_id = ? AND l.kind = 'inside' GROUP BY l.hotspot_code"};
    st.bind(1, run_id);
    std::map<std::string, std::string> out;
    while (st.step()) {
        out[st.column_text(0)] = st.column_text(1);
    }
    return out;
}

std::vector<LinkedReferral> linked_referrals(Store& store, std::int64_t run_id) {
    Statement st{connection(store),
                 "SELECT r.id, coalesce(l.hotspot_code, ''), coalesce(h.name, ''), h.rank, r.state, r.created_at, "
                 "coalesce(r.contacted_at, ''), coalesce(r.outcome_at, ''), coalesce(r.reoffence_date, ''), "
                 "r.age_band, r.contact_within_48h, r.victim_consulted, r.victim_satisfied, r.first_time_entrant, "
                 "coalesce(r.hours_done, 0), r.interpreter, coalesce(r.workshop_attended_at, ''), "
                 "coalesce(r.aqa_date, ''), coalesce(r.workshop_type, ''), r.consent_evaluation, "
                 "coalesce(r.survey, ''), r.learnt_about_impact, coalesce(r.would_reoffend, '') "
                 "FROM referral r LEFT JOIN referral_link l ON l.referral_id = r.id AND l.run_id = ? "
                 "LEFT JOIN hotspot h ON h.id = l.hotspot_id"};
    st.bind(1, run_id);
    std::vector<LinkedReferral> out;
    while (st.step()) {
        LinkedReferral r;
        r.referral_id = st.column_int(0);
        r.hotspot_code = st.column_text(1);
        r.hotspot_name = st.column_text(2);
        if (!st.column_is_null(3)) {
            r.hotspot_rank = static_cast<int>(st.column_int(3));
        }
        r.state = st.column_text(4);
        r.created_at = st.column_text(5);
        r.contacted_at = st.column_text(6);
        r.outcome_at = st.column_text(7);
        r.reoffence_date = st.column_text(8);
        r.age_band = st.column_text(9);
        r.contact_within_48h = flag_or_null(st, 10);
        r.victim_consulted = flag_or_null(st, 11);
        r.victim_satisfied = flag_or_null(st, 12);
        r.first_time_entrant = st.column_int(13) != 0;
        r.hours_done = st.column_double(14);
        r.interpreter = flag_or_null(st, 15);
        r.workshop_attended_at = st.column_text(16);
        r.aqa_date = st.column_text(17);
        r.workshop_type = st.column_text(18);
        r.consent_evaluation = flag_or_null(st, 19);
        r.survey = st.column_text(20);
        r.learnt_about_impact = flag_or_null(st, 21);
        r.would_reoffend = st.column_text(22);
        out.push_back(std::move(r));
    }
    return out;
}

std::vector<ReferralFeature> referral_features(Store& store, std::int64_t run_id) {
    Statement st{connection(store),
                 "SELECT r.reference, r.state, r.offence, coalesce(r.asb_qualifier, ''), r.disposal, r.age_band, "
                 "r.created_at, coalesce(r.contacted_at, ''), r.contact_within_48h, coalesce(r.provider, ''), "
                 "coalesce(l.hotspot_code, ''), coalesce(l.kind, ''), r.easting, r.northing FROM referral r "
                 "LEFT JOIN referral_link l ON l.referral_id = r.id AND l.run_id = ? ORDER BY r.created_at, r.id"};
    st.bind(1, run_id);
    std::vector<ReferralFeature> out;
    while (st.step()) {
        ReferralFeature f;
        f.reference = st.column_text(0);
        f.state = st.column_text(1);
        f.offence = st.column_text(2);
        f.asb_qualifier = st.column_text(3);
        f.disposal = st.column_text(4);
        f.age_band = st.column_text(5);
        f.created_at = st.column_text(6);
        f.contacted_at = st.column_text(7);
        f.contact_within_48h = flag_or_null(st, 8);
        f.provider = st.column_text(9);
        f.hotspot_code = st.column_text(10);
        f.link_kind = st.column_text(11);
        if (!st.column_is_null(12) && !st.column_is_null(13)) {
            f.easting = st.column_double(12);
            f.northing = st.column_double(13);
        }
        out.push_back(std::move(f));
    }
    return out;
}

} // namespace hotref::store
