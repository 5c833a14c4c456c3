// gen_policeuk.cpp - deterministic generator of data.police.uk "street-level
// crime" CSV files over the Derbyshire area, for benchmarks and large tests.
//
// Self-contained, standard library only. Built as the `hotref-gen` target.
//
// Output format (exactly the data.police.uk archive header and column order):
//
//   Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,
//   LSOA code,LSOA name,Crime type,Last outcome category,Context
//
// Model, in short:
//   * A fixed set of Derbyshire towns (centres fitted to the real 2025 data)
//     with weights. A finite set of "snap points" is placed around them with a
//     Gaussian spread of about 1-3 km, plus ~10% background points spread
//     uniformly over the Derbyshire bounding box. Each point has its own
//     coordinates (microdegrees, printed with 6 decimals like police.uk), a
//     Location string ("On or near High Street", "On or near Supermarket",
//     ...) and an LSOA code + name derived from a spatial grid, so nearby points
//     share an LSOA and every code maps to exactly one name.
//   * Incidents draw snap points with a heavy-tailed (Zipf-like, offset rank)
//     popularity, boosted for hotspot kinds (supermarkets, nightclubs,
//     hospitals, town centres), so a few points are much busier.
//   * Crime types and outcomes follow the frequencies observed in the real
//     Derbyshire 2025 files; non-ASB crime types depend on the kind of place.
//   * The number of ASB rows is exact: round(rows * asb-share).
//
// Determinism: everything random comes from our own xoshiro256** generators
// seeded with splitmix64, and every random quantity is derived with integer
// arithmetic only (bounded integers by rejection, Gaussian offsets by an
// Irwin-Hall sum of uniforms, an integer alias table for weighted choice).
// No std::*_distribution, no libm, no floating point on the data path, so
// the same arguments give byte-identical output with any conforming compiler
// and standard library, on any platform.

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

