// OGC API - Features, Part 1 (Core, GeoJSON, OpenAPI 3.0) and the vector
// tiles of the published collections, answered from the current snapshot.

#include "server/call.hpp"
#include "server/html.hpp"
#include "server/service.hpp"

#include "publish/disclosure.hpp"

namespace hotref::server {

namespace {

const char* conformance_classes[] = {
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
};

json bbox_json(const BBox& b) {
    return json::array({b.min_x, b.min_y, b.max_x, b.max_y});
}

json interval_json(const std::optional<TimeInterval>& t) {
    if (!t) {
        return json::array({json::array({nullptr, nullptr})});
    }
    return json::array({json::array({t->start < -1e299 ? json{} : json(iso_utc(t->start)),
                                     t->end > 1e299 ? json{} : json(iso_utc(t->end))})});
}

constexpr const char* qml_type = "application/vnd.qgis.qml";
constexpr const char* styles_rel = "http://www.opengis.net/def/rel/ogc/1.0/styles";

// f=html, or no f and a browser's Accept (text/html); f=json and the like keep JSON.
bool wants_html(const Service::Call& call) {
    if (const auto f = call.target.params.find("f"); f != call.target.params.end()) {
        return f->second == "html";
    }
    return header_has(lower(std::string{call.req[http::field::accept]}), "text/html");
}

void send_html(Service::Call& call, std::string page) {
    // The pages hold no script: none may run, whatever a feature's text holds.
    call.ex.response.set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
    call.send(200, std::move(page), "text/html; charset=utf-8");
}

json collection_json(const Collection& c, const std::string& base) {
    json j;
    j["id"] = c.id;
    j["title"] = c.title;
    j["description"] = c.description;
    json links = json::array();
    links.push_back(link(base + "/collections/" + c.id, "self", "application/json", "this collection"));
    links.push_back(link(base + "/collections/" + c.id + "/items", "items", geojson_type, "the features (GeoJSON)"));
    if (c.tiles) {
        links.push_back(link(base + "/tiles/" + c.id + ".json", "describedby", "application/json",
                             "vector tiles (TileJSON)"));
    }
    if (!c.qml.empty()) {
        const std::string styles = base + "/collections/" + c.id + "/styles";
        links.push_back(link(styles + "/default?f=qml", "describedby", qml_type, "QGIS style (QML)"));
        links.push_back(link(styles, styles_rel, "application/json", "the styles of this collection"));
    }
    links.push_back(link(base + "/collections/" + c.id + "?f=html", "alternate", "text/html", "this collection as HTML"));
    links.push_back(link("http://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/", "license",
                         "text/html", "Open Government Licence v3.0"));
    j["links"] = links;
    j["itemType"] = "feature";
    j["crs"] = json::array({crs84});
    json extent;
    if (c.extent) {
        extent["spatial"] = {{"bbox", json::array({bbox_json(*c.extent)})}, {"crs", crs84}};
    }
    extent["temporal"] = {{"interval", interval_json(c.interval)},
                          {"trs", "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}};
    j["extent"] = extent;
    j["classification"] = c.classification;
    return j;
}

json parameter(const std::string& name, const std::string& description, json schema, bool required = false,
               const std::string& in = "query") {
    json p;
    p["name"] = name;
    p["in"] = in;
    p["description"] = description;
    p["required"] = required;
    p["schema"] = std::move(schema);
    if (in == "query") {
        p["style"] = "form";
        p["explode"] = false;
    }
    return p;
}

json response(const std::string& description, const std::string& type) {
    return {{"description", description}, {"content", {{type, {{"schema", {{"type", "object"}}}}}}}};
}

} // namespace

const Collection& Service::readable_collection(Call& call, const Snapshot& snap, const std::string& id) {
    const auto* c = snap.find(id);
    if (c == nullptr) {
        std::string known;
        for (const auto& other : snap.collections) {
            if (call.principal ? allowed(call.principal->role, other->access)
                               : other->access == Permission::read_published && m_options.anonymous) {
                known += (known.empty() ? "" : ", ") + other->id;
            }
        }
        throw HttpError{404, "not_found", "no collection '" + id + "'" + (known.empty() ? "" : " (there are: " + known + ")")};
    }
    call.require(c->access, m_options.anonymous);
    return *c;
}

void Service::landing(Call& call) {
    call.require(Permission::read_published, m_options.anonymous);
    const auto snap = snapshot();
    json j;
    j["title"] = "hotref: anti-social behaviour hotspots and Immediate Justice";
    j["description"] = snap->run_id == 0
                           ? "No hotspot run is published yet."
                           : "Hotspots of " + snap->categories + ", " + snap->period_from + " to " + snap->period_to +
                                 " (run " + std::to_string(snap->run_id) + ", " + snap->method + "). " +
                                 snap->attribution;
    json links = json::array();
    links.push_back(link(call.base + "/", "self", "application/json", "this document"));
    links.push_back(link(call.base + "/api", "service-desc", "application/vnd.oai.openapi+json;version=3.0",
                         "the API definition (OpenAPI 3.0)"));
    links.push_back(link(call.base + "/conformance", "conformance", "application/json",
                         "the OGC API conformance classes implemented"));
    links.push_back(link(call.base + "/collections", "data", "application/json", "the collections"));
    links.push_back(link(call.base + "/?f=html", "alternate", "text/html", "this document as HTML"));
    links.push_back(link(call.base + "/map", "service-doc", "text/html", "the web map of the hotspots"));
    j["links"] = links;
    if (wants_html(call)) {
        send_html(call, landing_html(j));
        return;
    }
    call.send_json(200, j);
}

void Service::conformance(Call& call) {
    call.require(Permission::read_published, m_options.anonymous);
    json list = json::array();
    for (const char* c : conformance_classes) {
        list.push_back(c);
    }
    call.send_json(200, json{{"conformsTo", list}});
}

void Service::collections(Call& call) {
    call.require(Permission::read_published, m_options.anonymous);
    const auto snap = snapshot();
    json list = json::array();
    for (const auto& c : snap->collections) {
        const bool visible = call.principal ? allowed(call.principal->role, c->access)
                                            : c->access == Permission::read_published;
        if (visible) {
            list.push_back(collection_json(*c, call.base));
        }
    }
    json j;
    j["links"] = json::array({link(call.base + "/collections", "self", "application/json", "the collections")});
    j["collections"] = list;
    if (wants_html(call)) {
        send_html(call, collections_html(j));
        return;
    }
    call.send_json(200, j);
}

void Service::collection(Call& call, const std::string& id) {
    const auto snap = snapshot(); // keeps the collection alive while answering
    const auto& c = readable_collection(call, *snap, id);
    if (wants_html(call)) {
        send_html(call, collection_html(collection_json(c, call.base)));
        return;
    }
    call.send_json(200, collection_json(c, call.base));
}

void Service::items(Call& call, const std::string& id) {
    const auto snap = snapshot();
    const auto& c = readable_collection(call, *snap, id);
    const auto& params = call.target.params;
    for (const auto& [key, value] : params) {
        if (key != "limit" && key != "offset" && key != "bbox" && key != "datetime" && key != "f" &&
            key != "bbox-crs") {
            throw bad_request("unknown query parameter '" + key + "' (items take limit, offset, bbox, datetime)");
        }
    }
    if (const auto f = params.find("f");
        f != params.end() && f->second != "json" && f->second != "geojson" && f->second != "html") {
        throw HttpError{406, "not_acceptable", "items are served as GeoJSON (f=json) or HTML (f=html)"};
    }
    if (const auto crs = params.find("bbox-crs"); crs != params.end() && crs->second != crs84) {
        throw bad_request(std::string{"bbox-crs: only "} + crs84 + " (longitude, latitude) is supported");
    }
    std::int64_t limit = m_options.default_limit;
    if (const auto it = params.find("limit"); it != params.end()) {
        // A limit above the maximum is not an error: the maximum is used (OGC API - Features 7.15.3).
        if (it->second.empty() || it->second.size() > 12 ||
            it->second.find_first_not_of("0123456789") != std::string::npos || std::stoll(it->second) < 1) {
            throw bad_request("limit must be a whole number from 1 (at most " + std::to_string(m_options.max_limit) +
                              " features are returned), got '" + excerpt(it->second) + "'");
        }
        limit = std::min<std::int64_t>(std::stoll(it->second), m_options.max_limit);
    }
    std::int64_t offset = 0;
    if (const auto it = params.find("offset"); it != params.end()) {
        offset = parse_count(it->second, "offset", 0, 1'000'000'000);
    }
    std::optional<BBox> bbox;
    if (const auto it = params.find("bbox"); it != params.end()) {
        bbox = parse_bbox(it->second);
    }
    std::optional<TimeInterval> datetime;
    if (const auto it = params.find("datetime"); it != params.end()) {
        datetime = parse_datetime_param(it->second);
    }

    std::int64_t matched = 0;
    std::vector<const Feature*> page;
    page.reserve(static_cast<std::size_t>(std::min<std::int64_t>(limit, 1000)));
    for (const auto& f : c.features) {
        if ((bbox && !bbox->intersects(f.bbox)) || (datetime && !datetime->intersects(f.time))) {
            continue;
        }
        if (matched >= offset && static_cast<std::int64_t>(page.size()) < limit) {
            page.push_back(&f);
        }
        ++matched;
    }

    // Links keep every parameter but the offset.
    std::string query;
    for (const auto& [key, value] : params) {
        if (key != "offset" && key != "limit") {
            query += "&" + percent_encode(key) + "=" + percent_encode(value);
        }
    }
    const std::string items_url = call.base + "/collections/" + c.id + "/items?limit=" + std::to_string(limit);
    json links = json::array();
    links.push_back(link(items_url + "&offset=" + std::to_string(offset) + query, "self", geojson_type, "this page"));
    const auto returned = static_cast<std::int64_t>(page.size());
    if (offset + returned < matched) {
        links.push_back(link(items_url + "&offset=" + std::to_string(offset + returned) + query, "next", geojson_type,
                             "the next page"));
    }
    if (offset > 0) {
        links.push_back(link(items_url + "&offset=" + std::to_string(std::max<std::int64_t>(0, offset - limit)) + query,
                             "prev", geojson_type, "the previous page"));
    }
    links.push_back(link(call.base + "/collections/" + c.id, "collection", "application/json", "the collection"));

    std::size_t size = 256;
    for (const auto* f : page) {
        size += f->json.size() + 1;
    }
    std::string body;
    body.reserve(size + 1024);
    body += R"({"type":"FeatureCollection","numberMatched":)";
    body += std::to_string(matched);
    body += R"(,"numberReturned":)";
    body += std::to_string(returned);
    body += R"(,"timeStamp":")";
    body += store::utc_now();
    body += R"(","classification":")";
    body += c.classification;
    body += R"(","links":)";
    body += links.dump();
    body += R"(,"features":[)";
    for (std::size_t i = 0; i < page.size(); ++i) {
        if (i > 0) {
            body.push_back(',');
        }
        body += page[i]->json;
    }
    body += "]}";
    if (wants_html(call)) {
        send_html(call, items_html(json::parse(body), c.title));
        return;
    }
    call.send(200, std::move(body), geojson_type);
}

void Service::item(Call& call, const std::string& id, const std::string& feature) {
    const auto snap = snapshot();
    const auto& c = readable_collection(call, *snap, id);
    const auto it = c.by_id.find(feature);
    if (it == c.by_id.end()) {
        throw HttpError{404, "not_found", "no feature '" + feature + "' in collection '" + id + "'"};
    }
    std::string body = c.features[it->second].json;
    json links = json::array();
    links.push_back(link(call.base + "/collections/" + c.id + "/items/" + percent_encode(feature), "self", geojson_type,
                         "this feature"));
    links.push_back(link(call.base + "/collections/" + c.id, "collection", "application/json", "the collection"));
    body.pop_back(); // the closing brace
    body += R"(,"links":)" + links.dump() + "}";
    if (wants_html(call)) {
        send_html(call, item_html(json::parse(body), c.title));
        return;
    }
    call.send(200, std::move(body), geojson_type);
}

// A minimal OGC API - Styles: each collection has one style, "default", as QML (QGIS).
void Service::styles(Call& call, const std::string& id) {
    const auto snap = snapshot();
    const auto& c = readable_collection(call, *snap, id);
    json list = json::array();
    if (!c.qml.empty()) {
        const std::string href = call.base + "/collections/" + c.id + "/styles/default";
        list.push_back({{"id", "default"},
                        {"title", c.title + ", as hotref's GeoPackage styles it"},
                        {"links", json::array({link(href + "?f=qml", "stylesheet", qml_type, "QGIS style (QML)")})}});
    }
    json j;
    j["styles"] = list;
    j["links"] = json::array({link(call.base + "/collections/" + c.id + "/styles", "self", "application/json",
                                   "the styles of this collection")});
    call.send_json(200, j);
}

void Service::style(Call& call, const std::string& id, const std::string& style_id) {
    const auto snap = snapshot();
    const auto& c = readable_collection(call, *snap, id);
    if (style_id != "default" || c.qml.empty()) {
        throw HttpError{404, "not_found",
                        "no style '" + style_id + "' for collection '" + id + "'" +
                            (c.qml.empty() ? " (it has none)" : " (its style is 'default')")};
    }
    if (const auto f = call.target.params.find("f"); f != call.target.params.end() && f->second != "qml") {
        throw HttpError{406, "not_acceptable", "styles are served as QGIS QML only (f=qml)"};
    }
    call.send(200, c.qml, std::string{qml_type} + "; charset=utf-8");
}

void Service::tilejson(Call& call, const std::string& id) {
    const auto snap = snapshot();
    const auto& c = readable_collection(call, *snap, id);
    if (!c.tiles) {
        throw HttpError{404, "not_found", "collection '" + id + "' has no vector tiles (tiles: hotspots, cells)"};
    }
    const auto& t = *c.tiles;
    json j;
    j["tilejson"] = "3.0.0";
    j["name"] = c.title;
    j["description"] = c.description;
    j["attribution"] = snap->attribution;
    j["scheme"] = "xyz";
    j["tiles"] = json::array({call.base + "/tiles/" + c.id + "/{z}/{x}/{y}.pbf"});
    j["minzoom"] = t.min_zoom;
    j["maxzoom"] = t.max_zoom;
    if (c.extent) {
        j["bounds"] = bbox_json(*c.extent);
        j["center"] = json::array({(c.extent->min_x + c.extent->max_x) / 2, (c.extent->min_y + c.extent->max_y) / 2,
                                   std::min(t.max_zoom, std::max(t.min_zoom, 10))});
    }
    json fields = json::object();
    for (const auto& [name, type] : t.fields) {
        fields[name] = type == "string" ? "String" : type == "boolean" ? "Boolean" : "Number";
    }
    j["vector_layers"] = json::array(
        {json{{"id", t.layer}, {"fields", fields}, {"minzoom", t.min_zoom}, {"maxzoom", t.max_zoom}}});
    call.send_json(200, j);
}

void Service::tile(Call& call, const std::string& id, const std::string& zs, const std::string& xs,
                   const std::string& ys) {
    const auto snap = snapshot();
    const auto& c = readable_collection(call, *snap, id);
    if (!c.tiles) {
        throw HttpError{404, "not_found", "collection '" + id + "' has no vector tiles (tiles: hotspots, cells)"};
    }
    if (!ys.ends_with(".pbf")) {
        throw HttpError{404, "not_found", "tiles are /tiles/" + id + "/{z}/{x}/{y}.pbf"};
    }
    const auto z = parse_count(zs, "tile zoom z", 0, 30);
    const std::int64_t n = std::int64_t{1} << z;
    const auto x = parse_count(xs, "tile column x", 0, n - 1);
    const auto y = parse_count(ys.substr(0, ys.size() - 4), "tile row y", 0, n - 1);
    const auto& t = *c.tiles;
    if (z < t.min_zoom || z > t.max_zoom) {
        throw HttpError{404, "not_found",
                        "zoom " + std::to_string(z) + " is outside this tile set's zoom levels " +
                            std::to_string(t.min_zoom) + " to " + std::to_string(t.max_zoom) + " (see " + call.base +
                            "/tiles/" + id + ".json)"};
    }
    call.ex.response.set(http::field::cache_control, "public, max-age=60");
    const auto it = t.tiles.find(TileSet::key(static_cast<int>(z), static_cast<std::uint32_t>(x),
                                              static_cast<std::uint32_t>(y)));
    if (it == t.tiles.end()) {
        call.send(204, {}, mvt_type); // nothing in this tile
        return;
    }
    call.send(200, it->second, mvt_type);
}

void Service::openapi(Call& call) {
    call.require(Permission::read_published, m_options.anonymous);
    const auto snap = snapshot();
    json doc;
    doc["openapi"] = "3.0.3";
    doc["info"] = {{"title", "hotref"},
                   {"version", HOTREF_VERSION},
                   {"description", "Anti-social behaviour hotspots (OGC API - Features), their vector tiles, and the "
                                   "hotref API for feeds, Immediate Justice referrals, hotspots, evaluations and "
                                   "bulletins (application/json or application/x-protobuf; messages in "
                                   "proto/hotref/v1/api.proto)."},
                   {"license", {{"name", "Open Government Licence v3.0 (data)"}}}};
    doc["servers"] = json::array({json{{"url", call.base}}});
    doc["components"]["securitySchemes"]["bearer"] = {{"type", "http"}, {"scheme", "bearer"}};
    doc["security"] = json::array({json{{"bearer", json::array()}}});
    json collection_ids = json::array();
    for (const auto& c : snap->collections) {
        collection_ids.push_back(c->id);
    }
    const json id_param = parameter("collectionId", "a collection's id", {{"type", "string"}, {"enum", collection_ids}},
                                    true, "path");
    const json limit = parameter("limit",
                                 "how many features a page holds (at most " + std::to_string(m_options.max_limit) +
                                     "; more is taken as the maximum)",
                                 {{"type", "integer"},
                                  {"minimum", 1},
                                  {"maximum", m_options.max_limit},
                                  {"default", m_options.default_limit}});
    const json offset = parameter("offset", "features to skip (the next links carry it)",
                                  {{"type", "integer"}, {"minimum", 0}, {"default", 0}});
    const json bbox = parameter("bbox", "minLon,minLat,maxLon,maxLat in WGS84 (CRS84)",
                                {{"type", "array"},
                                 {"minItems", 4},
                                 {"maxItems", 6},
                                 {"items", {{"type", "number"}}}});
    const json datetime = parameter("datetime",
                                    "an RFC 3339 date or date-time, or an interval start/end with '..' for an open end",
                                    {{"type", "string"}});
    auto get = [](const std::string& summary, const std::string& op, json params, json responses) {
        return json{{"get", {{"summary", summary}, {"operationId", op}, {"parameters", std::move(params)}, {"responses", std::move(responses)}}}};
    };
    json paths;
    paths["/"] = get("landing page", "getLandingPage", json::array(), {{"200", response("the landing page", "application/json")}});
    paths["/api"] = get("this document", "getAPI", json::array(),
                        {{"200", response("the API definition", "application/vnd.oai.openapi+json;version=3.0")}});
    paths["/conformance"] = get("conformance classes", "getConformance", json::array(),
                                {{"200", response("the conformance classes", "application/json")}});
    paths["/collections"] = get("the collections", "getCollections", json::array(),
                                {{"200", response("the collections", "application/json")}});
    paths["/collections/{collectionId}"] = get("a collection", "describeCollection", json::array({id_param}),
                                               {{"200", response("the collection", "application/json")},
                                                {"404", response("no such collection", "application/json")}});
    paths["/collections/{collectionId}/items"] =
        get("features of a collection", "getFeatures", json::array({id_param, limit, offset, bbox, datetime}),
            {{"200", response("a page of features", geojson_type)},
             {"400", response("a bad parameter", "application/json")},
             {"404", response("no such collection", "application/json")}});
    paths["/collections/{collectionId}/items/{featureId}"] =
        get("one feature", "getFeature",
            json::array({id_param, parameter("featureId", "a feature's id", {{"type", "string"}}, true, "path")}),
            {{"200", response("the feature", geojson_type)}, {"404", response("no such feature", "application/json")}});
    paths["/collections/{collectionId}/styles"] = get("the styles of a collection (OGC API - Styles)", "getStyles",
                                                      json::array({id_param}),
                                                      {{"200", response("the styles", "application/json")}});
    paths["/collections/{collectionId}/styles/{styleId}"] =
        get("a style of a collection as QGIS QML (f=qml)", "getStyle",
            json::array({id_param, parameter("styleId", "a style's id ('default')", {{"type", "string"}}, true, "path")}),
            {{"200", response("the style", qml_type)}, {"404", response("no such style", "application/json")}});
    paths["/map"] = get("the web map (HTML; its data comes from this API with the user's token)", "getMap",
                        json::array(), {{"200", response("the page", "text/html")}});
    paths["/tiles/{collectionId}.json"] = get("TileJSON of a collection's vector tiles", "getTileJSON",
                                              json::array({id_param}),
                                              {{"200", response("TileJSON 3.0", "application/json")}});
    paths["/tiles/{collectionId}/{z}/{x}/{y}.pbf"] =
        get("a vector tile (MVT, Web Mercator)", "getTile",
            json::array({id_param, parameter("z", "zoom", {{"type", "integer"}}, true, "path"),
                         parameter("x", "column", {{"type", "integer"}}, true, "path"),
                         parameter("y", "row", {{"type", "integer"}}, true, "path")}),
            {{"200", response("the tile", mvt_type)}, {"204", {{"description", "an empty tile"}}}});
    auto api = [](const std::string& summary, const std::string& message) {
        return json{{"summary", summary},
                    {"responses",
                     {{"200",
                       {{"description", "hotref.v1." + message},
                        {"content", {{"application/json", json::object()}, {protobuf_type, json::object()}}}}}}}};
    };
    paths["/v1/feeds"]["post"] = api("ingest feed files (hotref.v1.FeedBatch, or one file with ?name=)", "IngestReport");
    paths["/v1/referrals"]["get"] = api("list referrals (caseworker, admin)", "ReferralList");
    paths["/v1/referrals"]["post"] = api("create a referral (hotref.v1.ReferralInput; referrer, caseworker, admin; 429 over the "
                                              "hourly limit of referrals with a person per token)",
                                              "Referral");
    paths["/v1/referrals/{reference}"]["get"] = api("a referral with its audit trail", "Referral");
    paths["/v1/referrals/{reference}"]["patch"] = api("update a referral through its lifecycle", "Referral");
    paths["/v1/hotspots"]["get"] = api("the current hotspots with statistics and KPIs", "HotspotList");
    paths["/v1/runs"] = get("the stored runs the map can show (of the served force), the served one marked", "runs",
                            json::array(), {{"200", response("runs", "application/json")}});
    paths["/v1/runs/{id}/hotspots"] = get("a run's hotspots as the published profile shows them", "runHotspots",
                                          json::array(), {{"200", response("hotspots", "application/geo+json")}});
    paths["/v1/me"] = get("the token's name, role and permissions", "me", json::array(),
                          {{"200", response("who", "application/json")}});
    paths["/v1/evaluations"]["get"] = api("the evaluations", "EvaluationList");
    paths["/v1/evaluations/{id}"]["get"] = api("one evaluation with its areas", "Evaluation");
    paths["/v1/bulletins/latest"]["get"] = api("the current patrol bulletin (also as application/pdf or text/html)", "Bulletin");
    paths["/healthz"] = get("liveness", "health", json::array(), {{"200", response("alive", "application/json")}});
    paths["/readyz"] = get("readiness", "ready", json::array(), {{"200", response("ready", "application/json")}});
    paths["/metrics"] = get("Prometheus metrics", "metrics", json::array(),
                            {{"200", response("metrics", "text/plain")}});
    doc["paths"] = paths;
    call.send_json(200, doc, "application/vnd.oai.openapi+json;version=3.0");
}

} // namespace hotref::server
