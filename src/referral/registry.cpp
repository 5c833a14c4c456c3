#include "referral/registry.hpp"

#include "core/csv.hpp"
#include "core/error.hpp"
#include "core/month.hpp"
#include "core/text.hpp"
#include "geo/gdal.hpp"
#include "store/referrals.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace hotref::referral {

namespace {

std::string opt_text(const std::optional<double>& v) {
    if (!v) {
        return {};
    }
    std::ostringstream s;
    s << *v;
    return s.str();
}

std::string opt_text(const std::optional<bool>& v) {
    return v ? (*v ? "yes" : "no") : "";
}

// The record as template columns (person_id shown as its key), for diffs and display.
std::map<std::string, std::string> as_fields(const Referral& r) {
    std::string refs;
    for (const auto& i : r.incident_refs) {
        refs += (refs.empty() ? "" : ";") + i;
    }
    return {{"reference", r.reference},
            {"created_at", r.created_at},
            {"incident_refs", refs},
            {"incident_at", r.incident_at},
            {"offence", r.offence},
            {"asb_qualifier", r.asb_qualifier},
            {"easting", opt_text(r.easting)},
            {"northing", opt_text(r.northing)},
            {"disposal", r.disposal},
            {"age_band", r.age_band},
            {"first_time_entrant", r.first_time_entrant ? "yes" : "no"},
            {"provider", r.provider},
            {"person_key", r.person_key},
            {"contacted_at", r.contacted_at},
            {"assessed_at", r.assessed_at},
            {"needs", r.needs},
            {"interpreter", opt_text(r.interpreter)},
            {"workshop_booked_at", r.workshop_booked_at},
            {"workshop_attended_at", r.workshop_attended_at},
            {"reparation_type", r.reparation_type},
            {"hours_set", opt_text(r.hours_set)},
            {"hours_done", opt_text(r.hours_done)},
            {"outcome", r.outcome},
            {"outcome_at", r.outcome_at},
            {"escalation", r.escalation},
            {"reoffence_date", r.reoffence_date},
            {"victim_consulted", opt_text(r.victim_consulted)},
            {"victim_satisfied", opt_text(r.victim_satisfied)},
            {"consent_evaluation", opt_text(r.consent_evaluation)},
            {"workshop_type", r.workshop_type},
            {"aqa_unit", r.aqa_unit},
            {"aqa_date", r.aqa_date},
            {"onward_referrals", onward_text(r.onward)},
            {"disclosure_made", opt_text(r.disclosure_made)},
            {"disclosure_agency", r.disclosure_agency},
            {"survey", r.survey()},
            {"learnt_about_impact", opt_text(r.learnt_about_impact)},
            {"would_reoffend", r.would_reoffend},
            {"survey_comment", r.survey_comment}};
}

std::vector<store::OnwardRow> onward_rows(const Referral& r) {
    std::vector<store::OnwardRow> rows;
    for (const auto& o : r.onward) {
        rows.push_back({o.agency, o.date, o.taken_up});
    }
    return rows;
}

void read_onward(store::Database& db, StoredReferral& s) {
    for (auto& row : store::read_onward(db, s.id)) {
        s.r.onward.push_back({std::move(row.agency), std::move(row.referred_on), std::move(row.taken_up)});
    }
}

// The template columns whose values purge_personal_data removes.
constexpr const char* purged_columns[] = {"person_id",        "needs",          "interpreter",       "easting",
                                          "northing",         "latitude",       "longitude",         "escalation",
                                          "provider",         "incident_at",    "incident_refs",     "onward_referrals",
                                          "disclosure_made",  "disclosure_agency", "survey_comment"};

constexpr const char* select_sql =
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

StoredReferral read_row(store::Statement& st) {
    auto d = [&st](int c) { return st.column_is_null(c) ? std::optional<double>{} : st.column_double(c); };
    auto b = [&st](int c) { return st.column_is_null(c) ? std::optional<bool>{} : st.column_int(c) != 0; };
    StoredReferral s;
    s.id = st.column_int(0);
    Referral& r = s.r;
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
    const std::string state = st.column_text(22);
    if (state == "completed" || state == "refused" || state == "did-not-complete" || state == "withdrawn") {
        r.outcome = state;
    }
    r.outcome_at = st.column_text(23);
    r.escalation = st.column_text(24);
    r.reoffence_date = st.column_text(25);
    r.victim_consulted = b(26);
    r.victim_satisfied = b(27);
    r.consent_evaluation = b(28);
    s.updated_at = st.column_text(29);
    r.incident_refs = split_incident_refs(st.column_text(30));
    r.workshop_type = st.column_text(31);
    r.aqa_unit = st.column_text(32);
    r.aqa_date = st.column_text(33);
    r.disclosure_made = b(34);
    r.disclosure_agency = st.column_text(35);
    r.learnt_about_impact = b(36);
    r.would_reoffend = st.column_text(37);
    r.survey_comment = st.column_text(38);
    return s;
}

} // namespace