namespace {

// ---------------------------------------------------------------------------
// Constants and static tables
// ---------------------------------------------------------------------------

constexpr std::string_view k_program = "hotref-gen";

constexpr std::string_view k_header =
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,"
    "LSOA code,LSOA name,Crime type,Last outcome category,Context\n";

constexpr std::uint64_t k_max_rows = 4'000'000'000ULL;  // keeps all products in 64 bits
constexpr std::uint64_t k_max_points = 2'000'000ULL;
constexpr int k_max_months = 1200;                      // 100 years

// Derbyshire bounding box in microdegrees (lon -2.05..-1.2, lat 52.69..53.55).
constexpr std::int64_t k_bbox_lon_min = -2'050'000;
constexpr std::int64_t k_bbox_lon_max = -1'200'000;
constexpr std::int64_t k_bbox_lat_min = 52'690'000;
constexpr std::int64_t k_bbox_lat_max = 53'550'000;

// Areas for more forces than one (--area K): the Derbyshire box moved on a grid of 8
// columns and 6 rows, 0.9 degrees apart both ways (the boxes do not overlap), which keeps
// every box inside the British National Grid's extent (longitude -5.65..1.5, latitude
// 49.99..55.35). Area 0 is Derbyshire itself, in column 4 and row 3 (from the south-west).
// Each area's LSOA codes lie in their own block. Boxes are not real force areas: some lie
// over the sea.
constexpr int k_area_columns = 8;
constexpr int k_area_rows = 6;
constexpr int k_area_home = 3 * k_area_columns + 4;  // Derbyshire's cell
constexpr int k_max_area = k_area_columns * k_area_rows - 1;
constexpr std::int64_t k_area_step_lon = 900'000;
constexpr std::int64_t k_area_step_lat = 900'000;
constexpr std::uint32_t k_area_code_block = 20'000;

// Metres to microdegrees around latitude 53 N (1 m = 8.983 udeg of latitude,
// 14.93 udeg of longitude). Expressed as per-mille integer factors.
constexpr std::int64_t k_udeg_per_km_lat = 8983;
constexpr std::int64_t k_udeg_per_km_lon = 14930;

// Share of snap points (per mille) placed uniformly over the bounding box.
constexpr std::uint64_t k_background_per_mille = 100;

// LSOA grid cells: ~1.4 km for town points, ~5.6 km for rural background
// points (gives LSOA counts per district close to the real ones).
constexpr std::int64_t k_cell_lon_fine = 21'000;
constexpr std::int64_t k_cell_lat_fine = 12'600;
constexpr std::int64_t k_coarse_factor = 4;

// Local authority districts, in alphabetical order (the order of their real
// LSOA code blocks). Derby's real codes live in a separate, earlier block.
enum class District : std::uint8_t {
    AmberValley,
    Bolsover,
    Chesterfield,
    Derby,
    DerbyshireDales,
    Erewash,
    HighPeak,
    NorthEastDerbyshire,
    SouthDerbyshire,
    Count
};

constexpr std::array<std::string_view, static_cast<std::size_t>(District::Count)> k_district_names = {
    "Amber Valley", "Bolsover", "Chesterfield", "Derby", "Derbyshire Dales",
    "Erewash", "High Peak", "North East Derbyshire", "South Derbyshire"};

constexpr std::uint32_t k_lsoa_code_derby_base = 13'453;  // E01013453
constexpr std::uint32_t k_lsoa_code_shire_base = 19'400;  // E01019400

struct Town {
    std::string_view m_name;
    District m_district;
    std::int32_t m_lon_udeg;   // centre, microdegrees
    std::int32_t m_lat_udeg;
    std::int32_t m_sigma_m;    // Gaussian spread, metres
    std::uint32_t m_weight;    // share of town points (relative)
};

// Centres refined against the real Derbyshire 2025 street-level data (mean
// of incidents within 2.5 km); weights tuned so that district shares of
// incidents match the real ones (Derby ~35%, Chesterfield ~12%, ...).
constexpr std::array<Town, 22> k_towns = {{
    {"Derby", District::Derby, -1'479'600, 52'916'600, 3000, 300},
    {"Chesterfield", District::Chesterfield, -1'430'700, 53'238'100, 2200, 80},
    {"Staveley", District::Chesterfield, -1'363'400, 53'261'000, 1300, 25},
    {"Ilkeston", District::Erewash, -1'308'900, 52'974'000, 1500, 44},
    {"Long Eaton", District::Erewash, -1'281'800, 52'896'900, 1500, 40},
    {"Swadlincote", District::SouthDerbyshire, -1'559'200, 52'773'400, 1800, 60},
    {"Alfreton", District::AmberValley, -1'371'800, 53'089'000, 1400, 25},
    {"Ripley", District::AmberValley, -1'398'200, 53'050'200, 1400, 24},
    {"Heanor", District::AmberValley, -1'348'200, 53'013'900, 1400, 24},
    {"Belper", District::AmberValley, -1'472'200, 53'023'100, 1100, 14},
    {"Clay Cross", District::NorthEastDerbyshire, -1'402'800, 53'174'200, 1400, 32},
    {"Dronfield", District::NorthEastDerbyshire, -1'470'400, 53'302'400, 1100, 20},
    {"Eckington", District::NorthEastDerbyshire, -1'359'000, 53'309'000, 900, 12},
    {"Bolsover", District::Bolsover, -1'294'700, 53'230'700, 1000, 26},
    {"Shirebrook", District::Bolsover, -1'217'600, 53'204'500, 1000, 24},
    {"Clowne", District::Bolsover, -1'263'000, 53'276'000, 800, 12},
    {"Glossop", District::HighPeak, -1'960'500, 53'447'100, 1400, 25},
    {"Buxton", District::HighPeak, -1'909'200, 53'255'200, 1200, 21},
    {"New Mills", District::HighPeak, -1'995'400, 53'366'900, 900, 8},
    {"Matlock", District::DerbyshireDales, -1'553'300, 53'139'300, 1200, 14},
    {"Ashbourne", District::DerbyshireDales, -1'731'400, 53'013'500, 800, 7},
    {"Bakewell", District::DerbyshireDales, -1'675'000, 53'213'000, 600, 5},
}};

// Crime classes of a place: the non-ASB crime-type mix depends on it.
enum class PlaceClass : std::uint8_t { General, Retail, Night, Count };

struct PlaceKind {
    std::string_view m_name;        // empty: a generated street name
    std::uint32_t m_per_10000;      // probability for a new snap point
    std::uint32_t m_popularity10;   // popularity multiplier, tenths
    PlaceClass m_class;
};

// Shares of distinct locations and busyness (incidents per location relative
// to an ordinary street) taken from the real data.
constexpr std::array<PlaceKind, 14> k_place_kinds = {{
    {"Parking Area", 300, 16, PlaceClass::General},
    {"Sports/Recreation Area", 140, 10, PlaceClass::General},
    {"Supermarket", 84, 60, PlaceClass::Retail},
    {"Petrol Station", 68, 30, PlaceClass::Retail},
    {"Park/Open Space", 50, 10, PlaceClass::General},
    {"Shopping Area", 37, 60, PlaceClass::Retail},
    {"Police Station", 14, 20, PlaceClass::General},
    {"Bus/Coach Station", 11, 13, PlaceClass::General},
    {"Hospital", 11, 60, PlaceClass::General},
    {"Nightclub", 8, 60, PlaceClass::Night},
    {"Further/Higher Educational Building", 7, 25, PlaceClass::General},
    {"Theatre/Concert Hall", 6, 30, PlaceClass::General},
    {"Prison", 4, 30, PlaceClass::General},
    {"", 0, 10, PlaceClass::General},  // street: takes the remaining probability
}};
constexpr std::size_t k_street_kind = k_place_kinds.size() - 1;

// First words of street names (real Derbyshire names, including the odd
// data.police.uk capitalisation after apostrophes).
constexpr auto k_street_words = std::to_array<std::string_view>({
    "Church", "New", "High", "Market", "Park", "Station", "Cavendish", "Mill", "Lower", "Old",
    "West", "Manor", "South", "Charlotte", "Derby", "Meadow", "Main", "Chapel", "Corporation",
    "Victoria", "King", "North", "Coronation", "Lime", "Back", "Exeter", "Chesterfield", "Mount",
    "Green", "Midland", "Devonshire", "Hardwick", "Walton", "Morley", "Queen", "Byron", "John",
    "George", "Castle", "Spring", "Wood", "Sherwood", "Dale", "Bridge", "Hill", "Upper",
    "Highfield", "Orchard", "Ernest", "School", "Brook", "Oak", "Trinity", "East", "Haddon",
    "Hall", "Regent", "Field", "Portland", "London", "Talbot", "Welbeck", "Springfield", "Moore",
    "Ash", "Nottingham", "Burton", "Ashbourne", "Alfreton", "Mansfield", "Sheffield", "Uttoxeter",
    "Osmaston", "Normanton", "Kedleston", "Duffield", "Belper", "Whitworth", "Arkwright",
    "Strutt", "Rutland", "Chatsworth", "Peveril", "Beech", "Birch", "Elm", "Willow", "Cedar",
    "Holly", "Rowan", "Sycamore", "Chestnut", "Hawthorn", "Laburnum", "Poplar", "Albert",
    "Alexandra", "Edward", "William", "Arthur", "Thomas", "Charles", "Princess", "Windsor",
    "Stanley", "Nelson", "Wellington", "Milton", "Shakespeare", "Tennyson", "Cromwell", "Bank",
    "Brookside", "Cliff", "Valley", "Fairfield", "Greenhill", "Moorland", "Hillside", "Clarence",
    "Granville", "Grange", "Abbey", "Priory", "Vicarage", "Rectory", "Pinfold", "Pingle",
    "Wharf", "Canal", "Railway", "Colliery", "Foundry", "Forge", "Quarry", "Peak", "Derwent",
    "Trent", "Dove", "Amber", "Erewash", "Wye", "Goyt", "Kinder", "Thorntree", "Eagle", "Cotton",
    "Cromford", "Codnor", "Somercotes", "Swanwick", "Pentrich", "Crich", "Wirksworth",
    "Tideswell", "Castleton", "Hathersage", "Chinley", "Hayfield", "Bradwell", "Tibshelf",
    "Pilsley", "Clowne", "Whitwell", "Barlborough", "Killamarsh", "Eckington", "Brimington",
    "Hasland", "Newbold", "Whittington", "Inkersall", "Mayvale", "St Mary'S", "St Peter'S",
    "St John'S", "St Michael'S", "St Alkmund'S", "St Helen'S", "St Werburgh'S"});

struct Weighted {
    std::string_view m_name;
    std::uint32_t m_weight;
};

// Street suffixes with their real relative frequencies.
constexpr std::array<Weighted, 26> k_street_suffixes = {{
    {"Street", 190}, {"Road", 133}, {"Close", 131}, {"Avenue", 67}, {"Lane", 58},
    {"Drive", 45}, {"Way", 29}, {"Court", 23}, {"Crescent", 20}, {"Place", 20},
    {"Grove", 12}, {"Gardens", 11}, {"View", 7}, {"Square", 7}, {"Croft", 6},
    {"Mews", 5}, {"Hill", 5}, {"Walk", 4}, {"Gate", 4}, {"Green", 3},
    {"Terrace", 3}, {"Rise", 3}, {"Bank", 2}, {"Row", 2}, {"Vale", 1}, {"Yard", 1},
}};

constexpr std::array<std::string_view, 4> k_directions = {"North", "South", "East", "West"};

// Numbered roads used for some rural background points.
constexpr std::array<std::string_view, 20> k_roads = {
    "A6", "A38", "A52", "A61", "A50", "A514", "A515", "A57", "A619", "A623",
    "A628", "A5111", "A5250", "A6005", "A6007", "B6019", "B6039", "B6052", "B6540", "B5035"};

// The 13 non-ASB crime types (data.police.uk spelling).
constexpr std::array<std::string_view, 13> k_crime_types = {
    "Violence and sexual offences", "Public order", "Criminal damage and arson", "Shoplifting",
    "Other theft", "Vehicle crime", "Drugs", "Burglary", "Other crime", "Possession of weapons",
    "Robbery", "Theft from the person", "Bicycle theft"};

constexpr std::string_view k_asb_type = "Anti-social behaviour";

// Non-ASB crime-type mix (per 10000) by place class, from the real data.
constexpr std::array<std::array<std::uint32_t, 13>, static_cast<std::size_t>(PlaceClass::Count)>
    k_type_weights = {{
        {5102, 1078, 884, 493, 673, 463, 378, 370, 251, 122, 72, 67, 46},    // General
        {1864, 1016, 429, 4664, 845, 190, 272, 169, 120, 79, 215, 80, 57},   // Retail
        {4375, 1332, 296, 691, 444, 16, 1809, 132, 197, 197, 164, 247, 99},  // Night
    }};

constexpr std::array<std::string_view, 12> k_outcomes = {
    "Unable to prosecute suspect",
    "Investigation complete; no suspect identified",
    "Status update unavailable",
    "Court result unavailable",
    "Local resolution",
    "Awaiting court outcome",
    "Action to be taken by another organisation",
    "Further investigation is not in the public interest",
    "Offender given a caution",
    "Formal action is not in the public interest",
    "Further action is not in the public interest",
    "Suspect charged as part of another case"};

// Outcome mix (per 10000) for each crime type, rows in k_crime_types order.
constexpr std::array<std::array<std::uint32_t, 12>, 13> k_outcome_weights = {{
    {6071, 1331, 1073, 422, 482, 261, 229, 32, 46, 32, 22, 0},        // Violence and sexual offences
    {4547, 3127, 482, 768, 510, 361, 49, 14, 84, 43, 14, 0},          // Public order
    {3073, 5322, 281, 423, 512, 233, 49, 11, 47, 37, 12, 0},          // Criminal damage and arson
    {718, 5814, 154, 1974, 417, 809, 4, 39, 24, 39, 8, 0},            // Shoplifting
    {2383, 6560, 445, 165, 266, 103, 15, 19, 12, 27, 5, 2},           // Other theft
    {1288, 7430, 348, 192, 37, 640, 16, 8, 3, 8, 26, 5},              // Vehicle crime
    {1825, 1147, 1664, 1396, 2080, 1253, 36, 125, 173, 274, 27, 0},   // Drugs
    {1779, 7018, 478, 321, 92, 269, 7, 7, 13, 10, 7, 0},              // Burglary
    {3561, 1795, 1574, 568, 250, 346, 265, 1266, 10, 192, 173, 0},    // Other crime
    {3586, 845, 1166, 1973, 671, 807, 49, 87, 369, 233, 214, 0},      // Possession of weapons
    {3046, 4399, 683, 792, 150, 874, 14, 14, 0, 27, 0, 0},            // Robbery
    {3609, 5099, 679, 182, 298, 99, 33, 0, 0, 0, 0, 0},               // Theft from the person
    {1032, 8428, 98, 197, 74, 74, 25, 0, 0, 25, 25, 25},              // Bicycle theft
}};

// Seasonal month weights (January..December), from the real 2025 totals.
constexpr std::array<std::uint64_t, 12> k_month_weights = {78, 74, 92, 87, 93, 92, 96, 89, 81, 85, 80, 80};

// Kinds of deliberately malformed rows (--bad-rate).
enum class BadKind : std::uint8_t { Longitude, ColumnCount, Month, EmptyCoords, Count };

constexpr std::array<std::string_view, static_cast<std::size_t>(BadKind::Count)> k_bad_kind_names = {
    "bad_longitude", "wrong_columns", "bad_month", "empty_coords"};

constexpr std::array<std::string_view, 5> k_bad_longitudes = {"abc", "-1.4x7", "N/A", "--1.5", "1.2.3"};
constexpr std::array<std::string_view, 5> k_bad_months = {"2025-13", "2025-00", "2025/01", "Jan-2025", "25-01"};

// Independent random streams, so that e.g. changing --bad-rate corrupts
// some rows but leaves every other row byte-identical.
constexpr std::uint64_t k_stream_points = 0x706f696e7473ULL;  // "points"
constexpr std::uint64_t k_stream_asb = 0x617362ULL;           // "asb"
constexpr std::uint64_t k_stream_rows = 0x726f7773ULL;        // "rows"
constexpr std::uint64_t k_stream_bad = 0x626164ULL;           // "bad"
constexpr std::uint64_t k_stream_growth = 0x67726f777468ULL;   // "growth"

// ---------------------------------------------------------------------------
// Random numbers: splitmix64 seeding, xoshiro256**, integer-only transforms
// ---------------------------------------------------------------------------

class SplitMix64 {
public:
    explicit SplitMix64(std::uint64_t seed) : m_state(seed) {}

