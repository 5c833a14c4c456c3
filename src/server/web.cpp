// The web map at /map: a page, its script and style, and MapLibre GL JS, read from the
// folder the build fills from web/ and web/node_modules (CMakeLists.txt, tools/web.sh).
// They hold no data: the page fetches the layers from the API with the user's token,
// so these files answer without one.

#include "server/call.hpp"
#include "server/service.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

#ifndef HOTREF_WEB_DIR
#error "HOTREF_WEB_DIR must name the folder of the web map's files (see CMakeLists.txt)"
#endif

namespace hotref::server {

namespace {

struct WebFile {
    const char* name;
    const char* type;
};

constexpr WebFile web_files[] = {
    {"map.html", "text/html; charset=utf-8"},
    {"map.js", "text/javascript; charset=utf-8"},
    {"map.css", "text/css; charset=utf-8"},
    {"maplibre-gl.js", "text/javascript; charset=utf-8"},
    {"maplibre-gl.css", "text/css; charset=utf-8"},
};

std::string web_dir() {
    const char* env = std::getenv("HOTREF_WEB");
    return env != nullptr && *env != '\0' ? std::string{env} : std::string{HOTREF_WEB_DIR};
}

// MapLibre draws in a worker made from a blob: URL; everything else comes from this origin.
constexpr const char* map_policy = "default-src 'self'; script-src 'self'; worker-src blob:; child-src blob:; "
                                   "img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; connect-src 'self'";

} // namespace

void Service::web(Call& call, const std::string& file) {
    if (file.empty() && call.target.path.ends_with("/")) {
        call.ex.response.set(http::field::location, call.base + "/map");
        call.send(308, {}, "text/plain");
        return;
    }
    const std::string name = file.empty() ? "map.html" : file;
    const WebFile* found = nullptr;
    for (const auto& f : web_files) {
        found = name == f.name ? &f : found;
    }
    if (found == nullptr || (file == "map.html")) {
        throw HttpError{404, "not_found", "no such file of the web map: /map/" + file + " (the map is at /map)"};
    }
    const std::string dir = web_dir();
    std::ifstream in{dir + "/" + name, std::ios::binary};
    std::ostringstream bytes;
    if (!in || !(bytes << in.rdbuf())) {
        throw HttpError{503, "web_map_missing",
                        "the web map's file " + dir + "/" + name +
                            " is missing: run tools/setup.sh (it installs MapLibre GL JS from npm into "
                            "web/node_modules) and build again, or set HOTREF_WEB to a folder holding it"};
    }
    call.ex.response.set(http::field::cache_control, "no-cache");
    call.ex.response.set("Content-Security-Policy", map_policy);
    call.ex.response.set("X-Content-Type-Options", "nosniff");
    call.send(200, bytes.str(), found->type);
}

} // namespace hotref::server
