#!/usr/bin/python3
"""Writes tests/data/mcnemar_fixture.json: McNemar's test on discordant counts, computed with
scipy (exact two-sided binomial below 25 discordant pairs, else chi-squared with continuity
correction), for HeadBench's own implementation to be tested against.

Run with Debian's interpreter: /usr/bin/python3 tools/make_mcnemar_fixture.py
"""
import json
import os

from scipy.stats import binomtest, chi2

CASES = [  # (only first correct b, only second correct c, both correct, both wrong)
    (0, 0, 50, 5), (3, 0, 40, 2), (5, 9, 100, 10), (12, 12, 60, 6), (1, 23, 70, 3),
    (30, 12, 500, 40), (100, 140, 2000, 300), (25, 25, 10, 1), (40, 0, 20, 20), (7, 17, 33, 4),
]


def main():
    out = []
    for b, c, both, neither in CASES:
        n = b + c
        if n == 0:
            stat, p, exact = 0.0, 1.0, True
        elif n < 25:
            stat, p, exact = float(min(b, c)), binomtest(min(b, c), n, 0.5).pvalue, True
        else:
            stat = (abs(b - c) - 1) ** 2 / n
            p, exact = chi2.sf(stat, 1), False
        out.append({"b": b, "c": c, "both_correct": both, "both_wrong": neither,
                    "statistic": stat, "p_value": float(p), "exact": exact})
    path = os.path.join(os.path.dirname(__file__), "..", "tests", "data", "mcnemar_fixture.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
    print("wrote", os.path.normpath(path))


if __name__ == "__main__":
    main()
