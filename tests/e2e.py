#!/usr/bin/env python3
"""End-to-end tests: run the built magpie on fixtures made here.

Two kinds of case:
- data-driven: every tests/cases/*.case file (format in tests/cases/README);
- scripted: the test_* methods below, for what a recipe cannot express
  (FIFOs, stdin, permissions, cache corruption, huge files).

Every scan runs with -j1 and -j4 and the two outputs must hold the same
records. Secret-looking literals are split with "{{}}" in this repository;
the marker is removed when fixtures are written.
"""
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest

MAGPIE = os.path.abspath(os.environ.get("MAGPIE", os.path.join(os.path.dirname(__file__), "..", "magpie")))
SRCDIR = os.path.abspath(os.environ.get("top_srcdir", os.path.join(os.path.dirname(__file__), "..")))
CASES = os.path.join(SRCDIR, "tests", "cases")
TIMEOUT = 120


def splice(s):
    return s.replace("{{}}", "")


def run(args, cwd=None, stdin=None, env=None):
    e = dict(os.environ)
    if env:
        e.update(env)
    p = subprocess.run([MAGPIE] + args, cwd=cwd, input=stdin, capture_output=True,
                       timeout=TIMEOUT, env=e)
    return p.returncode, p.stdout, p.stderr


def records(out, fmt="jsonl"):
    if fmt == "json":
        return json.loads(out)
    return [json.loads(line) for line in out.decode().splitlines() if line.strip()]


def comparable(recs):
    """Records minus what legitimately differs between runs, sorted."""
    keep = []
    for r in recs:
        r = json.loads(json.dumps(r))
        if r["type"] == "summary":
            r.pop("elapsed_seconds", None)
            r.pop("threads", None)
        keep.append(json.dumps(r, sort_keys=True))
    return sorted(keep)


def scan(testcase, args, cwd=None, stdin=None, threads=(1, 4), env=None):
    """Run a jsonl scan with each thread count; assert identical records."""
    results = []
    for j in threads:
        code, out, err = run(["scan", "-j%d" % j, "--format", "jsonl"] + args, cwd=cwd,
                             stdin=stdin, env=env)
        recs = records(out)
        testcase.assertTrue(recs and recs[-1]["type"] == "summary", "no summary record: %r" % err)
        results.append((code, out, err, recs))
    first = results[0]
    for other in results[1:]:
        testcase.assertEqual(first[0], other[0], "exit status differs between -j1 and -jN")
        testcase.assertEqual(comparable(first[3]), comparable(other[3]),
                             "records differ between -j1 and -jN")
    return first


def findings(recs):
    return [r for r in recs if r["type"] == "finding"]


def notices(recs):
    return [r for r in recs if r["type"] == "notice"]


# ---- data-driven cases ----

def parse_case(path):
    """See tests/cases/README for the format."""
    case = {"args": [], "exit": None, "files": {}, "expect": [], "absent": [], "present": [],
            "notices": [], "name": os.path.basename(path)}
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.strip() or line.startswith("#"):
            continue
        key, _, val = line.partition(":")
        val = val.strip()
        if key == "args":
            case["args"] = val.split()
        elif key == "exit":
            case["exit"] = int(val)
        elif key == "file":
            body = []
            while i < len(lines) and lines[i] != "end":
                body.append(lines[i])
                i += 1
            i += 1
            case["files"][val] = splice("\n".join(body) + "\n")
        elif key == "expect":
            case["expect"].append(val.split())
        elif key == "absent":
            case["absent"].append(splice(val))
        elif key == "present":
            case["present"].append(splice(val))
        elif key == "notice":
            case["notices"].append(val.split())
        else:
            raise ValueError("%s: unknown key %r" % (path, key))
    return case


class DataCases(unittest.TestCase):
    pass


def make_case_test(path):
    def test(self):
        case = parse_case(path)
        with tempfile.TemporaryDirectory() as d:
            for name, body in case["files"].items():
                p = os.path.join(d, name)
                os.makedirs(os.path.dirname(p), exist_ok=True)
                with open(p, "w", encoding="utf-8") as f:
                    f.write(body)
            code, out, err, recs = scan(self, case["args"] + ["."], cwd=d)
            if case["exit"] is not None:
                self.assertEqual(code, case["exit"], err.decode())
            got = sorted((f["rule"]["id"], f["location"]["path"][2:], str(f["location"]["line"]),
                          str(f["location"]["column"])) for f in findings(recs))
            want = sorted(tuple(e) for e in case["expect"])
            self.assertEqual(got, want, "findings differ")
            for s in case["absent"]:
                self.assertNotIn(s.encode(), out, "output contains %r" % s)
                self.assertNotIn(s.encode(), err)
            for s in case["present"]:
                self.assertIn(s.encode(), out)
            got_n = sorted((n["kind"], n["location"]["path"][2:]) for n in notices(recs))
            self.assertEqual(got_n, sorted(tuple(n) for n in case["notices"]))
    return test


if os.path.isdir(CASES):
    for fn in sorted(os.listdir(CASES)):
        if fn.endswith(".case"):
            setattr(DataCases, "test_" + re.sub(r"\W", "_", fn[:-5]),
                    make_case_test(os.path.join(CASES, fn)))


# ---- scripted cases ----

