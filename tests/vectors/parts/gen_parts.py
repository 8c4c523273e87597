#!/usr/bin/env python3
"""Writes the part-set vectors (docs/FORMAT.md, "Part sets") from a valid vault.

    tests/vectors/parts/gen_parts.py KIST_BINARY

Valid sets are cut by `kist split` (their set tags are random, so the
vectors are generated once and committed); each malformed part is a copy of
part 1 of a valid set with one rule broken and, where the rule is past the
header digest, the digest re-sealed so that the rule is what fails.
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
