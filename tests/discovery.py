#!/usr/bin/env python3
"""End-to-end tests for data-lake results (issue 7): --report objects,
--report buckets and --sample.

Fixtures are small mirrors built here at test time: one directory per
bucket, as `aws s3 sync` leaves them. Every scan runs with -j1 and -j4 and
both must give the same records (e2e.scan). Secret-shaped values are
assembled at run time.
"""
import gzip
import hashlib
import io
import os
import shutil
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e  # noqa: E402

AKID = e2e.AKID
GHP = e2e.GHP
CARD = e2e.splice("4539 1488 {{}}0343 6467")  # Luhn-valid, not a documented test number
CLASSES = ("credentials", "financial", "personal")


def email(i):
    return "user%d.n@contoso-mail.co.uk" % i


def emails(first, n):
    return "".join("contact: %s\n" % email(i) for i in range(first, first + n))


def by_type(recs, t):
    return [r for r in recs if r["type"] == t]


def classes(c=0, f=0, p=0):
    return {"credentials": c, "financial": f, "personal": p}


def in_sample(rel, fraction):
    """The documented rule: top 53 bits of the first 8 bytes of SHA-256 of
    the root-relative path, as a fraction of 2^53, below the fraction."""
    h = int.from_bytes(hashlib.sha256(rel.encode()).digest()[:8], "big")
    return (h >> 11) / float(1 << 53) < fraction