    std::uint64_t next() {
        std::uint64_t z = (m_state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }

private:
    std::uint64_t m_state;
};

class Xoshiro256 {
public:
    // The stream id separates independent generators derived from one seed.
    Xoshiro256(std::uint64_t seed, std::uint64_t stream) {
        SplitMix64 mixer(seed ^ (stream * 0xd1342543de82ef95ULL));
        for (auto& word : m_s) {
            word = mixer.next();
        }
    }

    std::uint64_t next() {
        const std::uint64_t result = rotl(m_s[1] * 5, 7) * 9;
        const std::uint64_t t = m_s[1] << 17;
        m_s[2] ^= m_s[0];
        m_s[3] ^= m_s[1];
        m_s[1] ^= m_s[2];
        m_s[0] ^= m_s[3];
        m_s[2] ^= t;
        m_s[3] = rotl(m_s[3], 45);
        return result;
    }

    // Unbiased integer in [0, bound), bound > 0 (rejection of the short tail).
    std::uint64_t below(std::uint64_t bound) {
        const std::uint64_t threshold = (0 - bound) % bound;  // 2^64 mod bound
        for (;;) {
            const std::uint64_t x = next();
            if (x >= threshold) {
                return x % bound;
            }
        }
    }

    // Approximately standard normal, scaled by 2^21 (Irwin-Hall: sum of 12
    // uniforms, exactly zero mean, bounded at +-6 sigma). Integer-only, so it
    // is bit-identical everywhere, unlike Box-Muller on top of libm.
    std::int64_t gaussian_2p21() {
        std::int64_t sum = 0;
        for (int i = 0; i < 4; ++i) {
            const std::uint64_t x = next();
            sum += static_cast<std::int64_t>(x & 0xFFFFF);
            sum += static_cast<std::int64_t>((x >> 20) & 0xFFFFF);
            sum += static_cast<std::int64_t>((x >> 40) & 0xFFFFF);
        }
        return 2 * sum - std::int64_t{12} * 0xFFFFF;
    }

private:
    static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

    std::array<std::uint64_t, 4> m_s{};
};

// Index drawn from a small table of integer weights (linear scan).
template <typename Weights, typename Getter>
std::size_t pick_weighted(Xoshiro256& rng, const Weights& weights, Getter weight_of) {
    std::uint64_t total = 0;
    for (const auto& w : weights) {
        total += weight_of(w);
    }
    std::uint64_t r = rng.below(total);
    std::size_t index = 0;
    for (const auto& w : weights) {
        const std::uint64_t wv = weight_of(w);
        if (r < wv) {
            return index;
        }
        r -= wv;
        ++index;
    }
    return weights.size() - 1;  // unreachable when total > 0
}

// Cumulative table for fast repeated weighted draws from a small fixed set.
class CumulativeTable {
public:
    template <typename Range>
    explicit CumulativeTable(const Range& weights) {
        std::uint64_t total = 0;
        for (const auto w : weights) {
            total += w;
            m_cumulative.push_back(total);
        }
    }

    std::size_t draw(Xoshiro256& rng) const {
        const std::uint64_t r = rng.below(m_cumulative.back());
        std::size_t i = 0;
        while (m_cumulative[i] <= r) {
            ++i;
        }
        return i;
    }

private:
    std::vector<std::uint64_t> m_cumulative;
};

// Vose alias table with integer probabilities: O(1) weighted draws from a
// large set, exact and platform-independent. Weights must be > 0 and
// weight * count must fit in 63 bits.
class AliasTable {
public:
    explicit AliasTable(const std::vector<std::uint64_t>& weights)
        : m_threshold(weights.size()), m_alias(weights.size()) {
        const std::uint64_t n = weights.size();
        std::uint64_t total = 0;
        for (const auto w : weights) {
            total += w;
        }
        m_total = total;

        // Each bucket holds capacity `total`; bucket i starts with w_i * n.
        std::vector<std::uint64_t> scaled(weights.size());
        std::vector<std::uint32_t> small;
        std::vector<std::uint32_t> large;
        for (std::uint64_t i = 0; i < n; ++i) {
            scaled[i] = weights[i] * n;
            (scaled[i] < total ? small : large).push_back(static_cast<std::uint32_t>(i));
        }
        while (!small.empty() && !large.empty()) {
            const std::uint32_t s = small.back();
            small.pop_back();
            const std::uint32_t l = large.back();
            large.pop_back();
            m_threshold[s] = scaled[s];
            m_alias[s] = l;
            scaled[l] = scaled[l] + scaled[s] - total;
            (scaled[l] < total ? small : large).push_back(l);
        }
        for (const auto i : large) {
            m_threshold[i] = total;
            m_alias[i] = i;
        }
        for (const auto i : small) {  // only reachable through rounding; none with integers
            m_threshold[i] = total;
            m_alias[i] = i;
        }
    }

    std::uint32_t draw(Xoshiro256& rng) const {
        const auto bucket = static_cast<std::uint32_t>(rng.below(m_alias.size()));
        return rng.below(m_total) < m_threshold[bucket] ? bucket : m_alias[bucket];
    }

private:
    std::vector<std::uint64_t> m_threshold;
    std::vector<std::uint32_t> m_alias;
    std::uint64_t m_total = 0;
};

// ---------------------------------------------------------------------------
// Small text helpers
// ---------------------------------------------------------------------------

// RFC 4180: quote a field containing a comma, quote, CR or LF; double quotes.
std::string csv_field(std::string_view value) {
    if (value.find_first_of(",\"\r\n") == std::string_view::npos) {
        return std::string(value);
    }
    std::string out;
    out.reserve(value.size() + 2);
    out.push_back('"');
    for (const char c : value) {
        if (c == '"') {
            out.push_back('"');
        }
        out.push_back(c);
    }
    out.push_back('"');
    return out;
}

// Microdegrees as a decimal with exactly 6 fraction digits ("-1.377978").
void append_udeg(std::string& out, std::int64_t udeg) {
    if (udeg < 0) {
        out.push_back('-');
        udeg = -udeg;
    }
    std::array<char, 24> buf{};
    auto res = std::to_chars(buf.data(), buf.data() + buf.size(), udeg / 1'000'000);
    out.append(buf.data(), res.ptr);
    out.push_back('.');
    const std::int64_t frac = udeg % 1'000'000;
    std::array<char, 6> digits{};
    std::int64_t f = frac;
    for (int i = 5; i >= 0; --i) {
        digits[static_cast<std::size_t>(i)] = static_cast<char>('0' + f % 10);
        f /= 10;
    }
    out.append(digits.data(), digits.size());
}

void append_uint(std::string& out, std::uint64_t value) {
    std::array<char, 24> buf{};
    auto res = std::to_chars(buf.data(), buf.data() + buf.size(), value);
    out.append(buf.data(), res.ptr);
}

std::string month_string(int month_index) {  // months since year 0
    const int year = month_index / 12;
    const int month = month_index % 12 + 1;
    std::string out;
    append_uint(out, static_cast<std::uint64_t>(year));
    out.push_back('-');
    out.push_back(static_cast<char>('0' + month / 10));
    out.push_back(static_cast<char>('0' + month % 10));
    return out;
}

// ---------------------------------------------------------------------------
// Buffered output
// ---------------------------------------------------------------------------

// A large hand-managed buffer over a C stream: rows are assembled with
// memcpy, the stream sees a few big fwrite calls.
class OutputFile {
public:
    OutputFile() : m_buffer(k_capacity) {}
    OutputFile(const OutputFile&) = delete;
    OutputFile& operator=(const OutputFile&) = delete;
    ~OutputFile() { close(); }

