#!/usr/bin/env python3
"""End-to-end tests for one scan split across machines: --shard,
--shard auto, --files-from and magpie merge.

The mirror is generated here; every scan runs with -j1 and -j4 (records
must agree), and every merge is compared with the single-machine run of
the same scan, record for record after sorting (timings aside).
"""
import gzip
import hashlib
import io
import json
import os
import random
import subprocess
import sys
import tarfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e import AKID, GHP, MAGPIE, TIMEOUT, TreeCase, comparable, records, scan  # noqa: E402

SCHEDULER_VARS = ("SLURM_", "JOB_COMPLETION_INDEX", "AWS_BATCH_", "MAGPIE_SHARD_COUNT")


def clean_env(extra=None):
    """The environment without any scheduler's variables, plus extra."""
    e = {k: v for k, v in os.environ.items() if not k.startswith(SCHEDULER_VARS)}
    e.update(extra or {})
    return e


def run_env(args, cwd, env, stdin=None):
    p = subprocess.run([MAGPIE] + args, cwd=cwd, env=env, input=stdin, capture_output=True, timeout=TIMEOUT)
    return p.returncode, p.stdout, p.stderr


def shard_of(rel, n):
    """The documented shard rule: the first 8 bytes of SHA-256 of the path
    below the scan root, big-endian, modulo n (leading ./ and / dropped)."""
    while rel.startswith("./") or rel.startswith("/"):
        rel = rel[2:] if rel.startswith("./") else rel[1:]
    return int.from_bytes(hashlib.sha256(rel.encode()).digest()[:8], "big") % n


class Mirror(TreeCase):
    """A small bucket mirror: three buckets of CSV, JSON Lines, env files,
    logs, a .tar.gz and a .gz holding secrets, clean objects and a damaged
    gzip (a notice)."""

    def setUp(self):
        super().setUp()
        rnd = random.Random(20261129)
        self.m = os.path.join(self.d, "mirror")
        for b in ("billing", "exports", "logs"):
            for i in range(12):
                kind = i % 4
                rel = "mirror/%s/part-%02d" % (b, i)
                if kind == 0:
                    self.write(rel + ".env", "aws_access_key_id = %s\nregion=eu-west-1\n" % AKID)
                elif kind == 1:
                    self.write(rel + ".csv", "id,email\n%d,user%d@example.org\n" % (i, rnd.randrange(10**6)))
                elif kind == 2:
                    self.write(rel + ".log", "GET /x 200 %d\n" % rnd.randrange(10**6))
                else:
                    self.write(rel + ".jsonl", '{"token": "%s"}\n' % GHP)
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz") as t:
            for name in ("a/app.conf", "b/deploy.env"):
                data = ("k=%s\n" % AKID).encode()
                ti = tarfile.TarInfo(name)
                ti.size = len(data)
                t.addfile(ti, io.BytesIO(data))
        self.write("mirror/exports/bundle.tar.gz", buf.getvalue())
        self.write("mirror/logs/app.log.gz", gzip.compress(("token=%s\n" % GHP).encode()))
        self.write("mirror/logs/cut.gz", gzip.compress(b"x" * 5000)[:40])
        self.write("mirror/top-level.txt", "mail: someone@example.com\n")

    def single(self, extra=()):
        code, out, err, recs = scan(self, list(extra) + ["mirror"], cwd=self.d)
        return code, recs

    def shard_runs(self, n, extra=(), fmt="jsonl"):
        """Each shard of n, scanned with -j1 and -j4; their outputs saved
        as files (jsonl, or json for odd shards to mix formats)."""
        files = []
        for k in range(n):
            code, out, err, recs = scan(self, list(extra) + ["--shard", "%d/%d" % (k, n), "mirror"], cwd=self.d)
            self.assertIn(code, (0, 1), err)
            shard = recs[-1]["shard"]
            self.assertEqual((shard["index"], shard["count"], shard["source"]), (k, n, "option"))
            if k % 2:
                path = os.path.join(self.d, "shard-%d-of-%d.json" % (k, n))
                code2, out2, _ = run_env(["scan", "-j2", "--format", "json", "-o", path] + list(extra)
                                         + ["--shard", "%d/%d" % (k, n), "mirror"], self.d, clean_env())
                self.assertEqual(code2, code)
            else:
                path = os.path.join(self.d, "shard-%d-of-%d.jsonl" % (k, n))
                with open(path, "wb") as f:
                    f.write(out)
            files.append((path, recs))
        return files

    def merge(self, paths, extra=(), fmt="jsonl"):
        return run_env(["merge", "--format", fmt] + list(extra) + paths, self.d, clean_env())


