#pragma once
// The referral registry in the store: create and update referrals under the
// lifecycle rules, import a caseworker's CSV (all or nothing per file unless
// asked to skip bad rows), list and show, with an audit row for every change.
// The HTTP service (issue 7) calls the same functions.

#include "referral/referral.hpp"
#include "store/store.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace hotref::referral {

struct RegistryOptions {
    std::string actor = "hotref";           // who is changing things (token name in the service)
    std::string secret;                     // key of the person hash (HOTREF_REFERRAL_SECRET)
    std::string escalation_route = "charge or summons (police decision)";
    /// What the answer to a new referral of a person who refused before says: true (the
    /// command line, a role that reads referrals) names the earlier referral's reference and
    /// date; false (a role that may only create referrals) says only that the person is not
    /// eligible and to escalate to the scheme lead (docs/referrals.md#refusal-checks).
    bool disclose_refusal = true;
};

/// The refusal check of the last upsert(): it runs for a new referral with a person key
/// that passes every other check.
enum class RefusalCheck {
    not_run,        // not a new referral, no person key, or other problems
    clear,          // the person has no refused referral
    refused_before, // the person refused before: the referral is rejected
};

const char* refusal_check_name(RefusalCheck check) noexcept;

/// One row's problems: it was not applied.
struct RowError {
    std::int64_t line = 0;
    std::string reference;
    std::string field;
    std::string reason;
    int column = 0;   // 1-based position of `field` in the file's header; 0: the row as a whole
};

/// A spreadsheet's name of a 1-based column: 1 -> "A", 27 -> "AA".
std::string spreadsheet_column(int column);

/// Thrown by upsert() when a row breaks the rules; carries every problem found.
class Rejected : public std::exception {
public:
    explicit Rejected(std::vector<FieldError> errors) : m_errors(std::move(errors)) {}
    [[nodiscard]] const std::vector<FieldError>& errors() const noexcept { return m_errors; }
    [[nodiscard]] const char* what() const noexcept override { return "referral rejected"; }

private:
    std::vector<FieldError> m_errors;
};

struct StoredReferral {
    std::int64_t id = 0;
    Referral r;
    std::string updated_at;
};

class Registry {
public:
    Registry(store::Store& store, RegistryOptions options);

    /// Creates or updates the referral named by fields["reference"]; returns
    /// "created", "updated" or "unchanged". Throws Rejected. Call inside a transaction.
    std::string upsert(const std::map<std::string, std::string>& fields);
    /// The refusal check of the last upsert() (also when it threw).
    [[nodiscard]] RefusalCheck last_refusal_check() const noexcept { return m_last_check; }

    [[nodiscard]] std::optional<StoredReferral> find(const std::string& reference);
    [[nodiscard]] std::vector<StoredReferral> list(const std::string& state, int limit);
    /// Audit rows of a referral: at, actor, action, field, old, new.
    [[nodiscard]] std::vector<std::vector<std::string>> audit(std::int64_t referral_id);

private:
    std::int64_t write(std::int64_t id, const Referral& r);
    void log(std::int64_t id, const std::string& action, const std::string& field, const std::string& before,
             const std::string& after);

    store::Store& m_store;
    RegistryOptions m_options;
    RefusalCheck m_last_check = RefusalCheck::not_run;
};

struct ImportReport {
    std::int64_t rows = 0;
    std::int64_t created = 0;
    std::int64_t updated = 0;
    std::int64_t unchanged = 0;
    std::vector<RowError> errors;            // every problem, in file order (a row can have several)
    bool committed = false;
    std::vector<std::string> refused_before; // references of new rows rejected by the refusal check
    /// Rows with at least one problem (a row with three problems is one row).
    [[nodiscard]] std::int64_t rows_rejected() const;
};

/// Imports a referral CSV (the template's columns; others are an error). One
/// transaction: with any bad row nothing is stored, unless `skip_bad_rows`.
ImportReport import_csv(store::Store& store, const std::string& path, const RegistryOptions& options,
                        bool skip_bad_rows);

/// Retention: referrals created more than `months` months before `as_of`
/// (YYYY-MM-DD) lose their personal data (person key, needs, interpreter, exact
/// location, incident time and references, escalation note, provider) and their
/// audit rows the old and new values; the KPI fields stay. Each is audited. Then
/// the store is vacuumed and its WAL emptied, so nothing of the values stays in
/// the files (docs/referrals.md#purge). Returns how many referrals were purged now.
/// Throws StoreError when another connection keeps the WAL from being emptied.
std::int64_t purge_personal_data(store::Store& store, int months, const std::string& as_of, const std::string& actor);

/// Records, in api_audit, a refusal check of the command line that found an earlier
/// refusal: who (`actor`), when, the command and the new referral's reference; never the
/// person's identifier or key, nor the earlier referral. Outside any transaction.
void audit_cli_refusal(store::Store& store, const std::string& actor, const std::string& command,
                       const std::string& reference);

/// The key of the person hash from HOTREF_REFERRAL_SECRET or a file; throws
/// UsageError saying how to set one when there is none or it is too short.
std::string referral_secret(const std::string& secret_file);

} // namespace hotref::referral
