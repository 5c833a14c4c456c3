#pragma once
// The service's and the command line's audit of who did what (table api_audit): a
// token's name and role, the request and its status, and a summary that never names
// a person.

#include "store/store.hpp"

#include <string>

namespace hotref::store {

struct AuditRow {
    std::string token_name;          // the caller (a token's name, or the operator at the command line)
    std::string role;
    std::string method;              // GET, POST, ..., or CLI
    std::string target;              // the path, or the command
    int status = 0;                  // HTTP status
    std::string summary;
};

/// Adds `row`, stamped now (inside the caller's transaction, if any).
void insert_audit(Store& store, const AuditRow& row);

} // namespace hotref::store
