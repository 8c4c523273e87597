#!/usr/bin/env python3
"""Writes the part-set vectors (docs/FORMAT.md, "Part sets") from a valid vault.

    tests/vectors/parts/gen_parts.py KIST_BINARY           # everything
    tests/vectors/parts/gen_parts.py KIST_BINARY parity    # parity files only

Valid sets are cut by `kist split` (their set tags are random, so the
vectors are generated once and committed); each malformed part is a copy of
part 1 of a valid set with one rule broken and, where the rule is past the
header digest, the digest re-sealed so that the rule is what fails.

Parity files (parity/, docs/FORMAT.md "Parity file") are deterministic:
parity/valid.parity is `kist parity add` of the same vault at 5 %, and a
reader's writer must give the same bytes; each parity/malformed/NAME.parity
breaks one rule in both header (or manifest) copies, except those whose
expect is `repair`, damaged in one copy only and rebuilt to valid.parity.
"""
import hashlib, os, shutil, struct, subprocess, sys

here = os.path.dirname(os.path.abspath(__file__))
kist = sys.argv[1]
vault = os.path.join(here, '..', 'v1', 'valid', 'chunks-2mib-plus-1.kist')

def split(name, parity):
    d = os.path.join(here, 'valid', name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    args = [kist, 'split', '-q', '-o', os.path.join(d, 'v'), vault, '16K']
    if parity:
        args[2:2] = ['--parity', str(parity)]
    subprocess.run(args, check=True)
    n = len([f for f in os.listdir(d) if f.startswith('v.')])
    with open(os.path.join(d, 'set.expect'), 'w') as f:
        f.write('vault: v1/valid/chunks-2mib-plus-1.kist\n')
        f.write('parts: %d\nparity: %d\n' % (n, parity))
        f.write('comment: kist split --parity %d of the vault at 16K\n' % parity)
    for f in os.listdir(d):
        os.chmod(os.path.join(d, f), 0o644)
    return d

def parity_vectors():
    d = os.path.join(here, 'parity')
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(os.path.join(d, 'malformed'))
    tmp = os.path.join(d, 'v.kist')
    shutil.copy(vault, tmp)
    subprocess.run([kist, 'parity', 'add', '-q', '--parity', '5%', tmp], check=True)
    os.rename(tmp + '.parity', os.path.join(d, 'valid.parity'))
    os.unlink(tmp)
    good = open(os.path.join(d, 'valid.parity'), 'rb').read()
    with open(os.path.join(d, 'valid.expect'), 'w') as f:
        f.write('vault: v1/valid/chunks-2mib-plus-1.kist\npercent: 5\n')
        f.write('comment: kist parity add --parity 5%% of the vault (%d bytes)\n' % len(good))
    k, m = struct.unpack_from('<HH', good, 30)
    col, = struct.unpack_from('<Q', good, 40)
    man = (col // struct.unpack_from('<I', good, 36)[0]) * (k + m) * 16
    tail = 128 + man + m * col          # the manifest copy; the header copy follows it
    def both(fmt, off, value):          # one header field in both copies, re-sealed
        b = bytearray(good)
        for at in (0, tail + man):
            h = bytearray(b[at:at + 128])
            struct.pack_into(fmt, h, off, value)
            h[96:128] = hashlib.sha256(bytes(h[:96])).digest()
            b[at:at + 128] = h
        return bytes(b)
    def flip_at(b, *offs):
        b = bytearray(b)
        for o in offs:
            b[o] ^= 0xFF
        return bytes(b)
    cases = [
        ('bad-magic', flip_at(good, 1, tail + man + 1), 'format', 'not a kist parity file', 'the magic differs in both header copies'),
        ('headers-damaged', flip_at(good, 40, tail + man + 40), 'corrupt', 'header damaged', 'a byte of both header copies changed, digests not re-sealed'),
        ('version-2', both('<H', 8, 2), 'format', 'version 2', 'parity file version 2'),
        ('tag-not-zero', both('<B', 12, 1), 'format', 'unknown flags', 'the tag of a part, which a parity file has not'),
        ('number-not-zero', both('<H', 28, 1), 'format', 'unknown flags', 'a part number, which a parity file has not'),
        ('parity-0', both('<H', 32, 0), 'corrupt', 'no parity parts', 'm = 0'),
        ('block-not-power-of-2', both('<I', 36, 12288), 'corrupt', 'block size', 'block size 12288'),
        ('vault-too-short', both('<Q', 48, (k - 1) * col), 'corrupt', 'vault length', 'the vault would leave the last column empty'),
        ('manifests-damaged', flip_at(good, 128 + 5, tail + 5), 'corrupt', 'both copies of its manifest', 'a byte of both manifest copies changed'),
        ('truncated', good[:100], 'corrupt', 'truncated', 'shorter than a header'),
        ('first-header-damaged', flip_at(good, 40), 'repair', '', 'the first header copy damaged: read from the copy at the end, rebuilt'),
        ('first-manifest-damaged', flip_at(good, 128 + 5), 'repair', '', 'the first manifest copy damaged: rebuilt'),
        ('parity-block-damaged', flip_at(good, 128 + man + 5), 'repair', '', 'a parity block damaged: rebuilt from the vault'),
        ('tail-cut', good[:-1], 'repair', '', 'the last byte missing: the header copy is read from the start, the file rebuilt'),
    ]
    for name, data, kind, reason, comment in cases:
        with open(os.path.join(d, 'malformed', name + '.parity'), 'wb') as f:
            f.write(data)
        with open(os.path.join(d, 'malformed', name + '.expect'), 'w') as f:
            f.write('expect: %s\n' % kind)
            if reason:
                f.write('reason: %s\n' % reason)
            f.write('comment: %s\n' % comment)
    for f in os.listdir(d):
        if os.path.isfile(os.path.join(d, f)):
            os.chmod(os.path.join(d, f), 0o644)
    print('wrote a valid parity file and %d damaged ones' % len(cases))

if len(sys.argv) > 2 and sys.argv[2] == 'parity':
    parity_vectors()
    sys.exit(0)

split('two-plus-one', 1)
split('two-plain', 0)
base = open(os.path.join(here, 'valid', 'two-plus-one', 'v.001'), 'rb').read()

def reseal(b):
    b = bytearray(b)
    b[96:128] = hashlib.sha256(bytes(b[:96])).digest()
    return bytes(b)

def field(b, off, fmt, value, seal=True):
    b = bytearray(b)
    struct.pack_into(fmt, b, off, value)
    return reseal(b) if seal else bytes(b)

def flip(b, off):
    b = bytearray(b)
    b[off] ^= 0xFF
    return bytes(b)

mal = os.path.join(here, 'malformed')
shutil.rmtree(mal, ignore_errors=True)
os.makedirs(mal)
cases = [
    ('bad-magic', flip(base, 1), 'format', 'not a kist part', 'the magic differs'),
    ('header-damaged', flip(base, 40), 'corrupt', 'damaged', 'a header byte changed, digest not re-sealed'),
    ('version-2', field(base, 8, '<H', 2), 'format', 'version 2', 'part format version 2'),
    ('flags', field(base, 10, '<H', 1), 'format', 'unknown flags', 'flags not zero'),
    ('reserved-34', field(base, 34, '<H', 1), 'format', 'unknown flags', 'reserved field at 34 not zero'),
    ('reserved-88', field(base, 88, '<Q', 1), 'format', 'unknown flags', 'reserved field at 88 not zero'),
    ('number-0', field(base, 28, '<H', 0), 'corrupt', 'part number 0', 'part number 0'),
    ('number-past-set', field(base, 28, '<H', 4), 'corrupt', 'part number 4', 'part 4 of a set of 3'),
    ('k-0', field(base, 30, '<H', 0), 'corrupt', '0 data', 'no data parts'),
    ('parity-over-255', field(base, 32, '<H', 254), 'corrupt', 'parity parts', 'k + m above 255'),
    ('block-not-power-of-2', field(base, 36, '<I', 12288), 'corrupt', 'block size', 'block size 12288'),
    ('block-too-small', field(base, 36, '<I', 2048), 'corrupt', 'block size', 'block size 2048'),
    ('length-not-multiple', field(base, 40, '<Q', 12289), 'corrupt', 'part length', 'part length not a multiple of the block size'),
    ('vault-too-short', field(base, 48, '<Q', 12288), 'corrupt', 'vault length', 'the vault would leave part 2 empty'),
    ('vault-too-long', field(base, 48, '<Q', 2 * 12288 + 1), 'corrupt', 'vault length', 'the vault would not fit 2 parts'),
    ('manifest-digest', field(base, 56, '<B', base[56] ^ 1), 'corrupt', 'intact manifest', 'the manifest does not match its digest'),
    ('manifest-truncated', base[:-1], 'corrupt', 'intact manifest', 'the last manifest byte is missing'),
]
for name, data, kind, reason, comment in cases:
    with open(os.path.join(mal, name + '.part'), 'wb') as f:
        f.write(data)
    with open(os.path.join(mal, name + '.expect'), 'w') as f:
        f.write('expect: %s\nreason: %s\ncomment: %s\n' % (kind, reason, comment))
print('wrote %d malformed parts and 2 valid sets' % len(cases))
parity_vectors()
