#include "referral/registry.hpp"

#include "core/csv.hpp"
#include "core/error.hpp"
#include "core/month.hpp"
#include "core/text.hpp"
#include "geo/gdal.hpp"
#include "store/audit.hpp"
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

void read_onward(store::Store& store, StoredReferral& s) {
    for (auto& row : store::read_onward(store, s.id)) {
        s.r.onward.push_back({std::move(row.agency), std::move(row.referred_on), std::move(row.taken_up)});
    }
}

// The template columns whose values purge_personal_data removes.
constexpr const char* purged_columns[] = {"person_id",        "needs",          "interpreter",       "easting",
                                          "northing",         "latitude",       "longitude",         "escalation",
                                          "provider",         "incident_at",    "incident_refs",     "onward_referrals",
                                          "disclosure_made",  "disclosure_agency", "survey_comment"};

StoredReferral from_row(store::ReferralRow&& row) {
    StoredReferral s;
    s.id = row.id;
    s.updated_at = std::move(row.updated_at);
    Referral& r = s.r;
    r.reference = std::move(row.reference);
    r.created_at = std::move(row.created_at);
    r.incident_at = std::move(row.incident_at);
    r.offence = std::move(row.offence);
    r.asb_qualifier = std::move(row.asb_qualifier);
    r.easting = row.easting;
    r.northing = row.northing;
    r.disposal = std::move(row.disposal);
    r.age_band = std::move(row.age_band);
    r.first_time_entrant = row.first_time_entrant;
    r.provider = std::move(row.provider);
    r.person_key = std::move(row.person_key);
    r.contacted_at = std::move(row.contacted_at);
    r.assessed_at = std::move(row.assessed_at);
    r.needs = std::move(row.needs);
    r.interpreter = row.interpreter;
    r.workshop_booked_at = std::move(row.workshop_booked_at);
    r.workshop_attended_at = std::move(row.workshop_attended_at);
    r.reparation_type = std::move(row.reparation_type);
    r.hours_set = row.hours_set;
    r.hours_done = row.hours_done;
    if (row.state == "completed" || row.state == "refused" || row.state == "did-not-complete" ||
        row.state == "withdrawn") {
        r.outcome = row.state;
    }
    r.outcome_at = std::move(row.outcome_at);
    r.escalation = std::move(row.escalation);
    r.reoffence_date = std::move(row.reoffence_date);
    r.victim_consulted = row.victim_consulted;
    r.victim_satisfied = row.victim_satisfied;
    r.consent_evaluation = row.consent_evaluation;
    r.incident_refs = split_incident_refs(row.incident_refs);
    r.workshop_type = std::move(row.workshop_type);
    r.aqa_unit = std::move(row.aqa_unit);
    r.aqa_date = std::move(row.aqa_date);
    r.disclosure_made = row.disclosure_made;
    r.disclosure_agency = std::move(row.disclosure_agency);
    r.learnt_about_impact = row.learnt_about_impact;
    r.would_reoffend = std::move(row.would_reoffend);
    r.survey_comment = std::move(row.survey_comment);
    return s;
}

// The record as the store writes it: with its derived state, contact in 48 hours and survey.
store::ReferralRow to_row(const Referral& r) {
    store::ReferralRow row;
    row.reference = r.reference;
    row.created_at = r.created_at;
    row.incident_at = r.incident_at;
    row.offence = r.offence;
    row.asb_qualifier = r.asb_qualifier;
    row.easting = r.easting;
    row.northing = r.northing;
    row.disposal = r.disposal;
    row.age_band = r.age_band;
    row.first_time_entrant = r.first_time_entrant;
    row.provider = r.provider;
    row.person_key = r.person_key;
    row.state = state_name(r.state());
    row.contacted_at = r.contacted_at;
    row.contact_within_48h = r.contact_within_48h();
    row.assessed_at = r.assessed_at;
    row.needs = r.needs;
    row.interpreter = r.interpreter;
    row.workshop_booked_at = r.workshop_booked_at;
    row.workshop_attended_at = r.workshop_attended_at;
    row.reparation_type = r.reparation_type;
    row.hours_set = r.hours_set;
    row.hours_done = r.hours_done;
    row.outcome_at = r.outcome_at;
    row.escalation = r.escalation;
    row.reoffence_date = r.reoffence_date;
    row.victim_consulted = r.victim_consulted;
    row.victim_satisfied = r.victim_satisfied;
    row.consent_evaluation = r.consent_evaluation;
    row.workshop_type = r.workshop_type;
    row.aqa_unit = r.aqa_unit;
    row.aqa_date = r.aqa_date;
    row.disclosure_made = r.disclosure_made;
    row.disclosure_agency = r.disclosure_agency;
    row.survey = r.survey();
    row.learnt_about_impact = r.learnt_about_impact;
    row.would_reoffend = r.would_reoffend;
    row.survey_comment = r.survey_comment;
    return row;
}

} // namespace