    bool open_path(const std::string& path) {
        close();
        m_file = std::fopen(path.c_str(), "wb");
        m_owned = true;
        m_failed = (m_file == nullptr);
        if (m_file != nullptr) {
            std::setvbuf(m_file, nullptr, _IONBF, 0);
        }
        return !m_failed;
    }

    void open_stdout() {
        close();
        m_file = stdout;
        m_owned = false;
        m_failed = false;
    }

    void put(std::string_view text) {
        if (text.empty()) {  // also avoids memcpy from a null data()
            return;
        }
        if (m_used + text.size() > m_buffer.size()) {
            flush();
            if (text.size() > m_buffer.size()) {
                write_raw(text.data(), text.size());
                return;
            }
        }
        std::memcpy(m_buffer.data() + m_used, text.data(), text.size());
        m_used += text.size();
    }

    void put(char c) {
        if (m_used == m_buffer.size()) {
            flush();
        }
        m_buffer[m_used++] = c;
    }

    // Direct access for fixed-size fields: returns room for `size` bytes.
    char* reserve(std::size_t size) {
        if (m_used + size > m_buffer.size()) {
            flush();
        }
        char* out = m_buffer.data() + m_used;
        m_used += size;
        return out;
    }

    void flush() {
        if (m_used > 0) {
            write_raw(m_buffer.data(), m_used);
            m_used = 0;
        }
    }

    // Flushes and closes; returns false if anything failed along the way.
    bool close() {
        if (m_file == nullptr) {
            return !m_failed;
        }
        flush();
        if (std::fflush(m_file) != 0 || std::ferror(m_file) != 0) {
            m_failed = true;
        }
        if (m_owned && std::fclose(m_file) != 0) {
            m_failed = true;
        }
        m_file = nullptr;
        return !m_failed;
    }

    bool failed() const { return m_failed; }
    std::uint64_t bytes() const { return m_bytes + m_used; }

private:
    static constexpr std::size_t k_capacity = std::size_t{8} << 20;  // 8 MiB

    void write_raw(const char* data, std::size_t size) {
        if (m_failed || m_file == nullptr) {
            m_bytes += size;
            return;
        }
        if (std::fwrite(data, 1, size, m_file) != size) {
            m_failed = true;
        }
        m_bytes += size;
    }

    std::vector<char> m_buffer;
    std::size_t m_used = 0;
    std::uint64_t m_bytes = 0;
    std::FILE* m_file = nullptr;
    bool m_owned = false;
    bool m_failed = false;
};

// ---------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------

// A decimal fraction in [0, 1] kept exact as numerator / 10^digits, so that
// counts like round(rows * 0.4) never depend on binary floating point.
struct Fraction {
    std::uint64_t m_numerator = 0;
    std::uint64_t m_denominator = 1;

