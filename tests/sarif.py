#!/usr/bin/env python3
"""End-to-end tests for --format sarif (SARIF 2.1.0).

Each scan runs with -j1 and -j4 and the two documents must be
byte-identical: SARIF output is sorted, and holds no timing. Secret-shaped
values are assembled at run time, as in e2e.py, whose helpers are reused.
"""
import base64
import io
import json
import os
import sys
import tarfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e import AKID, GHP, TreeCase, run  # noqa: E402


def sarif(testcase, args, cwd):
    """Run a SARIF scan with -j1 and -j4; assert identical bytes."""
    outs = []
    for j in (1, 4):
        code, out, err = run(["scan", "-j%d" % j, "--format", "sarif"] + args, cwd=cwd)
        outs.append((code, out, err))
    testcase.assertEqual(outs[0][0], outs[1][0], "exit status differs between -j1 and -j4")
    testcase.assertEqual(outs[0][1], outs[1][1], "SARIF differs between -j1 and -j4")
    code, out, err = outs[0]
    doc = json.loads(out.decode("utf-8"))
    testcase.assertEqual(doc["version"], "2.1.0")
    testcase.assertEqual(doc["$schema"], "https://json.schemastore.org/sarif-2.1.0.json")
    testcase.assertEqual(len(doc["runs"]), 1)
    return code, out, err, doc["runs"][0]


