#pragma once
// Who may do what through the service: bearer tokens made by `hotref token
// create` (the token is shown once; the store keeps only its SHA-256), six
// roles, and the permissions each role has.

#include "store/store.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace hotref::server {

enum class Role { hotspot_manager, patrol_planner, analyst, referrer, caseworker, admin };

const char* role_name(Role role) noexcept;
/// "hotspot-manager", "patrol-planner", "analyst", "referrer", "caseworker", "admin" (also with '_').
std::optional<Role> parse_role(std::string_view text) noexcept;
const std::vector<Role>& all_roles();

enum class Permission {
    read_published,   // published-profile layers, tiles, hotspots, evaluations, bulletins
    read_internal,    // internal-profile layers (unsuppressed counts, OFFICIAL-SENSITIVE)
    create_referrals, // make new referrals (POST /v1/referrals), and nothing else of them
    referrals,        // referral-level data: read and write (and so an earlier refusal's reference)
    submit_feeds,     // incident batches and feed files
};

bool allowed(Role role, Permission permission) noexcept;
const char* permission_name(Permission permission) noexcept;

struct Principal {
    std::string name;   // the token's name: it signs the audit trail
    Role role = Role::patrol_planner;
};

struct TokenRecord {
    std::int64_t id = 0;
    std::string name;
    std::string role;
    std::string created_at;
    std::string revoked_at;  // empty while valid
};

/// Creates a token for `name` with `role`; returns the token text (shown once).
/// Throws UsageError when the name is taken or empty.
std::string create_token(store::Store& store, const std::string& name, Role role);
/// Revokes the token called `name`; false when there is no such valid token.
bool revoke_token(store::Store& store, const std::string& name);
std::vector<TokenRecord> list_tokens(store::Store& store);
/// The principal of a valid (not revoked) token, or nullopt. The token's SHA-256 is
/// compared with every valid token's in constant time (CRYPTO_memcmp, no early exit).
std::optional<Principal> verify_token(store::Store& store, const std::string& token);

/// Valid tokens kept for `ttl` so that a busy service does not look every
/// request up; a revocation takes effect within `ttl`. Only tokens that were
/// found are kept (by their SHA-256), so made-up tokens can neither grow the
/// cache nor push the real ones out; each of them costs a lookup, which the
/// service limits per client address.
class TokenCache {
public:
    explicit TokenCache(std::chrono::milliseconds ttl) : m_ttl(ttl) {}
    std::optional<Principal> verify(store::Store& store, const std::string& token);
    /// Lookups in the store so far (the cache's misses).
    [[nodiscard]] std::uint64_t lookups() const noexcept { return m_lookups; }

private:
    struct Entry {
        Principal principal;
        std::chrono::steady_clock::time_point checked;
    };
    std::chrono::milliseconds m_ttl;
    std::mutex m_mutex;
    std::unordered_map<std::string, Entry> m_entries; // by the token's SHA-256
    std::atomic<std::uint64_t> m_lookups{0};
};

} // namespace hotref::server
