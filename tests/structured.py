#!/usr/bin/env python3
"""End-to-end tests for locations inside CSV/TSV and JSON/JSON Lines objects.

Fixtures are built here at test time (the csv, json and gzip modules give the
expected rows, columns and paths independently of magpie). Every scan runs
with -j1 and -j4 and both must give the same records (helpers from e2e.py).
Personal-data values are assembled at run time.
"""
import csv
import gzip
import io
import json
import os
import sys
import unittest
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e  # noqa: E402

SSN1 = e2e.splice("536-21-{{}}7804")
SSN2 = e2e.splice("287-65-{{}}4093")
SSN3 = e2e.splice("5362{{}}17804")
EMAIL = e2e.splice("alice.smith{{}}@acme-mail.com")
CARD = e2e.splice("4539 1488 {{}}0343 6467")


def found(recs, rule=None):
    return [f for f in e2e.findings(recs) if rule is None or f["rule"]["id"] == rule]


def where(f):
    loc = f["location"]
    return (loc["path"], loc["line"], loc["column"], json.dumps(loc.get("record"), sort_keys=True))


def rec(f):
    return f["location"].get("record")


def csv_text(rows, delim=",", crlf=False):
    b = io.StringIO()
    w = csv.writer(b, delimiter=delim, lineterminator="\r\n" if crlf else "\n")
    for r in rows:
        w.writerow(r)
    return b.getvalue()


def expected_cells(text, delim, values):
    """(row, column) of each value, from Python's csv reader (rows counted
    as records, the header being row 1)."""
    out = {}
    for i, row in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delim), start=1):
        for j, cell in enumerate(row, start=1):
            if cell in values:
                out[cell] = (i, j)
    return out


