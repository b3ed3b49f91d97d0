#!/usr/bin/python3
"""The default linear probe against scikit-learn's LogisticRegression, whole process (load the
feature file, fit, predict), same thread count, on the built-in backbone's 1,024-d features of
`headbench-cli demo --n N` functions (default 150,000: about 600 MB of features), or with
--real on real code: the 10,000 Juliet functions of ../shared/data, extracted once and tiled to
--n rows with Gaussian noise of 1% of each column's spread (a row's copies stay on its side of
the split; every 8th training function is validation), which shows the iteration counts real
embeddings need.

    /usr/bin/python3 bench/probe_vs_sklearn.py [--build build] [--threads 2] [--n 150000] [--real]

The demo is generated and extracted once under --workdir (extraction takes a while). The
scikit-learn side (--peer) standardises with StandardScaler fitted on the training split and
fits LogisticRegression(max_iter=5000) (C=1), as a researcher probes frozen features. HeadBench
runs `train --depth 0` with its defaults (L-BFGS, l2 auto: up to five penalties, standardised).
Runs --repeat rounds of (memory bound, HeadBench, scikit-learn), interleaved, and prints each
round: the bound (`headbench_bench bandwidth`: GB/s of a matrix-vector product over the
training rows), both wall times, the probe's fit time as % of the bound (its evaluations, each
one read of the training rows, at that bandwidth) and the round's ratio; then wall time, test
accuracy and F1 of each side's fastest round, and scikit-learn's iteration count. The first
round's HeadBench run pays for the leakage check; later rounds read its cached report, as a
second run on the same file and split does (the workspace is kept between rounds).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def tile_real(cli, threads, workdir, n, data):
    """Extracts the Juliet functions once and writes them tiled to n rows (features, labels, split)."""
    import h5py
    import lzma
    import numpy as np
    base = os.path.join(workdir, "juliet.h5")
    if not os.path.exists(base):
        jsonl = os.path.join(workdir, "juliet.jsonl")
        with lzma.open(data) as src, open(jsonl, "wb") as dst:
            dst.write(src.read())
        subprocess.run([cli, "--threads", str(threads), "extract", "--dataset", jsonl, "--backbone", "hashed-ngram",
                        "--text-field", "func", "--label-field", "target", "--split-field", "split",
                        "--out", base], check=True)
    tiled = os.path.join(workdir, f"juliet-tiled-{n}.h5")
    if os.path.exists(tiled):
        return tiled
    with h5py.File(base) as f:
        x = f["features"][:]
        y = f["labels"][:]
        split = f["split"][:].copy()
        names = f["label_names"][:] if "label_names" in f else None
    train = np.flatnonzero(split == 0)
    split[train[::8]] = 1
    reps = -(-n // len(x))
    rng = np.random.default_rng(0)
    noise = 0.01 * x.std(0, dtype=np.float64).astype(np.float32)
    out = np.empty((reps * len(x), x.shape[1]), np.float32)
    for r in range(reps):
        out[r * len(x):(r + 1) * len(x)] = x + (rng.standard_normal(x.shape, np.float32) * noise if r else 0)
    tmp = tiled + ".tmp"
    with h5py.File(tmp, "w") as f:
        f.create_dataset("features", data=out[:n])
        f.create_dataset("labels", data=np.tile(y, reps)[:n])
        f.create_dataset("split", data=np.tile(split, reps)[:n])
        if names is not None:
            f.create_dataset("label_names", data=names)
        f.attrs["backbone"] = "hashed-ngram"
    os.replace(tmp, tiled)
    return tiled


def peer(path, scaled):
    """The scikit-learn side, timed from inside the process's first line (imports included)."""
    import h5py
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.preprocessing import StandardScaler

    with h5py.File(path) as f:
        x = f["features"][:]
        y = f["labels"][:]
        split = f["split"][:] if "split" in f else None
    if split is None:
        sys.exit(f"{path}: needs a stored /split (the benchmark writes one)")
    train, test = split == 0, split == 2
    if scaled:
        scaler = StandardScaler().fit(x[train])
        model = LogisticRegression(max_iter=5000).fit(scaler.transform(x[train]), y[train])
        pred = model.predict(scaler.transform(x[test]))
    else:
        model = LogisticRegression(max_iter=5000).fit(x[train], y[train])
        pred = model.predict(x[test])
    print(json.dumps({"accuracy": float((pred == y[test]).mean()), "f1": float(f1_score(y[test], pred)),
                      "iterations": int(np.max(model.n_iter_))}))