class Sharding(Mirror):

    def test_shards_partition_the_scan_and_merge_to_the_single_run(self):
        code, whole = self.single()
        self.assertEqual(code, 1)
        nfind = len([r for r in whole if r["type"] == "finding"])
        self.assertGreater(nfind, 20)
        for n in (3, 4):
            runs = self.shard_runs(n)
            seen = []
            for k, (_, recs) in enumerate(runs):
                s = recs[-1]
                for r in recs[:-1]:
                    rel = os.path.relpath(r["location"]["path"], "mirror")
                    self.assertEqual(shard_of(rel, n), k, "%s in shard %d of %d" % (rel, k, n))
                    seen.append(json.dumps(r, sort_keys=True))
                # Every object was either scanned here or left to another shard.
                self.assertEqual(s["files"] + s["skipped"]["other_shards"], whole[-1]["files"])
            self.assertEqual(sorted(seen), sorted(json.dumps(r, sort_keys=True) for r in whole[:-1]),
                             "the shards together hold every record exactly once")
            paths = [p for p, _ in runs]
            random.Random(n).shuffle(paths)
            mcode, out, err = self.merge(paths)
            self.assertEqual(mcode, code, err)
            merged = records(out)
            self.assertEqual(comparable(merged), comparable(whole), "merge of %d shards" % n)
            self.assertNotIn("shard", merged[-1])
            self.assertEqual(merged[-1]["config_hash"], whole[-1]["config_hash"])

    def test_an_archive_belongs_to_the_shard_of_its_outer_path(self):
        n = 4
        k = shard_of("exports/bundle.tar.gz", n)
        for j in range(n):
            code, out, err, recs = scan(self, ["--shard", "%d/%d" % (j, n), "mirror"], cwd=self.d)
            members = [r for r in recs if r["type"] == "finding" and r["location"]["path"].endswith("bundle.tar.gz")]
            self.assertEqual(len(members), 2 if j == k else 0, "shard %d" % j)

    def test_shard_depends_on_the_path_below_the_root_not_the_mount(self):
        os.rename(os.path.join(self.d, "mirror"), os.path.join(self.d, "elsewhere"))
        os.makedirs(os.path.join(self.d, "deep", "mount"))
        os.rename(os.path.join(self.d, "elsewhere"), os.path.join(self.d, "deep", "mount", "m"))

        def members(root):
            _, _, _, recs = scan(self, ["--shard", "1/3", root], cwd=self.d)
            return sorted(os.path.relpath(r["location"]["path"], root) for r in recs if r["type"] != "summary")

        a = members("deep/mount/m")
        self.assertTrue(a)
        self.assertEqual(members(os.path.join(self.d, "deep", "mount", "m") + "/"), a)
        self.assertEqual(members("./deep/../deep/mount/m"), a)

    def test_bad_shard_arguments(self):
        for bad in ("4/4", "1", "-1/3", "a/b", "0/0"):
            code, _, err = run_env(["scan", "--shard", bad, "mirror"], self.d, clean_env())
            self.assertEqual(code, 2, bad)
            self.assertIn(b"--shard", err)
        code, _, err = run_env(["scan", "--shard-count", "3", "mirror"], self.d, clean_env())
        self.assertEqual(code, 2)
        self.assertIn(b"--shard-count goes with --shard auto", err)


