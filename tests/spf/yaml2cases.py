#!/usr/bin/python3
"""yaml2cases.py - turn an openspf-style YAML test suite into the files
tests/spf/spfsuite reads: one zone file per scenario (the format of
spfc_options.zone_file) and one tab-separated case list.

usage: yaml2cases.py SUITE.yml OUTDIR PREFIX

Driver rules of the suite (its header): SPF entries are served as TXT unless
the name has a TXT entry of its own; a list of strings is one multi-string
TXT record (concatenated); TIMEOUT makes every query for the name that finds no record time out;
"TYPE: NONE" means the name exists without records of that type.
Case lines: PREFIX:NAME, HELO, HOST, MAILFROM, ZONEFILE, RESULTS (comma).
Fields are escaped: backslash as \\\\, bytes outside 0x21-0x7e as \\xHH.
"""
import os
import sys

import yaml


def to_bytes(s):
    # YAML "\xEF" is the code point U+00EF; the suite means the byte.
    out = bytearray()
    for ch in str(s):
        o = ord(ch)
        if o < 256:
            out.append(o)
        else:
            out.extend(ch.encode('utf-8'))
    return bytes(out)


def esc(s, space_ok=False):
    out = []
    for b in to_bytes(s):
        if b == 0x5c:
            out.append('\\\\')
        elif 0x21 <= b <= 0x7e or (space_ok and b == 0x20):
            out.append(chr(b))
        else:
            out.append('\\x%02x' % b)
    return ''.join(out)


def text(v):
    if isinstance(v, list):
        return ''.join(str(x) for x in v)
    return str(v)


def main():
    suite, outdir, prefix = sys.argv[1:4]
    os.makedirs(outdir, exist_ok=True)
    cases = []
    with open(suite, encoding='utf-8') as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    for i, doc in enumerate(docs):
        zpath = os.path.join(outdir, '%s-zone-%02d.txt' % (prefix, i))
        lines = []
        for name, rrs in (doc.get('zonedata') or {}).items():
            rrs = rrs or []
            has_txt = any(isinstance(r, dict) and 'TXT' in r for r in rrs)
            for rr in rrs:
                if not isinstance(rr, dict):
                    lines.append('%s %s' % (esc(name), rr))
                    continue
                for typ, val in rr.items():
                    if val == 'NONE':
                        # the name exists, this type has no record
                        lines.append('%s NONE' % esc(name))
                        continue
                    if typ == 'MX':
                        data = '%s %s' % (val[0], val[1])
                    else:
                        data = text(val)
                    if '\0' in data:
                        # libspf2's zone keeps C strings: the record is
                        # cut at the NUL (see known-failures.txt)
                        data = data.split('\0')[0]
                    lines.append('%s %s %s' % (esc(name), typ,
                                               esc(data, True)))
                    if typ == 'SPF' and not has_txt:
                        lines.append('%s TXT %s' % (esc(name),
                                                    esc(data, True)))
        with open(zpath, 'w') as z:
            z.write('\n'.join(lines) + '\n')
        for name, t in doc['tests'].items():
            res = t['result']
            if not isinstance(res, list):
                res = [res]
            cases.append('\t'.join([
                esc(prefix + ':' + name), esc(t.get('helo', '')),
                esc(t.get('host', '')), esc(t.get('mailfrom', '')),
                zpath, ','.join(res)]))
    with open(os.path.join(outdir, prefix + '-cases.tsv'), 'w') as c:
        c.write('\n'.join(cases) + '\n')


if __name__ == '__main__':
    main()