Registry::Registry(store::Store& store, RegistryOptions options) : m_store(store), m_options(std::move(options)) {}

std::optional<StoredReferral> Registry::find(const std::string& reference) {
    store::Statement st{m_store.db(), std::string{select_sql} + " WHERE r.reference = ?"};
    st.bind(1, reference);
    if (!st.step()) {
        return std::nullopt;
    }
    auto s = read_row(st);
    read_onward(m_store.db(), s);
    return s;
}

std::vector<StoredReferral> Registry::list(const std::string& state, int limit) {
    store::Statement st{m_store.db(), std::string{select_sql} + " WHERE (?1 = '' OR r.state = ?1) ORDER BY r.created_at, "
                                                               "r.reference LIMIT ?2"};
    st.bind(1, state).bind(2, static_cast<std::int64_t>(limit));
    std::vector<StoredReferral> out;
    while (st.step()) {
        out.push_back(read_row(st));
        read_onward(m_store.db(), out.back());
    }
    return out;
}

std::vector<std::vector<std::string>> Registry::audit(std::int64_t referral_id) {
    store::Statement st{m_store.db(), "SELECT at, actor, action, coalesce(field, ''), coalesce(old_value, ''), "
                                      "coalesce(new_value, '') FROM referral_audit WHERE referral_id = ? ORDER BY id"};
    st.bind(1, referral_id);
    std::vector<std::vector<std::string>> out;
    while (st.step()) {
        out.push_back({st.column_text(0), st.column_text(1), st.column_text(2), st.column_text(3), st.column_text(4),
                       st.column_text(5)});
    }
    return out;
}

void Registry::log(std::int64_t id, const std::string& action, const std::string& field, const std::string& before,
                   const std::string& after) {
    store::Statement st{m_store.db(), "INSERT INTO referral_audit (referral_id, at, actor, action, field, old_value, "
                                      "new_value) VALUES (?, ?, ?, ?, ?, ?, ?)"};
    st.bind(1, id).bind(2, store::utc_now()).bind(3, m_options.actor).bind(4, action);
    st.bind(5, field, true).bind(6, before, true).bind(7, after, true);
    st.run();
}

