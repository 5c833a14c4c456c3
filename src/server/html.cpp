#include "server/html.hpp"

#include <set>
#include <vector>

namespace hotref::server {

namespace {

using json = nlohmann::ordered_json;

constexpr const char* page_style =
    "body{font-family:'DejaVu Sans',Arial,sans-serif;margin:1.5em;color:#222;max-width:70em}"
    "h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.5em}table{border-collapse:collapse;font-size:0.9em}"
    "td,th{border:1px solid #ccc;padding:0.2em 0.5em;text-align:left;vertical-align:top}"
    "th{background:#f2f2f2}.cls{color:#a00;font-weight:bold}nav a{margin-right:1em}";

std::string page(const std::string& title, const std::string& body) {
    return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + html_escape(title) +
           " - hotref</title><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><style>" +
           page_style + "</style></head><body>\n<h1>" + html_escape(title) + "</h1>\n" + body + "\n</body></html>\n";
}

// A JSON value as a table cell's text.
std::string cell_text(const json& v) {
    if (v.is_null()) {
        return "";
    }
    if (v.is_string()) {
        return v.get<std::string>();
    }
    return v.dump();
}

std::string text_of(const json& j, const char* key) {
    return j.contains(key) ? cell_text(j[key]) : std::string{};
}

std::string anchor(const json& l) {
    const std::string href = text_of(l, "href");
    const std::string type = text_of(l, "type");
    std::string title = text_of(l, "title");
    if (title.empty()) {
        title = href;
    }
    return "<a href=\"" + html_escape(html_href(href, type)) + "\">" + html_escape(title) + "</a>";
}

std::string links_list(const json& links) {
    if (!links.is_array() || links.empty()) {
        return {};
    }
    std::string out = "<h2>Links</h2><ul>";
    for (const auto& l : links) {
        out += "<li>" + anchor(l) + " <small>(" + html_escape(text_of(l, "rel")) + ", " +
               html_escape(text_of(l, "type")) + ")</small></li>";
    }
    return out + "</ul>";
}

std::string key_value_table(const json& object) {
    std::string out = "<table>";
    for (const auto& [key, value] : object.items()) {
        out += "<tr><th>" + html_escape(key) + "</th><td>" + html_escape(cell_text(value)) + "</td></tr>";
    }
    return out + "</table>";
}

std::string classification_line(const json& j) {
    const std::string c = text_of(j, "classification");
    return c.empty() ? std::string{} : "<p class=\"cls\">" + html_escape(c) + "</p>";
}

// The property names of a page of features, in first-seen order.
std::vector<std::string> property_names(const json& features) {
    std::vector<std::string> names;
    std::set<std::string> seen;
    for (const auto& f : features) {
        if (!f.contains("properties") || !f["properties"].is_object()) {
            continue;
        }
        for (const auto& [key, value] : f["properties"].items()) {
            if (seen.insert(key).second) {
                names.push_back(key);
            }
        }
    }
    return names;
}

std::string features_table(const json& features, const std::string& items_href) {
    const auto names = property_names(features);
    std::string out = "<table><tr><th>id</th>";
    for (const auto& n : names) {
        out += "<th>" + html_escape(n) + "</th>";
    }
    out += "</tr>";
    for (const auto& f : features) {
        const std::string id = text_of(f, "id");
        out += "<tr><td><a href=\"" + html_escape(html_href(items_href + "/" + id, "application/geo+json")) + "\">" +
               html_escape(id) + "</a></td>";
        const json& p = f.contains("properties") ? f["properties"] : json::object();
        for (const auto& n : names) {
            out += "<td>" + html_escape(p.contains(n) ? cell_text(p[n]) : std::string{}) + "</td>";
        }
        out += "</tr>";
    }
    return out + "</table>";
}

std::string link_href(const json& links, const std::string& rel) {
    if (links.is_array()) {
        for (const auto& l : links) {
            if (text_of(l, "rel") == rel) {
                return text_of(l, "href");
            }
        }
    }
    return {};
}

} // namespace

std::string html_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 16);
    for (const char c : text) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&#39;"; break;
        default: out.push_back(c);
        }
    }
    return out;
}

