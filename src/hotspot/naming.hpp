#pragma once
// Names a patrol can read: a hotspot is named after its busiest real street and its
// district ("Albert Street, Derby"), else its district alone. Never after an empty
// label ("On or near"), a police.uk place type ("Supermarket", "Parking Area") or an
// LSOA code ("Amber Valley 008D"), and with police.uk's title-casing slips mended
// ("St Mary'S Street" -> "St Mary's Street").

#include <map>
#include <string>
#include <string_view>

namespace hotref::hotspot {

/// A police.uk location label as a street name: "On or near " dropped, blanks
/// trimmed, "'S" after a word made "'s". "" when nothing is left.
std::string tidy_street(std::string_view street);

/// Whether a label is one of police.uk's anonymised place types, not a street.
bool is_generic_place(std::string_view street);

/// The district of an LSOA name: "Amber Valley 008D" -> "Amber Valley".
std::string district_of(std::string_view lsoa_name);

/// "Street, District" from one label and its LSOA (either may be empty).
std::string readable_name(const std::string& street, const std::string& lsoa_name);

/// The streets and districts of one hotspot, weighted by incidents.
class NameVotes {
public:
    void add(std::string_view street, std::string_view lsoa_name, double weight);

    /// The busiest real street with its district; else the busiest district; else "".
    [[nodiscard]] std::string name() const;

    /// The busiest real street after the one name() uses ("" when there is none):
    /// tells two hotspots of one name apart ("High Street at Church Lane, Belper").
    [[nodiscard]] std::string second_street() const;

private:
    struct Street {
        double weight = 0;
        std::map<std::string, double> districts;
    };
    [[nodiscard]] const std::pair<const std::string, Street>* busiest(const std::string& skip) const;

    std::map<std::string, Street> m_streets;      // real streets only
    std::map<std::string, double> m_districts;    // every label's district
};

} // namespace hotref::hotspot
