#!/usr/bin/env python3
"""Synthetic Immediate Justice referrals in hotref's referral template (CSV).

Deterministic: the output depends only on the arguments (random.Random(seed),
and only its random() method, whose sequence Python guarantees across
versions). Standard library only. See tools/gen/REFERRALS.md.

    python3 tools/gen/gen_referrals.py --count 720 --year 2025 --seed 7 --out referrals.csv
    hotref referral import --store s.sqlite referrals.csv
"""

import argparse
import csv
import datetime as dt
import math
import random
import sys

PROG = "gen_referrals"

# The template's columns, in order (hotref referral template).
COLUMNS = [
    "reference", "created_at", "incident_refs", "incident_at", "offence", "asb_qualifier", "easting", "northing",
    "disposal", "age_band", "first_time_entrant", "provider", "person_id", "contacted_at", "assessed_at", "needs",
    "interpreter", "workshop_booked_at", "workshop_attended_at", "reparation_type", "hours_set", "hours_done",
    "outcome", "outcome_at", "escalation", "reoffence_date", "victim_consulted", "victim_satisfied",
    "consent_evaluation", "workshop_type", "aqa_unit", "aqa_date", "onward_referrals", "disclosure_made",
    "disclosure_agency", "learnt_about_impact", "would_reoffend", "survey_comment",
]

# Built-in ASB hotspot centres: Derbyshire town centres (easting, northing, weight), BNG metres.
TOWNS = [
    ("Derby", 435300, 336100, 35),
    ("Chesterfield", 438500, 371000, 14),
    ("Ilkeston", 446500, 341800, 8),
    ("Long Eaton", 449300, 333600, 6),
    ("Swadlincote", 429800, 319600, 5),
    ("Buxton", 405800, 373300, 4),
    ("Glossop", 403500, 393800, 4),
    ("Ripley", 440100, 350400, 4),
    ("Alfreton", 441300, 355900, 3),
    ("Belper", 434800, 347700, 3),
    ("Matlock", 429900, 360200, 3),
    ("Staveley", 443200, 374700, 3),
]
COUNTY_BOX = (400000, 455000, 315000, 400000)  # E min, E max, N min, N max

# Allowed values (src/referral/referral.cpp), with the weights used here.
OFFENCES_OTHER = [("public-order", 14), ("shop-theft", 12), ("criminal-damage", 10), ("harassment", 6),
                  ("drunk-and-disorderly", 5), ("cannabis-possession", 3)]
QUALIFIERS = [("nuisance", 60), ("personal", 25), ("environmental", 15)]
DISPOSALS_ASB = [("community-resolution", 45), ("asb-warning-letter", 20), ("abc", 20),
                 ("conditional-caution", 10), ("vco", 5)]
DISPOSALS_OTHER = [("community-resolution", 65), ("conditional-caution", 30), ("vco", 5)]
REPARATIONS = [("litter-picking", 35), ("food-bank", 15), ("allotment", 12), ("charity-shop", 12),
               ("village-hall", 8), ("bird-boxes", 8), ("other", 10)]
NEEDS = [("learning-difficulty", 25), ("adhd", 20), ("mental-health", 20), ("substance-misuse", 15),
         ("housing", 10), ("caring-responsibilities", 10)]
PROVIDER = "Derbyshire IJ Provider"
ESCALATION = "charge or summons (police decision)"  # the registry's default escalation route
# Relative reoffending weights by the referral's outcome (None: still open).
REOFFEND_WEIGHT = {"completed": 1.0, "refused": 2.0, "did-not-complete": 2.0, "withdrawn": 1.2, None: 1.0}

FMT = "%Y-%m-%dT%H:%M"