Registry::Registry(store::Store& store, RegistryOptions options) : m_store(store), m_options(std::move(options)) {}

std::optional<StoredReferral> Registry::find(const std::string& reference) {
    auto row = store::find_referral(m_store, reference);
    if (!row) {
        return std::nullopt;
    }
    auto s = from_row(std::move(*row));
    read_onward(m_store, s);
    return s;
}

std::vector<StoredReferral> Registry::list(const std::string& state, int limit) {
    std::vector<StoredReferral> out;
    for (auto& row : store::list_referrals(m_store, state, limit)) {
        out.push_back(from_row(std::move(row)));
        read_onward(m_store, out.back());
    }
    return out;
}

std::vector<std::vector<std::string>> Registry::audit(std::int64_t referral_id) {
    std::vector<std::vector<std::string>> out;
    for (auto& a : store::read_referral_audit(m_store, referral_id)) {
        out.push_back({std::move(a.at), std::move(a.actor), std::move(a.action), std::move(a.field),
                       std::move(a.old_value), std::move(a.new_value)});
    }
    return out;
}

void Registry::log(std::int64_t id, const std::string& action, const std::string& field, const std::string& before,
                   const std::string& after) {
    store::insert_referral_audit(m_store, id, {"", m_options.actor, action, field, before, after});
}

std::int64_t Registry::write(std::int64_t id, const Referral& r) {
    const auto row = to_row(r);
    if (id == 0) {
        id = store::insert_referral(m_store, row);
    } else {
        store::update_referral(m_store, id, row);
    }
    store::replace_onward(m_store, id, onward_rows(r));
    return id;
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
    // One referral per incident.
    for (const auto& inc : next.incident_refs) {
        if (const auto other = store::referral_with_incident(m_store, inc, next.reference)) {
            errors.push_back({"incident_refs",
                              "incident " + inc + " already has referral " + *other + ": one referral per incident"});
        }
    }
    // No second chance after a refusal. The check runs only for a new referral that passes
    // every other check, so that a deliberately invalid referral cannot ask it: a probe that
    // misses creates a real referral, audited under the caller's name. What the answer names
    // depends on who asks (docs/referrals.md#refusal-checks).
    if (!stored && !next.person_key.empty() && errors.empty()) {
        const auto refused = store::earlier_refusal(m_store, next.person_key);
        m_last_check = refused ? RefusalCheck::refused_before : RefusalCheck::clear;
        if (refused && m_options.disclose_refusal) {
            errors.push_back({"person_id", "not eligible: this person refused Immediate Justice on referral " +
                                               refused->reference + " (" + refused->when +
                                               ") and has offended again: no second chance; escalate: " +
                                               m_options.escalation_route});
        } else if (refused) {
            errors.push_back({"person_id", "not eligible: this person refused Immediate Justice before; no second "
                                           "chance — escalate to the scheme lead"});
        }
    }
    if (!errors.empty()) {
        throw Rejected(errors);
    }
    if (!stored) {
        const auto id = write(0, next);
        store::replace_referral_incidents(m_store, id, next.incident_refs);
        log(id, "create", "", "", state_name(next.state()));
        return "created";
    }
    const auto before = as_fields(stored->r);
    const auto after = as_fields(next);
    // Consent withdrawn: the answers leave the audit trail too (who and when stay).
    const bool withdrawn = stored->r.survey() == "answered" && next.survey() == "not consented";
    if (withdrawn) {
        store::scrub_survey_audit(m_store, stored->id);
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
    store::replace_referral_incidents(m_store, stored->id, next.incident_refs);
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
    store::Transaction tx{store};
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
    const auto purged =
        store::purge_referrals(store, cutoff, actor, std::string{"retention: created before "} + cutoff);
    // secure_delete zeroed the old values in their pages; this removes the free pages and
    // the earlier page versions in the WAL.
    store.erase_free_space();
    return purged;
}

void audit_cli_refusal(store::Store& store, const std::string& actor, const std::string& command,
                       const std::string& reference) {
    store::insert_audit(store, {actor, "operator", "CLI", command, 422,
                                "referral " + reference +
                                    " refused; refusal check: refused before (answered with the earlier reference)"});
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
