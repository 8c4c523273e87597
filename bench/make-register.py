#!/usr/bin/env python3
"""Write a people register for the benchmark corpus, with media paths.

The corpus's own people-register.csv names 800 invented people but no media.
This writes a register in kist's CSV form (name, born, location, status,
notes, media) from it, linking person i to the i-th photo or document of the
corpus in name order (and every fifth person to a second one), as the vault
stores them (CORPUS/...).  Only the standard library; deterministic.

usage: make-register.py CORPUS_DIR OUT.csv
Prints a search fragment on stdout: the first four letters of a family name
that is in the register.
"""
import csv
import os
import sys


def main():
    if len(sys.argv) != 3:
        sys.stderr.write(__doc__.split("\n\n")[2] + "\n")
        return 2
    corpus, out = sys.argv[1].rstrip("/"), sys.argv[2]
    prefix = os.path.basename(corpus)
    media = []
    for sub in ("photos", "documents"):
        for d, _, names in os.walk(os.path.join(corpus, sub)):
            for n in names:
                rel = os.path.relpath(os.path.join(d, n), corpus)
                media.append(prefix + "/" + rel.replace(os.sep, "/"))
    media.sort()
    if not media:
        sys.stderr.write("make-register.py: no photos or documents in %s\n" % corpus)
        return 1
    with open(os.path.join(corpus, "people-register.csv"), newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    with open(out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["name", "born", "location", "status", "notes", "media"])
        for i, r in enumerate(rows):
            m = [media[i % len(media)]]
            if i % 5 == 0:
                m.append(media[(i * 7 + 3) % len(media)])
            m = sorted(set(m))
            w.writerow([r["given_names"] + " " + r["family_name"], r["birth_year"],
                        r["last_seen_place"], r["status"],
                        "%s, reported by %s" % (r["case_ref"], r["reported_by"]), ";".join(m)])
    print(rows[len(rows) // 2]["family_name"][:4])
    return 0


if __name__ == "__main__":
    sys.exit(main())