# The scheme's evaluation facts (issue 18; REFERRALS.md "Evaluation facts"). Workshops that fit
# each offence (src/referral/referral.cpp workshops_for), the offence's own workshop first.
WORKSHOPS = {
    "asb": [("asb-impact", 70), ("victim-awareness", 20), ("alcohol-awareness", 10)],
    "harassment": [("victim-awareness", 80), ("asb-impact", 20)],
    "public-order": [("asb-impact", 60), ("alcohol-awareness", 25), ("victim-awareness", 15)],
    "drunk-and-disorderly": [("alcohol-awareness", 85), ("asb-impact", 15)],
    "shop-theft": [("shop-theft", 80), ("victim-awareness", 20)],
    "cannabis-possession": [("drugs-awareness", 100)],
    "criminal-damage": [("criminal-damage", 75), ("victim-awareness", 15), ("asb-impact", 10)],
}
# The agency an assessed need leads to; other needs spread over these weights.
NEED_AGENCY = {"substance-misuse": "drugs-and-alcohol", "mental-health": "mental-health", "housing": "housing",
               "learning-difficulty": "education-and-training", "adhd": "mental-health",
               "caring-responsibilities": "family-support"}
AGENCIES_OTHER = [("education-and-training", 30), ("family-support", 20), ("drugs-and-alcohol", 15),
                  ("mental-health", 15), ("housing", 10), ("other", 10)]
AQA_UNITS = [("AQA Unit Award: the impact of anti-social behaviour", 50),
             ("AQA Unit Award: understanding victims", 30), ("AQA Unit Award: alcohol and risk", 20)]
COMMENTS = ["I did not think about who has to clean it up", "The workshop made me think about the victim",
            "Talking to the caseworker helped", "I would rather have done more hours outside"]
# Rates: none is published by the Derbyshire pilot; each is an assumption (REFERRALS.md).
RATE_AQA = 0.30          # AQA unit gained / workshop attended
RATE_ONWARD = 0.22       # an onward referral / assessed (needs other than none make it likely)
RATE_DISCLOSURE = 0.50   # onward referrals that followed a disclosure
RATE_SURVEY = 0.80       # survey answered / consented and attended
RATE_LEARNT = 0.90       # learnt about the impact / answered


class Rng:
    """Draws built on random.Random(seed).random() alone, so the stream is stable across Python versions."""

    def __init__(self, seed):
        self.r = random.Random(seed)

    def u(self):
        return self.r.random()

    def below(self, n):  # 0 <= k < n
        return min(int(self.u() * n), n - 1)

    def between(self, a, b):  # a <= k <= b
        return a + self.below(b - a + 1)

    def chance(self, p):
        return self.u() < p

    def weighted(self, items):  # [(value, weight)]
        total = sum(w for _, w in items)
        x = self.u() * total
        for v, w in items:
            x -= w
            if x < 0:
                return v
        return items[-1][0]

    def gauss(self, sigma):  # Box-Muller
        u1 = 1.0 - self.u()
        return sigma * math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * self.u())

    def shuffle(self, xs):
        for i in range(len(xs) - 1, 0, -1):
            j = self.below(i + 1)
            xs[i], xs[j] = xs[j], xs[i]

    def quota(self, n, share):
        """n booleans, exactly round(n*share) of them True, in random order."""
        k = min(n, int(round(n * share)))
        xs = [True] * k + [False] * (n - k)
        self.shuffle(xs)
        return xs


def fraction(text):
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("'%s' is not a number" % text)
    if not 0.0 <= v <= 1.0 or math.isnan(v):
        raise argparse.ArgumentTypeError("'%s' is not a fraction between 0 and 1" % text)
    return v


def positive_int(text):
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("'%s' is not a whole number" % text)
    if v < 1:
        raise argparse.ArgumentTypeError("'%s' must be at least 1" % text)
    return v


def date_arg(text):
    try:
        return dt.datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise argparse.ArgumentTypeError("'%s' is not a date YYYY-MM-DD" % text)


