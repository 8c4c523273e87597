#!/usr/bin/env python3
"""Generate the synthetic evidence corpus used by bench/run.sh.

    bench/make-corpus.py DIR [--scale S] [--seed N]

At scale 1.0 the corpus is about 1 GiB:

  ~55 %  videos/     a few large incompressible files (MP4 'ftyp' box, then
                     random bytes)
  ~25 %  photos/     ~230 files of 0.75-1.5 MiB (JPEG SOI/APP1 header, then
                     random bytes), in one folder per month
  ~20 %  documents/  ~300 text files: word salad from a fixed vocabulary with
                     dates, reference numbers and headings; zstd -3 shrinks
                     them about 5-6x
         people-register.csv   800 invented rows

Everything is derived from one seed: the same scale gives the same bytes,
names and modification times on every run and every machine (Python >= 3.9).
Every name and person in it is invented.  Only the standard library is used.
"""

import argparse
import os
import random
import sys

MiB = 1 << 20
GiB = 1 << 30

SEED = 20240611
FIXED_MTIME = 1717200000  # 2024-06-01 00:00:00 UTC, for every file and folder

VIDEO_SHARE, PHOTO_SHARE, TEXT_SHARE = 0.55, 0.25, 0.20
VIDEO_WEIGHTS = [0.31, 0.26, 0.19, 0.14, 0.10]  # five clips of unequal length
PHOTO_MIN, PHOTO_MAX = 3 * MiB // 4, 3 * MiB // 2
TEXT_DOCS_AT_1 = 300
PEOPLE_ROWS = 800

# ---------------------------------------------------------------- vocabulary
# A fixed vocabulary.  Words go into a 256-entry table in which common words
# fill several slots (a rough Zipf shape); phrases of 1-4 words are drawn from
# it once, and one random byte then picks one phrase.  That keeps generation
# fast and the entropy of the text (and therefore its zstd ratio) stable.
COMMON = [
    "the", "of", "and", "to", "in", "a", "was", "that", "he", "she", "they",
    "were", "at", "on", "by", "with", "from", "for", "his", "her", "their",
    "had", "not", "is", "it", "as", "we", "after", "before", "near", "said",
]
CONTENT = """
witness statement detained checkpoint vehicle soldiers officer commander
village district province road bridge market school clinic hospital mosque
church station prison camp building house family brother sister mother father
son daughter neighbour cousin uncle elderly child children woman women man men
night morning evening afternoon dawn arrived left taken released beaten
questioned searched documents phone camera photographs video recorded heard
saw shouted fired shots wounded injured killed missing disappeared returned
identified uniform unit convoy truck pickup motorcycle border crossing river
field farm well water electricity fuel food medicine bread flour tent shelter
displaced refugees evacuated burned destroyed looted damaged shelling airstrike
explosion fire smoke crowd protest gathering arrested blindfolded handcuffed
transferred interrogation cell guard guards court judge lawyer prosecutor
hearing sentence charges released ransom payment demanded threatened warned
reported complaint registry record list names ages addresses described
approximately several many few two three four five hours days weeks months
later earlier again still already never always whether because although during
""".split()
RARE = """
corroborated affidavit testimony chronology inconsistent consistent
verification geolocation metadata timestamp custody chain provenance
translation interpreter annex exhibit appendix paragraph section redacted
pseudonym anonymised consent protection relocation medical forensic autopsy
exhumation grave site coordinates satellite imagery cross-referenced archived
""".split()


def build_phrase_table():
    """256 phrases of 1-4 words drawn from the word table with a fixed seed.

    Text made of whole phrases has the redundancy of real prose closely
    enough that zstd -3 shrinks it about 5.5x (single words: only ~3.4x)."""
    words = build_word_table()
    r = random.Random("kist-bench/phrases")
    return [" ".join(r.choice(words) for _ in range(r.randrange(1, 5)))
            for _ in range(256)]


def build_word_table():
    table = []
    for i, w in enumerate(COMMON):          # 31 words, 3-4 slots each
        table += [w] * (4 if i < 10 else 3)
    rest = CONTENT + RARE
    i = 0
    while len(table) < 256:
        table.append(rest[i % len(rest)])
        i += 1
    assert len(table) == 256
    return table


