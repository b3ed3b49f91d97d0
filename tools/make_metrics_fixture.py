#!/usr/bin/python3
"""Writes tests/data/metrics_fixture.json: per-sample probabilities with the metrics that
scikit-learn (and, for ECE, a direct numpy computation) gives for them. HeadBench's own metric
code is tested against these values.

Run with Debian's interpreter: /usr/bin/python3 tools/make_metrics_fixture.py
"""
import json
import os

import numpy as np
from sklearn import metrics


def ece(labels, probs, bins=10):
    conf = probs.max(axis=1)
    pred = probs.argmax(axis=1)
    # Bins (lo, hi]; a confidence of exactly 0 goes to the first bin.
    idx = np.clip(np.ceil(conf * bins).astype(int) - 1, 0, bins - 1)
    total = 0.0
    for b in range(bins):
        m = idx == b
        if m.any():
            total += m.mean() * abs((pred[m] == labels[m]).mean() - conf[m].mean())
    return float(total)


def binary_case(rng, n, noise, round_to=None, positive_rate=0.5):
    labels = (rng.random(n) < positive_rate).astype(int)
    logits = (labels * 2 - 1) * rng.uniform(0.0, 2.0, n) + rng.normal(0, noise, n)
    p1 = 1 / (1 + np.exp(-logits))
    if round_to:  # creates ties, which ROC-AUC and AP must handle
        p1 = np.round(p1, round_to)
    p1 = p1.astype(np.float32)
    probs = np.stack([1 - p1, p1], axis=1)
    pred = (p1 >= 0.5).astype(int)
    return {
        "num_classes": 2,
        "labels": labels.tolist(),
        "probs": probs.astype(float).round(7).tolist(),
        "accuracy": metrics.accuracy_score(labels, pred),
        "precision": metrics.precision_score(labels, pred, zero_division=0),
        "recall": metrics.recall_score(labels, pred, zero_division=0),
        "f1": metrics.f1_score(labels, pred, zero_division=0),
        "roc_auc": metrics.roc_auc_score(labels, p1),
        "pr_auc": metrics.average_precision_score(labels, p1),
        "ece": ece(labels, probs),
        "confusion": metrics.confusion_matrix(labels, pred, labels=[0, 1]).tolist(),
    }


def multiclass_case(rng, n, k):
    labels = rng.integers(0, k, n)
    logits = rng.normal(0, 1, (n, k))
    logits[np.arange(n), labels] += 1.5
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    probs = probs.astype(np.float32).astype(float).round(7)
    pred = probs.argmax(axis=1)
    return {
        "num_classes": k,
        "labels": labels.tolist(),
        "probs": probs.tolist(),
        "accuracy": metrics.accuracy_score(labels, pred),
        "precision": metrics.precision_score(labels, pred, average="macro", zero_division=0),
        "recall": metrics.recall_score(labels, pred, average="macro", zero_division=0),
        "f1": metrics.f1_score(labels, pred, average="macro", zero_division=0),
        "roc_auc": None,
        "pr_auc": None,
        "ece": ece(labels, probs),
        "confusion": metrics.confusion_matrix(labels, pred, labels=list(range(k))).tolist(),
    }


def main():
    rng = np.random.default_rng(20261124)
    cases = {
        "binary_smooth": binary_case(rng, 400, 1.0),
        "binary_ties": binary_case(rng, 300, 1.5, round_to=1),
        "binary_imbalanced": binary_case(rng, 250, 2.0, positive_rate=0.15),
        "multiclass_4": multiclass_case(rng, 500, 4),
    }
    out = os.path.join(os.path.dirname(__file__), "..", "tests", "data", "metrics_fixture.json")
    with open(out, "w") as f:
        json.dump(cases, f)
    print("wrote", os.path.normpath(out))


if __name__ == "__main__":
    main()
