#pragma once
// Referrals in the store (tables referral, referral_incident, referral_audit and
// referral_onward, schema v8): the rows behind referral::Registry, so that the referral
// layer holds no SQL. The lifecycle rules stay in src/referral; these calls only read and
// write what it decided.

#include "store/store.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace hotref::store {

/// A referral as stored: texts ("" for NULL), optional numbers and flags.
struct ReferralRow {
    std::int64_t id = 0;
    std::string reference, created_at, incident_at, offence, asb_qualifier;
    std::optional<double> easting, northing;
    std::string disposal, age_band;
    bool first_time_entrant = false;
    std::string provider, person_key;
    std::string state;                        // the lifecycle state's name
    std::string contacted_at;
    std::optional<bool> contact_within_48h;   // written; derived from the dates, so not read back
    std::string assessed_at, needs;
    std::optional<bool> interpreter;
    std::string workshop_booked_at, workshop_attended_at, reparation_type;
    std::optional<double> hours_set, hours_done;
    std::string outcome_at, escalation, reoffence_date;
    std::optional<bool> victim_consulted, victim_satisfied, consent_evaluation;
    std::string updated_at;                   // read only: stamped on each write
    std::string incident_refs;                // read only: referral_incident, joined with ';'
    std::string workshop_type, aqa_unit, aqa_date;
    std::optional<bool> disclosure_made;
    std::string disclosure_agency;
    std::string survey;                       // written; derived from the answers, so not read back
    std::optional<bool> learnt_about_impact;
    std::string would_reoffend, survey_comment;
};

/// The referral with this reference.
std::optional<ReferralRow> find_referral(Store& store, const std::string& reference);
/// Referrals in `state` (empty: any), by creation then reference, at most `limit`.
std::vector<ReferralRow> list_referrals(Store& store, const std::string& state, std::int64_t limit);
/// Adds a referral (`row.id` ignored); returns its id. Inside the caller's transaction.
std::int64_t insert_referral(Store& store, const ReferralRow& row);
/// Overwrites referral `id` with `row`. Inside the caller's transaction.
void update_referral(Store& store, std::int64_t id, const ReferralRow& row);

/// Replaces the incident references of referral `id`. Inside the caller's transaction.
void replace_referral_incidents(Store& store, std::int64_t id, const std::vector<std::string>& incident_refs);
/// The reference of a referral other than `other_than` that has this incident, if any.
std::optional<std::string> referral_with_incident(Store& store, const std::string& incident_ref,
                                                  const std::string& other_than);

/// A person's first refused referral: its reference and when it was refused (else created).
struct EarlierRefusal {
    std::string reference;
    std::string when;
};
std::optional<EarlierRefusal> earlier_refusal(Store& store, const std::string& person_key);

/// One change of a referral, as its audit trail keeps it ("" for NULL).
struct ReferralAuditRow {
    std::string at, actor, action, field, old_value, new_value;
};
/// Adds an audit row stamped now (`at` ignored; empty texts stored as NULL).
void insert_referral_audit(Store& store, std::int64_t referral_id, const ReferralAuditRow& row);
/// The audit trail of referral `id`, oldest first.
std::vector<ReferralAuditRow> read_referral_audit(Store& store, std::int64_t referral_id);
/// Consent withdrawn: removes the survey answers' values from the audit trail of referral `id`.
void scrub_survey_audit(Store& store, std::int64_t referral_id);

struct OnwardRow {
    std::string agency;
    std::string referred_on;   // YYYY-MM-DD
    std::string taken_up;      // yes, no, unknown
};

/// Replaces the onward referrals of `referral_id` with `rows` (in their order). Inside the caller's transaction.
void replace_onward(Store& store, std::int64_t referral_id, const std::vector<OnwardRow>& rows);
/// The onward referrals of one referral, in the order they were given.
std::vector<OnwardRow> read_onward(Store& store, std::int64_t referral_id);
/// Every referral's onward referrals, by referral id (for the KPIs).
std::map<std::int64_t, std::vector<OnwardRow>> read_all_onward(Store& store);

/// Retention (docs/referrals.md#purge), in one transaction: every referral created before
/// `cutoff` (YYYY-MM-DD) that still has its personal data loses it and gets an audit row
/// by `actor` with `note`; of every purged referral the audit values, incident references,
/// onward referrals, disclosure, survey comment and link distances go. Returns how many
/// referrals were purged now. The caller then erases the free space (Store::erase_free_space).
std::int64_t purge_referrals(Store& store, const std::string& cutoff, const std::string& actor,
                             const std::string& note);

} // namespace hotref::store
