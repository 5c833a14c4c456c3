#include "hotspot/naming.hpp"

#include "core/text.hpp"

#include <algorithm>
#include <cctype>

namespace hotref::hotspot {

namespace {

constexpr std::string_view on_or_near = "On or near";

bool is_letter(char c) {
    return std::isalpha(static_cast<unsigned char>(c)) != 0;
}

// Where `what` is an apostrophe (' or U+2019) at `i`: its length in bytes, else 0.
std::size_t apostrophe_at(const std::string& s, std::size_t i) {
    if (s[i] == '\'') {
        return 1;
    }
    return s.compare(i, 3, "\xE2\x80\x99") == 0 ? 3 : 0;
}

template <class Map>
const typename Map::value_type* heaviest(const Map& m) {
    const typename Map::value_type* best = nullptr;
    for (const auto& e : m) {
        if (best == nullptr || e.second > best->second) {
            best = &e;
        }
    }
    return best;
}

} // namespace

std::string tidy_street(std::string_view street) {
    street = trim(street);
    if (street.rfind(on_or_near, 0) == 0) {
        street.remove_prefix(on_or_near.size());
        street = trim(street);
    }
    std::string s{street};
    // police.uk title-cases every word, the letter after an apostrophe included: "Mary'S".
    for (std::size_t i = 1; i < s.size(); ++i) {
        const std::size_t a = apostrophe_at(s, i);
        if (a == 0 || !is_letter(s[i - 1]) || i + a >= s.size()) {
            continue;
        }
        const std::size_t l = i + a;
        const bool single = l + 1 >= s.size() || !is_letter(s[l + 1]);
        if (single && std::isupper(static_cast<unsigned char>(s[l])) != 0) {
            s[l] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[l])));
        }
    }
    return s;
}

bool is_generic_place(std::string_view street) {
    static constexpr std::string_view generic[] = {
        "Supermarket", "Parking Area", "Shopping Area", "Petrol Station", "Sports/Recreation Area", "Hospital",
        "Nightclub", "Park/Open Space", "Police Station", "Further/Higher Educational Building", "Bus/Coach Station",
        "Prison", "Theatre/Concert Hall", "Conference/Exhibition Centre", "Pedestrian Subway", "Train Station",
        "Airport/Airfield/Aerodrome", "Theme/Adventure Park", "Hotel"};
    const std::string s = tidy_street(street);
    return std::find(std::begin(generic), std::end(generic), s) != std::end(generic);
}

std::string district_of(std::string_view lsoa_name) {
    std::string place{trim(lsoa_name)};
    // LSOA names are "<district> <3 digits><letter>".
    const auto space = place.find_last_of(' ');
    if (space != std::string::npos && place.size() - space == 5 &&
        std::isdigit(static_cast<unsigned char>(place[space + 1])) != 0 &&
        std::isdigit(static_cast<unsigned char>(place[space + 3])) != 0 && is_letter(place.back())) {
        place.erase(space);
    }
    return place;
}

std::string readable_name(const std::string& street, const std::string& lsoa_name) {
    const std::string s = tidy_street(street);
    const std::string place = district_of(lsoa_name);
    if (s.empty()) {
        return place;
    }
    return place.empty() ? s : s + ", " + place;
}

void NameVotes::add(std::string_view street, std::string_view lsoa_name, double weight) {
    const std::string district = district_of(lsoa_name);
    if (!district.empty()) {
        m_districts[district] += weight;
    }
    std::string s = tidy_street(street);
    if (s.empty() || is_generic_place(s)) {
        return;
    }
    auto& e = m_streets[s];
    e.weight += weight;
    if (!district.empty()) {
        e.districts[district] += weight;
    }
}

const std::pair<const std::string, NameVotes::Street>* NameVotes::busiest(const std::string& skip) const {
    const std::pair<const std::string, Street>* best = nullptr;
    for (const auto& e : m_streets) {
        if (e.first != skip && (best == nullptr || e.second.weight > best->second.weight)) {
            best = &e;
        }
    }
    return best;
}

std::string NameVotes::name() const {
    if (const auto* best = busiest({})) {
        const auto* d = heaviest(best->second.districts);
        return d == nullptr ? best->first : best->first + ", " + d->first;
    }
    const auto* d = heaviest(m_districts);
    return d == nullptr ? std::string{} : d->first;
}

std::string NameVotes::second_street() const {
    const auto* first = busiest({});
    if (first == nullptr) {
        return {};
    }
    const auto* second = busiest(first->first);
    return second == nullptr ? std::string{} : second->first;
}

} // namespace hotref::hotspot