    // round(count * value), halves rounded up. count <= 4e9 and numerator
    // <= 1e9, so the product fits in 64 bits.
    std::uint64_t of(std::uint64_t count) const {
        return (count * m_numerator + m_denominator / 2) / m_denominator;
    }
};

struct Options {
    std::uint64_t m_rows = 100'000;
    Fraction m_asb_share{4, 10};
    int m_first_month = 2025 * 12;       // months since year 0 (January = 0)
    int m_last_month = 2025 * 12 + 11;
    std::uint64_t m_seed = 42;
    std::string m_force = "Derbyshire Constabulary";
    std::optional<std::uint64_t> m_points;
    int m_area = 0;
    std::string m_area_out;   // non-empty: write the area's box as GeoJSON
    Fraction m_growth{0, 1};
    std::string m_out;        // empty: stdout
    std::string m_split_dir;  // non-empty: one file per month
    Fraction m_bad_rate{0, 1};
    bool m_help = false;
};

class ArgError {
public:
    explicit ArgError(std::string message) : m_message(std::move(message)) {}
    const std::string& message() const { return m_message; }

private:
    std::string m_message;
};

void print_usage(std::FILE* stream) {
    std::fputs(
        "Usage: hotref-gen [options]\n"
        "\n"
        "Generate synthetic data.police.uk street-level crime CSV files over the\n"
        "Derbyshire area (same header, columns and value shapes as the real archive).\n"
        "\n"
        "Options:\n"
        "  --rows N               total rows, header excluded (default 100000, max 4e9)\n"
        "  --asb-share F          fraction of Anti-social behaviour rows, 0..1 (default 0.4);\n"
        "                         exactly round(N*F) ASB rows are written\n"
        "  --months A:B           inclusive month range YYYY-MM:YYYY-MM, or a single\n"
        "                         YYYY-MM (default 2025-01:2025-12); rows are spread over\n"
        "                         the months with a mild seasonal profile\n"
        "  --seed S               unsigned 64-bit seed (default 42)\n"
        "  --force NAME           'Reported by' / 'Falls within' value\n"
        "                         (default \"Derbyshire Constabulary\")\n"
        "  --points N             number of distinct snap points (locations)\n"
        "                         (default clamp(rows/8, 200, 20000), max 2000000)\n"
        "  --area K               place the data in area K, 0..47 (default 0, Derbyshire):\n"
        "                         the Derbyshire box moved on an 8x6 grid, 0.9 deg apart,\n"
        "                         inside the British National Grid, with its own LSOA\n"
        "                         codes, so that several forces can be generated\n"
        "  --area-out FILE        also write the area's box as a GeoJSON polygon (WGS 84),\n"
        "                         for 'hotref hotspots --area'\n"
        "  --growth F             fraction of the points that first appear during the month\n"
        "                         range, 0..1 (default 0): each gets a first month, uniform\n"
        "                         over the 2nd..last month, and no incident before it\n"
        "  --out FILE             write one CSV with all months in order (default stdout)\n"
        "  --split-dir DIR        instead write DIR/YYYY-MM/YYYY-MM-<force>-street.csv per\n"
        "                         month like the data.police.uk archive (<force> is the\n"
        "                         force name lower-cased without 'Constabulary'/'Police',\n"
        "                         e.g. 'derbyshire'); each file has its own header\n"
        "  --bad-rate F           fraction of deliberately malformed rows, 0..1 (default 0):\n"
        "                         non-numeric longitude, wrong column count (11 or 13),\n"
        "                         bad month, empty coordinates ('No location', no LSOA);\n"
        "                         counts per kind are reported on stderr\n"
        "  -h, --help             show this help\n"
        "\n"
        "Fractions are decimals with at most 9 fraction digits (e.g. 0.4, .05, 1).\n"
        "\n"
        "Determinism: the output depends only on the arguments. The generator uses its\n"
        "own xoshiro256** PRNG and integer-only transforms (no std::*_distribution, no\n"
        "libm), so the same arguments give byte-identical output on every platform and\n"
        "compiler. Rows in --split-dir files are exactly the rows of the single-file\n"
        "output. Changing --bad-rate only alters the corrupted rows.\n"
        "\n"
        "A one-line summary goes to stderr. Exit status: 0 ok, 1 I/O error,\n"
        "2 bad arguments.\n"
        "\n"
        "Examples:\n"
        "  hotref-gen --rows 2500000 --asb-share 0.4 --out bench.csv\n"
        "  hotref-gen --rows 50000 --months 2024-06:2025-05 --split-dir data/\n"
        "  hotref-gen --rows 10000 --bad-rate 0.01 --seed 7 > robust.csv\n",
        stream);
}

std::uint64_t parse_uint(std::string_view option, std::string_view text) {
    std::uint64_t value = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) {
        throw ArgError(std::string(option) + ": expected an unsigned integer, got '" + std::string(text) + "'");
    }
    return value;
}

Fraction parse_fraction(std::string_view option, std::string_view text) {
    const auto fail = [&](std::string_view why) {
        return ArgError(std::string(option) + ": " + std::string(why) + ", got '" + std::string(text) + "'");
    };
    const std::size_t dot = text.find('.');
    const std::string_view whole = text.substr(0, dot);
    const std::string_view frac = dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
    if (whole.empty() && frac.empty()) {
        throw fail("expected a decimal fraction between 0 and 1");
    }
    const auto all_digits = [](std::string_view s) {
        return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    if (!all_digits(whole) || !all_digits(frac)) {
        throw fail("expected a decimal fraction between 0 and 1");
    }
    if (frac.size() > 9) {
        throw fail("at most 9 fraction digits are supported");
    }
    std::uint64_t whole_value = 0;
    for (const char c : whole) {
        whole_value = whole_value * 10 + static_cast<std::uint64_t>(c - '0');
        if (whole_value > 1) {
            throw fail("must be between 0 and 1");
        }
    }
    Fraction result;
    for (const char c : frac) {
        result.m_numerator = result.m_numerator * 10 + static_cast<std::uint64_t>(c - '0');
        result.m_denominator *= 10;
    }
    result.m_numerator += whole_value * result.m_denominator;
    if (result.m_numerator > result.m_denominator) {
        throw fail("must be between 0 and 1");
    }
    return result;
}

// "YYYY-MM" -> months since year 0.
int parse_month(std::string_view option, std::string_view text) {
    const auto fail = [&] {
        return ArgError(std::string(option) + ": expected YYYY-MM or YYYY-MM:YYYY-MM, got '" + std::string(text) + "'");
    };
    if (text.size() != 7 || text[4] != '-') {
        throw fail();
    }
    int year = 0;
    int month = 0;
    const auto [p1, e1] = std::from_chars(text.data(), text.data() + 4, year);
    const auto [p2, e2] = std::from_chars(text.data() + 5, text.data() + 7, month);
    if (e1 != std::errc() || p1 != text.data() + 4 || e2 != std::errc() || p2 != text.data() + 7 ||
        year < 1000 || month < 1 || month > 12) {
        throw fail();
    }
    return year * 12 + (month - 1);
}

// An option's value that must not be empty ("--out: empty file name").
std::string non_empty(std::string_view option, std::string_view value, std::string_view what) {
    if (value.empty()) {
        throw ArgError(std::string(option) + ": empty " + std::string(what));
    }
    return std::string(value);
}

Options parse_args(int argc, char** argv) {
    Options opts;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "-h" || arg == "--help") {
            opts.m_help = true;
            continue;
        }
        // Accept both "--name value" and "--name=value".
        std::string_view value;
        bool has_value = false;
        if (arg.substr(0, 2) == "--") {
            const std::size_t eq = arg.find('=');
            if (eq != std::string_view::npos) {
                value = arg.substr(eq + 1);
                arg = arg.substr(0, eq);
                has_value = true;
            }
        }
        const auto take_value = [&]() -> std::string_view {
            if (has_value) {
                return value;
            }
            if (i + 1 >= argc) {
                throw ArgError(std::string(arg) + ": missing value");
            }
            return argv[++i];
        };

        if (arg == "--rows") {
            opts.m_rows = parse_uint(arg, take_value());
            if (opts.m_rows > k_max_rows) {
                throw ArgError("--rows: at most 4000000000 rows are supported");
            }
        } else if (arg == "--asb-share") {
            opts.m_asb_share = parse_fraction(arg, take_value());
        } else if (arg == "--months") {
            const std::string_view text = take_value();
            const std::size_t colon = text.find(':');
            if (colon == std::string_view::npos) {
                opts.m_first_month = opts.m_last_month = parse_month(arg, text);
            } else {
                opts.m_first_month = parse_month(arg, text.substr(0, colon));
                opts.m_last_month = parse_month(arg, text.substr(colon + 1));
            }
            if (opts.m_last_month < opts.m_first_month) {
                throw ArgError("--months: the range end is before its start");
            }
            if (opts.m_last_month - opts.m_first_month + 1 > k_max_months) {
                throw ArgError("--months: at most 1200 months are supported");
            }
        } else if (arg == "--seed") {
            opts.m_seed = parse_uint(arg, take_value());
        } else if (arg == "--force") {
            opts.m_force = std::string(take_value());
            if (opts.m_force.empty() || opts.m_force.find_first_of("\r\n") != std::string::npos) {
                throw ArgError("--force: must be a non-empty single-line name");
            }
        } else if (arg == "--points") {
            const std::uint64_t points = parse_uint(arg, take_value());
            if (points < 1 || points > k_max_points) {
                throw ArgError("--points: must be between 1 and 2000000");
            }
            opts.m_points = points;
        } else if (arg == "--area") {
            const std::uint64_t area = parse_uint(arg, take_value());
            if (area > static_cast<std::uint64_t>(k_max_area)) {
                throw ArgError("--area: must be between 0 and " + std::to_string(k_max_area));
            }
            opts.m_area = static_cast<int>(area);
        } else if (arg == "--area-out") {
            opts.m_area_out = non_empty(arg, take_value(), "file name");
        } else if (arg == "--growth") {
            opts.m_growth = parse_fraction(arg, take_value());
        } else if (arg == "--out") {
            opts.m_out = non_empty(arg, take_value(), "file name");
        } else if (arg == "--split-dir") {
            opts.m_split_dir = non_empty(arg, take_value(), "directory name");
        } else if (arg == "--bad-rate") {
            opts.m_bad_rate = parse_fraction(arg, take_value());
        } else {
            throw ArgError("unknown option '" + std::string(argv[i]) + "'");
        }
    }
    if (!opts.m_out.empty() && !opts.m_split_dir.empty()) {
        throw ArgError("--out and --split-dir are mutually exclusive");
    }
    return opts;
}

// ---------------------------------------------------------------------------
// Snap points
// ---------------------------------------------------------------------------

struct SnapPoint {
    std::int32_t m_lon_udeg = 0;
    std::int32_t m_lat_udeg = 0;
    std::uint32_t m_cell = 0;                         // index into LSOA cells
    std::uint32_t m_popularity10 = 10;                // multiplier, tenths
    PlaceClass m_class = PlaceClass::General;
    std::string m_location;                           // already CSV-escaped
};

struct LsoaCell {
    std::int64_t m_cx = 0;  // grid position, for spatially ordered numbering
    std::int64_t m_cy = 0;
    bool m_coarse = false;
    District m_district = District::Derby;
    std::string m_code;     // "E01013453"
    std::string m_name;     // "Derby 001A", already CSV-escaped
};

// Where area K's box lies relative to Derbyshire's, in microdegrees.
struct AreaOffset {
    std::int64_t m_lon = 0;
    std::int64_t m_lat = 0;
};

AreaOffset area_offset(int area) {
    const int cell = (area + k_area_home) % (k_max_area + 1);  // area 0 is Derbyshire's cell
    return {(cell % k_area_columns - k_area_home % k_area_columns) * k_area_step_lon,
            (cell / k_area_columns - k_area_home / k_area_columns) * k_area_step_lat};
}

