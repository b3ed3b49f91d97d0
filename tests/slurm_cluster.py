#!/usr/bin/python3
"""Issue 25: HeadBench on a real one-node Slurm (tools/local-slurm.sh: munged, slurmctld, slurmd).

- The extraction array of docs/CLUSTER.md, taken from the document (3 shards), and its merge line
  with afterok give the features of a single-process extract, row for row.
- A 6-point sweep as a 3-task array (the script `sweep --sbatch --tasks 3` prints) writes into one
  workspace: `runs --json` lists the grid's 6 points once each, grouped under the sweep id, each
  with the test F1 of the single-process `sweep` of the same head.
- A task killed with SIGKILL in the middle of a point and then re-queued skips the point it had
  finished, trains the killed one again, and leaves the killed attempt marked interrupted: never
  counted twice.
- train --repeats 4 as a 2-task array: the seeds once each, as the single-process repeats.

Exits 77 (CTest's skip code) when slurm-wlm or munge is absent or the daemons cannot run here.
Usage: slurm_cluster.py PATH/TO/headbench-cli PATH/TO/tools/local-slurm.sh
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

import clitest
from clitest import run

import h5py
import numpy as np

SLURM_DIR = None
ENV = None
DOCS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs", "CLUSTER.md")


def slurm(*args, check=True):
    proc = subprocess.run(list(args), capture_output=True, text=True, env=ENV)
    if check and proc.returncode != 0:
        raise AssertionError(f"{args}: exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout.strip()


def submit(script_path, *extra):
    return slurm("sbatch", "--parsable", *extra, script_path).split(";")[0]


def wait_for(job_id, timeout=300):
    """Waits until the job (every task of an array) has left the queue; returns the log text."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        # Only an answer counts: a squeue that failed (slurmctld busy) says nothing about the job.
        proc = subprocess.run(["squeue", "-h", "-j", job_id], capture_output=True, text=True, env=ENV)
        if (proc.returncode == 0 and not proc.stdout.strip()) or "Invalid job id" in proc.stderr:
            return
        time.sleep(0.5)
    raise AssertionError(f"job {job_id} still queued after {timeout} s:\n" + slurm("squeue", check=False))


def job_states(job_id):
    """The final state of each task of an array job, from scontrol (no accounting here)."""
    out = slurm("scontrol", "-o", "show", "job", job_id, check=False)
    return re.findall(r"JobState=(\w+)", out)


