#!/usr/bin/env python3
"""End-to-end tests for --format sarif (SARIF 2.1.0).

Each scan runs with -j1 and -j4 and the two documents must be
byte-identical: SARIF output is sorted, and holds no timing. Secret-shaped
values are assembled at run time, as in e2e.py, whose helpers are reused.
"""
import base64
import copy
import io
import json
import os
import re
import sys
import tarfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e import AKID, GHP, TreeCase, run  # noqa: E402

try:
    import jsonschema
except ImportError:
    # Debian's python3-jsonschema (scripts/install-deps), when the python3
    # running the tests is not Debian's own.
    sys.path.append("/usr/lib/python3/dist-packages")
    import jsonschema  # noqa: E402

SCHEMA_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data",
                           "sarif-2.1.0-magpie.schema.json")
with open(SCHEMA_PATH, encoding="utf-8") as _f:
    SCHEMA = json.load(_f)

# RFC 3986: a URI reference is unreserved, reserved and %XX only.
_URI_REF = re.compile(r"^(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$")
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:" + _URI_REF.pattern[1:])
FORMATS = jsonschema.FormatChecker(formats=())


@FORMATS.checks("uri-reference")
def _is_uri_reference(s):
    return not isinstance(s, str) or bool(_URI_REF.match(s))


@FORMATS.checks("uri")
def _is_uri(s):
    return not isinstance(s, str) or bool(_URI.match(s))


VALIDATOR = jsonschema.Draft4Validator(SCHEMA, format_checker=FORMATS)


def schema_errors(doc):
    """Every way doc breaks the SARIF 2.1.0 schema, as readable lines."""
    return ["%s: %s" % ("/".join(str(p) for p in e.absolute_path) or "(root)", e.message)
            for e in VALIDATOR.iter_errors(doc)]


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
    testcase.assertEqual(schema_errors(doc), [], "SARIF 2.1.0 schema violations")
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


class Schema(TreeCase):
    """The output against the SARIF 2.1.0 schema in tests/data, and the
    schema against broken documents, so that the check cannot pass by
    accepting anything."""

    def rich(self):
        """A scan with every kind of object magpie writes: results in a
        file and in an archive member, a suppressed result, notices."""
        self.write("a.env", "k=%s\n" % AKID)
        code, _, _ = run(["scan", "--write-baseline", "base.json", "--format", "jsonl", "a.env"], cwd=self.d)
        self.assertEqual(code, 1)
        self.write("b.env", "token: %s\nmail bob.smith@example.org\n" % GHP)
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz") as t:
            data = ("x\ntoken = %s\n" % GHP).encode()
            ti = tarfile.TarInfo("etc/app.conf")
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
        self.write("img.tar.gz", buf.getvalue())
        self.write("cut.gz", b"\x1f\x8b\x08\x00cut")
        code, out, _, r = sarif(self, ["--baseline", "base.json", "--show-suppressed", "."], self.d)
        self.assertEqual(code, 1)
        return json.loads(out.decode("utf-8")), r

    def test_every_object_kind_validates(self):
        doc, r = self.rich()
        self.assertEqual(schema_errors(doc), [])
        kinds = {res["ruleId"] for res in r["results"]}
        self.assertIn("github.pat-classic", kinds)
        self.assertTrue(any("suppressions" in res for res in r["results"]), "a suppressed result")
        self.assertTrue(any("chain" in res.get("properties", {}) for res in r["results"]), "an archive member")
        self.assertTrue(r["invocations"][0]["toolExecutionNotifications"], "a notice")

    def test_rules_carry_githubs_security_properties(self):
        _, r = self.rich()
        bands = {"critical": (9.0, 10.0), "high": (7.0, 8.9), "medium": (4.0, 6.9), "low": (0.1, 3.9)}
        for d in r["tool"]["driver"]["rules"]:
            p = d["properties"]
            self.assertEqual(p["tags"], ["security", p["category"]])
            if p["severity"] == "info":
                self.assertNotIn("security-severity", p)
                continue
            lo, hi = bands[p["severity"]]
            self.assertTrue(lo <= float(p["security-severity"]) <= hi, d)

    def test_schema_rejects_broken_documents(self):
        doc, _ = self.rich()
        res0 = ("runs", 0, "results", 0)
        region = res0 + ("locations", 0, "physicalLocation", "region")

        def at(d, path):
            for k in path:
                d = d[k]
            return d

        breakages = {
            "wrong version": lambda d: d.__setitem__("version", "2.0.0"),
            "no runs": lambda d: d.pop("runs"),
            "unknown top-level property": lambda d: d.__setitem__("results", []),
            "result without message": lambda d: at(d, res0).pop("message"),
            "message without text or id": lambda d: at(d, res0).__setitem__("message", {"markdown": "x"}),
            "level not in SARIF's set": lambda d: at(d, res0).__setitem__("level", "fatal"),
            "ruleIndex below -1": lambda d: at(d, res0).__setitem__("ruleIndex", -2),
            "line 0": lambda d: at(d, region).__setitem__("startLine", 0),
            "column as a string": lambda d: at(d, region).__setitem__("startColumn", "8"),
            "unknown region property": lambda d: at(d, region).__setitem__("line", 3),
            "uri with a raw space": lambda d: at(d, res0 + ("locations", 0, "physicalLocation",
                                                             "artifactLocation")).__setitem__("uri", "a b.env"),
            "physical location without artifact": lambda d: at(d, res0 + ("locations", 0,
                                                                           "physicalLocation")).pop("artifactLocation"),
            "fingerprint not a string": lambda d: at(d, res0).__setitem__("partialFingerprints", {"magpie/v1": 1}),
            "driver without name": lambda d: d["runs"][0]["tool"]["driver"].pop("name"),
            "rule without id": lambda d: d["runs"][0]["tool"]["driver"]["rules"][0].pop("id"),
            "help without text": lambda d: d["runs"][0]["tool"]["driver"]["rules"][0].__setitem__("help", {}),
            "invocation without executionSuccessful":
                lambda d: d["runs"][0]["invocations"][0].pop("executionSuccessful"),
            "notification without message":
                lambda d: d["runs"][0]["invocations"][0]["toolExecutionNotifications"][0].pop("message"),
            "suppression kind unknown": lambda d: [x for x in d["runs"][0]["results"] if "suppressions" in x][0]
                ["suppressions"][0].__setitem__("kind", "baseline"),
            "duplicate tags": lambda d: d["runs"][0]["tool"]["driver"]["rules"][0]["properties"]
                .__setitem__("tags", ["security", "security"]),
        }
        for name, breakage in breakages.items():
            broken = copy.deepcopy(doc)
            breakage(broken)
            self.assertNotEqual(schema_errors(broken), [], "the schema accepts: " + name)


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    failed = len(result.failures) + len(result.errors)
    print("%d passed, %d failed" % (result.testsRun - failed - len(result.skipped), failed))
    sys.exit(1 if failed else 0)