class Auto(Mirror):

    def auto(self, env, extra=()):
        code, out, err = run_env(["scan", "-j2", "--format", "jsonl", "--shard", "auto"] + list(extra) + ["mirror"],
                                 self.d, clean_env(env))
        return code, (records(out) if out else []), err.decode()

    def test_slurm_stepped_array(self):
        # sbatch --array=1-7:3 runs tasks 1, 4 and 7: shards 0, 1 and 2 of 3.
        for i, task in enumerate((1, 4, 7)):
            code, recs, err = self.auto({"SLURM_ARRAY_TASK_ID": str(task), "SLURM_ARRAY_TASK_MIN": "1",
                                         "SLURM_ARRAY_TASK_MAX": "7", "SLURM_ARRAY_TASK_STEP": "3",
                                         "SLURM_ARRAY_TASK_COUNT": "3"})
            self.assertIn(code, (0, 1), err)
            self.assertEqual(recs[-1]["shard"], {"index": i, "count": 3, "source": "slurm"})
            _, _, _, explicit = scan(self, ["--shard", "%d/3" % i, "mirror"], cwd=self.d)
            self.assertEqual(comparable([r for r in recs if r["type"] != "summary"]),
                             comparable([r for r in explicit if r["type"] != "summary"]))

    def test_slurm_list_with_gaps_is_refused(self):
        code, recs, err = self.auto({"SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_MIN": "0",
                                     "SLURM_ARRAY_TASK_MAX": "9", "SLURM_ARRAY_TASK_STEP": "1",
                                     "SLURM_ARRAY_TASK_COUNT": "3"})
        self.assertEqual(code, 2)
        self.assertEqual(recs, [], "nothing scanned")
        self.assertIn("not one evenly stepped range", err)

    def test_kubernetes_indexed_job(self):
        code, recs, err = self.auto({"JOB_COMPLETION_INDEX": "2", "MAGPIE_SHARD_COUNT": "4"})
        self.assertIn(code, (0, 1), err)
        self.assertEqual(recs[-1]["shard"], {"index": 2, "count": 4, "source": "kubernetes"})
        code, recs, err = self.auto({"JOB_COMPLETION_INDEX": "2"})
        self.assertEqual(code, 2)
        self.assertIn("--shard-count", err)

    def test_aws_batch_array(self):
        code, recs, err = self.auto({"AWS_BATCH_JOB_ARRAY_INDEX": "1"}, ["--shard-count", "2"])
        self.assertIn(code, (0, 1), err)
        self.assertEqual(recs[-1]["shard"], {"index": 1, "count": 2, "source": "aws-batch"})

    def test_no_scheduler_is_an_error_not_a_full_scan(self):
        code, recs, err = self.auto({})
        self.assertEqual(code, 2)
        self.assertEqual(recs, [])
        self.assertIn("no job array found", err)


class FilesFrom(Mirror):

    def listing(self):
        out = []
        for root, _, files in os.walk(self.m):
            for f in files:
                out.append(os.path.relpath(os.path.join(root, f), self.m))
        return sorted(out)

    def test_only_the_listed_paths_are_scanned(self):
        listed = [p for p in self.listing() if p.endswith(".env")][:5]
        self.write("list.txt", "\n".join(listed) + "\n\n")
        code, out, err, recs = scan(self, ["--files-from", "../list.txt"], cwd=self.m)
        self.assertEqual(code, 1, err)
        got = sorted({r["location"]["path"] for r in recs if r["type"] == "finding"})
        self.assertEqual(got, sorted(listed))
        self.assertEqual(recs[-1]["files"], 5)

    def test_null_separated_and_stdin(self):
        odd = "exports/odd\nname.env"
        self.write("mirror/" + odd, "k=%s\n" % AKID)
        listed = ["billing/part-00.env", odd]
        self.write("list0", "\0".join(listed) + "\0")
        _, _, _, a = scan(self, ["--files-from", "../list0", "--null"], cwd=self.m)
        _, _, _, b = scan(self, ["--files-from", "-", "--null"], cwd=self.m, stdin="\0".join(listed).encode())
        self.assertEqual(comparable(a), comparable(b))
        self.assertEqual(sorted({r["location"]["path"] for r in a if r["type"] == "finding"}), sorted(listed))

    def test_files_from_with_shards_matches_the_walk(self):
        self.write("all.txt", "\n".join("./" + p for p in self.listing()) + "\n")
        for k in range(3):
            _, _, _, walked = scan(self, ["--shard", "%d/3" % k, "."], cwd=self.m)
            _, _, _, listed = scan(self, ["--shard", "%d/3" % k, "--files-from", "../all.txt"], cwd=self.m)
            self.assertEqual(comparable([r for r in walked if r["type"] != "summary"]),
                             comparable([r for r in listed if r["type"] != "summary"]), "shard %d" % k)

    def test_a_missing_listed_path_is_a_notice_and_exit_2(self):
        self.write("list.txt", "billing/part-00.env\nbilling/gone.csv\nlogs/part-02.log\n")
        code, out, err, recs = scan(self, ["--files-from", "../list.txt"], cwd=self.m)
        self.assertEqual(code, 2)
        self.assertEqual([(n["kind"], n["location"]["path"]) for n in recs if n["type"] == "notice"],
                         [("unreadable", "billing/gone.csv")])
        self.assertEqual(recs[-1]["files"], 2, "the rest of the list is scanned")

    def test_listed_paths_roll_up_by_their_first_component(self):
        self.write("list.txt", "billing/part-00.env\nlogs/part-08.env\n./logs/part-04.env\ntop-level.txt\n")
        _, _, _, recs = scan(self, ["--report", "buckets", "--files-from", "../list.txt"], cwd=self.m)
        got = {(b["root"], b["bucket"]): b["objects"] for b in recs if b["type"] == "bucket"}
        self.assertEqual(got, {("../list.txt", "."): 1, ("../list.txt", "billing"): 1, ("../list.txt", "logs"): 2})

    def test_unreadable_list_is_an_error(self):
        code, out, err = run_env(["scan", "--files-from", "nope.txt"], self.d, clean_env())
        self.assertEqual(code, 2)
        self.assertIn(b"nope.txt", err)

    def test_pieces_split_outside_magpie_merge_to_the_whole(self):
        paths = self.listing()
        self.write("a.txt", "\n".join(paths[::2]) + "\n")
        self.write("b.txt", "\n".join(paths[1::2]) + "\n")
        self.write("all.txt", "\n".join(paths) + "\n")
        outs = []
        for name in ("a", "b"):
            code, out, err = run_env(["scan", "-j2", "--format", "jsonl", "--files-from", "../%s.txt" % name],
                                     self.m, clean_env())
            p = os.path.join(self.d, name + ".jsonl")
            with open(p, "wb") as f:
                f.write(out)
            outs.append(p)
        _, _, _, whole = scan(self, ["--files-from", "../all.txt"], cwd=self.m)
        code, out, err = self.merge(outs)
        self.assertEqual(code, 1, err)
        self.assertEqual(comparable(records(out)), comparable(whole))


