#pragma once
// API tokens in the store (table api_token): only the SHA-256 of a token is kept.

#include "store/store.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace hotref::store {

struct TokenRow {
    std::int64_t id = 0;
    std::string name;
    std::string role;
    std::string token_sha256;
    std::string created_at;
    std::string revoked_at; // empty while valid
};

/// Whether a token of this name was ever created (revoked names stay taken).
bool token_name_taken(Store& store, const std::string& name);
/// Adds a token (its hash only), in its own transaction.
void insert_token(Store& store, const std::string& name, const std::string& role, const std::string& sha256);
/// Revokes the valid token of this name; false when there is none.
bool revoke_token(Store& store, const std::string& name);
/// Every token, in creation order (with revoked ones; token_sha256 left empty).
std::vector<TokenRow> list_tokens(Store& store);
/// The name, role and hash of every token not revoked.
std::vector<TokenRow> valid_tokens(Store& store);

} // namespace hotref::store
