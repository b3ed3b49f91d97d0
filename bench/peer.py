#!/usr/bin/python3
"""The Python peer of HeadBench's benchmarks: the same work written the way people write it
today, with Debian's python3-torch and python3-h5py. Each subcommand prints one JSON object.
"""
import argparse
import json
import time

import h5py
import numpy as np
import torch


def build(dim, hidden, dropout, classes=2):
    layers, width = [], dim
    for w in hidden:
        layers += [torch.nn.Linear(width, w), torch.nn.ReLU()]
        if dropout > 0:
            layers.append(torch.nn.Dropout(dropout))
        width = w
    layers.append(torch.nn.Linear(width, classes))
    return torch.nn.Sequential(*layers)


def load_features(path):
    with h5py.File(path, "r") as f:
        x = f["features"][:]
        y = f["labels"][:]
    return x, y


def cmd_train(a):
    x, y = load_features(a.features)
    n = len(y)
    rng = np.random.default_rng(a.seed)
    order = rng.permutation(n)
    train = order[: int(n * 0.8)]
    x = torch.from_numpy(x)
    y = torch.from_numpy(y.astype(np.int64))
    torch.manual_seed(a.seed)
    model = build(x.shape[1], a.hidden, a.dropout)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    times = []
    for _ in range(a.epochs):
        perm = torch.from_numpy(rng.permutation(train))
        model.train()
        t0 = time.perf_counter()
        for s in range(0, len(perm), a.batch):
            idx = perm[s:s + a.batch]
            opt.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
        times.append(time.perf_counter() - t0)
    best = min(times[1:] if len(times) > 1 else times)
    print(json.dumps({"samples_per_s": len(train) / best, "train_seconds_per_epoch": best}))


def cmd_load(a):
    t0 = time.perf_counter()
    x, _ = load_features(a.features)
    seconds = time.perf_counter() - t0
    print(json.dumps({"mb_per_s": x.nbytes / seconds / 1e6, "seconds": seconds}))


def cmd_infer(a):
    x, _ = load_features(a.features)
    model = build(x.shape[1], a.hidden, 0.0).eval()
    x = torch.from_numpy(x)
    with torch.no_grad():
        torch.softmax(model(x[:8192]), 1)  # warm-up
        t0 = time.perf_counter()
        out = [torch.softmax(model(x[s:s + 8192]), 1) for s in range(0, len(x), 8192)]
        probs = torch.cat(out).numpy()
    seconds = time.perf_counter() - t0
    print(json.dumps({"rows_per_s": len(probs) / seconds, "seconds": seconds}))


def cmd_sweep(a):
    """12 heads one after the other, as a notebook loop would train them."""
    x, y = load_features(a.features)
    n = len(y)
    rng = np.random.default_rng(0)
    order = rng.permutation(n)
    train, val = order[: int(n * 0.8)], order[int(n * 0.8): int(n * 0.9)]
    xt, yt = torch.from_numpy(x), torch.from_numpy(y.astype(np.int64))
    t0 = time.perf_counter()
    for depth in (0, 1, 2):
        for act in (torch.nn.ReLU, torch.nn.GELU):
            for focal in (False, True):
                torch.manual_seed(42)
                layers, width = [], xt.shape[1]
                for _ in range(depth):
                    layers += [torch.nn.Linear(width, 256), act(), torch.nn.Dropout(0.1)]
                    width = 256
                model = torch.nn.Sequential(*layers, torch.nn.Linear(width, 2))
                opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)
                for _ in range(a.epochs):
                    model.train()
                    perm = torch.from_numpy(rng.permutation(train))
                    for s in range(0, len(perm), 256):
                        idx = perm[s:s + 256]
                        logp = torch.log_softmax(model(xt[idx]), 1)
                        nll = -logp.gather(1, yt[idx].unsqueeze(1)).squeeze(1)
                        if focal:
                            nll = (1 - torch.exp(-nll)) ** 2 * nll
                        opt.zero_grad()
                        nll.mean().backward()
                        opt.step()
                    model.eval()
                    with torch.no_grad():
                        model(xt[torch.from_numpy(val)])
                model.eval()
                with torch.no_grad():
                    torch.softmax(model(xt), 1)
    print(json.dumps({"seconds": time.perf_counter() - t0}))


def cmd_extract(a):
    """The same TorchScript model on the same token ids (written by headbench_bench extract),
    batched the same way: longest first, padded to the longest of each batch, mean pooling."""
    with open(a.tokens + ".json") as f:
        meta = json.load(f)
    rows, max_len = meta["rows"], meta["max_length"]
    ids = np.fromfile(a.tokens + ".bin", dtype=np.int64).reshape(rows, max_len)
    lengths = np.array(meta["lengths"])
    model = torch.jit.load(a.model).eval()
    t0 = time.perf_counter()  # HeadBench's figure does not count loading the model either
    order = sorted(range(rows), key=lambda i: -lengths[i])  # stable, as HeadBench's
    out = np.empty((rows, 0), dtype=np.float32)
    with torch.inference_mode():
        for s in range(0, rows, a.batch):
            idx = order[s:s + a.batch]
            longest = int(lengths[idx].max())
            input_ids = torch.from_numpy(ids[idx, :longest])
            mask = (torch.arange(longest).unsqueeze(0) < torch.from_numpy(lengths[idx]).unsqueeze(1)).long()
            hidden = model(input_ids, mask)
            m = mask.unsqueeze(2).float()
            pooled = ((hidden * m).sum(1) / m.sum(1).clamp_min(1.0)).numpy()
            if out.shape[1] == 0:
                out = np.empty((rows, pooled.shape[1]), dtype=np.float32)
            out[idx] = pooled
    seconds = time.perf_counter() - t0
    if a.out:
        np.save(a.out, out)
    print(json.dumps({"rows": rows, "seconds": seconds, "rows_per_s": rows / seconds,
                      "torch_threads": torch.get_num_threads()}))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2)
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train")
    t.add_argument("--features", required=True)
    t.add_argument("--hidden", type=lambda s: [int(v) for v in s.split(",") if v], default=[])
    t.add_argument("--dropout", type=float, default=0.0)
    t.add_argument("--epochs", type=int, default=2)
    t.add_argument("--batch", type=int, default=256)
    t.add_argument("--seed", type=int, default=42)
    ld = sub.add_parser("load")
    ld.add_argument("--features", required=True)
    inf = sub.add_parser("infer")
    inf.add_argument("--features", required=True)
    inf.add_argument("--hidden", type=lambda s: [int(v) for v in s.split(",") if v], default=[])
    sw = sub.add_parser("sweep")
    sw.add_argument("--features", required=True)
    sw.add_argument("--epochs", type=int, default=20)
    ex = sub.add_parser("extract")
    ex.add_argument("--model", required=True)
    ex.add_argument("--tokens", required=True, help="prefix of the .bin/.json written by headbench_bench extract")
    ex.add_argument("--batch", type=int, default=16)
    ex.add_argument("--out", help="save the features (.npy) to compare with HeadBench's")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    {"train": cmd_train, "load": cmd_load, "infer": cmd_infer, "sweep": cmd_sweep, "extract": cmd_extract}[a.cmd](a)


if __name__ == "__main__":
    main()