class SlurmCluster(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = cls.tmp.name
        os.chmod(cls.dir, 0o755)
        run("demo", "--out", cls.dir, "--n", "900")
        cls.dataset = os.path.join(cls.dir, "demo.jsonl")
        cls.single = os.path.join(cls.dir, "single.h5")
        run("extract", "--dataset", cls.dataset, "--out", cls.single)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def documented(self, start_marker, replacements):
        """The first sh block of docs/CLUSTER.md after `start_marker`, with each (old, new)
        replacement applied; each must match, so a change to the documented script is noticed."""
        with open(DOCS) as f:
            doc = f.read()
        block = doc[doc.index(start_marker):]
        block = block[block.index("```sh\n") + 6:]
        block = block[:block.index("```")]
        for old, new in replacements:
            self.assertIn(old, block, f"docs/CLUSTER.md no longer has {old!r}")
            block = block.replace(old, new)
        return block

    def test_1_extraction_array_and_merge_equal_single_process(self):
        shards = os.path.join(self.dir, "shards")
        os.makedirs(shards)
        # docs/CLUSTER.md's extract.sbatch and merge line, with this machine's dataset, the
        # built-in backbone, 3 shards and small resources.
        script = self.documented("`extract.sbatch`:", [
            ("--array=0-31", "--array=0-2"), ("--cpus-per-task=8", "--cpus-per-task=1"), ("--mem=32G", "--mem=1G"),
            ("--output=logs/", f"--chdir={self.dir}\n#SBATCH --output={self.dir}/"), ("N=32", "N=3"),
            ("headbench-cli --threads", f"{clitest.CLI} --threads"),
            ("/data/functions.jsonl", self.dataset),
            ("    --backbone /models/codellama-7b/model.pt \\\n", ""),
            ("    --tokenizer /models/codellama-7b/tokenizer.model \\\n", ""),
            ("    --pooling last --max-length 1024 --batch-size 8 \\\n", ""),
            ("/scratch/${USER}/features", shards)])
        jid = submit(self.write("extract.sbatch", script))
        merged = os.path.join(self.dir, "merged.h5")
        submit_line = self.documented("Submit it, then merge", [
            ("headbench-cli merge", f"{clitest.CLI} merge"), ("/scratch/${USER}/features", shards),
            ("shard-*-of-32.h5", "shard-*-of-3.h5"), ("/data/features/codellama.h5", merged),
            ("jid=$(sbatch --parsable extract.sbatch)\n", ""),
            ("sbatch --dependency", f"sbatch --parsable --chdir={self.dir} --output={self.dir}/merge.out --dependency")])
        mid = subprocess.run(["bash", "-c", submit_line], capture_output=True, text=True, env=dict(ENV, jid=jid),
                             check=True).stdout.strip().split(";")[0]
        wait_for(jid)
        wait_for(mid)
        if not os.path.exists(merged):
            with open(os.path.join(self.dir, "merge.out")) as f:
                self.fail(f.read())
        self.assertEqual(sorted(os.listdir(shards)), [f"shard-{i}-of-3.h5" for i in range(3)])
        with h5py.File(self.single, "r") as a, h5py.File(merged, "r") as b:
            np.testing.assert_array_equal(a["features"][()], b["features"][()])
            np.testing.assert_array_equal(a["labels"][()], b["labels"][()])
            self.assertEqual(list(a["ids"][()]), list(b["ids"][()]))

    def sweep_f1(self, workspace, grid):
        """Single-process sweep: test F1 by point params (sorted JSON)."""
        out = json.loads(run("sweep", "--features", self.single, "--workspace", workspace, "--grid", grid,
                             "--leakage", "off", "--json", threads=1).stdout)
        return {json.dumps(r["params"], sort_keys=True): r["metrics"]["test"]["f1"] for r in out["runs"]}

    def test_2_sweep_array_with_a_killed_and_requeued_task(self):
        # Epochs enough that a point runs for about a second: the task is killed while its second
        # point runs (at 40 epochs the BLAS trainer finished a point in 0.3 s, and the kill came late).
        grid = self.write("grid.json", json.dumps(
            {"base": {"epochs": 150, "hidden": [64], "batch_size": 32},
             "grid": {"lr": [0.001, 0.01, 0.03], "dropout": [0.0, 0.2]}}))
        reference = self.sweep_f1(os.path.join(self.dir, "ws-single"), grid)
        self.assertEqual(len(reference), 6)

        workspace = os.path.join(self.dir, "ws-array")
        script = run("sweep", "--features", self.single, "--workspace", workspace, "--grid", grid, "--leakage", "off",
                     "--sbatch", "--tasks", "3", "--cpus-per-task", "1", "--mem", "1G", "--sweep-id", "S-test",
                     threads=0).stdout
        self.assertIn("#SBATCH --array=0-2", script)
        self.assertIn('--shard "${SLURM_ARRAY_TASK_ID}/3"', script)
        self.assertIn("--sweep-id S-test", script)
        self.assertIn('--threads "${SLURM_CPUS_PER_TASK}"', script)
        self.assertIn("#SBATCH --requeue", script)
        jid = submit(self.write("sweep.sbatch", script))

        # Task 1 trains points 1 and 4 (0-based): kill it with SIGKILL while point 4 runs.
        runs_dir = os.path.join(workspace, "runs")
        victim = None
        deadline = time.time() + 240
        while victim is None and time.time() < deadline:
            for name in os.listdir(runs_dir) if os.path.isdir(runs_dir) else []:
                if name.startswith("."):
                    continue  # a run being prepared under its hidden name; it is renamed into place
                path = os.path.join(runs_dir, name, "running.json")
                try:
                    with open(path) as f:
                        running = json.load(f)
                except (OSError, ValueError):
                    continue
                if running.get("sweep", {}).get("point") == 4:
                    victim = (name, running["pid"])
            time.sleep(0.05)
        self.assertIsNotNone(victim, "point 4 never started")
        os.kill(victim[1], 9)
        # Slurm sees the task fail; re-queue it at once (a re-queued job waits otherwise).
        deadline = time.time() + 60
        while time.time() < deadline and "FAILED" not in job_states(f"{jid}_1"):
            time.sleep(0.2)
        slurm("scontrol", "requeue", f"{jid}_1")
        slurm("scontrol", "update", f"JobId={jid}_1", "StartTime=now")
        # The re-queued task must be back in the queue before waiting for the array to leave it.
        deadline = time.time() + 60
        while time.time() < deadline and "FAILED" in job_states(f"{jid}_1"):
            time.sleep(0.2)
        # Then until it has run again: once the other tasks are done, a re-queued task between
        # states can be missing from squeue for a moment, and wait_for returned before it ran.
        deadline = time.time() + 240
        while time.time() < deadline and job_states(f"{jid}_1")[:1] != ["COMPLETED"]:
            time.sleep(0.2)
        wait_for(jid)
        with open(os.path.join(workspace, "slurm-logs", f"headbench-sweep-{jid}_1.out")) as f:
            log = f.read()
        self.assertIn("1 point had finished before under this sweep id", log)

        listed = json.loads(run("runs", "--workspace", workspace, "--json").stdout)
        finished = [r for r in listed if r["status"] == "finished"]
        self.assertEqual(sorted(r["sweep_point"] for r in finished), list(range(6)), "every point once")
        self.assertEqual({r["sweep"] for r in listed}, {"S-test"})
        for r in finished:
            key = json.dumps(r["sweep_params"], sort_keys=True)
            self.assertEqual(r["metrics"]["test"]["f1"], reference[key], key)
            self.assertEqual(r["slurm_task"].split("_")[0], jid)
        interrupted = [r for r in listed if r["status"] != "finished"]
        self.assertEqual([(r["run"], r["status"], r["sweep_point"]) for r in interrupted],
                         [(victim[0], "interrupted", 4)])
        # The text listing: one group, 6 of 6, the retried attempt counted apart.
        text = run("runs", "--workspace", workspace).stdout
        self.assertIn("S-test: 6 of 6 finished (1 earlier attempt of re-run points not shown)", text)
        # compare --sweep takes the group's finished runs, one per point.
        compared = json.loads(run("compare", "--workspace", workspace, "--sweep", "S-test", "--json").stdout)
        self.assertEqual(len(compared["runs"]), 6)

        # The same array submitted again (a whole re-run): every point is skipped.
        jid2 = submit(os.path.join(self.dir, "sweep.sbatch"))
        wait_for(jid2)
        listed2 = json.loads(run("runs", "--workspace", workspace, "--json").stdout)
        self.assertEqual(len([r for r in listed2 if r["status"] == "finished"]), 6)

    def test_3_repeats_array(self):
        workspace = os.path.join(self.dir, "ws-repeats")
        args = ["train", "--features", self.single, "--workspace", workspace, "--depth", "1", "--width", "32",
                "--epochs", "5", "--repeats", "4", "--leakage", "off"]
        script = run(*args, "--sbatch", "--tasks", "2", "--cpus-per-task", "1", "--mem", "1G", threads=0).stdout
        group = re.search(r"--sweep-id (repeat-[0-9a-f]{12})", script).group(1)
        jid = submit(self.write("repeats.sbatch", script))
        wait_for(jid)
        listed = json.loads(run("runs", "--workspace", workspace, "--json").stdout)
        self.assertEqual(sorted(r["sweep_point"] for r in listed if r["status"] == "finished"), [0, 1, 2, 3])
        self.assertEqual({r["sweep"] for r in listed}, {group})
        single = json.loads(run(*args[:4], os.path.join(self.dir, "ws-repeats-single"), *args[5:], "--json",
                                threads=1).stdout)
        want = {r["seed"] if "seed" in r else i: r["metrics"]["test"]["f1"] for i, r in enumerate(single["runs"])}
        got = {r["sweep_params"]["seed"]: r["metrics"]["test"]["f1"] for r in listed}
        self.assertEqual(sorted(got.values()), sorted(want.values()))


    def test_4_cross_validation_array_and_gather(self):
        """train --cv 4 as a 3-task array: folds on several tasks, the run on one, cv.json and oof.csv
        assembled once (by the last task to land or the afterok gather), equal to one process's."""
        single_ws = os.path.join(self.dir, "ws-cv-single")
        args = ["--features", self.single, "--depth", "1", "--width", "32", "--epochs", "6", "--cv", "4",
                "--leakage", "off"]
        single = json.loads(run("train", "--workspace", single_ws, *args, "--json", threads=1).stdout)
        workspace = os.path.join(self.dir, "ws-cv")
        script = run("train", "--workspace", workspace, *args, "--sbatch", "--tasks", "3", "--cpus-per-task", "1",
                     "--mem", "1G", threads=0).stdout
        self.assertIn("#SBATCH --array=0-2", script)
        gather = re.search(r"^#   (sbatch --dependency=afterok:\$\{jid\} .*)$", script, re.M).group(1)
        jid = submit(self.write("cv.sbatch", script))
        # The documented afterok line, as the script prints it.
        gid = subprocess.run(["bash", "-c", gather.replace("${jid}", jid).replace("sbatch ", "sbatch --parsable "),
                              ], capture_output=True, text=True, env=ENV, check=True).stdout.strip()
        wait_for(jid)
        wait_for(gid)
        listed = json.loads(run("runs", "--workspace", workspace, "--json").stdout)
        self.assertEqual(len(listed), 1)
        run_dir = listed[0]["dir"]
        with open(os.path.join(single["dir"], "oof.csv")) as a, open(os.path.join(run_dir, "oof.csv")) as b:
            self.assertEqual(a.read(), b.read())
        with open(os.path.join(single["dir"], "cv.json")) as a, open(os.path.join(run_dir, "cv.json")) as b:
            want, got = json.load(a), json.load(b)
        for key in want:
            if key != "seconds":
                self.assertEqual(got[key], want[key], key)
        self.assertEqual(listed[0]["metrics"]["test"]["f1"], single["metrics"]["test"]["f1"])
        self.assertIn("were already in", run("gather", run_dir).stdout)


def main():
    global SLURM_DIR, ENV
    _, script = clitest.arguments(2)
    SLURM_DIR = tempfile.mkdtemp(prefix="headbench-slurm-")
    start = subprocess.run(["bash", script, "start", SLURM_DIR], capture_output=True, text=True)
    if start.returncode == 77:
        print("skipped:", start.stderr.strip())
        sys.exit(77)
    if start.returncode != 0:
        sys.exit(f"tools/local-slurm.sh start failed:\n{start.stdout}\n{start.stderr}")
    ENV = dict(os.environ, SLURM_CONF=os.path.join(SLURM_DIR, "slurm.conf"))
    os.environ["SLURM_CONF"] = ENV["SLURM_CONF"]
    try:
        result = unittest.main(exit=False).result
    finally:
        subprocess.run(["bash", script, "stop", SLURM_DIR])
        shutil.rmtree(SLURM_DIR, ignore_errors=True)
    sys.exit(0 if result.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