SURNAMES = """
Abadi Achieng Adeyemi Ahmadi Alvarez Amini Anand Arslan Azimi Bakr Baptiste
Barzani Bello Boateng Castillo Cerny Chaudhry Darwish Delgado Diallo Dogan
Esposito Farah Fernandes Ferreira Ghazali Guerrero Haddad Hakimi Halabi Hassan
Horvat Hosseini Ibrahim Idris Jaber Kamara Karimi Kaya Khalil Kovac Kurt
Lungu Mahmoud Malik Mansour Medina Mensah Moreno Mutua Nasser Navarro Nkosi
Novak Nuri Obi Okafor Omondi Osman Ozturk Pereira Petrovic Qasim Rahimi
Ramos Rashid Reyes Rezaei Saleh Sandoval Santos Sayed Sesay Shah Silva
Soto Suleiman Tahir Taheri Toure Usman Valdez Varga Wanjiru Yilmaz Yousef
Zaheer Zapata Zeller Zubiri
""".split()
GIVEN = """
Aaliyah Abdul Adriana Ahmed Aisha Alejandro Ali Amina Amir Ana Andrei Anwar
Baraka Beatriz Bilal Carmen Chinedu Dalia Daniel Dina Elif Emeka Esra Fatima
Farid Grace Hamid Hana Hassan Ibrahim Ines Isabel Jamal Joao Karim Kofi
Layla Leila Lucia Mariam Marta Mehmet Miguel Mina Mohammed Musa Nadia Nasrin
Nour Omar Pablo Rania Rashid Rosa Salma Samir Sara Sipho Sofia Tariq Teresa
Yara Yusuf Zainab Zeynep Zoran
""".split()
PLACES = """
Altamira Bel-Harun Casavieja Dar-Sallam Elmvale Farrowmouth Gulcek
Hadith-Kala Irbanov Jeroza Kestrel-Bay Lomara Mirhaven Nuzay Orlovka
Pradera Qasr-Amin Rivenstock Sabirabad Tellmarsh Umbrecht Valdorra Wexmoor
Yarimca Zelenopol
""".split()
STATUSES = ["missing", "detained", "released", "deceased", "located",
            "unknown", "detained (transferred)", "missing (reported twice)"]


# ---------------------------------------------------------------- helpers
def fill_random(f, rng, n):
    """Write n random bytes to f in 4 MiB pieces (randbytes is fast)."""
    while n > 0:
        k = min(n, 4 * MiB)
        f.write(rng.randbytes(k))
        n -= k


def mp4_header(rng):
    # 'ftyp' box: size, type, major brand, minor version, compatible brands;
    # then the header of an 'mdat' box whose payload is the rest of the file.
    brands = b"isom" + b"iso2" + b"avc1" + b"mp41"
    ftyp = (8 + 8 + len(brands)).to_bytes(4, "big") + b"ftyp" + b"isom" \
        + (512).to_bytes(4, "big") + brands
    return ftyp + (1).to_bytes(4, "big") + b"mdat"  # size 1: 64-bit size follows


def jpeg_header(rng, n):
    exif = b"Exif\x00\x00" + b"MM\x00\x2a\x00\x00\x00\x08" + rng.randbytes(48)
    app1 = b"\xff\xe1" + (len(exif) + 2).to_bytes(2, "big") + exif
    return b"\xff\xd8" + app1 + b"\xff\xdb\x00\x43\x00"  # start of a DQT segment


def date(rng):
    return "%04d-%02d-%02d" % (rng.randrange(2019, 2025), rng.randrange(1, 13),
                               rng.randrange(1, 29))


def ref(rng):
    return "REF-%s-%06d" % (rng.choice(["KST", "CMS", "WIT", "INV", "DOC"]),
                            rng.randrange(1000000))


