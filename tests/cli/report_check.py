#!/usr/bin/env python3
"""Checks of kist's printable reports for tests/cli/report.sh.

  report_check.py html FILE [--text T]... [--no-text T]...
      FILE is one self-contained page: no script, no URL, the CSP, print CSS,
      no bidi or control character; each --text T is shown as text (HTML
      parsed, entities decoded) and no --no-text T is.  T may be @FILE (its
      contents, UTF-8, without the final newline).
  report_check.py png FILE MIN_FRACTION
      the PNG has at least MIN_FRACTION of pixels that are not white.
  report_check.py pages FILE
      prints the number of pages of a PDF (its /Type /Page objects).
  report_check.py netlog FILE
      no request in chromium's net log (--log-net-log) was made for the page:
      every one has the initiator "not an origin" (the browser's own update
      and sign-in services, which a page cannot cause).
Exit 0 if every check holds, else 1 with one line per failure.
"""
import html.parser
import re
import struct
import sys
import zlib

BIDI = re.compile('[\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]')
CONTROL = re.compile('[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]')
CSP = ("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
       "style-src 'unsafe-inline'; img-src data:\">")


class Text(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []
        self.parts = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in ('style', 'title'):
            self.skip += 1

    def handle_endtag(self, tag):
        if tag in ('style', 'title'):
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def arg_text(t):
    if t.startswith('@'):
        with open(t[1:], encoding='utf-8') as f:
            return f.read().rstrip('\n')
    return t


def check_html(path, want, unwanted):
    bad = []
    raw = open(path, 'rb').read()
    try:
        doc = raw.decode('utf-8')
    except UnicodeDecodeError as e:
        return ['not valid UTF-8: %s' % e]
    low = doc.lower()
    for needle in ('<script', 'javascript:', 'http://', 'https://', 'ws://', 'wss://',
                   '@import', 'url(', '<link', '<iframe', '<object', '<embed', '<form',
                   ' on'):
        if needle == ' on':
            if re.search(r'<[^>]*\son[a-z]+\s*=', low):
                bad.append('an event handler attribute (on...=)')
        elif needle in low:
            bad.append('contains %r' % needle)
    if doc.count(CSP) != 1:
        bad.append('the Content-Security-Policy meta tag is not there exactly once')
    for css in ('@media print', '@page', 'thead{display:table-header-group}',
                'tr{break-inside:avoid}'):
        if css not in doc:
            bad.append('no %r in the CSS' % css)
    if BIDI.search(doc):
        bad.append('a bidi or invisible character U+%04X is in the page'
                   % ord(BIDI.search(doc).group()))
    if CONTROL.search(doc):
        bad.append('a control character is in the page')
    p = Text()
    p.feed(doc)
    p.close()
    for tag, attrs in p.tags:
        for k, v in attrs.items():
            if k in ('src', 'href', 'action') and not (v or '').startswith('data:'):
                bad.append('<%s %s=%r> fetches something' % (tag, k, v))
    text = ''.join(p.parts)
    for t in want:
        t = arg_text(t)
        if t not in text:
            bad.append('text not shown: %r' % (t[:80] + ('...' if len(t) > 80 else '')))
    for t in unwanted:
        t = arg_text(t)
        if t in doc or t in text:
            bad.append('text shown but must not be: %r' % t[:80])
    return bad


def png_fraction(path):
    data = open(path, 'rb').read()
    if data[:8] != b'\x89PNG\r\n\x1a\n':
        raise ValueError('not a PNG')
    pos, idat, ihdr = 8, b'', None
    while pos < len(data):
        n, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b'IHDR':
            ihdr = struct.unpack('>IIBBBBB', body)
        elif kind == b'IDAT':
            idat += body
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = ihdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise ValueError('unexpected PNG layout %r' % (ihdr,))
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * bpp
    prev = bytearray(stride)
    nonwhite = 0
    for y in range(h):
        off = y * (stride + 1)
        f = raw[off]
        line = bytearray(raw[off + 1:off + 1 + stride])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                pr = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pr) & 255
        for x in range(0, stride, bpp):
            if line[x] < 250 or line[x + 1] < 250 or line[x + 2] < 250:
                nonwhite += 1
        prev = line
    return nonwhite / float(w * h)


def main(argv):
    if len(argv) >= 2 and argv[0] == 'html':
        want, unwanted, i = [], [], 2
        while i < len(argv):
            (want if argv[i] == '--text' else unwanted).append(argv[i + 1])
            i += 2
        bad = check_html(argv[1], want, unwanted)
    elif len(argv) == 3 and argv[0] == 'png':
        f = png_fraction(argv[1])
        bad = [] if f >= float(argv[2]) else [
            'only %.4f of the pixels are not white (at least %s wanted)' % (f, argv[2])]
    elif len(argv) == 2 and argv[0] == 'pages':
        data = open(argv[1], 'rb').read()
        print(len(re.findall(rb'/Type\s*/Page(?![a-zA-Z])', data)))
        return 0
    elif len(argv) == 2 and argv[0] == 'netlog':
        bad = []
        for m in re.finditer(r'"initiator":"([^"]*)"', open(argv[1], errors='replace').read()):
            if m.group(1) != 'not an origin':
                bad.append('a request made for the page (initiator %r)' % m.group(1))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    for b in bad:
        print(b)
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
