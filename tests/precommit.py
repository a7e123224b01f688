#!/usr/bin/env python3
"""End-to-end tests of `magpie scan --staged` and of magpie as a git hook.

Each case builds a temporary git repository. The staged scans run with -j1
and -j4 and must give the same records (e2e.scan). The hook cases let git
itself run .git/hooks/pre-commit, a script that runs the built magpie; when
Debian's pre-commit package is installed, the framework path is tried too
with a `repo: local` configuration made from .pre-commit-hooks.yaml.
Nothing here needs the network.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e import AKID, GHP, MAGPIE, SRCDIR, findings, run, scan  # noqa: E402


class Repo(unittest.TestCase):
    def setUp(self):
        self.d = tempfile.mkdtemp(prefix="magpie-precommit-")
        self.home = os.path.join(self.d, "home")
        self.repo = os.path.join(self.d, "repo")
        os.makedirs(self.home)
        os.makedirs(self.repo)
        # Keep the user's and the system's git configuration out.
        self.env = dict(os.environ, HOME=self.home, GIT_CONFIG_NOSYSTEM="1",
                        GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.invalid",
                        GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.invalid",
                        PRE_COMMIT_HOME=os.path.join(self.d, "pre-commit-home"))
        self.env.pop("GIT_DIR", None)
        self.env.pop("GIT_INDEX_FILE", None)
        self.git("init", "-q", "-b", "main")

    def tearDown(self):
        shutil.rmtree(self.d, ignore_errors=True)

    def git(self, *args, check=True):
        p = subprocess.run(["git"] + list(args), cwd=self.repo, env=self.env, capture_output=True,
                           timeout=120)
        if check and p.returncode != 0:
            self.fail("git %s: %s" % (" ".join(args), p.stderr.decode(errors="replace")))
        return p

    def write(self, rel, data):
        p = os.path.join(self.repo, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(data)

    def commit_all(self, msg="c"):
        self.git("add", "-A")
        self.git("commit", "-q", "--no-verify", "-m", msg)


class Staged(Repo):
    def staged(self, extra=(), cwd=None):
        return scan(self, ["--staged"] + list(extra), cwd=cwd or self.repo, env=self.env)

    def test_only_added_lines_count(self):
        self.write("old.env", "x=1\nAWS=%s\n" % AKID)
        self.commit_all()
        with open(os.path.join(self.repo, "old.env"), "a") as f:
            f.write("y=2\n")
        self.write("new.env", "a\nb\nkey=%s\n" % AKID)
        self.git("add", "-A")
        code, _, _, recs = self.staged()
        self.assertEqual(code, 1)
        got = [(f["location"]["path"], f["location"]["line"], f["rule"]["id"]) for f in findings(recs)]
        self.assertEqual(got, [("new.env", 3, "aws.access-key-id")])
        self.assertEqual(recs[-1]["skipped"]["not_added_lines"], 1)
        self.assertEqual(recs[-1]["files"], 2)

    def test_staged_blobs_are_typed_and_counted_like_files(self):
        """A staged UTF-16 file is transcoded and a staged image skipped, and the
        summary counts them as it does for files on disk."""
        with open(os.path.join(self.repo, "u16.txt"), "wb") as f:
            f.write(b"\xff\xfe" + ("key=%s\n" % AKID).encode("utf-16-le"))
        with open(os.path.join(self.repo, "logo.png"), "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64 + ("key=%s" % AKID).encode())
        self.git("add", "-A")
        code, _, _, recs = self.staged()
        self.assertEqual(code, 1)
        self.assertEqual([f["location"]["path"] for f in findings(recs)], ["u16.txt"])
        self.assertEqual((recs[-1]["utf16"], recs[-1]["skipped"]["media"]), (1, 1))

    def test_reads_the_index_not_the_worktree(self):
        self.write("a.env", "key=%s\n" % AKID)
        self.git("add", "a.env")
        self.write("a.env", "clean now\n")
        code, _, _, recs = self.staged()
        self.assertEqual(code, 1)
        self.assertEqual([f["location"]["path"] for f in findings(recs)], ["a.env"])

    def test_worktree_secret_not_staged_is_not_reported(self):
        self.write("a.env", "clean\n")
        self.git("add", "a.env")
        self.write("a.env", "key=%s\n" % AKID)
        code, _, _, recs = self.staged()
        self.assertEqual(code, 0)
        self.assertEqual(findings(recs), [])

    def test_paths_are_repository_relative_from_a_subdirectory(self):
        self.write("sub/deep/t.txt", "token %s\n" % GHP)
        self.write("sub/other.txt", "x\n")
        self.git("add", "-A")
        code, _, _, recs = self.staged(cwd=os.path.join(self.repo, "sub"))
        self.assertEqual(code, 1)
        self.assertEqual([f["location"]["path"] for f in findings(recs)], ["sub/deep/t.txt"])

    def test_modified_line_in_the_middle(self):
        self.write("c.ini", "".join("line%d\n" % i for i in range(1, 21)))
        self.commit_all()
        lines = ["line%d\n" % i for i in range(1, 21)]
        lines[9] = "secret=%s\n" % AKID
        self.write("c.ini", "".join(lines))
        self.git("add", "c.ini")
        code, _, _, recs = self.staged()
        self.assertEqual(code, 1)
        self.assertEqual([f["location"]["line"] for f in findings(recs)], [10])

    def test_renames_deletions_and_mode_changes_add_nothing(self):
        self.write("keep.env", "k=%s\n" % AKID)
        self.write("gone.env", "k=%s\n" % AKID)
        self.write("run.sh", "k=%s\n" % AKID)
        self.commit_all()
        self.git("mv", "keep.env", "moved.env")
        self.git("rm", "-q", "gone.env")
        os.chmod(os.path.join(self.repo, "run.sh"), 0o755)
        self.git("add", "run.sh")
        code, _, _, recs = self.staged()
        self.assertEqual(code, 0)
        self.assertEqual(findings(recs), [])
        self.assertEqual(recs[-1]["files"], 0)

    def test_file_size_limit(self):
        self.write("big.env", "x" * 100 + "\nk=%s\n" % AKID)
        self.write("small.env", "k=%s\n" % AKID)
        self.git("add", "-A")
        code, _, _, recs = self.staged(["--max-file-size", "64"])
        self.assertEqual(code, 1)
        self.assertEqual([f["location"]["path"] for f in findings(recs)], ["small.env"])
        notes = [(r["kind"], r["location"]["path"]) for r in recs if r["type"] == "notice"]
        self.assertEqual(notes, [("limit", "big.env")])

    def test_nothing_staged(self):
        code, _, _, recs = self.staged()
        self.assertEqual(code, 0)
        self.assertEqual(recs[-1]["files"], 0)

    def test_file_name_with_odd_bytes(self):
        name = "we\tird \"n\u00e4me\".env"
        self.write(name, "k=%s\n" % AKID)
        self.git("add", "-A")
        code, _, _, recs = self.staged()
        self.assertEqual(code, 1)
        self.assertEqual([f["location"]["path"] for f in findings(recs)], [name])

    def test_outside_a_repository(self):
        outside = os.path.join(self.d, "plain")
        os.makedirs(outside)
        env = dict(self.env, GIT_CEILING_DIRECTORIES=self.d)
        for j in ("-j1", "-j4"):
            code, out, err = run(["scan", j, "--staged"], cwd=outside, env=env)
            self.assertEqual(code, 2)
            self.assertEqual(out, b"")
            self.assertEqual(len(err.decode().strip().splitlines()), 1, err)
            self.assertIn(b"not inside a git work tree", err)

    def test_staged_takes_no_path(self):
        code, _, err = run(["scan", "--staged", "."], cwd=self.repo, env=self.env)
        self.assertEqual(code, 2)
        self.assertIn(b"--staged", err)


class Baseline(Repo):
    def setUp(self):
        super().setUp()
        self.write("a.env", "k=%s\nt=%s\n" % (AKID, GHP))
        self.write("sub/b.env", "x\nk=%s\n" % AKID)

    def test_write_then_suppress(self):
        outs = []
        for j in ("-j1", "-j4"):
            base = os.path.join(self.d, "base%s.json" % j)
            code, _, err = run(["scan", j, "--format", "jsonl", "--write-baseline", base, "."],
                               cwd=self.repo)
            self.assertEqual(code, 1, err)
            with open(base, "rb") as f:
                outs.append(f.read())
        self.assertEqual(outs[0], outs[1], "baseline differs between -j1 and -j4")
        lines = outs[0].decode().splitlines()
        self.assertEqual(lines[0], '{"magpie_baseline":1,"findings":[')
        self.assertEqual(lines[-1], "]}")
        entries = [json.loads(x.rstrip(",")) for x in lines[1:-1]]
        self.assertEqual([(e["path"], e["line"], e["rule"]) for e in entries],
                         [("./a.env", 1, "aws.access-key-id"), ("./a.env", 2, "github.pat-classic"),
                          ("./sub/b.env", 2, "aws.access-key-id")])
        self.assertTrue(all(e["fingerprint"].startswith("sha256:") for e in entries))
        base = os.path.join(self.d, "base-j1.json")
        code, _, _, recs = scan(self, ["--baseline", base, "."], cwd=self.repo)
        self.assertEqual(code, 0)
        self.assertEqual(findings(recs), [])
        self.assertEqual(recs[-1]["suppressed"], 3)
        self.assertEqual(recs[-1]["findings"], 0)
        # A new secret is reported; the known ones stay suppressed.
        self.write("c.env", "pat=%s\n" % GHP.replace("R8x2", "Q7w1"))
        code, _, _, recs = scan(self, ["--baseline", base, "."], cwd=self.repo)
        self.assertEqual(code, 1)
        self.assertEqual([f["location"]["path"] for f in findings(recs)], ["./c.env"])
        self.assertEqual(recs[-1]["suppressed"], 3)

    def test_show_suppressed(self):
        base = os.path.join(self.d, "base.json")
        run(["scan", "--write-baseline", base, "a.env"], cwd=self.repo)
        code, _, _, recs = scan(self, ["--baseline", base, "--show-suppressed", "a.env"], cwd=self.repo)
        self.assertEqual(code, 0)
        self.assertEqual(sorted(f["rule"]["id"] for f in findings(recs)),
                         ["aws.access-key-id", "github.pat-classic"])
        self.assertTrue(all(f["suppressed"] is True for f in findings(recs)))
        self.assertEqual(recs[-1]["findings"], 0)
        self.assertEqual(recs[-1]["suppressed"], 2)
        code, out, _ = run(["scan", "--format", "text", "--baseline", base, "--show-suppressed", "a.env"],
                           cwd=self.repo)
        self.assertEqual(code, 0)
        self.assertIn(b"suppressed", out)

    def test_bad_baseline(self):
        for text in ("", "{", '{"findings": 1}', '{"findings": [{"rule": "x"}]}'):
            bad = os.path.join(self.d, "bad.json")
            with open(bad, "w") as f:
                f.write(text)
            code, out, err = run(["scan", "--baseline", bad, "a.env"], cwd=self.repo)
            self.assertEqual(code, 2, text)
            self.assertEqual(out, b"")
            self.assertEqual(len(err.decode().strip().splitlines()), 1, err)
            self.assertIn(bad.encode(), err)
        code, _, err = run(["scan", "--baseline", os.path.join(self.d, "none.json"), "a.env"], cwd=self.repo)
        self.assertEqual(code, 2)
        self.assertIn(b"none.json", err)

    def test_staged_with_baseline(self):
        base = os.path.join(self.d, "base.json")
        run(["scan", "--write-baseline", base, "a.env"], cwd=self.repo)
        self.git("add", "a.env")
        code, _, _, recs = scan(self, ["--staged", "--baseline", base], cwd=self.repo, env=self.env)
        self.assertEqual(code, 0)
        self.assertEqual(recs[-1]["suppressed"], 2)
        self.git("add", "sub/b.env")  # the same key in another file: same fingerprint
        code, _, _, recs = scan(self, ["--staged", "--baseline", base], cwd=self.repo, env=self.env)
        self.assertEqual(code, 0)
        self.assertEqual(recs[-1]["suppressed"], 3)


HOOK = """#!/bin/sh
exec "%s" scan --staged --format text
"""


class Hook(Repo):
    def install_hook(self):
        p = os.path.join(self.repo, ".git", "hooks", "pre-commit")
        with open(p, "w") as f:
            f.write(HOOK % MAGPIE)
        os.chmod(p, 0o755)

    def commit(self):
        p = self.git("commit", "-q", "-m", "try", check=False)
        return p.returncode, (p.stdout + p.stderr).decode(errors="replace")

    def test_commit_with_a_key_is_refused(self):
        self.install_hook()
        self.write("README", "hello\n")
        self.write("conf/app.env", "# config\nregion=eu\nAWS_ACCESS_KEY_ID=%s\n" % AKID)
        self.git("add", "-A")
        code, out = self.commit()
        self.assertNotEqual(code, 0, out)
        self.assertIn("conf/app.env:3:", out)
        self.assertIn("aws.access-key-id", out)
        self.assertNotIn(AKID, out)
        self.assertEqual(self.git("rev-list", "--all").stdout, b"")

    def test_clean_commit_goes_through(self):
        self.install_hook()
        self.write("README", "hello\n")
        self.git("add", "-A")
        code, out = self.commit()
        self.assertEqual(code, 0, out)

    def test_old_secret_does_not_block_unrelated_commit(self):
        self.write("conf/app.env", "AWS_ACCESS_KEY_ID=%s\n" % AKID)
        self.commit_all()
        self.install_hook()
        with open(os.path.join(self.repo, "conf/app.env"), "a") as f:
            f.write("region=eu\n")
        self.write("README", "hello\n")
        self.git("add", "-A")
        code, out = self.commit()
        self.assertEqual(code, 0, out)

    def test_staged_then_cleaned_is_still_refused(self):
        self.install_hook()
        self.write("a.env", "key=%s\n" % AKID)
        self.git("add", "a.env")
        self.write("a.env", "key=\n")
        code, out = self.commit()
        self.assertNotEqual(code, 0, out)
        self.assertIn("a.env:1:", out)

    def test_commit_all_scans_the_index_git_is_committing(self):
        # `git commit -a` hands the hook a temporary index (GIT_INDEX_FILE).
        self.write("app.env", "region=eu\n")
        self.commit_all()
        self.install_hook()
        self.write("app.env", "region=eu\nkey=%s\n" % AKID)
        p = self.git("commit", "-q", "-a", "-m", "all", check=False)
        out = (p.stdout + p.stderr).decode(errors="replace")
        self.assertNotEqual(p.returncode, 0, out)
        self.assertIn("app.env:2:", out)

    @unittest.skipUnless(shutil.which("pre-commit"), "the pre-commit package is not installed")
    def test_pre_commit_framework(self):
        with open(os.path.join(SRCDIR, ".pre-commit-hooks.yaml")) as f:
            hooks = f.read()
        entry = re.search(r"^\s*entry:\s*(.+)$", hooks, re.M).group(1).strip()
        args = re.search(r"^\s*args:\s*(\[.*\])$", hooks, re.M).group(1)
        self.assertEqual(entry, "magpie scan --staged")
        bindir = os.path.join(self.d, "bin")
        os.makedirs(bindir)
        os.symlink(MAGPIE, os.path.join(bindir, "magpie"))
        self.env["PATH"] = bindir + os.pathsep + self.env.get("PATH", "")
        self.write(".pre-commit-config.yaml", """repos:
- repo: local
  hooks:
  - id: magpie
    name: magpie
    entry: %s
    args: %s
    language: system
    pass_filenames: false
    always_run: true
""" % (entry, args))
        self.commit_all("config")
        p = subprocess.run(["pre-commit", "install"], cwd=self.repo, env=self.env,
                           capture_output=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.write("x.env", "key=%s\n" % AKID)
        self.git("add", "-A")
        code, out = self.commit()
        self.assertNotEqual(code, 0, out)
        self.assertIn("x.env:1:", out)
        self.assertIn("aws.access-key-id", out)
        self.write("x.env", "key=\n")
        self.git("add", "-A")
        code, out = self.commit()
        self.assertEqual(code, 0, out)

    @unittest.skipUnless(shutil.which("pre-commit"), "the pre-commit package is not installed")
    def test_pre_commit_framework_with_the_manifest(self):
        """The hook as users get it: .pre-commit-hooks.yaml from a hook repository (here
        a local one holding only that file), validated by pre-commit itself."""
        hooks = os.path.join(self.d, "hooks")
        os.makedirs(hooks)
        shutil.copy(os.path.join(SRCDIR, ".pre-commit-hooks.yaml"), hooks)
        for args in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "hooks"]):
            subprocess.run(["git"] + args, cwd=hooks, env=self.env, check=True, capture_output=True)
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=hooks, env=self.env, check=True,
                             capture_output=True).stdout.decode().strip()
        bindir = os.path.join(self.d, "bin")
        os.makedirs(bindir)
        os.symlink(MAGPIE, os.path.join(bindir, "magpie"))
        self.env["PATH"] = bindir + os.pathsep + self.env.get("PATH", "")
        self.write(".pre-commit-config.yaml",
                   "repos:\n- repo: %s\n  rev: %s\n  hooks:\n  - id: magpie\n" % (hooks, rev))
        self.commit_all("config")
        p = subprocess.run(["pre-commit", "install"], cwd=self.repo, env=self.env,
                           capture_output=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.write("conf/x.env", "a=1\nkey=%s\n" % AKID)
        self.git("add", "-A")
        code, out = self.commit()
        self.assertNotEqual(code, 0, out)
        self.assertIn("conf/x.env:2:", out)
        self.assertIn("aws.access-key-id", out)
        self.write("conf/x.env", "a=1\n")
        self.git("add", "-A")
        code, out = self.commit()
        self.assertEqual(code, 0, out)


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    failed = len(result.failures) + len(result.errors)
    print("%d passed, %d failed" % (result.testsRun - failed - len(result.skipped), failed))
    sys.exit(1 if failed else 0)