def read_hotspots(path):
    """CSV with columns easting,northing,weight (header required; other columns ignored)."""
    out = []
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            names = [h.strip().lower() for h in (reader.fieldnames or [])]
            if not {"easting", "northing", "weight"} <= set(names):
                raise SystemExit("%s: %s: needs the columns easting,northing,weight (found: %s)"
                                 % (PROG, path, ",".join(names) or "nothing"))
            reader.fieldnames = names
            for row in reader:
                line = reader.line_num
                try:
                    e, n, w = float(row["easting"]), float(row["northing"]), float(row["weight"])
                except (TypeError, ValueError):
                    raise SystemExit("%s: %s: line %d: easting, northing and weight must be numbers"
                                     % (PROG, path, line))
                if not (0 <= e <= 700000 and 0 <= n <= 1300000):
                    raise SystemExit("%s: %s: line %d: not a British National Grid position (metres)"
                                     % (PROG, path, line))
                if not w > 0 or math.isinf(w):
                    raise SystemExit("%s: %s: line %d: weight must be positive" % (PROG, path, line))
                out.append(("hotspot %d" % (len(out) + 1), e, n, w))
    except OSError as err:
        raise SystemExit("%s: %s: %s" % (PROG, path, err.strerror))
    if not out:
        raise SystemExit("%s: %s: no hotspots" % (PROG, path))
    return out


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="gen_referrals.py",
        description="Write synthetic Immediate Justice referrals (hotref's referral template, CSV). "
                    "Defaults: Derbyshire's pilot figures (720 referrals, 78%% completion, 79%% not "
                    "reoffending, 100%% victim satisfaction). Deterministic for a given seed.")
    a = p.add_argument
    a("--count", type=positive_int, default=720, help="referrals (default 720)")
    a("--year", type=int, default=2025, help="year the referrals are created in (default 2025)")
    a("--seed", type=int, default=7, help="random seed (default 7)")
    a("--out", default="-", help="output file (default stdout)")
    a("--as-of", type=date_arg, default=None, metavar="YYYY-MM-DD",
      help="the data's date (default the year's last day): nothing happens after it; referrals not "
           "closed by then stay open; no referral is created after it")
    a("--completion", type=fraction, default=0.78, help="completed / closed (default 0.78)")
    a("--refused", type=fraction, default=0.08, help="refused / closed (default 0.08)")
    a("--withdrawn", type=fraction, default=0.05,
      help="withdrawn / closed (default 0.05); the rest of the closed did not complete")
    a("--late-contact", type=fraction, default=0.15,
      help="share contacted late, 3-7 days after the referral; the rest within 48 h (default 0.15)")
    a("--no-reoffence", type=fraction, default=0.79,
      help="share with no reoffence; the others get a reoffence_date 1-11 months after the referral "
           "(default 0.79)")
    a("--victim-consulted", type=fraction, default=0.70, help="share with the victim consulted (default 0.70)")
    a("--victim-satisfied", type=fraction, default=1.0, help="satisfied / consulted (default 1.0)")
    a("--first-time", type=fraction, default=0.60, help="share of first-time entrants (default 0.60)")
    a("--youth", type=fraction, default=0.45, help="share aged 10-17 (default 0.45)")
    a("--asb", type=fraction, default=0.50,
      help="share of asb offences; the rest are public-order, shop-theft, criminal-damage, harassment, "
           "drunk-and-disorderly, cannabis-possession (default 0.50)")
    a("--repeat", type=fraction, default=0.05,
      help="share of referrals that are a person's second (after completing a first) (default 0.05)")
    a("--hotspots", metavar="FILE",
      help="CSV of hotspot centres: easting,northing,weight (BNG metres); default: 12 Derbyshire towns")
    a("--spread", type=float, default=300.0, help="Gaussian spread around a hotspot centre, metres (default 300)")
    a("--background", type=fraction, default=0.10,
      help="share spread uniformly over the county box E 400000-455000, N 315000-400000 (default 0.10)")
    args = p.parse_args(argv)
    if not 1900 <= args.year <= 9998:
        p.error("--year must be between 1900 and 9998")
    if args.count > 500000:
        p.error("--count is at most 500000 (person and incident numbers have 6 digits)")
    if args.completion + args.refused + args.withdrawn > 1.0 + 1e-9:
        p.error("--completion + --refused + --withdrawn is more than 1")
    if not args.spread >= 0 or math.isinf(args.spread):
        p.error("--spread must be a non-negative number of metres")
    year_start = dt.date(args.year, 1, 1)
    if args.as_of is None:
        args.as_of = dt.date(args.year, 12, 31)
    if args.as_of < year_start:
        p.error("--as-of %s is before the year %d" % (args.as_of, args.year))
    return args


