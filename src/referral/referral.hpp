#pragma once
// Immediate Justice referrals: the record, its lifecycle and the rules a
// caseworker's change must obey. Plain data and pure functions; the registry
// (registry.hpp) stores them.
//
// The lifecycle state follows from the record: the outcome when there is one
// (completed, refused, did-not-complete, withdrawn), otherwise the latest
// milestone reached (referred -> contacted -> assessed -> workshop-booked ->
// workshop-attended -> reparation). A change may only move forward, and a
// closed referral (one with an outcome) does not change.

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hotref::referral {

struct FieldError {
    std::string field;
    std::string reason;
};

enum class State { referred, contacted, assessed, workshop_booked, workshop_attended, reparation,
                   completed, refused, did_not_complete, withdrawn };

const char* state_name(State s) noexcept;
bool is_closed(State s) noexcept;

/// The template's columns, in order (docs/referrals.md explains each).
const std::vector<std::string>& columns();

/// An onward referral to a support agency (docs/referrals.md#onward-support): one of
/// onward_agencies(), on a date, and whether the person took it up (yes, no, unknown).
struct OnwardReferral {
    std::string agency;
    std::string date;                  // YYYY-MM-DD
    std::string taken_up;              // yes, no, unknown
    bool operator==(const OnwardReferral&) const = default;
};

/// The agencies an onward referral goes to, the workshop types, and the workshop types
/// that fit an offence (docs/referrals.md#workshop-types).
const std::vector<std::string>& onward_agencies();
const std::vector<std::string>& workshop_types();
const std::vector<std::string>& workshops_for(const std::string& offence);

/// Onward referrals as caseworkers write them: "housing:2025-03-02:yes;mental-health:09/03/2025:unknown"
/// (agency:date:taken_up, ';'-separated; "none" for none). Problems go to `errors` (field onward_referrals).
std::vector<OnwardReferral> parse_onward(const std::string& text, std::vector<FieldError>& errors);
/// The canonical text of onward referrals ("none" for none).
std::string onward_text(const std::vector<OnwardReferral>& onward);

/// A column that would hold what was disclosed (disclosure_content, disclosure_notes, ...):
/// disclosures are special-category data and hotref stores none of their content.
bool looks_like_disclosure_content(const std::string& column);
/// The answer to such a column (what to do instead).
std::string disclosure_content_refusal(const std::string& column);

struct Referral {
    std::string reference;
    std::string created_at;            // ISO local date-time
    std::vector<std::string> incident_refs;
    std::string incident_at;
    std::string offence;               // asb, harassment, public-order, drunk-and-disorderly, shop-theft,
                                       // cannabis-possession, criminal-damage
    std::string asb_qualifier;         // personal, nuisance, environmental
    std::optional<double> easting, northing;
    std::string disposal;              // community-resolution, conditional-caution, asb-warning-letter, abc, vco
    std::string age_band;              // 10-17, adult
    bool first_time_entrant = false;
    std::string provider;
    std::string person_key;            // keyed hash of the force's identifier: never the identifier
    std::string contacted_at;
    std::string assessed_at;
    std::string needs;
    std::optional<bool> interpreter;
    std::string workshop_booked_at;
    std::string workshop_attended_at;
    std::string reparation_type;       // litter-picking, allotment, food-bank, charity-shop, village-hall, bird-boxes, other
    std::optional<double> hours_set, hours_done;
    std::string outcome;               // completed, refused, did-not-complete, withdrawn ("" while open)
    std::string outcome_at;
    std::string escalation;
    std::string reoffence_date;
    std::optional<bool> victim_consulted, victim_satisfied, consent_evaluation;
    // The scheme's own evaluation (issue 18; docs/referrals.md#onward-support).
    std::string workshop_type;         // workshop_types(), fitting the offence (workshops_for)
    std::string aqa_unit;              // AQA Unit Award gained, with its date (not before the workshop)
    std::string aqa_date;
    std::vector<OnwardReferral> onward;
    std::optional<bool> disclosure_made; // that a disclosure was made: never what was disclosed
    std::string disclosure_agency;     // the onward agency it led to (one of `onward`)
    std::optional<bool> learnt_about_impact; // survey answers: only with consent_evaluation = yes
    std::string would_reoffend;        // yes, no, unsure
    std::string survey_comment;        // free text: internal (caseworker role only), never published

    /// "answered" (consented, with answers), "not consented" (consent_evaluation = no: no
    /// answers are kept), "" (no survey yet).
    [[nodiscard]] std::string survey() const;

    [[nodiscard]] State state() const;
    /// Contact within 48 hours of the referral; nullopt before contact.
    [[nodiscard]] std::optional<bool> contact_within_48h() const;
};

/// Incident references from text separated by ';' or ',', trimmed, empty ones dropped.
std::vector<std::string> split_incident_refs(std::string_view text);


/// The most a field may hold: free text (needs, escalation, provider) kLongField bytes,
/// incident_refs kMaxIncidentRefs references, every other field kShortField bytes.
inline constexpr std::size_t kShortField = 256;
inline constexpr std::size_t kLongField = 4096;
inline constexpr std::size_t kMaxIncidentRefs = 100;

/// What is wrong with the fields' text as text, before any meaning is read: a field
/// longer than its limit, not UTF-8, or holding control characters (tab and line
/// breaks only in free text). The same for the CSV import and the service.
std::vector<FieldError> text_problems(const std::map<std::string, std::string>& fields);

/// A date as a caseworker types it in the UK: "02/08/2025 22:00" or "2/8/2025" (day first;
/// HH:MM or HH:MM:SS). `iso` is its ISO form ("2025-08-02T22:00", "2025-08-02"); `problem`
/// says why slash text (or a day-first date with dashes, "02-08-2025") is ambiguous or
/// impossible. Both empty: not in that form (ISO text goes to the usual checks).
struct UkDate {
    std::optional<std::string> iso;
    std::string problem;
};
UkDate uk_date(const std::string& text);

/// Builds a referral from template columns (name -> text). The person's
/// identifier (column person_id) is turned into a keyed hash with `secret` and
/// dropped. Dates may be UK (uk_date); a position may be latitude/longitude (WGS84,
/// converted to easting/northing with PROJ) instead of easting/northing. Collects every problem with a field instead of stopping at the first.
Referral from_fields(const std::map<std::string, std::string>& fields, const std::string& secret,
                     std::vector<FieldError>& errors);

/// Merges an update into a stored referral: fields given (non-empty) replace
/// the stored ones. `given` says which template columns the update carries.
Referral merged(const Referral& stored, const Referral& update, const std::map<std::string, std::string>& given);

/// Checks a record on its own: allowed values, dates, milestones in order and
/// each with its predecessor, hours, victim answers.
std::vector<FieldError> validate(const Referral& r);

/// Checks a change from `before` to `after`: forward only, closed stays closed.
std::vector<FieldError> validate_change(const Referral& before, const Referral& after);

} // namespace hotref::referral