std::string with_format(const std::string& href, const std::string& format) {
    std::string out = href;
    const auto query = out.find('?');
    if (query == std::string::npos) {
        return out + "?f=" + format;
    }
    for (std::size_t at = query; at != std::string::npos; at = out.find('&', at + 1)) {
        if (out.compare(at + 1, 2, "f=") == 0) {
            const auto end = out.find('&', at + 1);
            return out.replace(at + 3, (end == std::string::npos ? out.size() : end) - at - 3, format);
        }
    }
    return out + "&f=" + format;
}

std::string html_href(const std::string& href, const std::string& type) {
    const bool json_doc = type == "application/json" || type == "application/geo+json";
    if (!json_doc || href.find("/tiles/") != std::string::npos || href.find("/api") != std::string::npos) {
        return href;
    }
    return with_format(href, "html");
}

std::string landing_html(const json& landing) {
    std::string body = "<p>" + html_escape(text_of(landing, "description")) + "</p>";
    body += "<nav><a href=\"map\">Web map</a><a href=\"collections?f=html\">Collections</a></nav>";
    body += links_list(landing["links"]);
    return page(text_of(landing, "title"), body);
}

std::string collections_html(const json& doc) {
    std::string body = "<table><tr><th>Collection</th><th>Description</th><th>Classification</th></tr>";
    for (const auto& c : doc["collections"]) {
        const std::string self = link_href(c["links"], "self");
        body += "<tr><td><a href=\"" + html_escape(html_href(self, "application/json")) + "\">" +
                html_escape(text_of(c, "title")) + "</a><br><small>" + html_escape(text_of(c, "id")) +
                "</small></td><td>" + html_escape(text_of(c, "description")) + "</td><td>" +
                html_escape(text_of(c, "classification")) + "</td></tr>";
    }
    body += "</table>";
    return page("Collections", body);
}

std::string collection_html(const json& c) {
    std::string body = classification_line(c) + "<p>" + html_escape(text_of(c, "description")) + "</p>";
    const std::string items = link_href(c["links"], "items");
    body += "<p><a href=\"" + html_escape(html_href(items, "application/geo+json")) + "\">Browse the features</a></p>";
    if (c.contains("extent")) {
        body += "<h2>Extent</h2>" + key_value_table(c["extent"]);
    }
    body += links_list(c["links"]);
    return page(text_of(c, "title"), body);
}

std::string items_html(const json& fc, const std::string& collection_title) {
    std::string body = classification_line(fc);
    body += "<p>" + html_escape(text_of(fc, "numberReturned")) + " of " + html_escape(text_of(fc, "numberMatched")) +
            " features (geometry in the GeoJSON: <a href=\"" + html_escape(with_format(link_href(fc["links"], "self"), "json")) +
            "\">f=json</a>).</p><nav>";
    for (const char* rel : {"prev", "next", "collection"}) {
        const std::string href = link_href(fc["links"], rel);
        if (!href.empty()) {
            body += "<a href=\"" + html_escape(html_href(href, "application/json")) + "\">" + rel + "</a>";
        }
    }
    body += "</nav>";
    std::string items = link_href(fc["links"], "collection") + "/items";
    body += features_table(fc["features"], items);
    return page(collection_title, body);
}

std::string item_html(const json& feature, const std::string& collection_title) {
    std::string body = "<p>Feature " + html_escape(text_of(feature, "id")) + " of " + html_escape(collection_title) +
                       "</p>";
    if (feature.contains("properties") && feature["properties"].is_object()) {
        body += key_value_table(feature["properties"]);
    }
    if (feature.contains("geometry") && feature["geometry"].is_object()) {
        body += "<p>Geometry: " + html_escape(text_of(feature["geometry"], "type")) + " (in the GeoJSON)</p>";
    }
    body += links_list(feature["links"]);
    return page(collection_title + ": " + text_of(feature, "id"), body);
}

} // namespace hotref::server