def at(day, hour, minute):
    return dt.datetime(day.year, day.month, day.day, hour, minute)


def evaluation_facts(rng, offence, youth, m, needs, consent, as_of):
    """The workshop type, AQA unit, onward referrals, disclosure and survey of one referral.

    Drawn from their own random stream, so the other columns are the same as without them."""
    out = {c: "" for c in COLUMNS[COLUMNS.index("workshop_type"):]}
    if "workshop_booked_at" in m:
        out["workshop_type"] = rng.weighted(WORKSHOPS[offence])
    attended = m.get("workshop_attended_at")
    if attended and rng.chance(RATE_AQA):
        day = attended.date() + dt.timedelta(days=rng.between(0, 14))
        if day <= as_of:
            out["aqa_unit"], out["aqa_date"] = rng.weighted(AQA_UNITS), day.isoformat()
    assessed = m.get("assessed_at")
    likely = RATE_ONWARD * (2.5 if needs != "none" else 0.6)
    if assessed and rng.chance(likely):
        agencies = [NEED_AGENCY[needs]] if needs in NEED_AGENCY else [rng.weighted(AGENCIES_OTHER)]
        if youth and rng.chance(0.3):
            agencies.append("youth-justice")
        if rng.chance(0.15):
            extra = rng.weighted(AGENCIES_OTHER)
            if extra not in agencies:
                agencies.append(extra)
        items = []
        for agency in agencies:
            day = assessed.date() + dt.timedelta(days=rng.between(0, 14))
            if day > as_of:
                continue
            taken = "unknown" if (as_of - day).days < 14 else rng.weighted([("yes", 60), ("no", 25), ("unknown", 15)])
            items.append("%s:%s:%s" % (agency, day.isoformat(), taken))
        if items:
            out["onward_referrals"] = ";".join(items)
            if rng.chance(RATE_DISCLOSURE):
                out["disclosure_made"], out["disclosure_agency"] = "yes", items[0].split(":")[0]
    if attended and consent == "yes" and rng.chance(RATE_SURVEY):
        out["learnt_about_impact"] = "yes" if rng.chance(RATE_LEARNT) else "no"
        out["would_reoffend"] = rng.weighted([("no", 80), ("unsure", 15), ("yes", 5)])
        if rng.chance(0.3):
            out["survey_comment"] = COMMENTS[rng.below(len(COMMENTS))]
    return out