// The area's box as a GeoJSON FeatureCollection of one polygon (WGS 84).
std::string area_geojson(int area) {
    const AreaOffset offset = area_offset(area);
    const std::int64_t x0 = k_bbox_lon_min + offset.m_lon;
    const std::int64_t x1 = k_bbox_lon_max + offset.m_lon;
    const std::int64_t y0 = k_bbox_lat_min + offset.m_lat;
    const std::int64_t y1 = k_bbox_lat_max + offset.m_lat;
    std::string out = "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"properties\":{\"area\":" +
                      std::to_string(area) + "},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[";
    const std::array<std::pair<std::int64_t, std::int64_t>, 5> ring = {
        {{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}};
    for (std::size_t i = 0; i < ring.size(); ++i) {
        out += i == 0 ? "[" : ",[";
        append_udeg(out, ring[i].first);
        out.push_back(',');
        append_udeg(out, ring[i].second);
        out.push_back(']');
    }
    out += "]]}}]}\n";
    return out;
}

// The snap-point set plus pre-rendered CSV fragments for the row writer.
class PointSet {
public:
    // `months` is the length of the month range; a `growth` share of the points first
    // appears after its start.
    PointSet(std::uint64_t seed, std::uint64_t count, int area, Fraction growth, int months)
        : m_area(area), m_offset(area_offset(area)) {
        Xoshiro256 rng(seed, k_stream_points);
        m_points.reserve(count);
        std::vector<std::uint32_t> town_weights;
        for (const auto& town : k_towns) {
            town_weights.push_back(town.m_weight);
        }
        const CumulativeTable town_table(town_weights);
        for (std::uint64_t i = 0; i < count; ++i) {
            m_points.push_back(make_point(rng, town_table));
        }
        assign_lsoas();
        assign_popularity(rng);
        render();
        assign_first_months(seed, growth, months);
    }

    // Month offset (0: the first month of the range) from which point i has incidents.
    int first_month(std::size_t i) const { return m_first.empty() ? 0 : m_first[i]; }

    std::size_t size() const { return m_points.size(); }
    PlaceClass place_class(std::size_t i) const { return m_points[i].m_class; }
    std::string_view lon(std::size_t i) const { return slice(m_lon_spans[i]); }
    std::string_view lat(std::size_t i) const { return slice(m_lat_spans[i]); }
    // "Location,LSOA code,LSOA name" (no trailing comma).
    std::string_view rest(std::size_t i) const { return slice(m_rest_spans[i]); }
    // "lon,lat,Location,LSOA code,LSOA name" (no trailing comma).
    std::string_view fragment(std::size_t i) const {
        return std::string_view(m_text).substr(m_lon_spans[i].first,
                                              m_rest_spans[i].first + m_rest_spans[i].second -
                                                  m_lon_spans[i].first);
    }
    const AliasTable& popularity() const { return *m_popularity; }

private:
    using Span = std::pair<std::size_t, std::size_t>;  // offset, length in m_text

    std::string_view slice(const Span& span) const {
        return std::string_view(m_text).substr(span.first, span.second);
    }

    static std::size_t nearest_town(std::int64_t lon, std::int64_t lat) {
        std::size_t best = 0;
        std::int64_t best_d2 = std::numeric_limits<std::int64_t>::max();
        for (std::size_t t = 0; t < k_towns.size(); ++t) {
            // Longitude differences shrunk by cos(53 deg) ~ 0.6 to compare in km.
            const std::int64_t dx = (lon - k_towns[t].m_lon_udeg) * 6 / 10;
            const std::int64_t dy = lat - k_towns[t].m_lat_udeg;
            const std::int64_t d2 = dx * dx + dy * dy;
            if (d2 < best_d2) {
                best_d2 = d2;
                best = t;
            }
        }
        return best;
    }

    std::string street_name(Xoshiro256& rng) const {
        std::string name(k_street_words[rng.below(k_street_words.size())]);
        name.push_back(' ');
        name += k_street_suffixes[pick_weighted(rng, k_street_suffixes, [](const Weighted& w) {
                                      return static_cast<std::uint64_t>(w.m_weight);
                                  })].m_name;
        if (rng.below(100) < 2) {  // "High Street West", "Church Street South"
            name.push_back(' ');
            name += k_directions[rng.below(k_directions.size())];
        }
        return name;
    }

    SnapPoint make_point(Xoshiro256& rng, const CumulativeTable& town_table) {
        SnapPoint point;
        std::int64_t lon = 0;
        std::int64_t lat = 0;
        std::size_t town = 0;
        bool central = false;
        const bool background = rng.below(1000) < k_background_per_mille;
        if (background) {
            lon = k_bbox_lon_min + static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(k_bbox_lon_max - k_bbox_lon_min + 1)));
            lat = k_bbox_lat_min + static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(k_bbox_lat_max - k_bbox_lat_min + 1)));
            town = nearest_town(lon, lat);
        } else {
            town = town_table.draw(rng);
            const Town& t = k_towns[town];
            for (;;) {  // redraw the rare points that fall outside the box
                const std::int64_t gx = rng.gaussian_2p21();
                const std::int64_t gy = rng.gaussian_2p21();
                lon = t.m_lon_udeg + gx * t.m_sigma_m * k_udeg_per_km_lon / 1000 / (std::int64_t{1} << 21);
                lat = t.m_lat_udeg + gy * t.m_sigma_m * k_udeg_per_km_lat / 1000 / (std::int64_t{1} << 21);
                if (lon >= k_bbox_lon_min && lon <= k_bbox_lon_max && lat >= k_bbox_lat_min &&
                    lat <= k_bbox_lat_max) {
                    // Within half a sigma of the centre: the busy town centre.
                    central = gx * gx + gy * gy < (std::int64_t{1} << 40);
                    break;
                }
            }
        }
        point.m_lon_udeg = static_cast<std::int32_t>(lon);
        point.m_lat_udeg = static_cast<std::int32_t>(lat);

        // Kind of place and its Location string.
        std::string location;
        std::uint32_t popularity10 = 10;
        if (background && rng.below(100) < 8) {
            location = k_roads[rng.below(k_roads.size())];
        } else {
            std::uint64_t r = rng.below(10000);
            std::size_t kind = k_street_kind;
            for (std::size_t k = 0; k < k_street_kind; ++k) {
                if (r < k_place_kinds[k].m_per_10000) {
                    kind = k;
                    break;
                }
                r -= k_place_kinds[k].m_per_10000;
            }
            const PlaceKind& pk = k_place_kinds[kind];
            location = kind == k_street_kind ? street_name(rng) : std::string(pk.m_name);
            popularity10 = pk.m_popularity10;
            point.m_class = pk.m_class;
        }
        point.m_location = csv_field("On or near " + location);
        if (central) {
            popularity10 *= 2;
        }
        if (background) {
            popularity10 = std::max<std::uint32_t>(1, popularity10 * 3 / 10);  // rural: quieter
        }
        point.m_popularity10 = popularity10;

        // LSOA grid cell: fine in towns, coarse in the countryside.
        const std::int64_t step_lon = background ? k_cell_lon_fine * k_coarse_factor : k_cell_lon_fine;
        const std::int64_t step_lat = background ? k_cell_lat_fine * k_coarse_factor : k_cell_lat_fine;
        const std::int64_t cx = (lon - k_bbox_lon_min) / step_lon;
        const std::int64_t cy = (lat - k_bbox_lat_min) / step_lat;
        const std::uint64_t key = (background ? (std::uint64_t{1} << 40) : 0) |
                                  (static_cast<std::uint64_t>(cx) << 20) | static_cast<std::uint64_t>(cy);
        const auto [it, inserted] = m_cell_index.try_emplace(key, static_cast<std::uint32_t>(m_cells.size()));
        if (inserted) {
            LsoaCell cell;
            cell.m_cx = cx * (background ? k_coarse_factor : 1);
            cell.m_cy = cy * (background ? k_coarse_factor : 1);
            cell.m_coarse = background;
            cell.m_district = k_towns[town].m_district;
            m_cells.push_back(std::move(cell));
        }
        point.m_cell = it->second;
        return point;
    }

    // Codes are contiguous per district (Derby in its own block, the others
    // alphabetically from E01019400, like the real ones); names number the
    // cells north to south, five LSOAs (A..E) per MSOA number.
    void assign_lsoas() {
        std::vector<std::uint32_t> order(m_cells.size());
        for (std::uint32_t i = 0; i < order.size(); ++i) {
            order[i] = i;
        }
        std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
            const LsoaCell& ca = m_cells[a];
            const LsoaCell& cb = m_cells[b];
            if (ca.m_district != cb.m_district) {
                return ca.m_district < cb.m_district;
            }
            if (ca.m_cy != cb.m_cy) {
                return ca.m_cy > cb.m_cy;  // north first
            }
            if (ca.m_cx != cb.m_cx) {
                return ca.m_cx < cb.m_cx;
            }
            return ca.m_coarse < cb.m_coarse;
        });
        const std::uint32_t block = static_cast<std::uint32_t>(m_area) * k_area_code_block;
        std::uint32_t shire_code = k_lsoa_code_shire_base + block;
        std::uint32_t derby_code = k_lsoa_code_derby_base + block;
        const std::string prefix = m_area == 0 ? std::string() : "Area " + std::to_string(m_area) + " ";
        std::size_t in_district = 0;
        District current = District::Count;
        for (const std::uint32_t index : order) {
            LsoaCell& cell = m_cells[index];
            if (cell.m_district != current) {
                current = cell.m_district;
                in_district = 0;
            }
            const std::uint32_t code = cell.m_district == District::Derby ? derby_code++ : shire_code++;
            std::array<char, 16> buf{};
            std::snprintf(buf.data(), buf.size(), "E01%06u", static_cast<unsigned>(code));
            cell.m_code = buf.data();
            const std::size_t msoa = in_district / 5 + 1;
            std::snprintf(buf.data(), buf.size(), " %03u%c", static_cast<unsigned>(msoa % 1000),
                          static_cast<char>('A' + in_district % 5));
            cell.m_name = csv_field(prefix + std::string(k_district_names[static_cast<std::size_t>(cell.m_district)]) +
                                    buf.data());
            ++in_district;
        }
    }

    // Zipf-like popularity: a random rank r gives weight ~ 1 / (r + c), with
    // c = n / 120 so the busiest 10% of points carry about half the incidents,
    // times the point's hotspot multiplier.
    void assign_popularity(Xoshiro256& rng) {
        const std::uint64_t n = m_points.size();
        std::vector<std::uint64_t> rank(n);
        for (std::uint64_t i = 0; i < n; ++i) {
            rank[i] = i;
        }
        for (std::uint64_t i = n; i > 1; --i) {  // Fisher-Yates
            std::swap(rank[i - 1], rank[rng.below(i)]);
        }
        const std::uint64_t offset = std::max<std::uint64_t>(1, n / 120);
        std::vector<std::uint64_t> weights(n);
        for (std::uint64_t i = 0; i < n; ++i) {
            weights[i] = std::max<std::uint64_t>(
                1, (std::uint64_t{1} << 30) * m_points[i].m_popularity10 / (rank[i] + offset));
        }
        m_popularity.emplace(weights);
    }

    void render() {
        for (const auto& point : m_points) {
            const std::size_t lon_start = m_text.size();
            append_udeg(m_text, point.m_lon_udeg + m_offset.m_lon);
            m_lon_spans.emplace_back(lon_start, m_text.size() - lon_start);
            m_text.push_back(',');
            const std::size_t lat_start = m_text.size();
            append_udeg(m_text, point.m_lat_udeg + m_offset.m_lat);
            m_lat_spans.emplace_back(lat_start, m_text.size() - lat_start);
            m_text.push_back(',');
            const std::size_t rest_start = m_text.size();
            const LsoaCell& cell = m_cells[point.m_cell];
            m_text += point.m_location;
            m_text.push_back(',');
            m_text += cell.m_code;
            m_text.push_back(',');
            m_text += cell.m_name;
            m_rest_spans.emplace_back(rest_start, m_text.size() - rest_start);
            m_text.push_back('\n');  // separator, never emitted
        }
    }

    // Points that appear during the range, on their own random stream so that --growth 0
    // leaves every other draw as it was. Point 0 is always there from the start, so every
    // month has a point to draw.
    void assign_first_months(std::uint64_t seed, Fraction growth, int months) {
        if (growth.m_numerator == 0 || months < 2) {
            return;
        }
        Xoshiro256 rng(seed, k_stream_growth);
        m_first.assign(m_points.size(), 0);
        for (std::size_t i = 1; i < m_points.size(); ++i) {
            if (rng.below(growth.m_denominator) < growth.m_numerator) {
                m_first[i] = static_cast<std::uint16_t>(1 + rng.below(static_cast<std::uint64_t>(months - 1)));
            }
        }
    }

    int m_area = 0;
    AreaOffset m_offset;
    std::vector<std::uint16_t> m_first;  // empty: every point from the first month
    std::vector<SnapPoint> m_points;
    std::vector<LsoaCell> m_cells;
    std::unordered_map<std::uint64_t, std::uint32_t> m_cell_index;  // lookup only
    std::optional<AliasTable> m_popularity;
    std::string m_text;
    std::vector<Span> m_lon_spans;
    std::vector<Span> m_lat_spans;
    std::vector<Span> m_rest_spans;
};

