#include "server/auth.hpp"

#include "core/error.hpp"
#include "store/tokens.hpp"
#include "util/sha256.hpp"

#include <openssl/crypto.h>

#include <algorithm>

namespace hotref::server {

namespace {

constexpr const char* token_prefix = "hr_";

std::string base64url(const std::string& bytes) {
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    std::uint32_t buffer = 0;
    int bits = 0;
    for (const char c : bytes) {
        buffer = (buffer << 8) | static_cast<unsigned char>(c);
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out.push_back(alphabet[(buffer >> bits) & 0x3f]);
        }
    }
    if (bits > 0) {
        out.push_back(alphabet[(buffer << (6 - bits)) & 0x3f]);
    }
    return out;
}

} // namespace

const char* role_name(Role role) noexcept {
    switch (role) {
    case Role::hotspot_manager: return "hotspot-manager";
    case Role::patrol_planner: return "patrol-planner";
    case Role::analyst: return "analyst";
    case Role::referrer: return "referrer";
    case Role::caseworker: return "caseworker";
    case Role::admin: return "admin";
    }
    return "?";
}

const std::vector<Role>& all_roles() {
    static const std::vector<Role> roles{Role::hotspot_manager, Role::patrol_planner, Role::analyst, Role::referrer,
                                         Role::caseworker, Role::admin};
    return roles;
}

std::optional<Role> parse_role(std::string_view text) noexcept {
    std::string s{text};
    std::replace(s.begin(), s.end(), '_', '-');
    for (const Role r : all_roles()) {
        if (s == role_name(r)) {
            return r;
        }
    }
    return std::nullopt;
}

bool allowed(Role role, Permission permission) noexcept {
    switch (permission) {
    case Permission::read_published: return true;
    case Permission::read_internal:
        return role == Role::hotspot_manager || role == Role::analyst || role == Role::admin;
    case Permission::create_referrals:
        return role == Role::referrer || role == Role::caseworker || role == Role::admin;
    case Permission::referrals: return role == Role::caseworker || role == Role::admin;
    case Permission::submit_feeds: return role == Role::analyst || role == Role::admin;
    }
    return false;
}

const char* permission_name(Permission permission) noexcept {
    switch (permission) {
    case Permission::read_published: return "read published layers";
    case Permission::read_internal: return "read internal (OFFICIAL-SENSITIVE) layers";
    case Permission::create_referrals: return "create referrals";
    case Permission::referrals: return "read and change referrals";
    case Permission::submit_feeds: return "submit incident feeds";
    }
    return "?";
}

std::string create_token(store::Store& store, const std::string& name, Role role) {
    if (name.empty() || name.size() > 100) {
        throw UsageError("a token needs a --name of 1 to 100 characters (it signs the audit trail)");
    }
    if (store::token_name_taken(store, name)) {
        throw UsageError("a token called '" + name + "' exists; choose another --name, or revoke it with 'hotref token revoke " +
                         name + "' (revoked names stay taken, so the audit trail stays unambiguous)");
    }
    const std::string token = token_prefix + base64url(random_bytes(32));
    store::insert_token(store, name, role_name(role), Sha256::of(token));
    return token;
}

bool revoke_token(store::Store& store, const std::string& name) {
    return store::revoke_token(store, name);
}

std::vector<TokenRecord> list_tokens(store::Store& store) {
    std::vector<TokenRecord> out;
    for (auto& t : store::list_tokens(store)) {
        out.push_back({t.id, std::move(t.name), std::move(t.role), std::move(t.created_at), std::move(t.revoked_at)});
    }
    return out;
}

std::optional<Principal> verify_token(store::Store& store, const std::string& token) {
    if (token.rfind(token_prefix, 0) != 0 || token.size() > 200) {
        return std::nullopt;
    }
    const std::string hash = Sha256::of(token);
    // Every valid token is compared, each in constant time, so that the time taken
    // tells nothing of how close a guess came.
    std::optional<Principal> found;
    for (const auto& t : store::valid_tokens(store)) {
        const std::string& stored = t.token_sha256;
        const bool same = stored.size() == hash.size() && CRYPTO_memcmp(stored.data(), hash.data(), hash.size()) == 0;
        if (same && !found) {
            if (const auto role = parse_role(t.role)) {
                found = Principal{t.name, *role};
            }
        }
    }
    return found;
}

std::optional<Principal> TokenCache::verify(store::Store& store, const std::string& token) {
    const std::string key = Sha256::of(token);
    const auto now = std::chrono::steady_clock::now();
    {
        std::lock_guard lock{m_mutex};
        if (const auto it = m_entries.find(key); it != m_entries.end() && now - it->second.checked < m_ttl) {
            return it->second.principal;
        }
    }
    ++m_lookups;
    auto principal = verify_token(store, token);
    std::lock_guard lock{m_mutex};
    if (!principal) {
        m_entries.erase(key); // revoked since it was cached
        return std::nullopt;
    }
    if (m_entries.size() >= 10000) {
        std::erase_if(m_entries, [&](const auto& kv) { return now - kv.second.checked >= m_ttl; });
    }
    m_entries[key] = Entry{*principal, now};
    return principal;
}

} // namespace hotref::server
