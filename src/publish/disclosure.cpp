#include "publish/disclosure.hpp"

#include "core/error.hpp"


namespace hotref::publish {

Profile profile_from_name(const std::string& name) {
    if (name == "published") {
        return Profile::published;
    }
    if (name == "internal") {
        return Profile::internal;
    }
    throw UsageError("unknown profile '" + name + "'; use published (the default) or internal");
}

const char* profile_name(Profile p) noexcept {
    return p == Profile::published ? "published" : "internal";
}

const char* classification(Profile p) noexcept {
    return p == Profile::published ? "OFFICIAL" : "OFFICIAL-SENSITIVE";
}

} // namespace hotref::publish