class Merge(Mirror):

    def test_formats_equal_the_single_run(self):
        runs = self.shard_runs(3)
        paths = [p for p, _ in runs]
        # SARIF is sorted and holds no timing: the same bytes.
        code, single, err = run_env(["scan", "-j2", "--format", "sarif", "mirror"], self.d, clean_env())
        mcode, merged, err = self.merge(paths, fmt="sarif")
        self.assertEqual((mcode, merged), (code, single), err)
        # json: one array, the same records.
        code, single, _ = run_env(["scan", "-j2", "--format", "json", "mirror"], self.d, clean_env())
        mcode, merged, err = self.merge(paths, fmt="json")
        self.assertEqual(mcode, code, err)
        self.assertEqual(comparable(json.loads(merged)), comparable(json.loads(single)))
        # text: the same lines, but for the timing of the closing line.
        code, single, _ = run_env(["scan", "-j1", "--format", "text", "mirror"], self.d, clean_env())
        mcode, merged, err = self.merge(paths, fmt="text")

        def lines(b):
            return sorted(l for l in b.decode().splitlines() if not l.startswith("magpie: "))
        self.assertEqual(lines(merged), lines(single))
        self.assertEqual(merged.decode().splitlines()[-1].split(" in ")[0],
                         single.decode().splitlines()[-1].split(" in ")[0])

    def test_bucket_rollups_and_sample_estimates_recombine(self):
        """--report objects --sample: per-bucket records are added up, their
        top-10 lists recomputed from the union, and the estimates made again
        from the summed counts, as one machine would have made them."""
        for i in range(30):  # enough objects with findings for top-10 lists to be cut
            self.write("mirror/billing/extra-%02d.env" % i, "k=%s\n" % AKID + ("t=%s\n" % GHP) * (i % 3))
        extra = ["--report", "objects", "--sample", "0.7"]
        code, whole = self.single(extra)
        buckets = [r for r in whole if r["type"] == "bucket"]
        self.assertEqual(len(buckets), 4)
        self.assertTrue(any(len(b["top"]) == 10 and b["objects_with_findings"] > 10 for b in buckets))
        self.assertIn("estimate", whole[-1]["sample"])
        runs = self.shard_runs(3, extra)
        for fmt in ("jsonl", "json"):
            mcode, out, err = self.merge([p for p, _ in runs], fmt=fmt)
            self.assertEqual(mcode, code, err)
            merged = json.loads(out) if fmt == "json" else records(out)
            self.assertEqual(comparable(merged), comparable(whole), fmt)
        # Text: the same lines, object and bucket lines included.
        _, single, _ = run_env(["scan", "-j1", "--format", "text"] + extra + ["mirror"], self.d, clean_env())
        _, merged, _ = self.merge([p for p, _ in runs], fmt="text")
        self.assertEqual(sorted(merged.decode().splitlines()[:-1]), sorted(single.decode().splitlines()[:-1]))

    def test_missing_duplicate_and_foreign_shards_are_refused(self):
        runs = self.shard_runs(4)
        paths = [p for p, _ in runs]
        code, out, err = self.merge(paths[:1] + paths[2:])
        self.assertEqual((code, out), (2, b""))
        self.assertIn(b"1 of 4 shards missing (1)", err)
        code, out, err = self.merge(paths + paths[1:2])
        self.assertEqual((code, out), (2, b""))
        self.assertIn(b"shard 1/4 appears twice", err)
        # A shard of a scan run another way.
        other = os.path.join(self.d, "other.jsonl")
        code, _, _ = run_env(["scan", "-j2", "--format", "jsonl", "-o", other, "--min-confidence", "high",
                              "--shard", "1/4", "mirror"], self.d, clean_env())
        code, out, err = self.merge(paths[:1] + [other] + paths[2:])
        self.assertEqual((code, out), (2, b""))
        self.assertIn(b"different configurations", err)
        # Another count.
        three = self.shard_runs(3)
        code, out, err = self.merge(paths[:3] + [three[0][0]])
        self.assertEqual(code, 2)
        self.assertIn(b"different shard counts", err)
        # An unsharded output among shards.
        whole = os.path.join(self.d, "whole.jsonl")
        run_env(["scan", "-j2", "--format", "jsonl", "-o", whole, "mirror"], self.d, clean_env())
        code, out, err = self.merge(paths[:3] + [whole])
        self.assertEqual(code, 2)
        self.assertIn(b"one is a shard and the other is not", err)
        # Not magpie's output; a scan cut short (no summary).
        self.write("junk.jsonl", "hello\n")
        code, out, err = self.merge(paths + [os.path.join(self.d, "junk.jsonl")])
        self.assertEqual(code, 2)
        self.assertIn(b"no summary record", err)

    def test_allow_partial_says_which_shards_are_absent(self):
        runs = self.shard_runs(4)
        paths = [p for p, _ in runs]
        code, out, err = self.merge([paths[0], paths[3]], ["--allow-partial"])
        self.assertIn(code, (0, 1))
        self.assertIn(b"partial result: 2 of 4 shards missing", err)
        merged = records(out)
        s = merged[-1]
        self.assertEqual(s["partial_shards"], {"count": 4, "missing": [1, 2]})
        want = [r for p in (runs[0][1], runs[3][1]) for r in p if r["type"] != "summary"]
        self.assertEqual(comparable(merged[:-1]), comparable(want))
        self.assertEqual(s["files"], runs[0][1][-1]["files"] + runs[3][1][-1]["files"])
        missing_objects = runs[1][1][-1]["files"] + runs[2][1][-1]["files"]
        self.assertEqual(s["skipped"]["other_shards"], missing_objects)

    def test_exit_status_follows_fail_on_and_exit_zero(self):
        runs = self.shard_runs(2)
        paths = [p for p, _ in runs]
        code, _, _ = self.merge(paths)
        self.assertEqual(code, 1)
        code, _, _ = self.merge(paths, ["--exit-zero"])
        self.assertEqual(code, 0)
        code, _, _ = self.merge(paths, ["--fail-on", "critical"])
        self.assertEqual(code, 1, "GitHub tokens are critical")
        runs = self.shard_runs(2, ["--disable-rule", "github.*"])
        paths = [p for p, _ in runs]
        code, _, _ = self.merge(paths, ["--fail-on", "critical"])
        self.assertEqual(code, 0, "nothing critical without the GitHub rules")
        code, _, _ = self.merge(paths, ["--fail-on", "high"])
        self.assertEqual(code, 1, "AWS keys are high")


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    failed = len(result.failures) + len(result.errors)
    print("%d passed, %d failed" % (result.testsRun - failed - len(result.skipped), failed))
    sys.exit(1 if failed else 0)