class Sarif(TreeCase):

    def jsonl(self, args):
        _, out, _ = run(["scan", "-j1", "--format", "jsonl"] + args, cwd=self.d)
        return [json.loads(x) for x in out.decode().splitlines()]

    def test_results_match_json_findings(self):
        self.write("conf/app.env", "x\naws_access_key_id = %s\n" % AKID)
        self.write("ci.yml", "token: %s\nk=%s\n" % (GHP, AKID))
        self.write("clean.txt", "nothing\n")
        code, out, _, r = sarif(self, ["."], self.d)
        self.assertEqual(code, 1)
        driver = r["tool"]["driver"]
        self.assertEqual(driver["name"], "magpie")
        ids = [x["id"] for x in driver["rules"]]
        self.assertEqual(ids, sorted(set(ids)))
        for d in driver["rules"]:
            sev = d["properties"]["severity"]
            want = {"critical": "error", "high": "error", "medium": "warning"}.get(sev, "note")
            self.assertEqual(d["defaultConfiguration"]["level"], want)
            self.assertEqual(d["shortDescription"]["text"], d["name"])
            self.assertIn("Revoke or rotate it at its issuer", d["help"]["text"], "secret rules say what to do")
            self.assertIn("(rule %s, severity %s)" % (d["id"], sev), d["help"]["text"])
        finds = [x for x in self.jsonl(["."]) if x["type"] == "finding"]
        self.assertEqual(len(r["results"]), len(finds))
        self.assertGreaterEqual(len(finds), 3)
        got = set()
        for res in r["results"]:
            self.assertEqual(ids[res["ruleIndex"]], res["ruleId"])
            pl = res["locations"][0]["physicalLocation"]
            reg = pl["region"]
            got.add((pl["artifactLocation"]["uri"], res["ruleId"], reg["startLine"], reg["startColumn"],
                     reg["endLine"], reg["endColumn"], res["partialFingerprints"]["magpie/v1"]))
            self.assertEqual(res["properties"]["fingerprint"], res["partialFingerprints"]["magpie/v1"])
        want = set((f["location"]["path"], f["rule"]["id"], f["location"]["line"], f["location"]["column"],
                    f["location"]["end_line"], f["location"]["end_column"], f["secret"]["fingerprint"])
                   for f in finds)
        self.assertEqual(got, want)
        # sorted by uri, line, column
        keys = [(x[0], x[2], x[3]) for x in sorted(got)]
        order = [(res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                  res["locations"][0]["physicalLocation"]["region"]["startLine"],
                  res["locations"][0]["physicalLocation"]["region"]["startColumn"]) for res in r["results"]]
        self.assertEqual(order, sorted(keys))
        self.assertTrue(r["invocations"][0]["executionSuccessful"])

    def test_secret_never_written_unless_asked(self):
        self.write("a.env", "k=%s\ntoken=%s\n" % (AKID, GHP))
        _, out, _, r = sarif(self, ["a.env"], self.d)
        self.assertNotIn(AKID.encode(), out)
        self.assertNotIn(GHP.encode(), out)
        self.assertNotIn(AKID[6:].encode(), out)
        msgs = [res["message"]["text"] for res in r["results"]]
        self.assertTrue(any(m.startswith("AWS access key ID: %s\u2026 (" % AKID[:6]) for m in msgs), msgs)
        _, out, _ = run(["scan", "--format", "sarif", "--show-secrets", "a.env"], cwd=self.d)
        self.assertIn(AKID.encode(), out)

    def test_notice_in_tool_execution_notifications(self):
        self.write("a.env", "k=%s\n" % AKID)
        code, _, _, r = sarif(self, ["a.env", "missing file"], self.d)
        self.assertEqual(code, 2)
        inv = r["invocations"][0]
        self.assertFalse(inv["executionSuccessful"])
        notes = inv["toolExecutionNotifications"]
        self.assertEqual(len(notes), 1)
        n = notes[0]
        self.assertEqual(n["level"], "error")
        self.assertEqual(n["descriptor"]["id"], "unreadable")
        self.assertEqual(n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "missing%20file")
        self.assertTrue(n["message"]["text"])
        self.assertEqual(len(r["results"]), 1)

    def test_archive_chain_is_kept(self):
        data = ("k=%s\n" % AKID).encode()
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz") as t:
            ti = tarfile.TarInfo("conf/inner.env")
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
        self.write("release.tar.gz", buf.getvalue())
        code, _, _, r = sarif(self, ["release.tar.gz"], self.d)
        self.assertEqual(code, 1)
        res, = r["results"]
        self.assertEqual(res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "release.tar.gz")
        self.assertEqual(res["properties"]["chain"], ["conf/inner.env"])
        self.assertTrue(res["message"]["text"].endswith(" in conf/inner.env"), res["message"]["text"])
        reg = res["locations"][0]["physicalLocation"]["region"]
        self.assertEqual((reg["startLine"], reg["startColumn"], reg["endColumn"]), (1, 3, 23))

    def test_non_utf8_name_is_percent_encoded(self):
        with open(os.path.join(self.d.encode(), b"caf\xe9 %.env"), "wb") as f:
            f.write(("k=%s\n" % AKID).encode())
        _, out, _, r = sarif(self, ["."], self.d)
        out.decode("utf-8")
        uri = r["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        self.assertEqual(uri, "./caf%E9%20%25.env")

    def test_baseline_finding_is_a_suppressed_result(self):
        self.write("a.env", "k=%s\n" % AKID)
        code, _, _ = run(["scan", "--write-baseline", "base.json", "--format", "jsonl", "a.env"], cwd=self.d)
        self.assertEqual(code, 1)
        code, _, _, r = sarif(self, ["--baseline", "base.json", "a.env"], self.d)
        self.assertEqual((code, r["results"]), (0, []))
        code, _, _, r = sarif(self, ["--baseline", "base.json", "--show-suppressed", "a.env"], self.d)
        self.assertEqual(code, 0)
        res, = r["results"]
        self.assertEqual(res["suppressions"][0]["kind"], "external")

    def test_empty_scan_is_a_valid_document(self):
        self.write("clean.txt", "nothing\n")
        code, _, _, r = sarif(self, ["clean.txt"], self.d)
        self.assertEqual(code, 0)
        self.assertEqual(r["results"], [])
        self.assertEqual(r["tool"]["driver"]["rules"], [])


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    failed = len(result.failures) + len(result.errors)
    print("%d passed, %d failed" % (result.testsRun - failed - len(result.skipped), failed))
    sys.exit(1 if failed else 0)
