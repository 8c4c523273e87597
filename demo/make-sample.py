#!/usr/bin/env python3
"""Write a small synthetic evidence sample for the kist demo.

usage: demo/make-sample.py DIR

Creates DIR (if needed) and writes into it:

  photos/      four small valid PNG images and six "JPEG" files (a JFIF
               header followed by random bytes, about 200 KB each)
  videos/      one "MP4" file (an ftyp box, then an mdat box of random
               bytes, about 2 MB)
  statements/  witness statements, UTF-8 text
  people.csv   name,relation,born,location,status,notes,media  (30 rows)

Everything is invented: the names, places, events and the camp.  Any
resemblance to real people is accidental.  The output is deterministic (a
fixed seed, fixed modification times), so two runs produce identical files.
Python 3 standard library only.
"""

import csv
import io
import os
import random
import struct
import sys
import zlib

SEED = 20240611
# All files get this modification time (2024-06-11 09:30:00 UTC) so that the
# sample, and the listing of a vault made from it, is the same on every run.
MTIME = 1718098200

# ---------------------------------------------------------------- pictures


def png_chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def png(width, height, pixel):
    """A valid 8-bit RGB PNG; pixel(x, y) returns an (r, g, b) tuple."""
    raw = bytearray()
    for y in range(height):
        raw.append(0)  # filter type: none
        for x in range(width):
            raw.extend(pixel(x, y))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) +
            png_chunk(b"IDAT", zlib.compress(bytes(raw), 9)) + png_chunk(b"IEND", b""))