def main(argv):
    args = parse_args(argv)
    rng = Rng(args.seed)
    facts_rng = Rng(args.seed * 1000003 + 18)  # the evaluation facts' own stream (issue 18)
    n = args.count
    year = args.year
    as_of_end = at(args.as_of, 23, 59)
    first_day = dt.date(year, 1, 1)
    last_day = min(dt.date(year, 12, 31), args.as_of)
    hotspots = read_hotspots(args.hotspots) if args.hotspots else [(t[0], t[1], t[2], t[3]) for t in TOWNS]
    hotspot_items = [(i, h[3]) for i, h in enumerate(hotspots)]

    def later(prev, dmin, dmax, hours=(9, 18), slots=None):
        """A working-hours time dmin..dmax days after prev, never before it."""
        day = prev.date() + dt.timedelta(days=rng.between(dmin, dmax))
        if slots:
            h, m = slots[rng.below(len(slots))]
        else:
            h, m = rng.between(hours[0], hours[1] - 1), 5 * rng.below(12)
        t = at(day, h, m)
        if t <= prev:
            t = prev + dt.timedelta(minutes=15 + 5 * rng.below(24))
        return t

    # 1. Creation times: every day of the year up to --as-of, a little busier in summer and at weekends.
    days = []
    d = first_day
    while d <= last_day:
        season = 1.0 + 0.2 * math.cos(2.0 * math.pi * (d.timetuple().tm_yday - 196) / 365.0)
        week = (1.0, 1.0, 1.0, 1.0, 1.15, 1.2, 0.9)[d.weekday()]
        days.append((d, season * week))
        d += dt.timedelta(days=1)
    hour_weights = [(h, w) for h, w in enumerate(
        [2, 1, 1, 1, 1, 1, 2, 3, 5, 6, 7, 8, 8, 8, 9, 10, 11, 11, 11, 10, 9, 7, 5, 3])]
    recs = []
    for _ in range(n):
        day = rng.weighted(days)
        created = at(day, rng.between(7, 22), rng.below(60))
        # The incident: usually within a day, sometimes a few days earlier (never before the year).
        band = rng.weighted([(0, 70), (1, 25), (2, 5)])
        lag_h = (rng.between(1, 24), rng.between(24, 72), rng.between(72, 240))[band]
        inc_day = (created - dt.timedelta(hours=lag_h)).date()
        incident = at(inc_day, rng.weighted(hour_weights), rng.below(60))
        if incident > created - dt.timedelta(minutes=30):
            incident = created - dt.timedelta(minutes=30 + rng.below(90))
        if incident < at(first_day, 0, 0):
            incident = at(first_day, 0, 0) + dt.timedelta(minutes=rng.below(
                max(1, int((created - at(first_day, 0, 0)).total_seconds() // 60))))
        recs.append({"created": created, "incident": incident})
    recs.sort(key=lambda r: (r["created"], r["incident"]))

    # 2. Lifecycle, in created order. Among closed referrals the outcomes are held at their target
    #    shares: each outcome is drawn with weight = its shortfall against the target so far.
    targets = [("completed", args.completion), ("refused", args.refused), ("withdrawn", args.withdrawn),
               ("did-not-complete", max(0.0, 1.0 - args.completion - args.refused - args.withdrawn))]
    closed_by = {k: 0 for k, _ in targets}
    closed_total = 0
    late_contact = rng.quota(n, args.late_contact)
    for i, r in enumerate(recs):
        weights = [(k, max(0.0, t * (closed_total + 1) - closed_by[k]) + 1e-3 * t) for k, t in targets if t > 0]
        plan = rng.weighted(weights)
        created = r["created"]
        m = {}  # milestone -> datetime, possibly beyond --as-of
        r["hours_set"] = rng.between(5, 20)
        r["reparation_type"] = rng.weighted(REPARATIONS)
        r["needs"] = rng.weighted(NEEDS) if rng.chance(0.25) else "none"
        r["interpreter"] = "yes" if rng.chance(0.02) else "no"
        r["consent"] = "yes" if rng.chance(0.85) else "no"
        partial = rng.below(r["hours_set"])
        # Contact: within 48 hours (a working-hours time on the day or the next two), or 3-7 days later.
        if late_contact[i]:
            contact = later(created, 3, 7, hours=(8, 20))
        else:
            contact = None
            for _ in range(20):
                c = later(created, 0, 2, hours=(8, 20))
                if c - created <= dt.timedelta(hours=48):
                    contact = c
                    break
            if contact is None:
                contact = created + dt.timedelta(minutes=30 + 5 * rng.below(120))
        stage = None
        if plan == "withdrawn":
            stage = rng.weighted([("referred", 25), ("contacted", 35), ("assessed", 25), ("workshop-booked", 15)])
        elif plan == "refused":
            stage = rng.weighted([("contacted", 65), ("assessed", 35)])
        elif plan == "did-not-complete":
            stage = rng.weighted([("workshop-booked", 45), ("workshop-attended", 55)])
        else:
            stage = "workshop-attended"
        order = ["referred", "contacted", "assessed", "workshop-booked", "workshop-attended"]
        reach = order.index(stage)
        if reach >= 1:
            m["contacted_at"] = contact
        if reach >= 2:
            m["assessed_at"] = later(m["contacted_at"], 1, 7)
        if reach >= 3:
            m["workshop_booked_at"] = later(m["assessed_at"], 0, 5)
        if reach >= 4:
            m["workshop_attended_at"] = later(m["workshop_booked_at"], 3, 21,
                                              slots=[(10, 0), (14, 0), (18, 0)])
        last = max([created] + list(m.values()))
        if plan == "completed":
            outcome_at = later(last, 7, 35)
        elif plan == "refused":
            outcome_at = later(last, 0, 3)
        elif plan == "withdrawn":
            outcome_at = later(last, 1, 14)
        elif stage == "workshop-booked":  # booked, did not attend
            outcome_at = later(last, 7, 28)
        else:  # attended, did not finish the reparation
            outcome_at = later(last, 28, 56)
        # Cut at --as-of: nothing after it.
        kept = {k: v for k, v in m.items() if v <= as_of_end}
        closed = outcome_at <= as_of_end
        r["m"] = kept
        r["plan"] = plan
        r["outcome"] = plan if closed else ""
        r["outcome_at"] = outcome_at if closed else None
        if "workshop_attended_at" in kept:
            r["hours_done"] = r["hours_set"] if (closed and plan == "completed") else partial
        else:
            r["hours_done"] = None
        if closed:
            closed_by[plan] += 1
            closed_total += 1

    # 3. Repeat offenders: a person's second referral follows an incident 1-11 months after their
    #    first referral, which they completed before it. Never after a refusal (every other person
    #    has one referral).
    want_reoff = int(round(n * (1.0 - args.no_reoffence)))
    asked_repeats = min(n // 2, int(round(n * args.repeat)))
    want_repeats = min(asked_repeats, want_reoff)  # a first referral of a repeat offender has a reoffence
    used = [False] * n
    second_of = {}  # second index -> first index
    order = list(range(n))
    rng.shuffle(order)
    for j in order:
        if len(second_of) >= want_repeats:
            break
        if used[j]:
            continue
        inc_j = recs[j]["incident"]
        cands = []
        for i in range(j):
            ri = recs[i]
            if used[i] or ri["outcome"] != "completed" or ri["outcome_at"] >= inc_j:
                continue
            gap = (inc_j.date() - ri["created"].date()).days
            if 30 <= gap <= 335:
                cands.append(i)
        if cands:
            i = cands[rng.below(len(cands))]
            used[i] = used[j] = True
            second_of[j] = i
    for j, i in second_of.items():
        recs[i]["reoffence"] = recs[j]["incident"].date()

    # 4. Reoffences: exactly round(count * (1 - --no-reoffence)) referrals in all (the repeat
    #    offenders' first referrals included), 1-11 months after the referral and not after --as-of.
    have = len(second_of)
    pool = []
    for idx, r in enumerate(recs):
        if "reoffence" in r:
            continue
        room = (args.as_of - r["created"].date()).days
        if room >= 30:
            w = REOFFEND_WEIGHT[r["outcome"] or None]
            pool.append((rng.u() ** (1.0 / w), idx, min(room, 335)))
    pool.sort(key=lambda t: (-t[0], t[1]))
    for _, idx, room in pool[:max(0, want_reoff - have)]:
        recs[idx]["reoffence"] = recs[idx]["created"].date() + dt.timedelta(days=rng.between(30, room))
    short_reoff = max(0, want_reoff - have - len(pool))

    # 5. People, places and the rest, in created order.
    singles = [idx for idx in range(n) if idx not in second_of]
    youth_q = dict(zip(singles, rng.quota(len(singles), args.youth)))
    fte_q = dict(zip(singles, rng.quota(len(singles), min(1.0, args.first_time * n / max(1, len(singles))))))
    asb_q = rng.quota(n, args.asb)
    consulted_q = rng.quota(n, args.victim_consulted)
    satisfied_q = rng.quota(sum(consulted_q), args.victim_satisfied)
    n_people = len(singles)
    ids = []
    seen = set()
    while len(ids) < n_people:
        k = rng.between(1, 999999)
        if k not in seen:
            seen.add(k)
            ids.append(k)
    picked = set()
    while len(picked) < n:
        picked.add(rng.between(1, 999999))
    inc_numbers = sorted(picked)
    by_incident = sorted(range(n), key=lambda idx: (recs[idx]["incident"], idx))
    inc_ref = {idx: inc_numbers[k] for k, idx in enumerate(by_incident)}

    width = max(4, len(str(n)))
    out = open(args.out, "w", newline="", encoding="utf-8") if args.out != "-" else sys.stdout
    w = csv.writer(out, lineterminator="\n")
    w.writerow(COLUMNS)
    next_person = 0
    sat_k = 0
    counts = {}
    facts = {}
    contacted = late = 0
    for idx, r in enumerate(recs):
        if idx in second_of:
            first = recs[second_of[idx]]
            person, youth, fte, place = first["person"], first["youth"], False, first["place"]
        else:
            person, youth, fte = "PNC-%06d" % ids[next_person], youth_q[idx], fte_q[idx]
            next_person += 1
            place = None if rng.chance(args.background) else rng.weighted(hotspot_items)
        r["person"], r["youth"], r["place"] = person, youth, place
        if place is None:
            e = COUNTY_BOX[0] + rng.u() * (COUNTY_BOX[1] - COUNTY_BOX[0])
            nn = COUNTY_BOX[2] + rng.u() * (COUNTY_BOX[3] - COUNTY_BOX[2])
        else:
            e = hotspots[place][1] + rng.gauss(args.spread)
            nn = hotspots[place][2] + rng.gauss(args.spread)
        e = min(700000, max(0, int(round(e))))
        nn = min(1300000, max(0, int(round(nn))))
        if asb_q[idx]:
            offence, qualifier = "asb", rng.weighted(QUALIFIERS)
            disposal = rng.weighted(DISPOSALS_ASB)
            if disposal == "abc" and not youth and rng.chance(0.5):
                disposal = "community-resolution"
        else:
            offence, qualifier = rng.weighted(OFFENCES_OTHER), ""
            disposal = rng.weighted(DISPOSALS_OTHER)
        m = r["m"]
        assessed = "assessed_at" in m
        consulted = consulted_q[idx]
        satisfied = ""
        if consulted:
            satisfied = "yes" if satisfied_q[sat_k] else "no"
            sat_k += 1
        fmt = lambda k: m[k].strftime(FMT) if k in m else ""
        closed = bool(r["outcome"])
        row = {
            "reference": "IJ-%d-%0*d" % (year, width, idx + 1),
            "created_at": r["created"].strftime(FMT),
            "incident_refs": "DC-%d-%06d" % (r["incident"].year, inc_ref[idx]),
            "incident_at": r["incident"].strftime(FMT),
            "offence": offence,
            "asb_qualifier": qualifier,
            "easting": str(e),
            "northing": str(nn),
            "disposal": disposal,
            "age_band": "10-17" if youth else "adult",
            "first_time_entrant": "yes" if fte else "no",
            "provider": PROVIDER,
            "person_id": person,
            "contacted_at": fmt("contacted_at"),
            "assessed_at": fmt("assessed_at"),
            "needs": r["needs"] if assessed else "",
            "interpreter": r["interpreter"] if assessed else "",
            "workshop_booked_at": fmt("workshop_booked_at"),
            "workshop_attended_at": fmt("workshop_attended_at"),
            "reparation_type": r["reparation_type"] if assessed else "",
            "hours_set": str(r["hours_set"]) if assessed else "",
            "hours_done": "" if r["hours_done"] is None else str(r["hours_done"]),
            "outcome": r["outcome"],
            "outcome_at": r["outcome_at"].strftime(FMT) if closed else "",
            "escalation": ESCALATION if r["outcome"] in ("refused", "did-not-complete") else "",
            "reoffence_date": r["reoffence"].isoformat() if "reoffence" in r else "",
            "victim_consulted": "yes" if consulted else "no",
            "victim_satisfied": satisfied,
            "consent_evaluation": r["consent"] if "contacted_at" in m else "",
        }
        row.update(evaluation_facts(facts_rng, offence, youth, m, r["needs"] if assessed else "none",
                                    row["consent_evaluation"], args.as_of))
        for c in ("workshop_type", "aqa_unit", "onward_referrals", "disclosure_made", "learnt_about_impact"):
            if row[c]:
                facts[c] = facts.get(c, 0) + 1
        w.writerow([row[c] for c in COLUMNS])
        if closed:
            state = r["outcome"]
        elif "workshop_attended_at" in m:
            state = "reparation"
        elif "workshop_booked_at" in m:
            state = "workshop-booked"
        elif assessed:
            state = "assessed"
        elif "contacted_at" in m:
            state = "contacted"
        else:
            state = "referred"
        counts[state] = counts.get(state, 0) + 1
        if "contacted_at" in m:
            contacted += 1
            if m["contacted_at"] - r["created"] > dt.timedelta(hours=48):
                late += 1
    if out is not sys.stdout:
        out.close()
    else:
        out.flush()

    closed_n = sum(counts.get(k, 0) for k in ("completed", "refused", "did-not-complete", "withdrawn"))
    states = ["completed", "refused", "did-not-complete", "withdrawn", "referred", "contacted", "assessed",
              "workshop-booked", "reparation"]
    reoff = sum(1 for r in recs if "reoffence" in r)
    summary = "%s: referrals=%d persons=%d repeats=%d %s closed=%d completion=%.3f late_contacts=%d/%d " \
              "reoffences=%d (%.1f%%) victim_consulted=%d seed=%d as_of=%s" % (
                  PROG, n, n_people, len(second_of),
                  " ".join("%s=%d" % (s, counts.get(s, 0)) for s in states),
                  closed_n, counts.get("completed", 0) / closed_n if closed_n else 0.0,
                  late, contacted, reoff, 100.0 * reoff / n, sum(consulted_q), args.seed, args.as_of)
    print(summary, file=sys.stderr)
    print("%s: workshop_type=%d aqa=%d onward=%d disclosures=%d surveys=%d (synthetic; rates are assumptions)" % (
        PROG, facts.get("workshop_type", 0), facts.get("aqa_unit", 0), facts.get("onward_referrals", 0),
        facts.get("disclosure_made", 0), facts.get("learnt_about_impact", 0)), file=sys.stderr)
    if len(second_of) < asked_repeats:
        why = "capped by the reoffences (--no-reoffence)" if want_repeats < asked_repeats else \
            "too few completed first referrals 1-11 months earlier"
        print("%s: warning: %d repeat referrals, not %d: %s" % (PROG, len(second_of), asked_repeats, why),
              file=sys.stderr)
    if short_reoff:
        print("%s: warning: %d reoffences short: too few referrals a month before --as-of" % (PROG, short_reoff),
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except BrokenPipeError:
        sys.exit(1)
