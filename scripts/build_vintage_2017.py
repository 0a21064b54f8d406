#!/usr/bin/env python3
"""Build scenarios/data/observed/vintage-2017.csv (iso3, population, gdp_musd): the world of 2017 for `world.vintage`.

Source: vincentarelbundock/Rdatasets, commit 1dcc2bf5f955cc1224a3e1307256e1fe86b68dae,
file csv/tsibbledata/global_economy.csv (tsibbledata R package; World Bank WDI,
GDP in current US$ and total population, WDI vintage of February 2019).

Runs offline with the standard library only, reading the source files from the git
mirror made by the search tool's fetch (no work tree: files are read with `git show`).

    python3 build_2017.py [--repo /work/.mirror/vincentarelbundock+Rdatasets/repo]
                          [--countries scenarios/data/countries.csv]
                          [--out scenarios/data/observed/vintage-2017.csv]

Transformation (nothing else):
  * keep rows with Year == 2017 whose Code is one of countries.csv's iso3;
  * population    = Population (persons), written as an integer;
  * gdp_musd      = GDP / 1e6 (current US$ -> million current US$), rounded to the
                    nearest million, as gdp_2019_musd is in countries.csv;
  * a value that is empty in the source stays empty. No interpolation, no other source.
It also prints a cross-check of pop_2017 against gt/countrypops (WDI SP.POP.TOTL, a later
vintage) from the same commit; that file is not used for any value.
"""
import argparse
import csv
import io
import subprocess
import sys

COMMIT = "1dcc2bf5f955cc1224a3e1307256e1fe86b68dae"
SRC = "csv/tsibbledata/global_economy.csv"
CHECK = "csv/gt/countrypops.csv"


def git_csv(repo, path):
    txt = subprocess.run(["git", "--git-dir", repo, "show", f"{COMMIT}:{path}"],
                         check=True, capture_output=True, text=True).stdout
    return list(csv.DictReader(io.StringIO(txt)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repo", default="/work/.mirror/vincentarelbundock+Rdatasets/repo")
    ap.add_argument("--countries", default="scenarios/data/countries.csv")
    ap.add_argument("--out", default="scenarios/data/observed/vintage-2017.csv")
    a = ap.parse_args()

    with open(a.countries, newline="", encoding="utf-8") as f:
        iso3s = [r["iso3"] for r in csv.DictReader(f)]

    src = {}
    for r in git_csv(a.repo, SRC):
        if r["Year"] == "2017":
            if r["Code"] in src:
                sys.exit(f"duplicate code {r['Code']} in {SRC}")
            src[r["Code"]] = r

    rows, miss_pop, miss_gdp, absent = [], [], [], []
    for iso in iso3s:
        r = src.get(iso)
        if r is None:
            absent.append(iso)
        pop = r["Population"].strip() if r else ""
        gdp = r["GDP"].strip() if r else ""
        pop_out = str(int(round(float(pop)))) if pop not in ("", "NA") else ""
        gdp_out = str(int(round(float(gdp) / 1e6))) if gdp not in ("", "NA") else ""
        if not pop_out:
            miss_pop.append(iso)
        if not gdp_out:
            miss_gdp.append(iso)
        rows.append((iso, pop_out, gdp_out))

    with open(a.out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["iso3", "population", "gdp_musd"])
        w.writerows(rows)

    n = len(iso3s)
    print(f"{n} iso3 in countries.csv; written {a.out}")
    print(f"pop_2017 present: {n - len(miss_pop)}; missing ({len(miss_pop)}): {' '.join(miss_pop)}")
    print(f"gdp_2017_musd present: {n - len(miss_gdp)}; missing ({len(miss_gdp)}): {' '.join(miss_gdp)}")
    print(f"not in source at all ({len(absent)}): {' '.join(absent)}")

    # cross-check population against gt/countrypops (not used for values)
    chk = {r["country_code_3"]: r["population"] for r in git_csv(a.repo, CHECK) if r["year"] == "2017"}
    big = []
    for iso, pop, _ in rows:
        if pop and chk.get(iso) not in (None, "", "NA"):
            ratio = float(pop) / float(chk[iso])
            if abs(ratio - 1) > 0.02:
                big.append(f"{iso}:{ratio:.3f}")
    print(f"pop_2017 vs gt/countrypops 2017, ratios off by >2%: {' '.join(big) or 'none'}")


if __name__ == "__main__":
    main()
