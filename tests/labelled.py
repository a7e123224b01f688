#!/usr/bin/env python3
"""Labelled corpus test: scan the tree that corpus/make-labelled writes and
compare every finding with its truth file.

Passes when:
- generation is deterministic (same seed, same bytes; another seed, other bytes);
- the truth file is well formed and the corpus covers every pii.* rule and
  at least 60 other rules, each planted at least twice in two files;
- -j1 and -j4 scans give the same records and exit status 1;
- every planted (rule, path, line) is reported (recall 100%) and every
  finding is a planted one (decoys and filler produce nothing);
- the summary's skipped.test_values equals the number of documented test
  values among the decoys.

Environment: MAGPIE (the binary) and top_srcdir (the source tree), as for
tests/e2e.py. See corpus/labelled.md for the corpus and the truth format.
"""
import collections
import filecmp
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
MAGPIE = os.path.abspath(os.environ.get("MAGPIE", os.path.join(HERE, "..", "magpie")))
SRCDIR = os.path.abspath(os.environ.get("top_srcdir", os.path.join(HERE, "..")))
GENERATOR = os.path.join(SRCDIR, "corpus", "make-labelled")
SEED = 20261129
THREADS = (1, 4)
TIMEOUT = 300
MIN_SECRET_RULES = 60
# Runs of token characters holding both letters and digits (secret-like).
LONG_TOKEN = re.compile(r"(?=[A-Za-z0-9+/_.~-]*[0-9])(?=[A-Za-z0-9+/_.~-]*[A-Za-z])[A-Za-z0-9+/_.~-]{16,}")


def generate(outdir, seed=SEED):
    p = subprocess.run([sys.executable, GENERATOR, "--seed", str(seed), outdir],
                       capture_output=True, timeout=TIMEOUT)
    if p.returncode != 0:
        raise RuntimeError("make-labelled failed (%d): %s" % (p.returncode, p.stderr.decode(errors="replace")))


def read_truth(path):
    """Rows of truth.tsv as dicts; raises ValueError on a malformed line."""
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.startswith("#"):
                continue
            cols = line.rstrip("\n").split("\t")
            if len(cols) != 6:
                raise ValueError("truth.tsv:%d: %d columns, want 6" % (n, len(cols)))
            kind, rule, rel, lineno, cls, note = cols
            if kind not in ("planted", "decoy") or not lineno.isdigit() or int(lineno) < 1:
                raise ValueError("truth.tsv:%d: bad kind or line: %r" % (n, line))
            if (kind == "decoy") != (rule == "-"):
                raise ValueError("truth.tsv:%d: a decoy has rule '-', a planted item a rule id" % n)
            rows.append({"kind": kind, "rule": rule, "path": rel, "line": int(lineno), "class": cls, "note": note})
    return rows


def scan_records(tree, threads, extra=()):
    p = subprocess.run([MAGPIE, "scan", "-j%d" % threads, "--format", "jsonl"] + list(extra) + ["."], cwd=tree,
                       capture_output=True, timeout=TIMEOUT)
    recs = [json.loads(line) for line in p.stdout.decode().splitlines() if line.strip()]
    return p.returncode, recs, p.stderr.decode(errors="replace")


def comparable(recs):
    """Records without what may differ between thread counts, sorted."""
    out = []
    for r in recs:
        r = dict(r)
        if r["type"] == "summary":
            r.pop("elapsed_seconds", None)
            r.pop("threads", None)
        out.append(json.dumps(r, sort_keys=True))
    return sorted(out)


def finding_key(rec):
    path = rec["location"]["path"]
    if path.startswith("./"):
        path = path[2:]
    return (rec["rule"]["id"], path, rec["location"]["line"])


def same_tree(a, b):
    """List of differences between two directory trees (names and bytes)."""
    diffs = []

    def walk(cmp, rel):
        diffs.extend(os.path.join(rel, x) for x in cmp.left_only + cmp.right_only + cmp.funny_files)
        _, mismatch, errors = filecmp.cmpfiles(cmp.left, cmp.right, cmp.common_files, shallow=False)
        diffs.extend(os.path.join(rel, x) for x in mismatch + errors)
        for name, sub in sorted(cmp.subdirs.items()):
            walk(sub, os.path.join(rel, name))

    walk(filecmp.dircmp(a, b, ignore=[]), "")
    return diffs


