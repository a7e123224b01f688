#!/usr/bin/env python3
"""A real one-node Slurm cluster runs a sharded scan.

The test starts munged (as the munge user, with its own key and socket),
slurmctld and slurmd from Debian's packages, submits a 4-task job array
that scans a generated mirror with --shard auto, merges the four outputs
and compares the merge with a single run. A gapped array (--array=0,5,9)
must be refused by every task. Daemons are stopped by the PIDs recorded
here. The outputs are checked on disk: sbatch's own exit status is not
trusted (a task that finds something exits 1).

Needs root and the packages slurm-wlm and munge. Without them the suite
is skipped (exit 77), unless MAGPIE_REQUIRE_SLURM=1, as .ci/run sets,
when their absence is a failure.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e import MAGPIE, comparable, records, scan  # noqa: E402
from scaleout import Mirror, clean_env  # noqa: E402

TOOLS = ("munged", "slurmctld", "slurmd", "sbatch", "sinfo", "su")


def missing_prerequisite():
    if os.geteuid() != 0:
        return "not root"
    for t in TOOLS:
        if shutil.which(t) is None and not os.path.exists("/usr/sbin/" + t):
            return "%s not installed (Debian packages slurm-wlm and munge)" % t
    return None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tool(name):
    return shutil.which(name) or "/usr/sbin/" + name


class Cluster(Mirror):

    def setUp(self):
        super().setUp()
        os.chmod(self.d, 0o755)  # munged, as the munge user, reaches its socket below
        self.pids = []
        self.munged_pid = None
        self.c = os.path.join(self.d, "cluster")
        self.out = os.path.join(self.d, "out")
        mdir = os.path.join(self.c, "munge")
        for p in (self.c, mdir, os.path.join(self.c, "state"), os.path.join(self.c, "spool"), self.out):
            os.makedirs(p, exist_ok=True)
            os.chmod(p, 0o755)
        shutil.chown(mdir, "munge", "munge")
        key = os.path.join(mdir, "munge.key")
        with open(key, "wb") as f:
            f.write(os.urandom(1024))
        shutil.chown(key, "munge", "munge")
        os.chmod(key, 0o400)
        self.sock = os.path.join(mdir, "munge.socket")
        subprocess.run(["su", "-s", "/bin/sh", "munge", "-c",
                        "%s --key-file=%s --socket=%s --pid-file=%s/munged.pid --log-file=%s/munged.log "
                        "--seed-file=%s/munged.seed" % (tool("munged"), key, self.sock, mdir, mdir, mdir)],
                       check=True, timeout=30)
        with open(os.path.join(mdir, "munged.pid")) as f:
            self.munged_pid = int(f.read().strip())
        hw = subprocess.run([tool("slurmd"), "-C"], capture_output=True, text=True, check=True,
                            timeout=30).stdout.splitlines()[0].split(" ", 1)[1]
        conf = os.path.join(self.c, "slurm.conf")
        c = self.c
        with open(conf, "w") as f:
            f.write("\n".join([
                "ClusterName=magpie",
                "SlurmctldHost=localhost(127.0.0.1)",
                "SlurmUser=root",
                "SlurmdUser=root",
                "SlurmctldPort=%d" % free_port(),
                "SlurmdPort=%d" % free_port(),
                "AuthType=auth/munge",
                "CredType=cred/munge",
                "AuthInfo=socket=%s" % self.sock,
                "StateSaveLocation=%s/state" % c,
                "SlurmdSpoolDir=%s/spool" % c,
                "SlurmctldPidFile=%s/slurmctld.pid" % c,
                "SlurmdPidFile=%s/slurmd.pid" % c,
                "SlurmctldLogFile=%s/slurmctld.log" % c,
                "SlurmdLogFile=%s/slurmd.log" % c,
                # No systemd and no cgroups on these machines.
                "ProctrackType=proctrack/linuxproc",
                "TaskPlugin=task/none",
                "JobAcctGatherType=jobacct_gather/none",
                "AccountingStorageType=accounting_storage/none",
                "SchedulerType=sched/builtin",
                "SelectType=select/cons_tres",
                "SelectTypeParameters=CR_Core",
                "MpiDefault=none",
                "ReturnToService=2",
                # So that sbatch --wait returns promptly.
                "MinJobAge=4",
                "SchedulerParameters=batch_sched_delay=0",
                "NodeName=magpie1 NodeAddr=127.0.0.1 " + hw,
                "PartitionName=debug Nodes=magpie1 Default=YES MaxTime=INFINITE State=UP",
                ""]))
        self.env = clean_env({"SLURM_CONF": conf})
        for argv in ([tool("slurmctld"), "-D", "-f", conf], [tool("slurmd"), "-D", "-N", "magpie1", "-f", conf]):
            p = subprocess.Popen(argv, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.pids.append(p)
        deadline = time.time() + 60
        state = ""
        while time.time() < deadline:
            r = subprocess.run([tool("sinfo"), "-h", "-o", "%t"], env=self.env, capture_output=True, text=True,
                               timeout=30)
            state = r.stdout.strip()
            if state == "idle":
                break
            time.sleep(0.5)
        self.assertEqual(state, "idle", "the node did not come up: %s" % self.logs())

    def logs(self):
        out = []
        for name in ("slurmctld.log", "slurmd.log", "munge/munged.log"):
            p = os.path.join(self.c, name)
            if os.path.exists(p):
                with open(p, errors="replace") as f:
                    out.append("== %s\n%s" % (name, "".join(f.readlines()[-15:])))
        return "\n".join(out)

    def tearDown(self):
        for p in reversed(self.pids):
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if self.munged_pid:
            try:
                os.kill(self.munged_pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        super().tearDown()

    def sbatch(self, array, tag):
        script = os.path.join(self.c, "scan-%s.sh" % tag)
        with open(script, "w") as f:
            f.write("#!/bin/sh\ncd %s\nexec %s scan -j1 --shard auto --format jsonl -o %s/%s-$SLURM_ARRAY_TASK_ID.jsonl"
                    " mirror\n" % (self.d, MAGPIE, self.out, tag))
        os.chmod(script, 0o755)
        r = subprocess.run([tool("sbatch"), "--wait", "--array=" + array,
                            "--output=%s/%s-%%a.log" % (self.out, tag), script],
                           env=self.env, capture_output=True, text=True, timeout=300)
        return r

    def test_array_of_four_merges_to_the_single_run(self):
        r = self.sbatch("0-3", "shard")
        paths = [os.path.join(self.out, "shard-%d.jsonl" % k) for k in range(4)]
        for k, p in enumerate(paths):
            self.assertTrue(os.path.exists(p), "task %d wrote nothing (sbatch: %s %s)\n%s"
                            % (k, r.stdout, r.stderr, self.logs()))
            with open(p, "rb") as f:
                recs = records(f.read())
            self.assertEqual(recs[-1]["shard"], {"index": k, "count": 4, "source": "slurm"})
        m = subprocess.run([MAGPIE, "merge", "--format", "jsonl"] + paths, capture_output=True,
                           env=clean_env(), timeout=120)
        code, _, _, whole = scan(self, ["mirror"], cwd=self.d)
        self.assertEqual(m.returncode, code, m.stderr)
        self.assertEqual(comparable(records(m.stdout)), comparable(whole))

    def test_gapped_array_is_refused_by_every_task(self):
        self.sbatch("0,5,9", "gap")
        for task in (0, 5, 9):
            log = os.path.join(self.out, "gap-%d.log" % task)
            self.assertTrue(os.path.exists(log), "task %d did not run\n%s" % (task, self.logs()))
            with open(log) as f:
                text = f.read()
            self.assertIn("not one evenly stepped range", text)
            self.assertFalse(os.path.exists(os.path.join(self.out, "gap-%d.jsonl" % task)))


if __name__ == "__main__":
    why = missing_prerequisite()
    if why:
        if os.environ.get("MAGPIE_REQUIRE_SLURM") == "1":
            print("slurm: required but unavailable: %s" % why)
            print("0 passed, 1 failed")
            sys.exit(1)
        print("slurm: skipped: %s" % why)
        sys.exit(77)
    result = unittest.main(exit=False, verbosity=2).result
    failed = len(result.failures) + len(result.errors)
    print("%d passed, %d failed" % (result.testsRun - failed - len(result.skipped), failed))
    sys.exit(1 if failed else 0)