// ---------------------------------------------------------------------------
// Row generation
// ---------------------------------------------------------------------------

struct Summary {
    std::uint64_t m_rows = 0;
    std::uint64_t m_asb_rows = 0;
    std::uint64_t m_asb_valid = 0;
    std::uint64_t m_bytes = 0;
    std::array<std::uint64_t, static_cast<std::size_t>(BadKind::Count)> m_bad{};
};

// Rows per month: seasonal weights, exact total by largest remainder (ties
// to the earlier month).
std::vector<std::uint64_t> rows_per_month(std::uint64_t rows, int first, int last) {
    const std::size_t months = static_cast<std::size_t>(last - first + 1);
    std::vector<std::uint64_t> weights(months);
    std::uint64_t total_weight = 0;
    for (std::size_t m = 0; m < months; ++m) {
        weights[m] = k_month_weights[static_cast<std::size_t>(first + static_cast<int>(m)) % 12];
        total_weight += weights[m];
    }
    std::vector<std::uint64_t> counts(months);
    std::vector<std::pair<std::uint64_t, std::size_t>> remainders;
    std::uint64_t assigned = 0;
    for (std::size_t m = 0; m < months; ++m) {
        counts[m] = rows * weights[m] / total_weight;  // rows <= 4e9, weights < 100
        assigned += counts[m];
        remainders.emplace_back(rows * weights[m] % total_weight, m);
    }
    std::sort(remainders.begin(), remainders.end(), [](const auto& a, const auto& b) {
        return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    for (std::size_t k = 0; assigned < rows; ++k, ++assigned) {
        ++counts[remainders[k].second];
    }
    return counts;
}

// File-name slug of a force: "Derbyshire Constabulary" -> "derbyshire".
std::string force_slug(std::string_view force) {
    for (const std::string_view suffix : {std::string_view(" Constabulary"), std::string_view(" Police")}) {
        if (force.size() > suffix.size() && force.substr(force.size() - suffix.size()) == suffix) {
            force = force.substr(0, force.size() - suffix.size());
            break;
        }
    }
    std::string slug;
    for (const char c : force) {
        if (c >= 'A' && c <= 'Z') {
            slug.push_back(static_cast<char>(c - 'A' + 'a'));
        } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            slug.push_back(c);
        } else if (!slug.empty() && slug.back() != '-') {
            slug.push_back('-');
        }
    }
    while (!slug.empty() && slug.back() == '-') {
        slug.pop_back();
    }
    return slug.empty() ? std::string("force") : slug;
}

class RowGenerator {
public:
    RowGenerator(const Options& opts, const PointSet& points)
        : m_points(points),
          m_asb_rng(opts.m_seed, k_stream_asb),
          m_row_rng(opts.m_seed, k_stream_rows),
          m_bad_rng(opts.m_seed, k_stream_bad),
          m_force(csv_field(opts.m_force)),
          m_first_month(opts.m_first_month) {
        for (const auto& weights : k_type_weights) {
            m_type_tables.emplace_back(weights);
        }
        for (const auto& weights : k_outcome_weights) {
            m_outcome_tables.emplace_back(weights);
        }
        m_rows_left = opts.m_rows;
        m_asb_left = opts.m_asb_share.of(opts.m_rows);
        m_bad_left = opts.m_bad_rate.of(opts.m_rows);
    }

    // Writes `count` rows of month `month_index` to `out`.
    void write_month(OutputFile& out, int month_index, std::uint64_t count, Summary& summary) {
        const std::string month = month_string(month_index);
        // ",YYYY-MM,Force,Force," : everything between Crime ID and Longitude.
        const std::string middle = "," + month + "," + m_force + "," + m_force + ",";
        for (std::uint64_t r = 0; r < count; ++r) {
            // Selection sampling: exact totals, uniformly spread positions.
            const bool asb = m_asb_rng.below(m_rows_left) < m_asb_left;
            m_asb_left -= asb ? 1 : 0;
            bool bad = false;
            BadKind bad_kind = BadKind::Count;
            std::size_t bad_variant = 0;
            if (m_bad_left > 0) {
                bad = m_bad_rng.below(m_rows_left) < m_bad_left;
                if (bad) {
                    --m_bad_left;
                    bad_kind = static_cast<BadKind>(m_bad_rng.below(static_cast<std::uint64_t>(BadKind::Count)));
                    bad_variant = static_cast<std::size_t>(m_bad_rng.below(5));
                }
            }
            --m_rows_left;

            std::uint32_t point = m_points.popularity().draw(m_row_rng);
            while (m_points.first_month(point) > month_index - m_first_month) {
                point = m_points.popularity().draw(m_row_rng);  // not there yet: draw again
            }
            std::size_t type = 0;
            std::size_t outcome = 0;
            std::array<std::uint64_t, 4> id{};
            if (!asb) {
                type = m_type_tables[static_cast<std::size_t>(m_points.place_class(point))].draw(m_row_rng);
                outcome = m_outcome_tables[type].draw(m_row_rng);
                // Mixing in the month and word position keeps IDs distinct
                // between files made with the same seed for other months.
                for (std::size_t k = 0; k < id.size(); ++k) {
                    SplitMix64 mix(m_row_rng.next() ^ (static_cast<std::uint64_t>(month_index) << 8) ^ k);
                    id[k] = mix.next();
                }
            }

            if (!bad) {
                if (!asb) {
                    write_crime_id(out, id);
                }
                out.put(middle);
                out.put(m_points.fragment(point));
                out.put(',');
                if (asb) {
                    out.put(k_asb_type);
                    out.put(",,\n");
                } else {
                    out.put(k_crime_types[type]);
                    out.put(',');
                    out.put(k_outcomes[outcome]);
                    out.put(",\n");
                }
            } else {
                write_bad_row(out, month, asb, id, point, type, outcome, bad_kind, bad_variant);
                ++summary.m_bad[static_cast<std::size_t>(bad_kind)];
            }
            ++summary.m_rows;
            summary.m_asb_rows += asb ? 1 : 0;
            summary.m_asb_valid += (asb && !bad) ? 1 : 0;
        }
    }

private:
    static void write_crime_id(OutputFile& out, const std::array<std::uint64_t, 4>& id) {
        static constexpr char k_hex[] = "0123456789abcdef";
        char* p = out.reserve(64);
        for (const std::uint64_t word : id) {
            for (int shift = 60; shift >= 0; shift -= 4) {
                *p++ = k_hex[(word >> shift) & 0xF];
            }
        }
    }

    // Slow path for the (rare) malformed rows: rebuilt field by field.
    void write_bad_row(OutputFile& out, const std::string& month, bool asb, const std::array<std::uint64_t, 4>& id,
                       std::uint32_t point, std::size_t type, std::size_t outcome, BadKind kind,
                       std::size_t variant) {
        if (!asb) {
            write_crime_id(out, id);
        }
        out.put(',');
        out.put(kind == BadKind::Month ? k_bad_months[variant % k_bad_months.size()] : std::string_view(month));
        out.put(',');
        out.put(m_force);
        out.put(',');
        out.put(m_force);
        out.put(',');
        if (kind == BadKind::EmptyCoords) {
            // Like real police.uk rows without a location: no coordinates, no LSOA.
            out.put(",,No location,,");
        } else {
            out.put(kind == BadKind::Longitude ? k_bad_longitudes[variant % k_bad_longitudes.size()]
                                               : m_points.lon(point));
            out.put(',');
            out.put(m_points.lat(point));
            out.put(',');
            out.put(m_points.rest(point));
        }
        out.put(',');
        out.put(asb ? k_asb_type : k_crime_types[type]);
        out.put(',');
        out.put(asb ? std::string_view() : k_outcomes[outcome]);
        if (kind == BadKind::ColumnCount) {
            out.put(variant % 2 == 0 ? "\n" : ",,\n");  // 11 or 13 fields
        } else {
            out.put(",\n");
        }
    }

    const PointSet& m_points;
    Xoshiro256 m_asb_rng;
    Xoshiro256 m_row_rng;
    Xoshiro256 m_bad_rng;
    std::string m_force;
    int m_first_month = 0;
    std::vector<CumulativeTable> m_type_tables;
    std::vector<CumulativeTable> m_outcome_tables;
    std::uint64_t m_rows_left = 0;
    std::uint64_t m_asb_left = 0;
    std::uint64_t m_bad_left = 0;
};

void print_summary(const Options& opts, const Summary& summary, std::size_t points, double seconds) {
    std::uint64_t bad_total = 0;
    for (const auto count : summary.m_bad) {
        bad_total += count;
    }
    std::fprintf(stderr,
                 "%s: rows=%llu asb=%llu (valid %llu) months=%d (%s..%s) points=%llu bytes=%llu "
                 "seconds=%.2f bad=%llu",
                 std::string(k_program).c_str(), static_cast<unsigned long long>(summary.m_rows),
                 static_cast<unsigned long long>(summary.m_asb_rows),
                 static_cast<unsigned long long>(summary.m_asb_valid), opts.m_last_month - opts.m_first_month + 1,
                 month_string(opts.m_first_month).c_str(), month_string(opts.m_last_month).c_str(),
                 static_cast<unsigned long long>(points), static_cast<unsigned long long>(summary.m_bytes), seconds,
                 static_cast<unsigned long long>(bad_total));
    for (std::size_t k = 0; k < summary.m_bad.size(); ++k) {
        std::fprintf(stderr, " %s=%llu", std::string(k_bad_kind_names[k]).c_str(),
                     static_cast<unsigned long long>(summary.m_bad[k]));
    }
    std::fputc('\n', stderr);
}

int run(const Options& opts) {
    const auto start = std::chrono::steady_clock::now();
    const std::uint64_t point_count =
        opts.m_points ? *opts.m_points : std::clamp<std::uint64_t>(opts.m_rows / 8, 200, 20'000);

    const PointSet points(opts.m_seed, point_count, opts.m_area, opts.m_growth,
                          opts.m_last_month - opts.m_first_month + 1);
    RowGenerator generator(opts, points);
    const std::vector<std::uint64_t> counts = rows_per_month(opts.m_rows, opts.m_first_month, opts.m_last_month);
    Summary summary;

    const auto io_error = [](const std::string& what) {
        std::fprintf(stderr, "%s: error: %s\n", std::string(k_program).c_str(), what.c_str());
        return 1;
    };

    if (!opts.m_area_out.empty()) {
        OutputFile area;
        if (!area.open_path(opts.m_area_out)) {
            return io_error("cannot open '" + opts.m_area_out + "' for writing: " + std::strerror(errno));
        }
        area.put(area_geojson(opts.m_area));
        if (!area.close()) {
            return io_error("write to '" + opts.m_area_out + "' failed: " + std::strerror(errno));
        }
    }

    if (opts.m_split_dir.empty()) {
        OutputFile out;
        if (opts.m_out.empty()) {
            out.open_stdout();
        } else if (!out.open_path(opts.m_out)) {
            return io_error("cannot open '" + opts.m_out + "' for writing: " + std::strerror(errno));
        }
        out.put(k_header);
        for (std::size_t m = 0; m < counts.size() && !out.failed(); ++m) {
            generator.write_month(out, opts.m_first_month + static_cast<int>(m), counts[m], summary);
        }
        summary.m_bytes = out.bytes();
        if (!out.close()) {
            return io_error("write to '" + (opts.m_out.empty() ? std::string("<stdout>") : opts.m_out) +
                            "' failed: " + std::strerror(errno));
        }
    } else {
        const std::string slug = force_slug(opts.m_force);
        for (std::size_t m = 0; m < counts.size(); ++m) {
            const std::string month = month_string(opts.m_first_month + static_cast<int>(m));
            const std::filesystem::path dir = std::filesystem::path(opts.m_split_dir) / month;
            std::error_code ec;
            std::filesystem::create_directories(dir, ec);
            if (ec) {
                return io_error("cannot create directory '" + dir.string() + "': " + ec.message());
            }
            const std::string path = (dir / (month + "-" + slug + "-street.csv")).string();
            OutputFile out;
            if (!out.open_path(path)) {
                return io_error("cannot open '" + path + "' for writing: " + std::strerror(errno));
            }
            out.put(k_header);
            generator.write_month(out, opts.m_first_month + static_cast<int>(m), counts[m], summary);
            summary.m_bytes += out.bytes();
            if (!out.close()) {
                return io_error("write to '" + path + "' failed: " + std::strerror(errno));
            }
        }
    }

    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    print_summary(opts, summary, points.size(), elapsed.count());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Options opts;
    try {
        opts = parse_args(argc, argv);
    } catch (const ArgError& error) {
        std::fprintf(stderr, "%s: error: %s\nTry '%s --help' for usage.\n", std::string(k_program).c_str(),
                     error.message().c_str(), std::string(k_program).c_str());
        return 2;
    }
    if (opts.m_help) {
        print_usage(stdout);
        return std::fflush(stdout) == 0 ? 0 : 1;
    }
    try {
        return run(opts);
    } catch (const std::bad_alloc&) {
        std::fprintf(stderr, "%s: error: out of memory\n", std::string(k_program).c_str());
        return 1;
    }
}