std::int64_t Registry::write(std::int64_t id, const Referral& r) {
    auto& db = m_store.db();
    store::Statement st{db, id == 0
                                ? "INSERT INTO referral (reference, created_at, incident_at, offence, asb_qualifier, easting, "
                                  "northing, disposal, age_band, first_time_entrant, provider, person_key, state, "
                                  "contacted_at, contact_within_48h, assessed_at, needs, interpreter, workshop_booked_at, "
                                  "workshop_attended_at, reparation_type, hours_set, hours_done, outcome_at, escalation, "
                                  "reoffence_date, victim_consulted, victim_satisfied, consent_evaluation, updated_at, "
                                  "workshop_type, aqa_unit, aqa_date, disclosure_made, disclosure_agency, survey, "
                                  "learnt_about_impact, would_reoffend, survey_comment) "
                                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, "
                                  "?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?32, ?33, ?34, "
                                  "?35, ?36, ?37, ?38, ?39, ?40)"
                                : "UPDATE referral SET reference = ?1, created_at = ?2, incident_at = ?3, offence = ?4, "
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
    auto b = [](const std::optional<bool>& v) { return v ? std::optional<std::int64_t>{*v ? 1 : 0} : std::nullopt; };
    st.bind(1, r.reference).bind(2, r.created_at).bind(3, r.incident_at, true).bind(4, r.offence);
    st.bind(5, r.asb_qualifier, true).bind(6, r.easting).bind(7, r.northing).bind(8, r.disposal).bind(9, r.age_band);
    st.bind(10, r.first_time_entrant ? 1 : 0).bind(11, r.provider, true).bind(12, r.person_key);
    st.bind(13, state_name(r.state())).bind(14, r.contacted_at, true).bind(15, b(r.contact_within_48h()));
    st.bind(16, r.assessed_at, true).bind(17, r.needs, true).bind(18, b(r.interpreter));
    st.bind(19, r.workshop_booked_at, true).bind(20, r.workshop_attended_at, true).bind(21, r.reparation_type, true);
    st.bind(22, r.hours_set).bind(23, r.hours_done).bind(24, r.outcome_at, true).bind(25, r.escalation, true);
    st.bind(26, r.reoffence_date, true).bind(27, b(r.victim_consulted)).bind(28, b(r.victim_satisfied));
    st.bind(29, b(r.consent_evaluation)).bind(30, store::utc_now());
    st.bind(32, r.workshop_type, true).bind(33, r.aqa_unit, true).bind(34, r.aqa_date, true);
    st.bind(35, b(r.disclosure_made)).bind(36, r.disclosure_agency, true).bind(37, r.survey(), true);
    st.bind(38, b(r.learnt_about_impact)).bind(39, r.would_reoffend, true).bind(40, r.survey_comment, true);
    if (id != 0) {
        st.bind(31, id);
    }
    st.run();
    const std::int64_t row = id != 0 ? id : db.last_insert_rowid();
    store::replace_onward(db, row, onward_rows(r));
    return row;
}

const char* refusal_check_name(RefusalCheck check) noexcept {
    switch (check) {
    case RefusalCheck::not_run: return "not run";
    case RefusalCheck::clear: return "no earlier refusal";
    case RefusalCheck::refused_before: return "refused before";
    }
    return "?";
}

std::string Registry::upsert(const std::map<std::string, std::string>& fields) {
    m_last_check = RefusalCheck::not_run;
    if (auto problems = text_problems(fields); !problems.empty()) {
        throw Rejected(std::move(problems));
    }
    std::vector<FieldError> errors;
    for (const auto& [k, v] : fields) {
        if (looks_like_disclosure_content(k)) {
            errors.push_back({k, disclosure_content_refusal(k)});
        } else if (std::find(columns().begin(), columns().end(), k) == columns().end()) {
            errors.push_back({k, "is not a referral column (see 'hotref referral template')"});
        }
    }
    const Referral given = from_fields(fields, m_options.secret, errors);
    if (given.reference.empty()) {
        errors.push_back({"reference", "is empty"});
        throw Rejected(errors);
    }
    const auto stored = find(given.reference);
    if (stored && stored->r.person_key == "purged") {
        for (const char* k : purged_columns) {
            if (const auto it = fields.find(k); it != fields.end() && !trim(it->second).empty()) {
                errors.push_back({k, "the personal data of " + given.reference +
                                         " was removed on retention (hotref referral purge) and is not recorded "
                                         "again; leave this column empty for it (or drop its row)"});
            }
        }
    }
    const Referral next = stored ? merged(stored->r, given, fields) : given;
    // One problem per field: a date already named impossible is not also "not a date-time".
    auto named = [&errors](const std::string& field) {
        return std::any_of(errors.begin(), errors.end(), [&field](const FieldError& e) { return e.field == field; });
    };
    for (auto& e : validate(next)) {
        if (!named(e.field)) {
            errors.push_back(std::move(e));
        }
    }
    if (stored) {
        for (auto& e : validate_change(stored->r, next)) {
            errors.push_back(std::move(e));
        }
    }
    auto& db = m_store.db();
    // One referral per incident.
    store::Statement used{db, "SELECT r.reference FROM referral_incident i JOIN referral r ON r.id = i.referral_id "
                              "WHERE i.incident_ref = ? AND r.reference != ?"};
    for (const auto& inc : next.incident_refs) {
        used.bind(1, inc).bind(2, next.reference);
        if (used.step()) {
            errors.push_back({"incident_refs", "incident " + inc + " already has referral " + used.column_text(0) +
                                                   ": one referral per incident"});
        }
        used.reset();
    }
    // No second chance after a refusal. The check runs only for a new referral that passes
    // every other check, so that a deliberately invalid referral cannot ask it: a probe that
    // misses creates a real referral, audited under the caller's name. What the answer names
    // depends on who asks (docs/referrals.md#refusal-checks).
    if (!stored && !next.person_key.empty() && errors.empty()) {
        store::Statement refused{db, "SELECT reference, coalesce(nullif(outcome_at, ''), created_at) FROM referral "
                                     "WHERE person_key = ? AND state = 'refused' ORDER BY created_at LIMIT 1"};
        refused.bind(1, next.person_key);
        const bool hit = refused.step();
        m_last_check = hit ? RefusalCheck::refused_before : RefusalCheck::clear;
        if (hit && m_options.disclose_refusal) {
            errors.push_back({"person_id", "not eligible: this person refused Immediate Justice on referral " +
                                               refused.column_text(0) + " (" + refused.column_text(1) +
                                               ") and has offended again: no second chance; escalate: " +
                                               m_options.escalation_route});
        } else if (hit) {
            errors.push_back({"person_id", "not eligible: this person refused Immediate Justice before; no second "
                                           "chance — escalate to the scheme lead"});
        }
    }
    if (!errors.empty()) {
        throw Rejected(errors);
    }
    if (!stored) {
        const auto id = write(0, next);
        for (const auto& inc : next.incident_refs) {
            store::Statement ins{db, "INSERT INTO referral_incident (incident_ref, referral_id) VALUES (?, ?)"};
            ins.bind(1, inc).bind(2, id).run();
        }
        log(id, "create", "", "", state_name(next.state()));
        return "created";
    }
    const auto before = as_fields(stored->r);
    const auto after = as_fields(next);
    // Consent withdrawn: the answers leave the audit trail too (who and when stay).
    const bool withdrawn = stored->r.survey() == "answered" && next.survey() == "not consented";
    if (withdrawn) {
        store::Statement scrub{db, "UPDATE referral_audit SET old_value = NULL, new_value = NULL WHERE referral_id = ? "
                                   "AND field IN ('learnt_about_impact', 'would_reoffend', 'survey_comment')"};
        scrub.bind(1, stored->id).run();
    }
    bool changed = false;
    for (const auto& [k, v] : after) {
        if (before.at(k) != v) {
            changed = true;
            const bool answer = k == "learnt_about_impact" || k == "would_reoffend" || k == "survey_comment";
            const std::string old = k == "person_key"          ? "(key)"
                                    : withdrawn && answer ? "(removed: consent withdrawn)"
                                                          : before.at(k);
            log(stored->id, "update", k, old, k == "person_key" ? "(key)" : v);
        }
    }
    if (!changed) {
        return "unchanged";
    }
    write(stored->id, next);
    db.exec("DELETE FROM referral_incident WHERE referral_id = " + std::to_string(stored->id));
    for (const auto& inc : next.incident_refs) {
        store::Statement ins{db, "INSERT INTO referral_incident (incident_ref, referral_id) VALUES (?, ?)"};
        ins.bind(1, inc).bind(2, stored->id).run();
    }
    return "updated";
}

ImportReport import_csv(store::Store& store, const std::string& path, const RegistryOptions& options,
                        bool skip_bad_rows) {
    geo::VsiFile file{geo::vsi_path(path)};
    CsvOptions csv_options;
    csv_options.name = path;
    csv_options.encoding_hint = "re-save the file as UTF-8 (in Excel: Save As, \"CSV UTF-8\")";
    CsvReader csv{file, csv_options};
    if (!csv.next()) {
        throw InputError(path + ": empty; expected the referral template's header (hotref referral template)");
    }
    require_unique_columns(csv, path);
    std::vector<std::string> header;
    for (const auto f : csv.fields()) {
        header.emplace_back(trim(f));
    }
    std::string unknown;
    for (const auto& h : header) {
        if (looks_like_disclosure_content(h)) {
            throw InputError(path + ": line 1: column " + disclosure_content_refusal(h) + "; nothing was stored");
        }
        if (std::find(columns().begin(), columns().end(), h) == columns().end()) {
            unknown += (unknown.empty() ? "'" : ", '") + h + "'";
        }
    }
    if (unknown.empty() && std::find(header.begin(), header.end(), "reference") == header.end()) {
        unknown = "(no 'reference' column)";
    }
    if (!unknown.empty()) {
        throw InputError(path + ": line 1: not the referral template: unknown column(s) " + unknown +
                         " (see 'hotref referral template')");
    }
    ImportReport report;
    store::Transaction tx{store.db()};
    Registry registry{store, options};
    while (csv.next()) {
        ++report.rows;
        const auto line = static_cast<std::int64_t>(csv.line());
        if (csv.size() != header.size()) {
            report.errors.push_back({line, "", "", "expected " + std::to_string(header.size()) + " columns, found " +
                                                       std::to_string(csv.size())});
            continue;
        }
        std::map<std::string, std::string> fields;
        for (std::size_t i = 0; i < header.size(); ++i) {
            fields[header[i]] = std::string{csv[i]};
        }
        try {
            const auto what = registry.upsert(fields);
            (what == "created" ? report.created : what == "updated" ? report.updated : report.unchanged) += 1;
        } catch (const Rejected& r) {
            if (registry.last_refusal_check() == RefusalCheck::refused_before) {
                report.refused_before.emplace_back(trim(fields["reference"]));
            }
            // The row's problems in the order of its columns, as the caseworker reads the row.
            std::vector<RowError> row;
            for (const auto& e : r.errors()) {
                const auto at = std::find(header.begin(), header.end(), e.field);
                const int column = at == header.end() ? 0 : static_cast<int>(at - header.begin()) + 1;
                row.push_back({line, std::string{trim(fields["reference"])}, e.field, e.reason, column});
            }
            std::stable_sort(row.begin(), row.end(),
                             [](const RowError& a, const RowError& b) { return a.column < b.column; });
            report.errors.insert(report.errors.end(), row.begin(), row.end());
        }
    }
    if (report.errors.empty() || skip_bad_rows) {
        tx.commit();
        report.committed = true;
    }
    return report;
}

std::int64_t ImportReport::rows_rejected() const {
    std::int64_t bad = 0;
    for (std::size_t i = 0; i < errors.size(); ++i) {
        bad += i == 0 || errors[i].line != errors[i - 1].line ? 1 : 0;
    }
    return bad;
}

std::string spreadsheet_column(int column) {
    std::string letters;
    for (int c = column; c > 0; c = (c - 1) / 26) {
        letters.insert(letters.begin(), static_cast<char>('A' + (c - 1) % 26));
    }
    return letters;
}

std::int64_t purge_personal_data(store::Store& store, int months, const std::string& as_of, const std::string& actor) {
    if (months < 1) {
        throw UsageError("the retention period must be at least one month");
    }
    const auto day = parse_datetime(as_of, "%Y-%m-%d");
    if (!day) {
        throw UsageError("--as-of must be a date YYYY-MM-DD");
    }
    // The cut-off month: as_of less `months` months, same day.
    int y = day->year;
    int m = day->month - months;
    while (m < 1) {
        m += 12;
        --y;
    }
    char cutoff[48];
    std::snprintf(cutoff, sizeof cutoff, "%04d-%02d-%02d", y, m, std::min(day->day, days_in_month(y, m)));
    auto& db = store.db();
    std::vector<std::int64_t> ids;
    {
        store::Transaction tx{db};
        {
            store::Statement st{db, "SELECT id FROM referral WHERE substr(created_at, 1, 10) < ? "
                                    "AND person_key != 'purged'"};
            st.bind(1, std::string{cutoff});
            while (st.step()) {
                ids.push_back(st.column_int(0));
            }
        }
        // The personal columns (docs/referrals.md#purge); the KPI fields stay.
        store::Statement upd{db, "UPDATE referral SET person_key = 'purged', needs = NULL, interpreter = NULL, "
                                 "easting = NULL, northing = NULL, escalation = NULL, provider = NULL, "
                                 "incident_at = NULL, updated_at = ? WHERE id = ?"};
        store::Statement log{db, "INSERT INTO referral_audit (referral_id, at, actor, action, field, old_value, "
                                 "new_value) VALUES (?, ?, ?, 'purge', 'person data', NULL, ?)"};
        const std::string now = store::utc_now();
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
        store::delete_purged_onward(db);
        db.exec("UPDATE referral SET disclosure_made = NULL, disclosure_agency = NULL, survey_comment = NULL "
                "WHERE person_key = 'purged' AND (disclosure_made IS NOT NULL OR disclosure_agency IS NOT NULL "
                "OR survey_comment IS NOT NULL)");
        db.exec("UPDATE referral_link SET distance_m = NULL WHERE distance_m IS NOT NULL AND referral_id IN "
                "(SELECT id FROM referral WHERE person_key = 'purged')");
        for (const auto id : ids) {
            log.bind(1, id).bind(2, now).bind(3, actor).bind(4, std::string{"retention: created before "} + cutoff).run();
        }
        tx.commit();
    }
    // secure_delete zeroed the old values in their pages; this removes the free pages and
    // the earlier page versions in the WAL.
    store.erase_free_space();
    return static_cast<std::int64_t>(ids.size());
}

void audit_cli_refusal(store::Store& store, const std::string& actor, const std::string& command,
                       const std::string& reference) {
    store::Statement st{store.db(), "INSERT INTO api_audit (at, token_name, role, method, target, status, summary) "
                                    "VALUES (?, ?, 'operator', 'CLI', ?, 422, ?)"};
    st.bind(1, store::utc_now()).bind(2, actor).bind(3, command);
    st.bind(4, "referral " + reference + " refused; refusal check: refused before (answered with the earlier reference)");
    st.run();
}

std::string referral_secret(const std::string& secret_file) {
    std::string secret;
    if (!secret_file.empty()) {
        std::ifstream in{secret_file};
        if (!in) {
            throw UsageError(secret_file + ": cannot read the referral secret");
        }
        std::getline(in, secret);
    } else if (const char* env = std::getenv("HOTREF_REFERRAL_SECRET")) {
        secret = env;
    }
    if (secret.size() < 16) {
        throw UsageError("referrals need a secret of at least 16 characters to key the person hash: set "
                         "HOTREF_REFERRAL_SECRET or give --secret-file (keep it out of the store and out of git; "
                         "the same secret must be used for every import)");
    }
    return secret;
}

} // namespace hotref::referral