AKID = splice("AKIA{{}}QYLPMN5HRWZ3TXVB")
GHP = splice("ghp_{{}}R8x2Lq7VnM4kT9pWc3Zb6Yh1Jd5Fs0Gu8Aep")


class TreeCase(unittest.TestCase):
    """A fresh directory per test (self.d), removed afterwards even where a
    test took permissions away; write() puts text or bytes in it. Shared by
    every end-to-end suite."""

    def setUp(self):
        self.d = tempfile.mkdtemp(prefix="magpie-%s-" % type(self).__name__.lower())

    def tearDown(self):
        for root, dirs, _ in os.walk(self.d):
            for x in dirs:
                try:
                    os.chmod(os.path.join(root, x), 0o755)
                except OSError:
                    pass
        shutil.rmtree(self.d, ignore_errors=True)

    def write(self, rel, data):
        p = os.path.join(self.d, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
        return p

    put = write


def run_on_tty(args, cwd, env, stdout=None):
    """Run magpie with stderr (and stdout, unless given) on a pseudo-terminal;
    returns everything the terminal received."""
    import pty
    m, s = pty.openpty()
    p = subprocess.Popen([MAGPIE] + args, cwd=cwd, stdout=s if stdout is None else stdout, stderr=s, env=env)
    os.close(s)
    data = b""
    while True:
        try:
            chunk = os.read(m, 4096)
        except OSError:  # EIO once the child side is closed
            break
        if not chunk:
            break
        data += chunk
    p.wait(timeout=TIMEOUT)
    os.close(m)
    return data


class Scripted(TreeCase):

    def test_exit_clean_and_findings(self):
        self.write("clean.txt", "nothing to see\n")
        code, _, _, recs = scan(self, ["."], cwd=self.d)
        self.assertEqual(code, 0)
        self.assertEqual(recs[-1]["findings"], 0)
        self.write("dirty.env", "AWS_ACCESS_KEY_ID=%s\n" % AKID)
        code, _, _, recs = scan(self, ["."], cwd=self.d)
        self.assertEqual(code, 1)
        self.assertEqual(recs[-1]["findings_by_rule"], {"aws.access-key-id": 1})

    def test_json_is_one_document(self):
        self.write("a.env", "k=%s\n" % AKID)
        code, out, err = run(["scan", "--format", "json", self.d])
        self.assertEqual(code, 1, err)
        doc = json.loads(out)
        self.assertIsInstance(doc, list)
        self.assertEqual([r["type"] for r in doc], ["finding", "summary"])
        f = doc[0]
        for key in ("path", "chain", "line", "column", "end_line", "end_column", "offset", "length"):
            self.assertIn(key, f["location"])
        self.assertEqual(f["location"]["offset"], 2)
        self.assertEqual(f["location"]["length"], 20)
        self.assertEqual(f["location"]["end_column"], 23)
        self.assertTrue(f["secret"]["fingerprint"].startswith("sha256:"))

    def test_default_format_is_json_when_piped(self):
        self.write("a.env", "k=%s\n" % AKID)
        code, out, _ = run(["scan", self.d])
        self.assertEqual(code, 1)
        self.assertIsInstance(json.loads(out), list)

    def test_redaction_everywhere(self):
        self.write("a.env", "key=%s and %s\n" % (AKID, GHP))
        for fmt in ("json", "jsonl", "text"):
            code, out, err = run(["scan", "--format", fmt, self.d])
            self.assertEqual(code, 1)
            for s in (AKID, GHP):
                self.assertNotIn(s.encode(), out, fmt)
                self.assertNotIn(s.encode(), err, fmt)
        code, out, _ = run(["scan", "--format", "jsonl", "--show-secrets", self.d])
        self.assertIn(AKID.encode(), out)
        vals = {f["secret"]["value"] for f in findings(records(out))}
        self.assertEqual(vals, {AKID, GHP})

    def test_fingerprint_stable_across_files_and_runs(self):
        self.write("a.env", "x %s\n" % AKID)
        self.write("b/c.txt", "\n\n  %s\n" % AKID)
        _, _, _, recs = scan(self, ["."], cwd=self.d)
        fps = {f["secret"]["fingerprint"] for f in findings(recs)}
        self.assertEqual(len(fps), 1)
        _, _, _, recs2 = scan(self, ["."], cwd=self.d)
        self.assertEqual(fps, {f["secret"]["fingerprint"] for f in findings(recs2)})

    def test_fifo_socket_never_opened(self):
        self.write("ok.txt", "x=%s\n" % AKID)
        os.mkfifo(os.path.join(self.d, "pipe"))
        import socket
        s = socket.socket(socket.AF_UNIX)
        s.bind(os.path.join(self.d, "sock"))
        try:
            code, _, err, recs = scan(self, ["."], cwd=self.d)  # would hang if the FIFO were opened
        finally:
            s.close()
        self.assertEqual(code, 1)
        kinds = sorted((n["kind"], n["location"]["path"]) for n in notices(recs))
        self.assertEqual(kinds, [("special-file", "./pipe"), ("special-file", "./sock")])
        self.assertIn(b"./pipe: special-file", err)
        # A FIFO named on the command line is not opened either.
        code, _, _, recs = scan(self, ["pipe"], cwd=self.d)
        self.assertEqual([n["kind"] for n in notices(recs)], ["special-file"])

    def test_symlinks(self):
        self.write("real/a.env", "k=%s\n" % AKID)
        os.symlink("real/a.env", os.path.join(self.d, "link.env"))
        os.symlink("..", os.path.join(self.d, "real", "loop"))
        _, _, _, recs = scan(self, ["."], cwd=self.d)
        self.assertEqual([f["location"]["path"] for f in findings(recs)], ["./real/a.env"])
        self.assertEqual(recs[-1]["skipped"]["symlinks"], 2)
        _, _, _, recs = scan(self, ["--follow-symlinks", "."], cwd=self.d)
        paths = sorted(f["location"]["path"] for f in findings(recs))
        self.assertEqual(paths, ["./link.env", "./real/a.env"])
        self.assertEqual([n["kind"] for n in notices(recs)], ["symlink-loop"])

    def test_exclude(self):
        self.write("keep/a.env", "k=%s\n" % AKID)
        self.write("node_modules/x/a.env", "k=%s\n" % AKID)
        self.write("keep/b.min.js", "k=%s\n" % AKID)
        _, _, _, recs = scan(self, ["--exclude", "node_modules", "--exclude", "*.min.js", "."], cwd=self.d)
        self.assertEqual([f["location"]["path"] for f in findings(recs)], ["./keep/a.env"])
        self.assertEqual(recs[-1]["skipped"]["excluded"], 2)
        _, _, _, recs = scan(self, ["--exclude", "keep/**", "."], cwd=self.d)
        self.assertEqual([f["location"]["path"] for f in findings(recs)], ["./node_modules/x/a.env"])

    def test_stdin(self):
        code, _, _, recs = scan(self, ["-"], stdin=("a\nb %s\n" % AKID).encode())
        self.assertEqual(code, 1)
        f = findings(recs)[0]
        self.assertEqual((f["location"]["path"], f["location"]["line"], f["location"]["column"]), ("-", 2, 3))

    def test_missing_path_is_error_but_scan_goes_on(self):
        self.write("a.env", "k=%s\n" % AKID)
        code, _, err, recs = scan(self, ["nope", "a.env"], cwd=self.d)
        self.assertEqual(code, 2)
        self.assertEqual(len(findings(recs)), 1)
        self.assertEqual([(n["kind"], n["location"]["path"]) for n in notices(recs)], [("unreadable", "nope")])
        self.assertEqual(err.decode().count("\n"), 1)
        self.assertIn("nope", err.decode())

    def test_read_error_notice(self):
        # /proc/self/mem is a regular file whose first page cannot be read.
        if not os.path.exists("/proc/self/mem"):
            self.skipTest("no procfs")
        code, _, err, recs = scan(self, ["/proc/self/mem"])
        self.assertEqual([n["kind"] for n in notices(recs)], ["read-error"])
        self.assertIn(b"read failed", err)

    def test_unreadable_file(self):
        if os.geteuid() == 0:
            self.skipTest("root reads every file")
        p = self.write("secret.env", "k=%s\n" % AKID)
        os.chmod(p, 0)
        _, _, _, recs = scan(self, ["."], cwd=self.d)
        self.assertEqual([n["kind"] for n in notices(recs)], ["unreadable"])

    def test_max_file_size(self):
        self.write("small.env", "k=%s\n" % AKID)
        self.write("big.env", "k=%s\n" % AKID + "x" * 5000)
        _, _, _, recs = scan(self, ["--max-file-size", "4K", "."], cwd=self.d)
        self.assertEqual([f["location"]["path"] for f in findings(recs)], ["./small.env"])
        self.assertEqual([(n["kind"], n["location"]["path"]) for n in notices(recs)], [("limit", "./big.env")])
        self.assertIn("file-size", notices(recs)[0]["message"])

    def test_large_file_segments(self):
        """Secrets around every segment boundary of a multi-segment file."""
        seg = 256 * 1024
        line = "key " + "." * 20 + " the quick brown fox jumps over the lazy dog\n"
        body = bytearray((line * (5 * seg // len(line) + 10)).encode())
        planted = []
        for k in range(1, 5):
            for delta in (-300, -21, -10, -1, 0, 5, 300):
                off = k * seg + delta
                off -= off % len(line)  # line start
                off += 4
                if planted and off <= planted[-1] + len(line):
                    continue
                body[off:off + 20] = AKID.encode()
                planted.append(off)
        p = os.path.join(self.d, "big.txt")
        with open(p, "wb") as f:
            f.write(body)
        code, _, _, recs = scan(self, ["--limit", "segment-size=256K", "--limit", "match-width=64K", "big.txt"],
                                cwd=self.d)
        got = sorted(f["location"]["offset"] for f in findings(recs))
        self.assertEqual(got, planted)
        for f in findings(recs):
            off = f["location"]["offset"]
            self.assertEqual(f["location"]["line"], body[:off].count(b"\n") + 1)
            self.assertEqual(f["location"]["column"], 5)
        self.assertEqual(recs[-1]["bytes"], len(body))

    def test_sparse_file_holes_are_zeros_at_the_right_offsets(self):
        """Holes are handed on as zeros without reading them: the values
        between and after them keep their exact offsets and lines."""
        p = os.path.join(self.d, "sparse.bin")
        mib = 1 << 20
        planted = [3 * mib + 7, 9 * mib - 25, 40 * mib + 1, 64 * mib - 30]
        with open(p, "wb") as f:
            f.truncate(64 * mib)
            for i, off in enumerate(planted):
                f.seek(off - 1)
                f.write(b"\n" + AKID.encode() + b"\n" * (i + 1))
        if os.stat(p).st_blocks * 512 >= os.path.getsize(p):
            self.skipTest("this file system does not keep holes")
        code, _, _, recs = scan(self, ["--limit", "segment-size=1M", "sparse.bin"], cwd=self.d)
        got = sorted((f["location"]["offset"], f["location"]["line"], f["location"]["column"])
                     for f in findings(recs))
        want = [(off, sum(range(1, i + 1)) + i + 2, 1) for i, off in enumerate(planted)]
        self.assertEqual(got, want)
        self.assertEqual(recs[-1]["bytes"], 64 * mib)

    def test_non_utf8_and_quoted_paths(self):
        raw = os.path.join(self.d.encode(), b"bad\xff\"name\n.env")
        with open(raw, "wb") as f:
            f.write(("k=%s\n" % AKID).encode())
        _, out, _, recs = scan(self, ["."], cwd=self.d)
        f = findings(recs)[0]
        import base64
        self.assertEqual(base64.b64decode(f["location"]["path_base64"]), b"./bad\xff\"name\n.env")
        self.assertIn("\ufffd", f["location"]["path"])
        out.decode("utf-8")  # the output is valid UTF-8

    def test_usage_errors(self):
        for args in (["scan"], ["scan", "--threads", "0", "."], ["scan", "--format", "xml", "."],
                     ["scan", "--bogus", "."], ["frobnicate"], ["scan", "--limit", "nope=1", "."],
                     ["scan", "--rules", "/nonexistent/rules.yml", "."]):
            code, out, err = run(args, cwd=self.d)
            self.assertEqual(code, 2, args)
            self.assertEqual(err.decode().count("\n"), 1, (args, err))
            self.assertEqual(out, b"")

    def test_rule_errors_name_file_and_line(self):
        rules = self.write("r/bad.yml", "rules:\n  - id: x.good\n    name: Good\n    category: secret\n"
                           "    severity: low\n    pattern: 'GOOD_[0-9]{8}'\n    examples: ['GOOD_12345678']\n"
                           "    negative_examples: ['GOOD_1']\n  - id: x.bad\n    name: Bad\n"
                           "    category: secret\n    severity: dire\n    pattern: 'BAD'\n"
                           "    examples: ['BAD']\n    negative_examples: ['B']\n")
        self.write("data.txt", "GOOD_87654321\n")
        code, out, err, recs = scan(self, ["--no-default-rules", "--rules", rules, "data.txt"], cwd=self.d)
        self.assertEqual(code, 1)  # the good rule still works
        self.assertIn(b"bad.yml:12: rule 'x.bad': 'severity' must be", err)
        self.assertEqual([n["kind"] for n in notices(recs)], ["rule-error"])
        code, _, err = run(["rules", "check", rules])
        self.assertEqual(code, 2)
        self.assertIn(b"bad.yml:12:", err)

    def test_rules_override_and_replace(self):
        rules = self.write("r/extra.yml", "rules:\n  - id: aws.access-key-id\n    name: Overridden\n"
                           "    category: secret\n    severity: info\n    pattern: '\\bAKIA[A-Z2-7]{16}\\b'\n"
                           "    examples: ['%s']\n    negative_examples: ['AKIA']\n" % AKID)
        self.write("a.env", "k=%s\n" % AKID)
        _, _, _, recs = scan(self, ["--rules", rules, "a.env"], cwd=self.d)
        fs = findings(recs)
        self.assertEqual([(f["rule"]["id"], f["rule"]["name"], f["rule"]["severity"]) for f in fs],
                         [("aws.access-key-id", "Overridden", "info")])
        self.assertGreater(recs[-1]["rules"], 10)
        _, _, _, recs = scan(self, ["--no-default-rules", "--rules", rules, "a.env"], cwd=self.d)
        self.assertEqual(recs[-1]["rules"], 1)

    def test_cache_corrupt_is_rebuilt(self):
        cache = os.path.join(self.d, "cache")
        self.write("a.env", "k=%s\n" % AKID)
        args = ["--cache-dir", cache, "a.env"]
        code, _, _, _ = scan(self, args, cwd=self.d, threads=(1,))
        self.assertEqual(code, 1)
        files = os.listdir(cache)
        self.assertEqual(len(files), 1)
        path = os.path.join(cache, files[0])
        size = os.path.getsize(path)
        with open(path, "r+b") as f:  # flip bytes in the payload
            f.seek(size // 2)
            f.write(b"\x00garbage\xff" * 4)
        code, _, _, recs = scan(self, args, cwd=self.d, threads=(1,))
        self.assertEqual(code, 1)
        self.assertEqual(len(findings(recs)), 1)
        with open(path, "wb") as f:  # truncated
            f.write(b"MPHSDB02")
        code, _, _, recs = scan(self, args, cwd=self.d, threads=(1,))
        self.assertEqual((code, len(findings(recs))), (1, 1))
        self.assertGreater(os.path.getsize(path), 1000)  # rewritten

    def test_findings_per_object_limit(self):
        self.write("many.txt", "".join("k%d=%s\n" % (i, AKID[:-2] + "%02d" % i) for i in range(20)).replace("0", "Q"))
        _, _, _, recs = scan(self, ["--limit", "findings-per-object=5", "."], cwd=self.d)
        self.assertEqual(len(findings(recs)), 5)
        self.assertEqual([n["kind"] for n in notices(recs)], ["limit"])

    def test_findings_per_rule_counts_the_rest(self):
        keys = [AKID[:-2] + "Q" + "ABCDEFGHIJKL"[i] for i in range(12)]  # base32, as AWS's are
        self.write("many.txt", "".join("k=%s\n" % k for k in keys))
        self.write("few.txt", "k=%s\n" % keys[0])
        code, _, err, recs = scan(self, ["--limit", "findings-per-rule=4", "."], cwd=self.d)
        self.assertEqual(code, 1)
        per_file = sorted((f["location"]["path"], f["location"]["line"]) for f in findings(recs))
        self.assertEqual(per_file, [("./few.txt", 1)] + [("./many.txt", n) for n in (1, 2, 3, 4)])
        s = recs[-1]
        self.assertEqual((s["findings"], s["unreported_findings"]), (5, 8))
        self.assertEqual(s["unreported_by_rule"], {"aws.access-key-id": 8})
        [n] = notices(recs)
        self.assertEqual((n["kind"], n["location"]["path"]), ("limit", "./many.txt"))
        self.assertIn("aws.access-key-id 8", n["message"])
        self.assertIn(b"findings-per-rule limit (4)", err)
        # Count only: nothing written, still exit 1.
        code, _, _, recs = scan(self, ["--limit", "findings-per-rule=0", "."], cwd=self.d)
        self.assertEqual((code, len(findings(recs)), recs[-1]["unreported_findings"]), (1, 0, 13))

    def test_baseline_covers_findings_past_the_per_rule_limit(self):
        """A baseline written with findings past findings-per-rule holds them all, and
        suppressing them leaves nothing: known findings do not use up the limit."""
        keys = [AKID[:-2] + "Q" + "ABCDEFGHIJKL"[i] for i in range(12)]
        self.write("many.txt", "".join("k=%s\n" % k for k in keys))
        base = os.path.join(self.d, "base.json")
        code, _, _, recs = scan(self, ["--limit", "findings-per-rule=4", "--write-baseline", base, "."],
                                cwd=self.d, threads=(1,))
        self.assertEqual((code, recs[-1]["findings"], recs[-1]["unreported_findings"]), (1, 4, 8))
        with open(base) as f:
            self.assertEqual(len(json.load(f)["findings"]), 12)
        code, _, _, recs = scan(self, ["--limit", "findings-per-rule=4", "--baseline", base, "."], cwd=self.d)
        s = recs[-1]
        self.assertEqual((code, s["findings"], s["unreported_findings"], s["suppressed"]), (0, 0, 0, 12))
        # One new key after the twelve known ones is written, not held back.
        self.write("many.txt", "".join("k=%s\n" % k for k in keys) + "k=%s\n" % (AKID[:-2] + "QM"))
        code, _, _, recs = scan(self, ["--limit", "findings-per-rule=4", "--baseline", base, "."], cwd=self.d)
        self.assertEqual([f["location"]["line"] for f in findings(recs)], [13])
        self.assertEqual(code, 1)

    def test_inline_allow_comments(self):
        keys = [AKID[:-2] + "Q" + "ABCDEFGHIJKL"[i] for i in range(8)]
        pem = splice("-----BEGIN RSA {{}}PRIVATE KEY-----\n") + "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n" \
            + splice("-----END RSA {{}}PRIVATE KEY-----")
        self.write("a.env", "k=%s # magpie:allow\n"
                            "k=%s # magpie:allow github.*\n"
                            "k=%s // magpie:allow=aws.*, github.pat-classic\n"
                            "k=%s # magpie:allowed is not the tag\n"
                            "k=%s\n"
                            "%s # magpie:allow private-key.*\n" % (keys[0], keys[1], keys[2], keys[3], keys[4], pem))
        code, _, _, recs = scan(self, ["a.env"], cwd=self.d)
        self.assertEqual(code, 1)
        self.assertEqual(sorted(f["location"]["line"] for f in findings(recs)), [2, 4, 5])
        self.assertEqual(recs[-1]["suppressed"], 3)
        _, _, _, recs = scan(self, ["--show-suppressed", "a.env"], cwd=self.d)
        self.assertEqual(sorted(f["location"]["line"] for f in findings(recs) if f.get("suppressed")), [1, 3, 6])
        # Past findings-per-rule too: allowed findings are neither written nor counted.
        self.write("a.env", "".join("k=%s # magpie:allow\n" % k for k in keys))
        code, _, _, recs = scan(self, ["--limit", "findings-per-rule=2", "a.env"], cwd=self.d)
        self.assertEqual((code, recs[-1]["findings"], recs[-1]["unreported_findings"]), (0, 0, 0))

    def test_config_file(self):
        """.magpie.yml at the scan root or the git top: excludes, disabled rules,
        allowlist (values, regexes, per rule), limits; the command line wins."""
        keys = [AKID[:-2] + "Q" + c for c in "ABCDEFG"]
        generic = splice("Zq8vR2{{}}mK9xL4pT7nW3bY6c")
        body = "".join("k=%s\n" % k for k in keys) + "API_KEY=%s\n" % generic
        self.write("proj/.git/HEAD", "ref: refs/heads/main\n")
        self.write("proj/sub/a.env", body)
        self.write("proj/vendor/b.env", body)
        self.write("proj/.magpie.yml",
                   "# project settings\n"
                   "exclude: [vendor, .magpie.yml]\n"
                   "disable_rules: ['generic.*']\n"
                   "allow:\n"
                   "  values: [%s]\n"
                   "  rules:\n"
                   "    aws.access-key-id:\n"
                   "      regexes: ['QB$']\n"
                   "    github.pat-classic:\n"
                   "      regexes: ['QC$']\n"
                   "limits:\n"
                   "  findings-per-rule: 3\n" % keys[0])
        # From the sub-directory: the file at the work tree's top applies.
        code, _, _, recs = scan(self, ["."], cwd=os.path.join(self.d, "proj", "sub"))
        s = recs[-1]
        self.assertEqual([f["location"]["line"] for f in findings(recs)], [3, 4, 5])
        self.assertEqual((code, s["suppressed"], s["unreported_findings"]), (1, 2, 2))
        self.assertNotIn("generic.api-key-assignment", s["findings_by_rule"])
        # From the top: vendor/ and the file itself are excluded.
        _, _, _, recs = scan(self, ["proj"], cwd=self.d)
        self.assertEqual(recs[-1]["skipped"]["excluded"], 2)
        self.assertEqual(sorted({f["location"]["path"] for f in findings(recs)}), ["proj/sub/a.env"])
        # A limit given on the command line wins; --no-config reads nothing.
        _, _, _, recs = scan(self, ["--limit", "findings-per-rule=10", "."], cwd=os.path.join(self.d, "proj", "sub"))
        self.assertEqual(len(findings(recs)), 5)
        _, _, _, recs = scan(self, ["--no-config", "."], cwd=os.path.join(self.d, "proj", "sub"))
        self.assertEqual(len(findings(recs)), 8)
        # Errors name the file and the line.
        bad = self.write("bad.yml", "exclude: [x]\nallow:\n  rules:\n    aws.access-key-id:\n      regexes: ['(']\n")
        code, _, err = run(["scan", "--config", bad, "."], cwd=self.d)
        self.assertEqual(code, 2)
        self.assertIn(b"bad.yml:5: allow regex does not compile", err)
        bad = self.write("bad2.yml", "limits:\n  findings-per-rule: many\nsurprise: 1\n")
        code, _, err = run(["scan", "--config", bad, "."], cwd=self.d)
        self.assertEqual(code, 2)
        self.assertIn(b"bad2.yml:2: limit 'findings-per-rule'", err)

    def test_fail_on_and_exit_zero(self):
        self.write("a.env", "k=%s\nmail: john.doe@corp-mail.com\n" % AKID)  # high, low
        for args, want in (([], 1), (["--fail-on", "high"], 1), (["--fail-on", "critical"], 0),
                           (["--fail-on", "low", "--enable-rule", "pii.email"], 1),
                           (["--fail-on", "medium", "--enable-rule", "pii.email"], 0),
                           (["--exit-zero"], 0)):
            code, _, _, recs = scan(self, args + ["a.env"], cwd=self.d)
            self.assertEqual(code, want, args)
            self.assertGreater(recs[-1]["findings"], 0, "the findings are still written")
        code, _, _ = run(["scan", "--exit-zero", "--format", "jsonl", "a.env", "missing"], cwd=self.d)
        self.assertEqual(code, 2, "an error still exits 2")
        code, _, err = run(["scan", "--fail-on", "severe", "a.env"], cwd=self.d)
        self.assertEqual(code, 2)
        self.assertIn(b"--fail-on takes info, low, medium, high or critical", err)

    def test_text_output_grouped_and_coloured_only_on_a_terminal(self):
        self.write("a.env", "k=%s\nk=%s\n" % (AKID, AKID[:-2] + "QB"))
        self.write("b.env", "k=%s\n" % AKID)
        code, out, _ = run(["scan", "-j1", "--format", "text", "a.env", "b.env"], cwd=self.d)
        text = out.decode()
        self.assertEqual(code, 1)
        self.assertEqual([l for l in text.splitlines() if l.startswith("== ")], ["== a.env", "== b.env"])
        self.assertIn("a.env:2:3: high AWS access key ID [aws.access-key-id] (high confidence) ", text)
        self.assertNotIn("\033[", text, "no colour into a pipe")

        def on_tty(extra):
            env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
            env.update(TERM="xterm", **extra)
            return run_on_tty(["scan", "-j1", "a.env"], self.d, env).decode(errors="replace")
        coloured = on_tty({})
        self.assertIn("\033[1;31mhigh\033[0m", coloured, "text and colour on a terminal by default")
        plain = on_tty({"NO_COLOR": "1"})
        self.assertIn("high AWS access key ID", plain)
        self.assertNotIn("\033[", plain, "NO_COLOR is honoured")

    def test_progress_line(self):
        self.write("a.env", "k=%s\n" % AKID)
        # Asked for: a line on stderr (one per update into a pipe), none on stdout.
        code, out, err = run(["scan", "--progress", "--format", "jsonl", "a.env"], cwd=self.d)
        self.assertEqual(code, 1)
        self.assertRegex(err.decode(), r"magpie: 1 file, 0\.0 MB \(\d+ MB/s\), 1 finding\n")
        self.assertNotIn(b"MB/s", out)
        # Not asked for, stderr not a terminal (a CI log): nothing.
        _, _, err = run(["scan", "--format", "jsonl", "a.env"], cwd=self.d)
        self.assertNotIn(b"MB/s", err)
        # stderr a terminal, results into a file: the line, rewritten in place and cleared.
        data = run_on_tty(["scan", "-o", os.path.join(self.d, "out.json"), "a.env"], self.d, None,
                          stdout=subprocess.DEVNULL)
        self.assertIn(b"\r\033[Kmagpie: 1 file,", data)
        self.assertTrue(data.endswith(b"\r\033[K"), data)

    def test_enable_and_disable_rules(self):
        self.write("a.env", "k=%s\nAPI_KEY=%s\n" % (AKID, splice("Zq8vR2{{}}mK9xL4pT7nW3bY6c")))
        _, _, _, recs = scan(self, ["a.env"], cwd=self.d)
        self.assertEqual(len(findings(recs)), 2)
        _, _, _, recs = scan(self, ["--enable-rule", "aws.*", "a.env"], cwd=self.d)
        self.assertEqual([f["rule"]["id"] for f in findings(recs)], ["aws.access-key-id"])
        self.assertLess(recs[-1]["rules"], 20)
        _, _, _, recs = scan(self, ["--disable-rule", "aws.access-key-id", "a.env"], cwd=self.d)
        self.assertEqual([f["rule"]["id"] for f in findings(recs)], ["generic.api-key-assignment"])
        code, _, err = run(["scan", "--enable-rule", "aws.acess*", "a.env"], cwd=self.d)
        self.assertEqual(code, 2)
        self.assertIn(b"--enable-rule 'aws.acess*' matches no rule", err)
        code, out, err = run(["scan", "--format", "jsonl", "--disable-rule", "nope.*", "a.env"], cwd=self.d)
        self.assertEqual(code, 1)
        self.assertIn(b"--disable-rule 'nope.*' matches no rule", err)
        code, out, _ = run(["rules", "list", "--enable-rule", "pii.*"])
        self.assertEqual(code, 0)
        ids = [line.split()[0] for line in out.decode().splitlines()]
        self.assertGreater(len(ids), 30)
        self.assertTrue(all(i.startswith("pii.") for i in ids), ids)

    def test_profile_names_the_costly_rule(self):
        self.write("a.env", "".join("k=%s\n" % AKID for _ in range(50)))
        code, _, err = run(["scan", "--profile", "--format", "jsonl", "-o", os.devnull, "a.env"], cwd=self.d)
        self.assertEqual(code, 1)
        lines = err.decode().splitlines()
        self.assertTrue(lines[0].startswith("magpie profile:"), lines)
        self.assertTrue(any(line.strip().endswith("Vectorscan, of which:") for line in lines), lines)
        self.assertTrue(any(line.strip().endswith("the database of pii.email") for line in lines), lines)
        self.assertTrue(any(line.strip().endswith("the shared database") for line in lines), lines)
        row = [line.split() for line in lines if line.strip().endswith(" aws.access-key-id")]
        self.assertEqual(len(row), 1, lines)
        hits, matches, found = (int(x) for x in row[0][1:4])
        self.assertGreaterEqual(hits, 50)
        self.assertEqual((matches, found), (50, 50))

    def test_output_file(self):
        self.write("a.env", "k=%s\n" % AKID)
        outp = os.path.join(self.d, "out.json")
        code, out, _ = run(["scan", "-o", outp, "a.env"], cwd=self.d)
        self.assertEqual((code, out), (1, b""))
        with open(outp) as f:
            self.assertEqual(json.load(f)[-1]["findings"], 1)

    def test_man_page_lists_every_option(self):
        with open(os.path.join(SRCDIR, "src", "cli.c")) as f:
            opts = re.findall(r'\{"([a-z-]+)", (?:no|required)_argument', f.read())
        with open(os.path.join(SRCDIR, "doc", "magpie.1")) as f:
            man = f.read()
        self.assertGreater(len(opts), 10)
        for o in opts:
            self.assertIn("\\-\\-" + o.replace("-", "\\-"), man, o)

    def test_bundled_corpus_matches_truth(self):
        """Every planted item in corpus/ is found, and nothing else (decoys stay silent)."""
        out = os.path.join(self.d, "corpus")
        subprocess.run(["sh", os.path.join(SRCDIR, "corpus", "make-corpus"), os.path.join(SRCDIR, "corpus", "src"),
                        out], check=True, capture_output=True)
        code, _, _, recs = scan(self, ["corpus"], cwd=self.d)
        self.assertEqual(code, 1)
        got = sorted("%s %s %d" % (f["rule"]["id"], f["location"]["path"][len("corpus/"):], f["location"]["line"])
                     for f in findings(recs))
        with open(os.path.join(SRCDIR, "corpus", "expected")) as f:
            want = sorted(line.strip() for line in f if line.strip() and not line.startswith("#"))
        self.assertEqual(got, want)

    def test_show_secrets_keeps_exact_bytes(self):
        """A multi-line value (a PEM key) comes back byte for byte."""
        key = splice("-----BEGIN RSA {{}}PRIVATE KEY-----\n") + "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n" \
            + splice("-----END RSA {{}}PRIVATE KEY-----")
        self.write("id_rsa", key + "\n")
        _, out, _, recs = scan(self, ["--show-secrets", "id_rsa"], cwd=self.d)
        vals = [f["secret"]["value"] for f in findings(recs)]
        self.assertEqual(len(vals), 1)
        self.assertIn("\n", vals[0])
        self.assertTrue(key.startswith(vals[0]) or vals[0] == key, vals[0])
        self.assertNotIn("\ufffd", vals[0])

    def test_gated_keywords_accept_any_separator(self):
        rules = self.write("r/k.yml", "rules:\n  - id: t.gated\n    name: Gated\n    category: secret\n"
                           "    severity: low\n    pattern: '\\b(zr[0-9]{6})\\b'\n"
                           "    keywords: {words: [secret_access_key], distance: 30, required: true}\n"
                           "    examples: ['secret_access_key zr123456']\n    negative_examples: ['zr123456']\n")
        self.write("a.txt", "SECRET-ACCESS-KEY zr123456\nsecret access key: zr654321\nunrelated zr111111\n")
        _, _, _, recs = scan(self, ["--no-default-rules", "--rules", rules, "a.txt"], cwd=self.d)
        self.assertEqual(sorted(f["location"]["line"] for f in findings(recs)), [1, 2])

    def test_exclude_double_star_matches_whole_components(self):
        for p in ("b.txt", "ab.txt", "d/b.txt", "d/ab.txt"):
            self.write(p, "k=%s\n" % AKID)
        _, _, _, recs = scan(self, ["--exclude", "**/b.txt", "."], cwd=self.d)
        self.assertEqual(sorted(f["location"]["path"] for f in findings(recs)), ["./ab.txt", "./d/ab.txt"])
        self.assertEqual(recs[-1]["skipped"]["excluded"], 2)

    def test_duplicate_rule_key_is_an_error(self):
        rules = self.write("r/d.yml", "rules:\n  - id: t.dup\n    name: Dup\n    category: secret\n"
                           "    severity: low\n    pattern: 'DUP_[0-9]{4}'\n    pattern: 'DUP_[0-9]{5}'\n"
                           "    examples: ['DUP_1234']\n    negative_examples: ['DUP']\n")
        code, _, err = run(["rules", "check", rules])
        self.assertEqual(code, 2)
        self.assertIn(b"d.yml:7: rule 't.dup': key 'pattern' given twice", err)

    def test_documented_test_values(self):
        card = splice("4111 1111 {{}}1111 1111")
        self.write("pay.txt", "test card %s\nreal-looking 4539 1488 0343 6467\n" % card)
        _, _, _, recs = scan(self, ["pay.txt"], cwd=self.d)
        self.assertEqual([f["location"]["line"] for f in findings(recs)], [2])
        self.assertEqual(recs[-1]["skipped"]["test_values"], 1)
        _, _, _, recs = scan(self, ["--include-test-values", "pay.txt"], cwd=self.d)
        marked = sorted((f["location"]["line"], f.get("test_value", False)) for f in findings(recs))
        self.assertEqual(marked, [(1, True), (2, False)])

    def test_generic_secret_context_and_negative_keywords(self):
        value = splice("Zq8vR2{{}}mK9xL4pT7nW3bY6c")
        self.write("app.env", "API_KEY=%s\nAPI_KEY=${API_KEY}\nsha256 checksum token: %s\n" % (value, value))
        _, _, _, recs = scan(self, ["app.env"], cwd=self.d)
        gen = [f for f in findings(recs) if f["rule"]["id"] == "generic.api-key-assignment"]
        self.assertEqual([f["location"]["line"] for f in gen], [1])
        self.assertEqual(gen[0]["confidence"], "low")

    def test_min_confidence(self):
        self.write("a.env", "k=%s\nAPI_KEY=%s\n" % (AKID, splice("Zq8vR2{{}}mK9xL4pT7nW3bY6c")))
        _, _, _, recs = scan(self, ["a.env"], cwd=self.d)
        self.assertEqual(len(findings(recs)), 2)
        _, _, _, recs = scan(self, ["--min-confidence", "medium", "a.env"], cwd=self.d)
        self.assertEqual([f["rule"]["id"] for f in findings(recs)], ["aws.access-key-id"])
        code, _, err = run(["scan", "--min-confidence", "sure", "a.env"], cwd=self.d)
        self.assertEqual(code, 2)

    def test_help_and_version(self):
        code, out, _ = run(["--help"])
        self.assertEqual(code, 0)
        self.assertIn(b"--threads", out)
        code, out, _ = run(["rules", "--help"])
        self.assertEqual(code, 0)
        self.assertIn(b"rules check", out)
        code, out, _ = run(["--version"])
        self.assertEqual(code, 0)
        self.assertTrue(out.startswith(b"magpie "))


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    failed = len(result.failures) + len(result.errors)
    print("%d passed, %d failed" % (result.testsRun - failed - len(result.skipped), failed))
    sys.exit(1 if failed else 0)
