#!/usr/bin/env python3
"""promcheck.py: a strict reader of the Prometheus text exposition format (0.0.4).

Reads the text on stdin. Exit 1 with one line per problem when anything is off: a line that is
neither HELP, TYPE nor a sample; a family without HELP and TYPE before its samples, or whose
samples are not together; a bad metric or label name; a label value with a raw quote, a bad
escape or a raw newline; a duplicate series; a value that is not a number; a counter that does
not end in _total or is negative; a histogram whose buckets are not in increasing le order,
not cumulative, lack le="+Inf", or whose +Inf bucket differs from _count, or lacks _sum.
On success prints every series as JSON: {"name{a=\"x\",b=\"y\"}": value} (labels sorted).
"""
import json
import math
import re
import sys

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


def parse_value(s):
    if s in ("+Inf", "Inf"):
        return math.inf
    if s == "-Inf":
        return -math.inf
    if s == "NaN":
        return math.nan
    if not re.fullmatch(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?", s):
        raise ValueError(s)
    return float(s)


def parse_labels(s, i, errs, lineno):
    """s[i] == '{'. Returns (dict, index after '}')."""
    labels = {}
    i += 1
    while True:
        if s[i] == "}":
            return labels, i + 1
        m = LABEL.match(s, i)
        if not m:
            raise ValueError("bad label name at column %d" % i)
        name = m.group(0)
        i = m.end()
        if s[i:i + 2] != '="':
            raise ValueError("label %s: expected =\"" % name)
        i += 2
        val = []
        while True:
            c = s[i]
            if c == "\\":
                nxt = s[i + 1]
                if nxt not in ('\\', '"', 'n'):
                    raise ValueError("label %s: bad escape \\%s" % (name, nxt))
                val.append({"\\": "\\", '"': '"', "n": "\n"}[nxt])
                i += 2
            elif c == '"':
                i += 1
                break
            else:
                val.append(c)
                i += 1
        if name in labels:
            raise ValueError("label %s twice" % name)
        labels[name] = "".join(val)
        if s[i] == ",":
            i += 1
        elif s[i] != "}":
            raise ValueError("expected , or } after label %s" % name)


def family_of(sample, types):
    if sample in types:
        return sample
    for suffix in ("_bucket", "_sum", "_count"):
        if sample.endswith(suffix) and types.get(sample[: -len(suffix)]) in ("histogram", "summary"):
            return sample[: -len(suffix)]
    return None


def key(name, labels):
    return name + "{" + ",".join('%s="%s"' % (k, labels[k]) for k in sorted(labels)) + "}"


def main():
    text = sys.stdin.read()
    errs = []
    helps, types, done = {}, {}, set()
    current = None
    series = {}
    hist = {}  # (family, labels without le) -> {"buckets": [(le, v)], "count": v, "sum": v}
    if not text.endswith("\n"):
        errs.append("the text does not end with a newline")
    for lineno, line in enumerate(text.split("\n")[:-1], 1):
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                name = parts[2]
                if not NAME.fullmatch(name):
                    errs.append("line %d: bad metric name %r" % (lineno, name))
                if name in done:
                    errs.append("line %d: %s %s after its samples ended" % (lineno, parts[1], name))
                table = helps if parts[1] == "HELP" else types
                if name in table:
                    errs.append("line %d: second %s for %s" % (lineno, parts[1], name))
                if parts[1] == "TYPE":
                    if len(parts) != 4 or parts[3] not in TYPES:
                        errs.append("line %d: bad TYPE line" % lineno)
                    table[name] = parts[3] if len(parts) == 4 else None
                else:
                    if len(parts) != 4 or not parts[3]:
                        errs.append("line %d: HELP without text" % lineno)
                    table[name] = parts[3] if len(parts) == 4 else ""
                if current is not None and current != name:
                    done.add(current)
                current = name
            continue
        if line == "":
            errs.append("line %d: empty line" % lineno)
            continue
        m = NAME.match(line)
        if not m:
            errs.append("line %d: not a sample: %r" % (lineno, line[:80]))
            continue
        name = m.group(0)
        i = m.end()
        labels = {}
        try:
            if i < len(line) and line[i] == "{":
                labels, i = parse_labels(line, i, errs, lineno)
            if line[i] != " ":
                raise ValueError("expected a space before the value")
            fields = line[i + 1:].split(" ")
            if len(fields) not in (1, 2):
                raise ValueError("extra fields after the value")
            value = parse_value(fields[0])
        except (ValueError, IndexError) as e:
            errs.append("line %d: %s: %r" % (lineno, e, line[:120]))
            continue
        fam = family_of(name, types)
        if fam is None:
            errs.append("line %d: sample %s has no TYPE before it" % (lineno, name))
            continue
        if fam not in helps:
            errs.append("line %d: family %s has no HELP" % (lineno, fam))
        if fam != current:
            errs.append("line %d: sample of %s outside its family's block" % (lineno, fam))
        k = key(name, labels)
        if k in series:
            errs.append("line %d: duplicate series %s" % (lineno, k))
        series[k] = value
        t = types[fam]
        if t == "counter":
            if not name.endswith("_total"):
                errs.append("line %d: counter %s does not end in _total" % (lineno, name))
            if not value >= 0:
                errs.append("line %d: counter %s is %r" % (lineno, k, value))
        if t == "histogram":
            rest = {a: b for a, b in labels.items() if a != "le"}
            h = hist.setdefault((fam, key("", rest)), {"buckets": [], "count": None, "sum": None})
            if name.endswith("_bucket"):
                if "le" not in labels:
                    errs.append("line %d: bucket without le" % lineno)
                    continue
                try:
                    h["buckets"].append((parse_value(labels["le"]), value))
                except ValueError:
                    errs.append("line %d: le=%r is not a number" % (lineno, labels["le"]))
            elif name.endswith("_count"):
                h["count"] = value
            elif name.endswith("_sum"):
                h["sum"] = value
    for (fam, lab), h in hist.items():
        b = h["buckets"]
        where = fam + lab
        if not b or b[-1][0] != math.inf:
            errs.append("%s: no le=\"+Inf\" bucket last" % where)
        for (le1, v1), (le2, v2) in zip(b, b[1:]):
            if not le1 < le2:
                errs.append("%s: le %r then %r (not increasing)" % (where, le1, le2))
            if v2 < v1:
                errs.append("%s: bucket le=%r has %r < %r (not cumulative)" % (where, le2, v2, v1))
        if h["count"] is None or h["sum"] is None:
            errs.append("%s: _count or _sum missing" % where)
        elif b and b[-1][1] != h["count"]:
            errs.append("%s: +Inf bucket %r != _count %r" % (where, b[-1][1], h["count"]))
    for fam in types:
        if fam not in helps:
            errs.append("family %s has TYPE but no HELP" % fam)
    if errs:
        for e in errs[:30]:
            print(e)
        return 1
    print(json.dumps(series))
    return 0


if __name__ == "__main__":
    sys.exit(main())