def text_document(rng, table, target, kind, number):
    """Return about `target` bytes of synthetic document text."""
    out = []
    size = 0
    head = ("%s %04d (synthetic benchmark document - invented text)\n"
            "Reference: %s    Recorded: %s    Place: %s\n"
            "Interviewer: %s %s    Language: %s\n\n"
            % (kind.upper(), number, ref(rng), date(rng), rng.choice(PLACES),
               rng.choice(GIVEN), rng.choice(SURNAMES),
               rng.choice(["Arabic", "Dari", "English", "French", "Spanish",
                           "Swahili", "Turkish", "Ukrainian"])))
    out.append(head)
    size += len(head)
    para = 0
    while size < target:
        para += 1
        nwords = rng.randrange(25, 90)
        words = [table[b] for b in rng.randbytes(nwords)]  # phrases, really
        # sentence breaks and the odd date / reference / name in the paragraph
        pos = 0
        while True:
            pos += rng.randrange(4, 12)
            if pos >= nwords:
                break
            words[pos - 1] += "."
            words[pos] = words[pos].capitalize()
            r = rng.random()
            if r < 0.25:
                words[pos] = "On %s %s" % (date(rng), words[pos].lower())
            elif r < 0.40:
                words[pos] += " (%s)" % ref(rng)
            elif r < 0.55:
                words[pos] += " %s %s" % (rng.choice(GIVEN), rng.choice(SURNAMES))
        words[0] = words[0].capitalize()
        p = "%d. %s.\n\n" % (para, " ".join(words))
        if para % 7 == 0:
            p = "Section %d - %s, %s\n\n" % (para // 7, rng.choice(PLACES), date(rng)) + p
        out.append(p)
        size += len(p)
    return "".join(out).encode("utf-8")[:max(target, 1)]


def people_csv(rng):
    lines = ["id,family_name,given_names,sex,birth_year,place_of_origin,"
             "last_seen_date,last_seen_place,status,reported_by,case_ref"]
    for i in range(1, PEOPLE_ROWS + 1):
        lines.append(",".join([
            "P%05d" % i, rng.choice(SURNAMES),
            " ".join(rng.sample(GIVEN, rng.randrange(1, 3))),
            rng.choice("FM"), str(rng.randrange(1940, 2012)), rng.choice(PLACES),
            date(rng), '"%s, %s"' % (rng.choice(PLACES), rng.choice(
                ["checkpoint", "market", "home", "hospital", "school", "road"])),
            rng.choice(STATUSES), "W%04d" % rng.randrange(1, 400), ref(rng)]))
    return ("\n".join(lines) + "\n").encode("utf-8")


# ---------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args()
    if not (0 < args.scale <= 64):
        ap.error("--scale must be in (0, 64]")
    if os.path.exists(args.dir) and os.listdir(args.dir):
        ap.error("%s exists and is not empty" % args.dir)

    total = int(GiB * args.scale)
    root = args.dir
    table = build_phrase_table()
    files = []  # (path, bytes written)

    def mkdirs(p):
        os.makedirs(os.path.join(root, p), exist_ok=True)

    # Videos: a few large files.
    mkdirs("videos")
    vbudget = int(total * VIDEO_SHARE)
    for i, w in enumerate(VIDEO_WEIGHTS):
        rng = random.Random("%d/video/%d" % (args.seed, i))
        n = max(4096, int(vbudget * w))
        path = os.path.join("videos", "VID_2024-%02d-%02d_%03d.mp4" % (
            3 + i, 1 + 5 * i, 100 + i))
        with open(os.path.join(root, path), "wb") as f:
            h = mp4_header(rng)
            f.write(h)
            fill_random(f, rng, n - len(h))
        files.append((path, n))

    # Photos: ~1.1 MiB each, one folder per month.
    pbudget = int(total * PHOTO_SHARE)
    rng = random.Random("%d/photos" % args.seed)
    used, i = 0, 0
    while used < pbudget:
        i += 1
        n = rng.randrange(PHOTO_MIN, PHOTO_MAX + 1)
        month = 1 + (i * 7) % 12
        folder = os.path.join("photos", "2024-%02d" % month)
        mkdirs(folder)
        path = os.path.join(folder, "DSC_%05d.jpg" % (1000 + i))
        prng = random.Random("%d/photo/%d" % (args.seed, i))
        with open(os.path.join(root, path), "wb") as f:
            h = jpeg_header(prng, n)
            f.write(h)
            fill_random(f, prng, n - len(h))
            f.write(b"\xff\xd9")  # end of image
        files.append((path, n + 2))
        used += n + 2

    # Text documents: ~300 at scale 1, sizes spread around the mean.
    tbudget = int(total * TEXT_SHARE) - 200 * 1024  # leave room for the CSV
    ndocs = max(8, round(TEXT_DOCS_AT_1 * args.scale))
    rng = random.Random("%d/documents" % args.seed)
    weights = [rng.uniform(0.15, 1.85) for _ in range(ndocs)]
    wsum = sum(weights)
    kinds = [("statements", "witness statement"), ("reports", "field report"),
             ("interviews", "interview transcript"), ("letters", "letter")]
    for i in range(ndocs):
        sub, kind = kinds[i % len(kinds)]
        mkdirs(os.path.join("documents", sub))
        n = max(2048, int(tbudget * weights[i] / wsum))
        drng = random.Random("%d/document/%d" % (args.seed, i))
        path = os.path.join("documents", sub, "%s-%04d.txt" % (sub[:-1], i + 1))
        data = text_document(drng, table, n, kind, i + 1)
        with open(os.path.join(root, path), "wb") as f:
            f.write(data)
        files.append((path, len(data)))

    data = people_csv(random.Random("%d/people" % args.seed))
    with open(os.path.join(root, "people-register.csv"), "wb") as f:
        f.write(data)
    files.append(("people-register.csv", len(data)))

    # Fixed modification times, so archives of the corpus are reproducible too.
    for d, subdirs, names in os.walk(root, topdown=False):
        for n in names:
            os.utime(os.path.join(d, n), (FIXED_MTIME, FIXED_MTIME))
        os.utime(d, (FIXED_MTIME, FIXED_MTIME))

    nbytes = sum(n for _, n in files)
    print("corpus %s: scale %g, %d files, %d bytes (%.1f MiB): %d videos, "
          "%d photos, %d documents, 1 CSV" % (
              root, args.scale, len(files), nbytes, nbytes / MiB,
              len(VIDEO_WEIGHTS), sum(1 for p, _ in files if p.startswith("photos")),
              ndocs), file=sys.stderr)


if __name__ == "__main__":
    main()
