#include "store/referrals.hpp"

#include <string>

namespace hotref::store {

namespace {

constexpr const char* referral_columns =
    "SELECT r.id, r.reference, r.created_at, coalesce(r.incident_at, ''), r.offence, coalesce(r.asb_qualifier, ''), "
    "r.easting, r.northing, r.disposal, r.age_band, r.first_time_entrant, coalesce(r.provider, ''), r.person_key, "
    "coalesce(r.contacted_at, ''), coalesce(r.assessed_at, ''), coalesce(r.needs, ''), r.interpreter, "
    "coalesce(r.workshop_booked_at, ''), coalesce(r.workshop_attended_at, ''), coalesce(r.reparation_type, ''), "
    "r.hours_set, r.hours_done, coalesce(r.state, ''), coalesce(r.outcome_at, ''), coalesce(r.escalation, ''), "
    "coalesce(r.reoffence_date, ''), r.victim_consulted, r.victim_satisfied, r.consent_evaluation, r.updated_at, "
    "(SELECT group_concat(incident_ref, ';') FROM referral_incident i WHERE i.referral_id = r.id), "
    "coalesce(r.workshop_type, ''), coalesce(r.aqa_unit, ''), coalesce(r.aqa_date, ''), r.disclosure_made, "
    "coalesce(r.disclosure_agency, ''), r.learnt_about_impact, coalesce(r.would_reoffend, ''), "
    "coalesce(r.survey_comment, '') "
    "FROM referral r";

ReferralRow referral_of(const Statement& st) {
    auto d = [&st](int c) { return st.column_is_null(c) ? std::optional<double>{} : st.column_double(c); };
    auto b = [&st](int c) { return st.column_is_null(c) ? std::optional<bool>{} : st.column_int(c) != 0; };
    ReferralRow r;
    r.id = st.column_int(0);
    r.reference = st.column_text(1);
    r.created_at = st.column_text(2);
    r.incident_at = st.column_text(3);
    r.offence = st.column_text(4);
    r.asb_qualifier = st.column_text(5);
    r.easting = d(6);
    r.northing = d(7);
    r.disposal = st.column_text(8);
    r.age_band = st.column_text(9);
    r.first_time_entrant = st.column_int(10) != 0;
    r.provider = st.column_text(11);
    r.person_key = st.column_text(12);
    r.contacted_at = st.column_text(13);
    r.assessed_at = st.column_text(14);
    r.needs = st.column_text(15);
    r.interpreter = b(16);
    r.workshop_booked_at = st.column_text(17);
    r.workshop_attended_at = st.column_text(18);
    r.reparation_type = st.column_text(19);
    r.hours_set = d(20);
    r.hours_done = d(21);
    r.state = st.column_text(22);
    r.outcome_at = st.column_text(23);
    r.escalation = st.column_text(24);
    r.reoffence_date = st.column_text(25);
    r.victim_consulted = b(26);
    r.victim_satisfied = b(27);
    r.consent_evaluation = b(28);
    r.updated_at = st.column_text(29);
    r.incident_refs = st.column_text(30);
    r.workshop_type = st.column_text(31);
    r.aqa_unit = st.column_text(32);
    r.aqa_date = st.column_text(33);
    r.disclosure_made = b(34);
    r.disclosure_agency = st.column_text(35);
    r.learnt_about_impact = b(36);
    r.would_reoffend = st.column_text(37);
    r.survey_comment = st.column_text(38);
    return r;
}

std::optional<std::int64_t> flag(const std::optional<bool>& v) {
    return v ? std::optional<std::int64_t>{*v ? 1 : 0} : std::nullopt;
}

// Binds ?1..?30 and ?32..?40 of the INSERT and the UPDATE below (?31: the UPDATE's id).
void bind_referral(Statement& st, const ReferralRow& r) {
    st.bind(1, r.reference).bind(2, r.created_at).bind(3, r.incident_at, true).bind(4, r.offence);
    st.bind(5, r.asb_qualifier, true).bind(6, r.easting).bind(7, r.northing).bind(8, r.disposal).bind(9, r.age_band);
    st.bind(10, r.first_time_entrant ? 1 : 0).bind(11, r.provider, true).bind(12, r.person_key);
    st.bind(13, r.state).bind(14, r.contacted_at, true).bind(15, flag(r.contact_within_48h));
    st.bind(16, r.assessed_at, true).bind(17, r.needs, true).bind(18, flag(r.interpreter));
    st.bind(19, r.workshop_booked_at, true).bind(20, r.workshop_attended_at, true).bind(21, r.reparation_type, true);
    st.bind(22, r.hours_set).bind(23, r.hours_done).bind(24, r.outcome_at, true).bind(25, r.escalation, true);
    st.bind(26, r.reoffence_date, true).bind(27, flag(r.victim_consulted)).bind(28, flag(r.victim_satisfied));
    st.bind(29, flag(r.consent_evaluation)).bind(30, utc_now());
    st.bind(32, r.workshop_type, true).bind(33, r.aqa_unit, true).bind(34, r.aqa_date, true);
    st.bind(35, flag(r.disclosure_made)).bind(36, r.disclosure_agency, true).bind(37, r.survey, true);
    st.bind(38, flag(r.learnt_about_impact)).bind(39, r.would_reoffend, true).bind(40, r.survey_comment, true);
}

} // namespace

std::optional<ReferralRow> find_referral(Store& store, const std::string& reference) {
    Statement st{connection(store), std::string{referral_columns} + " WHERE r.reference = ?"};
    st.bind(1, reference);
    return st.step() ? std::optional<ReferralRow>{referral_of(st)} : std::nullopt;
}

std::vector<ReferralRow> list_referrals(Store& store, const std::string& state, std::int64_t limit) {
    Statement st{connection(store), std::string{referral_columns} +
                                        " WHERE (?1 = '' OR r.state = ?1) ORDER BY r.created_at, r.reference LIMIT ?2"};
    st.bind(1, state).bind(2, limit);
    std::vector<ReferralRow> out;
    while (st.step()) {
        out.push_back(referral_of(st));
    }
    return out;
}

std::int64_t insert_referral(Store& store, const ReferralRow& row) {
    Statement st{connection(store),
                 "INSERT INTO referral (reference, created_at, incident_at, offence, asb_qualifier, easting, "
                 "northing, disposal, age_band, first_time_entrant, provider, person_key, state, "
                 "contacted_at, contact_within_48h, assessed_at, needs, interpreter, workshop_booked_at, "
                 "workshop_attended_at, reparation_type, hours_set, hours_done, outcome_at, escalation, "
                 "reoffence_date, victim_consulted, victim_satisfied, consent_evaluation, updated_at, "
                 "workshop_type, aqa_unit, aqa_date, disclosure_made, disclosure_agency, survey, "
                 "learnt_about_impact, would_reoffend, survey_comment) "
                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, "
                 "?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?32, ?33, ?34, "
                 "?35, ?36, ?37, ?38, ?39, ?40)"};
    bind_referral(st, row);
    st.run();
    return connection(store).last_insert_rowid();
}

void update_referral(Store& store, std::int64_t id, const ReferralRow& row) {
    Statement st{connection(store),
                 "UPDATE referral SET reference = ?1, created_at = ?2, incident_at = ?3, offence = ?4, "
                 "asb_qualifier = ?5, easting = ?6, northing = ?7, disposal = ?8, age_band = ?9, "
                 "first_time_entrant = ?10, provider = ?11, person_key = ?12, state = ?13, "
                 "contacted_at = ?14, contact_within_48h = ?15, assessed_at = ?16, needs = ?17, "
                 "interpreter = ?18, workshop_booked_at = ?19, workshop_attended_at = ?20, "
                 "reparation_type = ?21, hours_set = ?22, hours_done = ?23, outcome_at = ?24, "
                 "escalation = ?25, reoffence_date = ?26, victim_consulted = ?27, "
                 "victim_satisfied = ?28, consent_evaluation = ?29, updated_at = ?30, "
                 "workshop_type = ?32, aqa_unit = ?33, aqa_date = ?34, disclosure_made = ?35, "
                 "disclosure_agency = ?36, survey = ?37, learnt_about_impact = ?38, "
                 "would_reoffend = ?39, survey_comment = ?40 WHERE id = ?31"};
    bind_referral(st, row);
    st.bind(31, id);
    st.run();
}

void replace_referral_incidents(Store& store, std::int64_t id, const std::vector<std::string>& incident_refs) {
    Statement del{connection(store), "DELETE FROM referral_incident WHERE referral_id = ?"};
    del.bind(1, id).run();
    Statement ins{connection(store), "INSERT INTO referral_incident (incident_ref, referral_id) VALUES (?, ?)"};
    for (const auto& ref : incident_refs) {
        ins.bind(1, ref).bind(2, id).run();
    }
}

std::optional<std::string> referral_with_incident(Store& store, const std::string& incident_ref,
                                                  const std::string& other_than) {
    Statement st{connection(store),
                 "SELECT r.reference FROM referral_incident i JOIN referral r ON r.id = i.referral_id "
                 "WHERE i.incident_ref = ? AND r.reference != ?"};
    st.bind(1, incident_ref).bind(2, other_than);
    return st.step() ? std::optional<std::string>{st.column_text(0)} : std::nullopt;
}

std::optional<EarlierRefusal> earlier_refusal(Store& store, const std::string& person_key) {
    Statement st{connection(store), "SELECT reference, coalesce(nullif(outcome_at, ''), created_at) FROM referral "
                                    "WHERE person_key = ? AND state = 'refused' ORDER BY created_at LIMIT 1"};
    st.bind(1, person_key);
    return st.step() ? std::optional<EarlierRefusal>{EarlierRefusal{st.column_text(0), st.column_text(1)}}
                     : std::nullopt;
}

void insert_referral_audit(Store& store, std::int64_t referral_id, const ReferralAuditRow& row) {
    Statement st{connection(store), "INSERT INTO referral_audit (referral_id, at, actor, action, field, old_value, "
                                    "new_value) VALUES (?, ?, ?, ?, ?, ?, ?)"};
    st.bind(1, referral_id).bind(2, utc_now()).bind(3, row.actor).bind(4, row.action);
    st.bind(5, row.field, true).bind(6, row.old_value, true).bind(7, row.new_value, true);
    st.run();
}

std::vector<ReferralAuditRow> read_referral_audit(Store& store, std::int64_t referral_id) {
    Statement st{connection(store), "SELECT at, actor, action, coalesce(field, ''), coalesce(old_value, ''), "
                                    "coalesce(new_value, '') FROM referral_audit WHERE referral_id = ? ORDER BY id"};
    st.bind(1, referral_id);
    std::vector<ReferralAuditRow> out;
    while (st.step()) {
        out.push_back({st.column_text(0), st.column_text(1), st.column_text(2), st.column_text(3), st.column_text(4),
                       st.column_text(5)});
    }
    return out;
}

void scrub_survey_audit(Store& store, std::int64_t referral_id) {
    Statement st{connection(store),
                 "UPDATE referral_audit SET old_value = NULL, new_value = NULL WHERE referral_id = ? "
                 "AND field IN ('learnt_about_impact', 'would_reoffend', 'survey_comment')"};
    st.bind(1, referral_id).run();
}

void replace_onward(Store& store, std::int64_t referral_id, const std::vector<OnwardRow>& rows) {
    Statement del{connection(store), "DELETE FROM referral_onward WHERE referral_id = ?"};
    del.bind(1, referral_id).run();
    Statement ins{connection(store), "INSERT INTO referral_onward (referral_id, seq, agency, referred_on, taken_up) "
                                     "VALUES (?, ?, ?, ?, ?)"};
    for (std::size_t i = 0; i < rows.size(); ++i) {
        ins.bind(1, referral_id).bind(2, static_cast<std::int64_t>(i + 1)).bind(3, rows[i].agency);
        ins.bind(4, rows[i].referred_on).bind(5, rows[i].taken_up).run();
    }
}

std::vector<OnwardRow> read_onward(Store& store, std::int64_t referral_id) {
    Statement st{connection(store),
                 "SELECT agency, referred_on, taken_up FROM referral_onward WHERE referral_id = ? ORDER BY seq"};
    st.bind(1, referral_id);
    std::vector<OnwardRow> out;
    while (st.step()) {
        out.push_back({st.column_text(0), st.column_text(1), st.column_text(2)});
    }
    return out;
}

std::map<std::int64_t, std::vector<OnwardRow>> read_all_onward(Store& store) {
    Statement st{connection(store),
                 "SELECT referral_id, agency, referred_on, taken_up FROM referral_onward ORDER BY referral_id, seq"};
    std::map<std::int64_t, std::vector<OnwardRow>> out;
    while (st.step()) {
        out[st.column_int(0)].push_back({st.column_text(1), st.column_text(2), st.column_text(3)});
    }
    return out;
}

std::int64_t purge_referrals(Store& store, const std::string& cutoff, const std::string& actor,
                             const std::string& note) {
    auto& db = connection(store);
    Transaction tx{store};
    std::vector<std::int64_t> ids;
    {
        Statement st{db, "SELECT id FROM referral WHERE substr(created_at, 1, 10) < ? AND person_key != 'purged'"};
        st.bind(1, cutoff);
        while (st.step()) {
            ids.push_back(st.column_int(0));
        }
    }
    // The personal columns (docs/referrals.md#purge); the KPI fields stay.
    Statement upd{db, "UPDATE referral SET person_key = 'purged', needs = NULL, interpreter = NULL, "
                      "easting = NULL, northing = NULL, escalation = NULL, provider = NULL, "
                      "incident_at = NULL, updated_at = ? WHERE id = ?"};
    const std::string now = utc_now();
    for (const auto id : ids) {
        upd.bind(1, now).bind(2, id).run();
    }
    // Of every purged referral (also those purged by a hotref that left these behind):
    // the audit trail keeps who, when, the action and the field, not the values; the
    // incident references (they lead to the incident's exact place and time) go; a
    // link keeps its hotspot and kind (the KPIs per hotspot), not the distance.
    db.exec("UPDATE referral_audit SET old_value = NULL, new_value = NULL WHERE referral_id IN "
            "(SELECT id FROM referral WHERE person_key = 'purged') AND action != 'purge' "
            "AND (old_value IS NOT NULL OR new_value IS NOT NULL)");
    db.exec("DELETE FROM referral_incident WHERE referral_id IN (SELECT id FROM referral WHERE person_key = 'purged')");
    // The scheme's evaluation facts that are about the person's needs and words: the onward
    // referrals (an agency says what support a person needed), the disclosure, the survey's
    // free text. The workshop type, AQA unit and yes/no survey answers stay (KPIs).
    db.exec("DELETE FROM referral_onward WHERE referral_id IN (SELECT id FROM referral WHERE person_key = 'purged')");
    db.exec("UPDATE referral SET disclosure_made = NULL, disclosure_agency = NULL, survey_comment = NULL "
            "WHERE person_key = 'purged' AND (disclosure_made IS NOT NULL OR disclosure_agency IS NOT NULL "
            "OR survey_comment IS NOT NULL)");
    db.exec("UPDATE referral_link SET distance_m = NULL WHERE distance_m IS NOT NULL AND referral_id IN "
            "(SELECT id FROM referral WHERE person_key = 'purged')");
    Statement log{db, "INSERT INTO referral_audit (referral_id, at, actor, action, field, old_value, "
                      "new_value) VALUES (?, ?, ?, 'purge', 'person data', NULL, ?)"};
    for (const auto id : ids) {
        log.bind(1, id).bind(2, now).bind(3, actor).bind(4, note).run();
    }
    tx.commit();
    return static_cast<std::int64_t>(ids.size());
}

} // namespace hotref::store