class Labelled(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="magpie-labelled-")
        cls.out = os.path.join(cls.tmp.name, "a")
        generate(cls.out)
        cls.tree = os.path.join(cls.out, "tree")
        cls.truth = read_truth(os.path.join(cls.out, "truth.tsv"))
        cls.runs = {j: scan_records(cls.tree, j) for j in THREADS}
        cls.code, cls.recs, cls.err = cls.runs[THREADS[0]]

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def findings(self):
        return [r for r in self.recs if r["type"] == "finding"]

    def planted(self):
        return [t for t in self.truth if t["kind"] == "planted"]

    def line_notes(self):
        """(path, line) -> what the truth file says about that line."""
        notes = collections.defaultdict(list)
        for t in self.truth:
            what = t["class"] if t["kind"] == "decoy" else t["rule"]
            notes[(t["path"], t["line"])].append("%s %s: %s" % (t["kind"], what, t["note"]))
        return notes

    # ---- the generator ----

    def test_generation_is_deterministic(self):
        again = os.path.join(self.tmp.name, "b")
        generate(again)
        self.assertEqual(same_tree(self.out, again), [], "same seed, different output")

    def test_other_seed_differs(self):
        other = os.path.join(self.tmp.name, "c")
        generate(other, SEED + 1)
        self.assertNotEqual(same_tree(self.out, other), [], "another seed gave the same output")

    def test_truth_points_into_the_tree(self):
        lines = {}
        for t in self.truth:
            full = os.path.join(self.tree, t["path"])
            self.assertTrue(os.path.isfile(full), "truth names a missing file: %s" % t["path"])
            if full not in lines:
                with open(full, "rb") as f:
                    lines[full] = f.read().split(b"\n")
            self.assertLess(t["line"], len(lines[full]), "%s:%d is past the end" % (t["path"], t["line"]))
            self.assertTrue(lines[full][t["line"] - 1].strip(), "%s:%d is an empty line" % (t["path"], t["line"]))
        self.assertFalse(os.path.exists(os.path.join(self.tree, "truth.tsv")), "truth file inside the tree")

    def test_coverage(self):
        p = subprocess.run([MAGPIE, "rules", "list", "--enable-rule", "pii.*"], capture_output=True, timeout=TIMEOUT)
        self.assertEqual(p.returncode, 0, p.stderr.decode(errors="replace"))
        pii = {line.split()[0] for line in p.stdout.decode().splitlines() if line.strip()}
        places = collections.defaultdict(list)
        for t in self.planted():
            if t["class"] == "-":
                places[t["rule"]].append(t["path"])
        self.assertEqual(sorted(pii - set(places)), [], "pii rules with nothing planted")
        others = [r for r in places if not r.startswith("pii.")]
        self.assertGreaterEqual(len(others), MIN_SECRET_RULES, "too few secret rules planted")
        thin = sorted(r for r, paths in places.items() if len(paths) < 2 or len(set(paths)) < 2)
        self.assertEqual(thin, [], "rules planted fewer than twice, or in one file only")

    # ---- the scan ----

    def test_threads_agree(self):
        first = self.runs[THREADS[0]]
        for j in THREADS[1:]:
            other = self.runs[j]
            self.assertEqual(first[0], other[0], "exit status differs between -j%d and -j%d" % (THREADS[0], j))
            self.assertEqual(comparable(first[1]), comparable(other[1]),
                             "records differ between -j%d and -j%d" % (THREADS[0], j))

    def test_exit_status_and_no_notices(self):
        self.assertTrue(self.recs and self.recs[-1]["type"] == "summary", "no summary record: %s" % self.err)
        self.assertEqual(self.code, 1, self.err)
        notices = [r for r in self.recs if r["type"] == "notice"]
        self.assertEqual(notices, [], "notices while scanning the corpus")

    def test_recall(self):
        want = collections.Counter((t["rule"], t["path"], t["line"]) for t in self.planted())
        got = collections.Counter(finding_key(r) for r in self.findings())
        missed = want - got
        if missed:
            notes = collections.defaultdict(list)
            for t in self.planted():
                notes[(t["rule"], t["path"], t["line"])].append(t["note"])
            report = ["%d of %d planted items missed:" % (sum(missed.values()), sum(want.values()))]
            for key in sorted(missed, key=lambda k: (k[1], k[2], k[0])):
                rule, path, line = key
                text = self.line_text(path, line)
                report.append("  MISSED %s at %s:%d (%s)\n      line: %s" % (rule, path, line, "; ".join(notes[key]), text))
            self.fail("\n".join(report))

    def test_no_unexpected_findings(self):
        want = collections.Counter((t["rule"], t["path"], t["line"]) for t in self.planted())
        found = collections.defaultdict(list)
        for r in self.findings():
            found[finding_key(r)].append(r)
        extra = collections.Counter({k: len(v) for k, v in found.items()}) - want
        if extra:
            notes = self.line_notes()
            report = ["%d unexpected findings:" % sum(extra.values())]
            for key in sorted(extra, key=lambda k: (k[1], k[2], k[0])):
                rule, path, line = key
                for r in found[key][-extra[key]:]:
                    what = "\n             ".join(notes.get((path, line), [])) or "nothing recorded on this line"
                    report.append("  UNEXPECTED %s at %s:%d:%d (%s confidence)\n      context: %s\n      truth: %s"
                                  % (rule, path, line, r["location"]["column"], r["confidence"], r["context"], what))
            self.fail("\n".join(report))

    def test_test_values_counted(self):
        decoys = [t for t in self.truth if t["kind"] == "decoy" and t["class"] == "test-value"]
        got = self.recs[-1]["skipped"]["test_values"]
        if got != len(decoys):
            # Which test-value decoys does magpie recognise as test values?
            code, recs, err = scan_records(self.tree, 1, ["--include-test-values"])
            marked = {(finding_key(r)[1], finding_key(r)[2]) for r in recs
                      if r["type"] == "finding" and r.get("test_value")}
            report = ["skipped.test_values is %d, but truth.tsv has %d test-value decoys; not recognised:" % (got, len(decoys))]
            for t in decoys:
                if (t["path"], t["line"]) not in marked:
                    report.append("  %s:%d (%s)\n      line: %s" % (t["path"], t["line"], t["note"],
                                                                   self.line_text(t["path"], t["line"])))
            self.fail("\n".join(report))

    def line_text(self, path, line):
        """The line, long tokens cut to their first 6 characters (like the
        redacted context of a finding)."""
        with open(os.path.join(self.tree, path), encoding="utf-8", errors="replace") as f:
            for n, text in enumerate(f, 1):
                if n == line:
                    text = LONG_TOKEN.sub(lambda m: m.group(0)[:6] + "\u2026", text.rstrip("\n"))
                    return text if len(text) <= 160 else text[:157] + "..."
        return "?"


if __name__ == "__main__":
    unittest.main(verbosity=2)
