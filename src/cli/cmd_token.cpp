#include "cli/commands.hpp"

#include "core/error.hpp"
#include "server/auth.hpp"
#include "store/store.hpp"

#include <cstdio>
#include <iostream>

namespace hotref::cli {

const char* TokenCommand::details() const {
    return R"TXT(Bearer tokens for 'hotref serve'. A token is printed once, on stdout, when it is
made; the store keeps only its SHA-256. Its name signs every change made with it
(the referral audit trail and the api_audit table). Revoked names stay taken.

Roles and what they may do:
  hotspot-manager  published and internal layers
  patrol-planner   published layers, hotspots, bulletins
  analyst          published and internal layers; submit feeds
  referrer         published layers; create referrals (POST /v1/referrals), nothing else of
                   them: a person who refused before is answered "not eligible", no more
  caseworker       published layers; referrals (read and write)
  admin            everything

Examples:
  hotref token create --role caseworker --name "Jo Bloggs (Remedi)"
  hotref token list
  hotref token revoke --name "Jo Bloggs (Remedi)")TXT";
}

void TokenCommand::add_options(po::options_description& options, po::positional_options_description& positional) {
    add_store_option(options);
    options.add_options()
        ("action", po::value<std::string>(&m_action), "create, list or revoke")
        ("role", po::value<std::string>(&m_role), "hotspot-manager, patrol-planner, analyst, referrer, caseworker or admin")
        ("name", po::value<std::string>(&m_token_name), "who the token is for (signs the audit trail)");
    positional.add("action", 1);
}

void TokenCommand::apply(const po::variables_map&) {
    if (m_action != "create" && m_action != "list" && m_action != "revoke") {
        throw UsageError("say what to do: hotref token create|list|revoke (see hotref token -h)");
    }
    if (m_action == "create" && (m_role.empty() || m_token_name.empty())) {
        throw UsageError("token create needs --role and --name");
    }
    if (m_action == "create" && !server::parse_role(m_role)) {
        throw UsageError("--role " + m_role + " is not a role: hotspot-manager, patrol-planner, analyst, referrer, caseworker, admin");
    }
    if (m_action == "revoke" && m_token_name.empty()) {
        throw UsageError("token revoke needs --name");
    }
}

int TokenCommand::run() {
    store::Store store{m_store_path, true};
    if (m_action == "create") {
        const auto role = *server::parse_role(m_role);
        const auto token = server::create_token(store, m_token_name, role);
        std::cerr << "token for '" << m_token_name << "' (" << server::role_name(role)
                  << "); it is shown only now, keep it secret:\n";
        std::cout << token << "\n";
        return 0;
    }
    if (m_action == "revoke") {
        if (!server::revoke_token(store, m_token_name)) {
            throw Error("no valid token called '" + m_token_name + "' (see hotref token list)");
        }
        std::cout << "revoked the token '" << m_token_name << "'\n";
        return 0;
    }
    const auto tokens = server::list_tokens(store);
    if (tokens.empty()) {
        std::cout << "no tokens (hotref token create --role ROLE --name NAME)\n";
        return 0;
    }
    std::printf("%-4s %-30s %-16s %-21s %s\n", "id", "name", "role", "created", "revoked");
    for (const auto& t : tokens) {
        std::printf("%-4lld %-30s %-16s %-21s %s\n", static_cast<long long>(t.id), t.name.c_str(), t.role.c_str(),
                    t.created_at.c_str(), t.revoked_at.empty() ? "-" : t.revoked_at.c_str());
    }
    return 0;
}

} // namespace hotref::cli