def photos():
    n = 64
    yield "IMG_0412.png", png(n, n, lambda x, y: (x * 4, y * 4, 128))
    yield "IMG_0413.png", png(n, n, lambda x, y: (255 - y * 4, 96, x * 4))
    yield "IMG_0415.png", png(n, n, lambda x, y: ((x // 8 + y // 8) % 2 * 200 + 30,) * 3)
    yield "gate-north.png", png(n, n, lambda x, y: (min(255, (x + y) * 2), 180, 255 - x * 2))


def jpeg_like(rng, size):
    """JFIF APP0 header, random bytes, end-of-image marker: not a real picture."""
    head = b"\xff\xd8\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return head + rng.randbytes(size - len(head) - 2) + b"\xff\xd9"


def mp4_like(rng, size):
    """An ftyp box and an mdat box of random bytes: not a playable video."""
    ftyp = struct.pack(">I", 32) + b"ftyp" + b"isom" + struct.pack(">I", 0x200) + b"isomiso2avc1mp41"
    body = size - len(ftyp) - 8
    return ftyp + struct.pack(">I", body + 8) + b"mdat" + rng.randbytes(body)


# -------------------------------------------------------------- statements

STATEMENTS = {
    "statement-01-hana-m.txt": """\
WITNESS STATEMENT (synthetic sample - invented for the kist demo)

Witness:   Hana Mirković
Taken by:  field contact "Ruth"
Date:      2024-06-03
Language:  given in Serbian, written down in English

I last saw my brother Damir on 14 February at the north gate of the camp at
Vessa. He was taken with about twenty other men to the building the guards
call "Block C". A woman released in April told me he was alive in March and
that he had a cough. Since then we have had no news. I have his identity card
and two photographs (IMG_0412, IMG_0413) taken by his daughter.

I agree that this statement may be shared with the legal team.

Signed: H. M.
""",
    "statement-02-joao-a.txt": """\
WITNESS STATEMENT (synthetic sample - invented for the kist demo)

Witness:   João Araújo Nóbrega
Taken by:  field contact "Ruth"
Date:      2024-06-04

I worked as a driver for the water deliveries to the camp until May. I saw
lists posted at the gate with names and numbers. The photograph gate-north.png
shows the place where the lists were posted. I counted four guard towers. On
22 April I saw two buses leave towards the south at night without lights.

I do not want my name published. The legal team may contact me through Ruth.
""",
    "statement-03-leyla-h.txt": """\
WITNESS STATEMENT (synthetic sample - invented for the kist demo)

Witness:   ليلى حداد (Leyla Haddad)
Taken by:  field contact "Ruth", with an interpreter
Date:      2024-06-05
Language:  given in Arabic; an English summary follows the original

النص الأصلي:
آخر مرة رأيت فيها زوجي يوسف كانت في شهر آذار عند البوابة الشمالية.
قالوا لنا إنه سيُنقل، ولم نعرف إلى أين.

English summary: The witness last saw her husband Youssef in March at the
north gate. The family was told he would be transferred, not where to. She
has kept the receipt the guards gave her for his belongings.
""",
    "statement-04-nasrin-r.txt": """\
WITNESS STATEMENT (synthetic sample - invented for the kist demo)

Witness:   نسرین رحیمی (Nasrin Rahimi)
Taken by:  field contact "Ruth"
Date:      2024-06-06
Language:  given in Persian; English translation below

متن اصلی:
پسرم کاوه هجده سال دارد. او را در بازار گرفتند و به اردوگاه بردند.

Translation: My son Kaveh is eighteen. They took him at the market and brought
him to the camp. A neighbour saw him in the video recorded from the hill
(videos/VID_2024-05-30.mp4, at about 01:40) in a line of young men.
""",
    "témoignage-05-zoé-l.txt": """\
DÉCLARATION DE TÉMOIN (exemple synthétique - inventé pour la démo kist)

Témoin :   Zoé Lefèvre-Ançel
Recueilli par : « Ruth »
Date :     2024-06-07

J'ai travaillé comme infirmière bénévole près du camp de Vessa jusqu'en mai.
J'ai soigné onze personnes libérées du « bloc C ». Plusieurs m'ont décrit les
mêmes conditions : cellules surpeuplées, pas de lumière du jour. J'ai tenu un
registre ; la liste des personnes est jointe (people.csv), avec leur accord.
""",
}

# ------------------------------------------------------------------ people

FIRST = ["Amir", "Sana", "Dariusz", "Mehmet", "Aïcha", "Tomás", "Elif", "Kaveh", "Marta",
         "Yusuf", "Ines", "Farid", "Nour", "Bogdan", "Layla", "Şirin", "Omar", "Jovana",
         "Reza", "Émile"]
LAST = ["Haddad", "Mirković", "Okonkwo-Vale", "Rahimi", "Kovač", "Nóbrega", "Yıldız",
        "Aziz", "Petrescu", "Farouk", "Lindqvist", "Benali", "Sadeghi", "Dvořák"]
RELATION = ["brother", "sister", "son", "daughter", "father", "mother", "husband", "wife",
            "cousin", "nephew", "uncle"]
LOCATION = ["Vessa camp, Block C", "Vessa camp, Block A", "Vessa camp, north gate",
            "transferred (destination unknown)", "Vessa camp, infirmary", "unknown"]
STATUS = ["detained", "detained", "missing", "missing", "released", "seen alive",
          "unknown"]
NOTES = ["", "", "", "seen by a released detainee in March",
         "family holds identity card", "has a heart condition, needs medication",
         "name also spelled differently on the gate list",
         "transferred by bus on 22 April, per witness",
         'listed as "no. 1147" at the gate', "photo in photos/, taken by daughter"]


def people(rng, top):
    # media: the evidence about each person, as vault paths (the sealed folder's
    # name first), ';'-separated: kist seal --people links them.
    ev = lambda *paths: ";".join(f"{top}/{p}" for p in paths)
    rows = [
        ("Damir Mirković", "brother of Hana Mirković", "1987", "Vessa camp, Block C",
         "detained", "cough reported in March; see statement-01",
         ev("statements/statement-01-hana-m.txt", "photos/DSC_1180.jpg")),
        ("يوسف حداد (Youssef Haddad)", "husband of Leyla Haddad", "1979",
         "transferred (destination unknown)", "missing", "receipt for belongings kept",
         ev("statements/statement-03-leyla-h.txt")),
        ("کاوه رحیمی (Kaveh Rahimi)", "son of Nasrin Rahimi", "2006", "Vessa camp, Block C",
         "detained", "seen in video at about 01:40",
         ev("statements/statement-04-nasrin-r.txt", "videos/VID_2024-05-30.mp4")),
    ]
    used = {r[0] for r in rows}
    while len(rows) < 30:
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        if name in used:
            continue
        used.add(name)
        relative = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        photo = f"photos/DSC_{1180 + rng.randrange(6):04d}.jpg"
        rows.append((name, f"{rng.choice(RELATION)} of {relative}",
                     str(rng.randint(1950, 2007)), rng.choice(LOCATION),
                     rng.choice(STATUS), rng.choice(NOTES),
                     ev(photo) if rng.random() < 0.3 else ""))
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(("name", "relation", "born", "location", "status", "notes", "media"))
    w.writerows(rows)
    return out.getvalue().encode("utf-8")


# -------------------------------------------------------------------- main


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    os.utime(path, (MTIME, MTIME))


def main(argv):
    if len(argv) != 2 or argv[1].startswith("-"):
        sys.stderr.write("usage: make-sample.py DIR\n")
        return 2
    root = argv[1]
    rng = random.Random(SEED)
    files = []
    for name, data in photos():
        files.append((os.path.join("photos", name), data))
    for i, size in enumerate((203_417, 188_902, 215_660, 196_031, 231_118, 179_554)):
        files.append((os.path.join("photos", f"DSC_{1180 + i:04d}.jpg"), jpeg_like(rng, size)))
    files.append((os.path.join("videos", "VID_2024-05-30.mp4"), mp4_like(rng, 2_097_152 + 4_321)))
    for name, text in STATEMENTS.items():
        files.append((os.path.join("statements", name), text.encode("utf-8")))
    files.append(("people.csv", people(rng, os.path.basename(os.path.normpath(root)))))

    total = 0
    for rel, data in files:
        write(os.path.join(root, rel), data)
        total += len(data)
    for d in ("photos", "videos", "statements", ""):
        os.utime(os.path.join(root, d), (MTIME, MTIME))
    print(f"make-sample: wrote {len(files)} files, {total} bytes, into {root}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
