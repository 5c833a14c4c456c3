#include "store/audit.hpp"

namespace hotref::store {

void insert_audit(Store& store, const AuditRow& row) {
    Statement st{connection(store), "INSERT INTO api_audit (at, token_name, role, method, target, status, summary) "
                                    "VALUES (?, ?, ?, ?, ?, ?, ?)"};
    st.bind(1, utc_now()).bind(2, row.token_name).bind(3, row.role).bind(4, row.method).bind(5, row.target);
    st.bind(6, static_cast<std::int64_t>(row.status)).bind(7, row.summary).run();
}

} // namespace hotref::store
