#include "store/tokens.hpp"

#include "store/sqlite.hpp"

namespace hotref::store {

bool token_name_taken(Store& store, const std::string& name) {
    Statement taken{connection(store), "SELECT count(*) FROM api_token WHERE name = ?"};
    taken.bind(1, name);
    return taken.step() && taken.column_int(0) > 0;
}

void insert_token(Store& store, const std::string& name, const std::string& role, const std::string& sha256) {
    Transaction tx{connection(store)};
    Statement add{connection(store),
                  "INSERT INTO api_token (name, role, token_sha256, created_at) VALUES (?, ?, ?, ?)"};
    add.bind(1, name).bind(2, role).bind(3, sha256).bind(4, utc_now()).run();
    tx.commit();
}

bool revoke_token(Store& store, const std::string& name) {
    auto& db = connection(store);
    Transaction tx{db};
    Statement st{db, "UPDATE api_token SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL"};
    st.bind(1, utc_now()).bind(2, name).run();
    const bool changed = db.changes() > 0;
    tx.commit();
    return changed;
}

std::vector<TokenRow> list_tokens(Store& store) {
    std::vector<TokenRow> out;
    Statement st{connection(store),
                 "SELECT id, name, role, created_at, coalesce(revoked_at, '') FROM api_token ORDER BY id"};
    while (st.step()) {
        out.push_back({st.column_int(0), st.column_text(1), st.column_text(2), "", st.column_text(3), st.column_text(4)});
    }
    return out;
}

std::vector<TokenRow> valid_tokens(Store& store) {
    std::vector<TokenRow> out;
    Statement st{connection(store), "SELECT name, role, token_sha256 FROM api_token WHERE revoked_at IS NULL"};
    while (st.step()) {
        TokenRow row;
        row.name = st.column_text(0);
        row.role = st.column_text(1);
        row.token_sha256 = st.column_text(2);
        out.push_back(std::move(row));
    }
    return out;
}

} // namespace hotref::store
