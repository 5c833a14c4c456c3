#include "ingest/input.hpp"

#include "core/error.hpp"
#include "core/text.hpp"
#include "geo/gdal.hpp"

namespace hotref::ingest {

namespace {

bool ends_with(const std::string& s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string strip_gz(const std::string& name) {
    return ends_with(name, ".gz") ? name.substr(0, name.size() - 3) : name;
}

// Classifies a file found inside a folder or archive; false when it is not a feed.
bool classify(const std::string& name, bool force_export, FeedKind& kind, std::string& why_not) {
    const std::string base = to_lower(strip_gz(name));
    if (force_export) {
        if (ends_with(base, ".csv") || ends_with(base, ".txt") || ends_with(base, ".tsv")) {
            kind = FeedKind::force_export;
            return true;
        }
        why_not = "not a .csv/.txt/.tsv export";
        return false;
    }
    if (ends_with(base, "-street.csv")) {
        kind = FeedKind::policeuk_csv;
        return true;
    }
    if (ends_with(base, ".json")) {
        kind = FeedKind::policeuk_json;
        return true;
    }
    if (ends_with(base, ".csv")) {
        why_not = "not a street-level crime file (*-street.csv)";
    } else {
        why_not = "not a feed file";
    }
    return false;
}

void add_archive(const std::string& display, const std::string& vsi_root, const std::string& os_path,
                 bool force_export, InputPlan& plan);

// `container`: the zip on disk when `root` is inside one, else "".
void add_tree(const std::string& display_root, const std::string& root, bool force_export, InputPlan& plan,
              const std::string& container = {}) {
    for (const auto& rel : geo::list_files_recursive(root)) {
        const std::string display = display_root + "/" + rel;
        const std::string path = root + "/" + rel;
        if (ends_with(to_lower(rel), ".zip")) {
            add_archive(display, "/vsizip/" + path, container.empty() ? path : container, force_export, plan);
            continue;
        }
        FeedKind kind{};
        std::string why;
        if (!classify(rel, force_export, kind, why)) {
            plan.skipped.push_back(display + ": " + why);
            continue;
        }
        const bool gz = ends_with(rel, ".gz");
        plan.files.push_back(InputFile{display, gz ? "/vsigzip/" + path : path, kind,
                                       gz ? 0 : geo::vsi_stat(path).size, container.empty() ? path : container});
    }
}

void add_archive(const std::string& display, const std::string& vsi_root, const std::string& os_path,
                 bool force_export, InputPlan& plan) {
    if (!geo::vsi_stat(vsi_root).exists) {
        throw InputError(display + ": cannot open as a zip archive; is it complete?");
    }
    add_tree(display, vsi_root, force_export, plan, os_path);
}

} // namespace

const char* kind_name(FeedKind kind) noexcept {
    switch (kind) {
    case FeedKind::policeuk_csv: return "policeuk-csv";
    case FeedKind::policeuk_json: return "policeuk-api-json";
    case FeedKind::force_export: return "force-export";
    }
    return "unknown";
}

const char* source_name(FeedKind kind) noexcept {
    switch (kind) {
    case FeedKind::policeuk_csv: return "police.uk";
    case FeedKind::policeuk_json: return "police.uk-api";
    case FeedKind::force_export: return "force-export";
    }
    return "unknown";
}

InputPlan plan_inputs(const std::vector<std::string>& paths, bool force_export) {
    InputPlan plan;
    for (std::string path : paths) {
        while (path.size() > 1 && path.back() == '/') {
            path.pop_back();
        }
        const auto st = geo::vsi_stat(path);
        if (!st.exists) {
            throw InputError(path + ": no such file or folder");
        }
        if (st.is_directory) {
            add_tree(path, path, force_export, plan);
            continue;
        }
        const std::string lower = to_lower(path);
        if (ends_with(lower, ".zip")) {
            add_archive(path, "/vsizip/" + path, path, force_export, plan);
            continue;
        }
        // A file named explicitly is always taken, whatever its name.
        FeedKind kind = force_export ? FeedKind::force_export : FeedKind::policeuk_csv;
        if (!force_export && ends_with(strip_gz(lower), ".json")) {
            kind = FeedKind::policeuk_json;
        }
        const bool gz = ends_with(lower, ".gz");
        plan.files.push_back(InputFile{path, gz ? "/vsigzip/" + path : path, kind, gz ? 0 : st.size, path});
    }
    return plan;
}

} // namespace hotref::ingest