def run(cmd, env):
    start = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    if out.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{out.stderr[-3000:]}")
    return seconds, json.loads(out.stdout)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--n", type=int, default=150000)
    p.add_argument("--workdir", default="/tmp/headbench-probe-bench")
    p.add_argument("--repeat", type=int, default=2, help="runs of each side; the fastest is kept")
    p.add_argument("--real", action="store_true", help="tiled Juliet features instead of the demo")
    p.add_argument("--data", default=os.path.join(HERE, "..", "..", "shared", "data", "juliet_sample_10k.jsonl.xz"))
    p.add_argument("--scaled", action="store_true",
                   help="StandardScaler before scikit-learn (default with the demo; --real compares with plain LogisticRegression())")
    p.add_argument("--peer", help=argparse.SUPPRESS)
    a = p.parse_args()
    scaled = a.scaled or not a.real
    if a.peer:
        return peer(a.peer, scaled)

    cli = os.path.join(a.build, "app", "cli", "headbench-cli")
    env = dict(os.environ, OMP_NUM_THREADS=str(a.threads), OPENBLAS_NUM_THREADS=str(a.threads),
               MKL_NUM_THREADS=str(a.threads))
    os.makedirs(a.workdir, exist_ok=True)
    dataset = os.path.join(a.workdir, f"demo-{a.n}.jsonl")
    features = tile_real(cli, a.threads, a.workdir, a.n, a.data) if a.real else os.path.join(a.workdir, f"demo-{a.n}.h5")
    if not os.path.exists(features):
        subprocess.run([cli, "demo", "--out", a.workdir, "--n", str(a.n)], check=True)
        os.replace(os.path.join(a.workdir, "demo.jsonl"), dataset)
        subprocess.run([cli, "--threads", str(a.threads), "extract", "--dataset", dataset,
                        "--backbone", "hashed-ngram", "--out", features], check=True)
    import h5py
    with h5py.File(features) as f:
        has_split = "split" in f
    if not has_split:
        # The same stratified split for both sides: take the one HeadBench makes and store it.
        import numpy as np
        _, first = run([cli, "--threads", str(a.threads), "train", "--features", features, "--workspace",
                        os.path.join(a.workdir, "ws-split"), "--depth", "0", "--optimizer", "adam",
                        "--epochs", "1", "--json"], env)
        split_of = {"train": 0, "validation": 1, "test": 2}
        with open(os.path.join(first["dir"], "predictions.csv")) as f:
            next(f)
            codes = np.array([split_of[line.split(",")[1]] for line in f], dtype=np.uint8)
        with h5py.File(features, "a") as f:
            f.create_dataset("split", data=codes)

    workspace = os.path.join(a.workdir, "ws")
    shutil.rmtree(workspace, ignore_errors=True)  # round 1 measures the leakage check, later rounds reuse it
    ours_cmd = [cli, "--threads", str(a.threads), "train", "--features", features, "--workspace",
                workspace, "--depth", "0", "--json"]
    peer_cmd = [sys.executable, os.path.abspath(__file__), "--peer", features] + (["--scaled"] if scaled else [])
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    with h5py.File(features) as f:
        dim = f["features"].shape[1]
        train_rows = int((f["split"][:] == 0).sum())
    bench = os.path.join(a.build, "bench", "headbench_bench")
    bound_cmd = [bench, "--threads", str(a.threads), "bandwidth", "--rows", str(train_rows), "--dim", str(dim)]
    # Rounds of (bound, HeadBench, scikit-learn), interleaved: a noisy machine slows all three of
    # a round alike, so each round's ratio and share of the bound mean more than either side's best.
    rounds = []
    for _ in range(a.repeat):
        bound = json.loads(subprocess.run(bound_cmd, check=True, capture_output=True, text=True, env=env).stdout)
        rounds.append((bound, run(ours_cmd, env), run(peer_cmd, env)))
    print(f"machine before the runs: {load}")
    print(f"| round | memory bound GB/s | HeadBench wall s | of which check s | fit s | evaluations | fit at % of bound | scikit-learn wall s | ratio |")
    print("|---|---|---|---|---|---|---|---|---|")
    ratios = []
    for i, (bound, ours, theirs) in enumerate(rounds, 1):
        with open(os.path.join(ours[1]["dir"], "history.json")) as f:
            history = json.load(f)
        # Each L-BFGS evaluation reads the training rows once; the bound is that many reads at
        # the measured bandwidth (line searches and preconditioner refreshes make the true count
        # a little higher, so the share is a lower estimate).
        evaluations = sum(e["iterations"] for e in history)
        fit = ours[1]["costs"]["fit_seconds"]
        share = 100 * evaluations * bound["bytes"] / (bound["gb_per_s"] * 1e9) / fit
        ratio = theirs[0] / ours[0]
        ratios.append(ratio)
        print(f"| {i} | {bound['gb_per_s']:.1f} | {ours[0]:.1f} | {ours[1]['costs']['leakage_seconds']:.1f} | {fit:.1f} | "
              f"{evaluations} | {share:.0f}% | "
              f"{theirs[0]:.1f} | {ratio:.2f}x |")
    ours = min((r[1] for r in rounds), key=lambda r: r[0])
    theirs = min((r[2] for r in rounds), key=lambda r: r[0])
    with open(os.path.join(ours[1]["dir"], "history.json")) as f:
        history = json.load(f)
    with open(os.path.join(ours[1]["dir"], "run.json")) as f:
        best = json.load(f)["best_epoch"]
    fits = ", ".join(f"l2 {e['l2']:.3g}: {e['iterations']} it" for e in history)
    test = ours[1]["metrics"]["test"]
    costs = ours[1]["costs"]
    what = f"tiled Juliet, {a.n} rows" if a.real else f"demo --n {a.n}"
    print(f"\n| probe on {what} ({a.threads} threads), fastest round of each | wall s | test acc | test F1 | iterations |")
    print("|---|---|---|---|---|")
    print(f"| HeadBench `train --depth 0` | {ours[0]:.1f} (leakage check {costs['leakage_seconds']:.1f}, "
          f"intervals {costs['interval_seconds']:.2f}) | {test['accuracy']:.4f} | {test['f1']:.4f} | {fits}; kept #{best} |")
    print(f"| scikit-learn {'StandardScaler + ' if scaled else ''}LogisticRegression(max_iter=5000) | {theirs[0]:.1f} | {theirs[1]['accuracy']:.4f} | "
          f"{theirs[1]['f1']:.4f} | {theirs[1]['iterations']} |")
    ratios.sort()
    print(f"\nspeed-up (scikit-learn wall / HeadBench wall): fastest {theirs[0] / ours[0]:.2f}x; "
          f"per round {', '.join(f'{r:.2f}x' for r in ratios)} (median {ratios[len(ratios) // 2]:.2f}x)")

if __name__ == "__main__":
    main()
