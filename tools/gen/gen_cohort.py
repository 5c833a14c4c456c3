#!/usr/bin/env python3
"""SYNTHETIC comparison cohort in hotref's cohort template (CSV): people dealt with by a
charge or summons, a caution without Immediate Justice, or no further action.

Every value is made up. The reoffending rates by route are illustrative defaults chosen to
look like a scheme's comparison, NOT figures from any publication; change them with
--rate ROUTE=P. Whatever this file feeds must say SYNTHETIC (the demo's cost config and its
printed headings do). Deterministic: the output depends only on the arguments
(random.Random(seed).random() alone). Standard library only.

    python3 tools/gen/gen_cohort.py --per-route 400 --seed 11 --as-of 2026-12-31 --out cohort.csv
    hotref referral cohort-import --store s.sqlite cohort.csv
"""

import argparse
import csv
import datetime as dt
import random
import sys

COLUMNS = ["route", "person_id", "offence", "disposal_date", "age_band", "first_time_entrant", "reoffence_date"]
ROUTES = ["charge-summons", "caution", "nfa"]
# Offence mix (the referral generator's, tools/gen/gen_referrals.py, with asb at 40 %).
OFFENCES = [("asb", 40), ("public-order", 14), ("shop-theft", 12), ("criminal-damage", 10), ("harassment", 6),
            ("drunk-and-disorderly", 5), ("cannabis-possession", 3)]
# Illustrative (SYNTHETIC) shares: reoffending within 12 months, first-time entrants, aged 10-17.
RATES = {"charge-summons": 0.32, "caution": 0.26, "nfa": 0.24}
FTE = {"charge-summons": 0.35, "caution": 0.60, "nfa": 0.55}
YOUTH = {"charge-summons": 0.20, "caution": 0.30, "nfa": 0.30}
LATE_REOFFENCE = 0.05  # a reoffence 12-18 months after the disposal (outside a 12-month follow-up)


class Rng:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def u(self):
        return self.r.random()

    def below(self, n):
        return min(int(self.u() * n), n - 1)

    def between(self, a, b):
        return a + self.below(b - a + 1)

    def chance(self, p):
        return self.u() < p

    def weighted(self, items):
        total = sum(w for _, w in items)
        x = self.u() * total
        for v, w in items:
            x -= w
            if x < 0:
                return v
        return items[-1][0]


def parse_args(argv):
    p = argparse.ArgumentParser(prog="gen_cohort", description=__doc__.split("\n\n")[0])
    p.add_argument("--per-route", type=int, default=400, help="rows per route (default 400)")
    p.add_argument("--year", type=int, default=2025, help="year of the disposals (default 2025)")
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--as-of", default="2026-12-31", help="data end: no reoffence after it (YYYY-MM-DD)")
    p.add_argument("--rate", action="append", default=[], metavar="ROUTE=P",
                   help="reoffending within 12 months of a route (illustrative defaults: %s)" %
                        ", ".join("%s=%.2f" % kv for kv in RATES.items()))
    p.add_argument("--out", default="-", help="output CSV (default stdout)")
    a = p.parse_args(argv)
    if not 1 <= a.per_route <= 100000:
        p.error("--per-route must be 1 to 100000")
    try:
        a.as_of_date = dt.date.fromisoformat(a.as_of)
    except ValueError:
        p.error("--as-of must be YYYY-MM-DD")
    a.rates = dict(RATES)
    for kv in a.rate:
        route, _, value = kv.partition("=")
        if route not in RATES:
            p.error("--rate %s: the route must be one of %s" % (kv, ", ".join(ROUTES)))
        try:
            a.rates[route] = float(value)
        except ValueError:
            p.error("--rate %s: %r is not a number" % (kv, value))
        if not 0 <= a.rates[route] <= 1:
            p.error("--rate %s: a share is from 0 to 1" % kv)
    return a


def rows(a):
    rng = Rng(a.seed)
    start = dt.date(a.year, 1, 1)
    days = (dt.date(a.year, 12, 31) - start).days + 1
    n = 0
    for route in ROUTES:
        for _ in range(a.per_route):
            n += 1
            disposal = start + dt.timedelta(days=rng.below(days))
            reoffence = None
            if rng.chance(a.rates[route]):
                reoffence = disposal + dt.timedelta(days=rng.between(7, 365))
            elif rng.chance(LATE_REOFFENCE):
                reoffence = disposal + dt.timedelta(days=rng.between(366, 548))
            if reoffence is not None and reoffence > a.as_of_date:
                reoffence = None  # not known yet at the data end
            yield [route, "SYN-COHORT-%06d" % n, rng.weighted(OFFENCES), disposal.isoformat(),
                   "10-17" if rng.chance(YOUTH[route]) else "adult", "yes" if rng.chance(FTE[route]) else "no",
                   reoffence.isoformat() if reoffence else ""]


def main(argv):
    a = parse_args(argv)
    out = sys.stdout if a.out == "-" else open(a.out, "w", newline="", encoding="utf-8")
    w = csv.writer(out, lineterminator="\n")
    w.writerow(COLUMNS)
    count = 0
    for r in rows(a):
        w.writerow(r)
        count += 1
    if out is not sys.stdout:
        out.close()
    print("gen_cohort: SYNTHETIC comparison cohort, %d rows (%d per route), seed %d, data to %s" %
          (count, a.per_route, a.seed, a.as_of), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
