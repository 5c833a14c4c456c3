#pragma once
// Error types shared by every layer. The command line turns each kind into an
// exit code (see cli/main.cpp): UsageError -> 2, everything else -> 1.

#include <stdexcept>
#include <string>

namespace hotref {

/// Base class of every error hotref reports to a user. The message must say
/// what went wrong, where (file, line, field or id) and, where it helps, what
/// to do about it.
class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message) : std::runtime_error(message) {}
};

/// Wrong command-line arguments (exit code 2).
class UsageError : public Error {
public:
    explicit UsageError(const std::string& message) : Error(message) {}
};

/// A problem with an input file as a whole (unreadable, wrong header, ...).
class InputError : public Error {
public:
    explicit InputError(const std::string& message) : Error(message) {}
};

/// A problem reported by the store (SQLite / SpatiaLite).
class StoreError : public Error {
public:
    explicit StoreError(const std::string& message) : Error(message) {}
};

/// A problem reported by a geospatial library (PROJ, GEOS, GDAL).
class GeoError : public Error {
public:
    explicit GeoError(const std::string& message) : Error(message) {}
};

} // namespace hotref