class Structured(e2e.TreeCase):

    def test_csv_quotes_newlines_and_a_header_keyword(self):
        rows = [["id", "name", "ssn", "order_id"]]
        for i in range(40):
            rows.append([str(i), "Doe, J%d" % i, "", "%09d" % (100000000 + i)])
        rows[3][2] = SSN1
        rows[3][1] = 'He said "hi"\nand left, twice'
        rows[30][2] = SSN2
        rows[31][3] = SSN3  # an order id that is SSN-shaped: not a finding
        text = csv_text(rows, crlf=True)
        self.write("people.csv", text)
        _, _, _, recs = e2e.scan(self, ["people.csv"], cwd=self.d)
        want = expected_cells(text, ",", {SSN1, SSN2})
        got = sorted((rec(f)["row"], rec(f)["column"], rec(f)["column_name"]) for f in found(recs, "pii.us-ssn"))
        self.assertEqual(got, sorted((r, c, "ssn") for r, c in want.values()))
        self.assertEqual(want[SSN1], (4, 3))
        # The embedded newline: the second SSN is on a later line than its row.
        f = [f for f in found(recs) if rec(f)["row"] == want[SSN2][0]][0]
        self.assertEqual(f["location"]["line"], want[SSN2][0] + 1)
        self.assertEqual(e2e.notices(recs), [])
        # Without structure the header keyword is too far: nothing found.
        self.write("people.txt", text)
        _, _, _, recs = e2e.scan(self, ["people.txt"], cwd=self.d)
        self.assertEqual(found(recs, "pii.us-ssn"), [])

    def test_tsv_and_semicolons_and_no_header(self):
        self.write("a.tsv", "customer_ssn\tnote\nx\t1\n%s\tok\n" % SSN1)
        self.write("b.csv", "Alice;%s;x\nBob;%s;y\n" % (CARD, "4111"))
        _, _, _, recs = e2e.scan(self, ["."], cwd=self.d)
        by = {f["location"]["path"]: f for f in found(recs)}
        self.assertEqual(rec(by["./a.tsv"]), {"row": 3, "column": 1, "column_name": "customer_ssn"})
        # No header row (the first row looks like the second): no column_name.
        self.assertEqual(rec(by["./b.csv"]), {"row": 1, "column": 2})

    def test_csv_header_that_holds_data_is_masked(self):
        text = "id,key %s\n1,x\n2,%s\n" % (e2e.AKID, e2e.GHP)
        self.write("h.csv", text)
        _, out, _, recs = e2e.scan(self, ["h.csv"], cwd=self.d)
        (f,) = found(recs, "github.pat-classic")
        self.assertEqual(rec(f), {"row": 3, "column": 2, "column_name": "<masked:aws.access-key-id>"})
        self.assertNotIn(e2e.AKID.encode(), out)
        # A header holding an e-mail address is taken for data: no header.
        self.write("e.csv", "id,%s\n1,x\n2,%s\n" % (EMAIL, e2e.GHP))
        _, out, _, recs = e2e.scan(self, ["e.csv"], cwd=self.d)
        self.assertEqual(rec(found(recs, "github.pat-classic")[0]), {"row": 3, "column": 2})

    def test_json_nested_arrays_and_keys(self):
        doc = {"customers": [
            {"name": "A", "billing": {"card": CARD}},
            {"name": "B", "ssns": [SSN1, "x" * 80, SSN2], "nested": {"ssn": {"value": "padding " * 8 + SSN3}}},
            {"order_id": SSN3, "matrix": [[1, 2], [3, [CARD]]]},
        ]}
        self.write("c.json", json.dumps(doc, indent=2))
        _, _, _, recs = e2e.scan(self, ["c.json"], cwd=self.d)
        got = sorted((f["rule"]["id"], rec(f)["index"], rec(f)["json_path"]) for f in found(recs))
        self.assertEqual(got, sorted([
            ("pii.payment-card", 0, "$.customers[0].billing.card"),
            ("pii.payment-card", 0, "$.customers[2].matrix[1][1][0]"),
            ("pii.us-ssn", 0, "$.customers[1].ssns[0]"),
            ("pii.us-ssn", 0, "$.customers[1].ssns[2]"),
            ("pii.us-ssn", 0, "$.customers[1].nested.ssn.value"),
        ]))

    def test_json_keys_that_hold_data_are_masked(self):
        doc = {"users": {EMAIL: {"ssn": SSN1}}, "weird key \"q\"": {"ssn": SSN2}}
        self.write("u.json", json.dumps(doc))
        _, out, _, recs = e2e.scan(self, ["u.json"], cwd=self.d)
        paths = sorted(rec(f)["json_path"] for f in found(recs, "pii.us-ssn"))
        self.assertEqual(paths, ['$.users["<masked:pii.email>"].ssn', '$["weird key \\"q\\""].ssn'])
        self.assertNotIn(EMAIL.encode(), out)
        # The e-mail itself: inside a key, the path of the object holding it.
        self.assertEqual([rec(f)["json_path"] for f in found(recs, "pii.email")], ["$.users"])
        _, out, _, recs = e2e.scan(self, ["--show-secrets", "u.json"], cwd=self.d)
        self.assertIn('$.users[\\"%s\\"].ssn' % EMAIL, out.decode())

    def test_json_lines_with_a_malformed_line(self):
        lines = ['{"id": 0, "ssn": "%s"}' % SSN1,
                 '',
                 '{"id": 2, "bad": x, "ssn": "%s"}' % SSN2,
                 '{"id": 3, "ssns": [1, 2, "%s"]}' % SSN1,
                 '{"id": 4, "card": "%s"}' % CARD]
        self.write("d/people.jsonl", "\n".join(lines) + "\n")
        _, _, err, recs = e2e.scan(self, ["d"], cwd=self.d)
        got = sorted((f["location"]["line"], json.dumps(rec(f), sort_keys=True)) for f in found(recs))
        self.assertEqual(got, [
            (1, json.dumps({"index": 0, "json_path": "$.ssn"}, sort_keys=True)),
            (3, json.dumps({"index": 2}, sort_keys=True)),
            (4, json.dumps({"index": 3, "json_path": "$.ssns[2]"}, sort_keys=True)),
            (5, json.dumps({"index": 4, "json_path": "$.card"}, sort_keys=True)),
        ])
        (n,) = e2e.notices(recs)
        self.assertEqual((n["kind"], n["location"]["path"]), ("malformed", "d/people.jsonl"))
        self.assertIn("on line 3", n["message"])
        self.assertIn(b"d/people.jsonl: malformed: malformed JSON on line 3", err)

    def test_malformed_json_document_is_scanned_as_text(self):
        self.write("m.json", '{"a": {"card": "%s"}, "b" 1,\n "c": "%s"}\n' % (CARD, CARD.replace(" ", "")))
        _, _, _, recs = e2e.scan(self, ["m.json"], cwd=self.d)
        got = sorted((f["location"]["line"], rec(f) and rec(f).get("json_path")) for f in found(recs))
        self.assertEqual(got, [(1, "$.a.card"), (2, None)])
        self.assertEqual([n["kind"] for n in e2e.notices(recs)], ["malformed"])

    def test_gzip_csv_and_archive_members(self):
        text = csv_text([["ssn", "n"], ["x", "1"], [SSN1, "2"]])
        self.write("exports/2024-05.csv.gz", gzip.compress(text.encode()))  # no name in the header
        with open(os.path.join(self.d, "exports/named.gz"), "wb") as raw:
            with gzip.GzipFile(filename="people.csv", mode="wb", fileobj=raw) as g:
                g.write(text.encode())
        b = io.BytesIO()
        with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("dump/rows.csv", text)
            z.writestr("dump/rows.txt", text)
        self.write("exports/bundle.zip", b.getvalue())
        _, _, _, recs = e2e.scan(self, ["exports"], cwd=self.d)
        got = sorted((f["location"]["path"], tuple(f["location"]["chain"]), json.dumps(rec(f), sort_keys=True))
                     for f in found(recs))
        cell = json.dumps({"row": 3, "column": 1, "column_name": "ssn"}, sort_keys=True)
        self.assertEqual(got, sorted([
            ("exports/2024-05.csv.gz", ("<decompressed>",), cell),
            ("exports/bundle.zip", ("dump/rows.csv",), cell),
            ("exports/named.gz", ("people.csv",), cell),
        ]))

    def test_positions_across_segments(self):
        """Values on every side of segment boundaries keep exact rows, paths
        and indices (segment-size at its minimum, 256 KiB)."""
        rows = [["id", "ssn", "note"]]
        plant = set(range(5, 60000, 997))
        for i in range(60000):
            rows.append([str(i), SSN1 if i in plant else "", '"q", and\nmore' if i % 3 == 0 else "n"])
        text = csv_text(rows)
        self.write("big.csv", text)
        want_rows = []
        for r, row in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
            if row[1] == SSN1:
                want_rows.append(r)
        lines = []
        for i in range(20000):
            lines.append(json.dumps({"i": i, "pad": "p" * (i % 50), "ssns": [SSN2] if i in plant else []}))
        self.write("big.jsonl", "\n".join(lines) + "\n")
        doc = {"rows": [{"k": i, "v": {"card": CARD} if i in plant else "x" * 30} for i in range(15000)]}
        self.write("big.json", json.dumps(doc))
        _, _, _, recs = e2e.scan(self, ["--limit", "segment-size=256K", "."], cwd=self.d)
        self.assertGreater(os.path.getsize(os.path.join(self.d, "big.csv")), 3 * 256 * 1024)
        by = {}
        for f in found(recs):
            by.setdefault(f["location"]["path"], []).append(rec(f))
        self.assertEqual(sorted(r["row"] for r in by["./big.csv"]), want_rows)
        self.assertTrue(all(r["column"] == 2 and r["column_name"] == "ssn" for r in by["./big.csv"]))
        self.assertEqual(sorted(r["index"] for r in by["./big.jsonl"]), sorted(i for i in plant if i < 20000))
        self.assertTrue(all(r["json_path"] == "$.ssns[0]" for r in by["./big.jsonl"]))
        self.assertEqual(sorted(r["json_path"] for r in by["./big.json"]),
                         sorted("$.rows[%d].v.card" % i for i in plant if i < 15000))
        self.assertEqual(e2e.notices(recs), [])

    def test_json_limits(self):
        deep = {"a": [[[[{"card": CARD}]]]], "b": {"card": CARD}}
        self.write("deep.json", json.dumps(deep))
        _, _, _, recs = e2e.scan(self, ["--limit", "json-depth=3", "deep.json"], cwd=self.d)
        got = sorted(json.dumps(rec(f), sort_keys=True) for f in found(recs))
        self.assertEqual(got, sorted([json.dumps({"index": 0}), json.dumps({"index": 0, "json_path": "$.b.card"},
                                                                          sort_keys=True)]))
        (n,) = e2e.notices(recs)
        self.assertEqual(n["kind"], "limit")
        self.assertIn("json-depth limit (3)", n["message"])
        longk = {"k" * 100: {"card": CARD}, "s": {"card": CARD}}
        self.write("long.json", json.dumps(longk))
        _, _, _, recs = e2e.scan(self, ["--limit", "json-path=64", "long.json"], cwd=self.d)
        self.assertEqual(sorted(str(rec(f).get("json_path")) for f in found(recs)), ["$.s.card", "None"])
        self.assertIn("json-path limit (64 bytes)", e2e.notices(recs)[0]["message"])
        # With the defaults the long path is kept whole.
        _, _, _, recs = e2e.scan(self, ["long.json"], cwd=self.d)
        self.assertIn("$.%s.card" % ("k" * 100), [rec(f)["json_path"] for f in found(recs)])

    def test_csv_columns_limit(self):
        self.write("w.csv", "a,b,ssn\nx,y,%s\n" % SSN1)
        _, _, _, recs = e2e.scan(self, ["--limit", "csv-columns=2", "w.csv"], cwd=self.d)
        self.assertEqual(found(recs), [])  # the ssn header is past the limit: no context
        self.assertIn("csv-columns limit (2)", e2e.notices(recs)[0]["message"])

    def test_text_and_sarif_show_the_record(self):
        self.write("t.csv", "id,ssn\n1,%s\n" % SSN1)
        self.write("t.json", json.dumps({"a": [{"ssn": SSN2}]}))
        code, out, _ = e2e.run(["scan", "--format", "text", "."], cwd=self.d)
        self.assertEqual(code, 1)
        self.assertIn(b"    at row 2, column 2 (ssn)\n", out)
        self.assertIn(b"    at record 0, $.a[0].ssn\n", out)
        code, out, _ = e2e.run(["scan", "--format", "sarif", "."], cwd=self.d)
        doc = json.loads(out)
        props = sorted(json.dumps(r["properties"]["record"], sort_keys=True) for r in doc["runs"][0]["results"])
        self.assertEqual(props, sorted([json.dumps({"row": 2, "column": 2, "column_name": "ssn"}, sort_keys=True),
                                        json.dumps({"index": 0, "json_path": "$.a[0].ssn"}, sort_keys=True)]))
        texts = [r["message"]["text"] for r in doc["runs"][0]["results"]]
        self.assertTrue(any(t.endswith(" at row 2, column 2 (ssn)") for t in texts), texts)

    def test_plain_text_has_no_record(self):
        self.write("x.txt", "ssn: %s\n" % SSN1)
        self.write("y.json", "ssn: %s\n" % SSN1)  # named JSON, but it is not
        _, _, _, recs = e2e.scan(self, ["."], cwd=self.d)
        self.assertEqual(len(found(recs)), 2)
        self.assertTrue(all("record" not in f["location"] for f in found(recs)))


if __name__ == "__main__":
    unittest.main(verbosity=2)