class Discovery(e2e.TreeCase):
    def mirror(self, root="m"):
        """A small mirror whose every count is known."""
        # b-alpha: an AWS key id (high: 45); 12 e-mails (low 15 + 5 for
        # ten or more: 20); a clean file.
        self.put(root + "/b-alpha/conf/app.env", "x=1\naws_access_key_id = %s\n" % AKID)
        self.put(root + "/b-alpha/logs/mail.log", emails(0, 12))
        self.put(root + "/b-alpha/clean.txt", "nothing to see\n")
        # b-beta: twelve files of one e-mail each (15, ties broken by path:
        # f00..f09 make the top ten after the card file); a card and an
        # e-mail (high 45 + 10 for a second class: 55).
        for i in range(12):
            self.put(root + "/b-beta/f%02d.csv" % (11 - i), "id,mail\n%d,%s\n" % (i, email(100 + i)))
        self.put(root + "/b-beta/pay/cards.csv", "card %s\ncontact: %s\n" % (CARD, email(200)))
        # b-gamma: a gzip CSV with three e-mails and a key id.
        body = ("name,mail\n" + "".join("x,%s\n" % email(300 + i) for i in range(3)) +
                "aws_access_key_id = %s\n" % AKID)
        buf = io.BytesIO()
        with gzip.GzipFile(filename="2024.csv", mode="wb", fileobj=buf, mtime=0) as z:
            z.write(body.encode())
        self.put(root + "/b-gamma/exports/2024.csv.gz", buf.getvalue())
        # At the root: a GitHub token (critical: 60), bucket ".".
        self.put(root + "/top.env", "token=%s\n" % GHP)

    def test_object_records_exact(self):
        self.mirror()
        code, _, _, recs = e2e.scan(self, ["--report", "objects", "m"], cwd=self.d)
        self.assertEqual(code, 1)
        objs = {o["location"]["path"]: o for o in by_type(recs, "object")}
        # One record per object with findings, and only those.
        self.assertEqual(len(objs), 2 + 13 + 1 + 1)
        self.assertNotIn("m/b-alpha/clean.txt", objs)

        o = objs["m/b-alpha/conf/app.env"]
        self.assertEqual((o["bucket"], o["score"], o["findings"], o["detected_type"], o["size"]),
                         ("b-alpha", 45, 1, "text", len("x=1\naws_access_key_id = %s\n" % AKID)))
        self.assertEqual(o["findings_by_class"], classes(c=1))
        self.assertEqual(o["findings_by_rule"], {"aws.access-key-id": 1})
        (s,) = o["samples"]
        self.assertEqual(s["rule"], "aws.access-key-id")
        self.assertEqual((s["location"]["line"], s["location"]["column"], s["location"]["length"]),
                         (2, 21, 20))
        # The sample's location is the finding's, field for field.
        (f,) = [f for f in e2e.findings(recs) if f["location"]["path"] == "m/b-alpha/conf/app.env"]
        self.assertEqual(s["location"], f["location"])

        o = objs["m/b-alpha/logs/mail.log"]
        self.assertEqual((o["score"], o["findings"]), (20, 12))
        self.assertEqual(o["findings_by_class"], classes(p=12))
        self.assertEqual(len(o["samples"]), 12)
        self.assertEqual([x["location"]["line"] for x in o["samples"]], list(range(1, 13)))

        o = objs["m/b-beta/pay/cards.csv"]
        self.assertEqual((o["bucket"], o["score"], o["findings"]), ("b-beta", 55, 2))
        self.assertEqual(o["findings_by_class"], classes(f=1, p=1))
        self.assertEqual(o["findings_by_rule"], {"pii.payment-card": 1, "pii.email": 1})
        self.assertEqual(objs["m/b-beta/f03.csv"]["score"], 15)

        o = objs["m/b-gamma/exports/2024.csv.gz"]
        self.assertEqual((o["detected_type"], o["score"], o["findings"]), ("gzip", 55, 4))
        self.assertEqual(o["findings_by_class"], classes(c=1, p=3))
        self.assertEqual([x["location"]["chain"] for x in o["samples"]], [["2024.csv"]] * 4)
        self.assertEqual(o["size"], os.path.getsize(os.path.join(self.d, "m/b-gamma/exports/2024.csv.gz")))

        o = objs["m/top.env"]
        self.assertEqual((o["bucket"], o["score"], o["findings_by_rule"]), (".", 60, {"github.pat-classic": 1}))

        # Each object record comes after the object's findings (same worker batch).
        order = [(r["type"], (r.get("location") or {}).get("path")) for r in recs]
        for path in objs:
            last_finding = max(i for i, (t, p) in enumerate(order) if t == "finding" and p == path)
            self.assertGreater(order.index(("object", path)), last_finding)
        self.assertEqual(recs[-1]["objects_with_findings"], 17)

    def test_samples_limit_and_counted_findings(self):
        self.put("m/b/mail.log", emails(0, 30))
        _, _, _, recs = e2e.scan(self, ["--report", "objects", "--report-samples", "4",
                                        "--limit", "findings-per-rule=10", "m"], cwd=self.d)
        (o,) = by_type(recs, "object")
        # 10 written, 20 counted past findings-per-rule: all 30 count.
        self.assertEqual(len(e2e.findings(recs)), 10)
        self.assertEqual((o["findings"], o["findings_by_rule"]), (30, {"pii.email": 30}))
        self.assertEqual(o["score"], 15 + 5)
        self.assertEqual([x["location"]["line"] for x in o["samples"]], [1, 2, 3, 4])
        _, _, _, recs = e2e.scan(self, ["--report", "objects", "--report-samples", "0", "m"], cwd=self.d)
        self.assertEqual(by_type(recs, "object")[0]["samples"], [])

    def test_bucket_rollup_exact(self):
        self.mirror()
        _, _, _, recs = e2e.scan(self, ["--report", "buckets", "m"], cwd=self.d)
        self.assertEqual(by_type(recs, "object"), [], "--report buckets writes no object records")
        buckets = by_type(recs, "bucket")
        # Sorted by name; "." sorts first.
        self.assertEqual([b["bucket"] for b in buckets], [".", "b-alpha", "b-beta", "b-gamma"])
        self.assertTrue(all(b["root"] == "m" for b in buckets))
        # The bucket records come just before the summary.
        self.assertEqual([r["type"] for r in recs[-5:]], ["bucket"] * 4 + ["summary"])
        b = {x["bucket"]: x for x in buckets}

        a = b["b-alpha"]
        self.assertEqual((a["population"], a["sampled"], a["objects"], a["objects_with_findings"]), (3, 3, 3, 2))
        self.assertEqual((a["findings"], a["findings_by_class"]), (13, classes(c=1, p=12)))
        self.assertEqual(a["findings_by_rule"], {"aws.access-key-id": 1, "pii.email": 12})
        self.assertEqual(a["objects_by_type"], {"text": 3})
        self.assertEqual(a["bytes"], sum(os.path.getsize(os.path.join(self.d, "m/b-alpha", p))
                                         for p in ("conf/app.env", "logs/mail.log", "clean.txt")))
        self.assertEqual([(t["path"], t["score"], t["findings"]) for t in a["top"]],
                         [("m/b-alpha/conf/app.env", 45, 1), ("m/b-alpha/logs/mail.log", 20, 12)])
        self.assertEqual(a["top"][1]["findings_by_class"], classes(p=12))

        be = b["b-beta"]
        self.assertEqual((be["objects"], be["objects_with_findings"], be["findings"]), (13, 13, 14))
        self.assertEqual(be["findings_by_class"], classes(f=1, p=13))
        # The top ten: the card file (55), then nine of the twelve ties at
        # 15 by path: f00 ... f08 (f09, f10, f11 drop out).
        self.assertEqual([t["path"] for t in be["top"]],
                         ["m/b-beta/pay/cards.csv"] + ["m/b-beta/f%02d.csv" % i for i in range(9)])
        self.assertEqual([t["score"] for t in be["top"]], [55] + [15] * 9)

        g = b["b-gamma"]
        self.assertEqual((g["objects"], g["findings"], g["objects_by_type"]), (1, 4, {"gzip": 1}))
        self.assertEqual(g["findings_by_rule"], {"aws.access-key-id": 1, "pii.email": 3})

        d = b["."]
        self.assertEqual((d["objects"], d["findings"], d["top"][0]["score"]), (1, 1, 60))
        self.assertEqual(d["findings_by_class"], classes(c=1))
        # The buckets add up to the summary.
        s = recs[-1]
        self.assertEqual(sum(x["objects"] for x in buckets), s["files"])
        self.assertEqual(sum(x["findings"] for x in buckets), s["findings"])
        self.assertEqual(sum(x["objects_with_findings"] for x in buckets), s["objects_with_findings"])
        self.assertNotIn("estimate", a)
        self.assertNotIn("sample", s)

    def test_two_roots_and_file_root(self):
        self.put("r1/b/a.env", "k=%s\n" % AKID)
        self.put("r2/b/a.env", "k=%s\n" % AKID)
        self.put("loose.env", "t=%s\n" % GHP)
        _, _, _, recs = e2e.scan(self, ["--report", "buckets", "r2", "r1", "loose.env"], cwd=self.d)
        self.assertEqual([(b["root"], b["bucket"], b["objects"]) for b in by_type(recs, "bucket")],
                         [("r2", "b", 1), ("r1", "b", 1), ("loose.env", ".", 1)])

    def test_buckets_limit(self):
        for i in range(6):
            self.put("m/b%d/x.log" % i, "contact: %s\n" % email(i))
        _, _, err, recs = e2e.scan(self, ["--report", "buckets", "--limit", "buckets=4", "m"], cwd=self.d)
        buckets = by_type(recs, "bucket")
        named = [b for b in buckets if not b.get("other")]
        (other,) = [b for b in buckets if b.get("other")]
        self.assertEqual(len(named), 4)
        self.assertEqual(buckets[-1], other, "(other) comes last")
        self.assertEqual((other["bucket"], other["objects"], other["findings"]), ("(other)", 2, 2))
        self.assertEqual(sum(b["objects"] for b in buckets), 6, "nothing is lost")
        (n,) = e2e.notices(recs)
        self.assertEqual((n["kind"], n["location"]["path"]), ("limit", "m"))
        self.assertIn("buckets limit", n["message"])
        self.assertIn(b"buckets limit", err)

    def test_text_format(self):
        self.mirror()
        code, out, _ = e2e.run(["scan", "-j2", "--format", "text", "--report", "objects", "m"], cwd=self.d)
        self.assertEqual(code, 1)
        text = out.decode()
        self.assertIn("object m/b-beta/pay/cards.csv: score 55, 2 findings "
                      "(credentials 0, financial 1, personal 1); text, ", text)
        self.assertIn("bucket m b-beta: 13 objects, 13 with findings, 0.0 MB; 14 findings "
                      "(credentials 0, financial 1, personal 13)\n     55  m/b-beta/pay/cards.csv (2 findings)\n"
                      "     15  m/b-beta/f00.csv (1 finding)\n",
                      text)
        self.assertTrue(text.splitlines()[-1].startswith("magpie: "))
        # SARIF has no place for them: the document is the same without.
        _, a, _ = e2e.run(["scan", "--format", "sarif", "--report", "objects", "m"], cwd=self.d)
        _, b, _ = e2e.run(["scan", "--format", "sarif", "m"], cwd=self.d)
        self.assertEqual(a, b)

    # ---- sampling ----

    def sample_tree(self, root):
        for i in range(200):
            self.put("%s/b%d/d%d/obj-%03d.log" % (root, i % 3, i % 7, i), "contact: %s\n" % email(i))

    def sampled(self, recs, root):
        return sorted(os.path.relpath(f["location"]["path"], root) for f in e2e.findings(recs))

    def test_sample_is_deterministic_and_mount_independent(self):
        self.sample_tree("m")
        _, _, _, r1 = e2e.scan(self, ["--sample", "0.3", "m"], cwd=self.d)
        _, _, _, r2 = e2e.scan(self, ["--sample", "30%", "m"], cwd=self.d)
        got = self.sampled(r1, "m")
        self.assertEqual(got, self.sampled(r2, "m"), "two runs, the same objects")
        # Exactly the objects the documented hash picks.
        want = sorted(p for p in (os.path.relpath(os.path.join(dp, f), os.path.join(self.d, "m"))
                                  for dp, _, fs in os.walk(os.path.join(self.d, "m")) for f in fs)
                      if in_sample(p, 0.3))
        self.assertEqual(got, want)
        self.assertTrue(30 < len(got) < 90, len(got))
        # The same tree elsewhere, named another way: the same objects.
        other = os.path.join(self.d, "mnt", "deep", "copy")
        shutil.copytree(os.path.join(self.d, "m"), other)
        _, _, _, r3 = e2e.scan(self, ["--sample", "0.3", other], cwd=self.d)
        self.assertEqual(self.sampled(r3, other), got)
        _, _, _, r4 = e2e.scan(self, ["--sample", "0.3", "."], cwd=os.path.join(self.d, "m"))
        self.assertEqual(self.sampled(r4, "."), got)
        # A larger fraction takes a superset.
        _, _, _, r5 = e2e.scan(self, ["--sample", "0.6", "m"], cwd=self.d)
        self.assertTrue(set(got) < set(self.sampled(r5, "m")))

        s = r1[-1]
        sm = s["sample"]
        self.assertEqual((sm["fraction"], sm["population"], sm["sampled"]), (0.3, 200, len(got)))
        self.assertEqual(s["skipped"]["not_sampled"], 200 - len(got))
        self.assertEqual(s["files"], len(got))
        self.assertEqual((sm["objects_with_findings"], sm["findings"]), (len(got), len(got)))
        self.assertEqual(sm["findings_by_class"], classes(p=len(got)))
        self.assertEqual(sm["estimate"]["objects_with_findings"], 200, "one finding per object: exact")
        self.assertEqual(sm["estimate"]["findings_by_class"], classes(p=200))

    def test_sample_estimate_rounding_and_buckets(self):
        self.sample_tree("m")
        # Only some objects hold a finding: b0's, in d0.
        for dp, _, fs in os.walk(os.path.join(self.d, "m")):
            for f in fs:
                if not dp.endswith(os.path.join("b0", "d0")):
                    with open(os.path.join(dp, f), "w") as fh:
                        fh.write("nothing\n")
        _, _, _, recs = e2e.scan(self, ["--sample", "0.5", "--report", "buckets", "m"], cwd=self.d)
        sm = recs[-1]["sample"]
        taken = [p for p in ("b%d/d%d/obj-%03d.log" % (i % 3, i % 7, i) for i in range(200))
                 if in_sample(p, 0.5)]
        hits = [p for p in taken if p.startswith("b0/d0/")]
        self.assertEqual((sm["population"], sm["sampled"], sm["objects_with_findings"]),
                         (200, len(taken), len(hits)))
        self.assertEqual(sm["estimate"]["objects_with_findings"], int(len(hits) * 200 / len(taken) + 0.5))
        b0 = [b for b in by_type(recs, "bucket") if b["bucket"] == "b0"][0]
        pop0 = len([i for i in range(200) if i % 3 == 0])
        smp0 = len([p for p in taken if p.startswith("b0/")])
        self.assertEqual((b0["population"], b0["sampled"], b0["objects"]), (pop0, smp0, smp0))
        self.assertEqual(b0["estimate"]["objects_with_findings"], int(len(hits) * pop0 / smp0 + 0.5))
        self.assertEqual(b0["estimate"]["findings_by_class"]["personal"], int(len(hits) * pop0 / smp0 + 0.5))

    def test_sample_of_one_is_the_full_scan(self):
        self.mirror()
        _, _, _, full = e2e.scan(self, ["--report", "objects", "m"], cwd=self.d)
        _, _, _, one = e2e.scan(self, ["--report", "objects", "--sample", "1", "m"], cwd=self.d)
        sm = one[-1].pop("sample")
        self.assertEqual(e2e.comparable(one), e2e.comparable(full))
        self.assertEqual((sm["population"], sm["sampled"]), (18, 18))
        self.assertEqual(sm["estimate"]["findings"], sm["findings"])

    def test_bad_options(self):
        for args in (["--sample", "0"], ["--sample", "1.5"], ["--sample", "x"], ["--sample", "-0.1"],
                     ["--report", "files"], ["--report-samples", "1001"], ["--report-samples", "-1"],
                     ["--limit", "buckets=0"]):
            code, _, err = e2e.run(["scan"] + args + ["."], cwd=self.d)
            self.assertEqual(code, 2, args)
            self.assertIn(b"magpie:", err)


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    failed = len(result.failures) + len(result.errors)
    print("%d passed, %d failed" % (result.testsRun - failed - len(result.skipped), failed))
    sys.exit(1 if failed else 0)
