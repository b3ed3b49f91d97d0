#!/usr/bin/python3
"""Reference losses, gradients and optimiser steps of small heads, computed by python3-torch's
autograd and torch.optim, for tests/backend/train/MlpNetTest.cpp (HeadBench's BLAS trainer).

Usage: make_mlp_reference.py OUT.json

Each case is a head spec (HeadBench's JSON names), a batch (x, labels), the initial parameters
in torch's named_parameters() order, and the dropout keep-masks of each step. For each of three
steps on the same batch the file holds the loss, every parameter's gradient and the parameters
after the optimiser's step. The network, the losses and the optimisers are PyTorch's own
(nn.Linear, nn.LayerNorm, F.gelu, F.cross_entropy, F.binary_cross_entropy_with_logits,
torch.optim.Adam/AdamW/SGD); the focal loss is written from its definition in torch ops and
differentiated by autograd.
"""
import json
import sys

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float32)

ACTIVATIONS = {
    "relu": torch.relu,
    "gelu": F.gelu,
    "tanh": torch.tanh,
    "silu": F.silu,
    "leaky_relu": lambda v: F.leaky_relu(v, 0.01),
}


class Head(torch.nn.Module):
    def __init__(self, dim, hidden, outputs, layer_norm):
        super().__init__()
        self.fcs = []
        self.lns = []
        d = dim
        for i, w in enumerate(hidden):
            fc = torch.nn.Linear(d, w)
            setattr(self, f"fc{i}", fc)
            self.fcs.append(fc)
            if layer_norm:
                ln = torch.nn.LayerNorm(w)
                # Not torch's 1 and 0, so that their gradients matter to the test.
                with torch.no_grad():
                    ln.weight.uniform_(0.5, 1.5)
                    ln.bias.uniform_(-0.3, 0.3)
                setattr(self, f"ln{i}", ln)
                self.lns.append(ln)
            d = w
        self.out = torch.nn.Linear(d, outputs)

    def forward(self, x, act, masks, p):
        for i, fc in enumerate(self.fcs):
            x = fc(x)
            if self.lns:
                x = self.lns[i](x)
            x = act(x)
            if masks is not None:
                x = x * masks[i] / (1.0 - p)  # torch's dropout with the mask given
        return self.out(x)


def loss_of(spec, logits, y, weights, k):
    eps = spec.get("label_smoothing", 0.0)
    loss = spec.get("loss", "cross_entropy")
    if loss == "bce_with_logits":
        t = y.float() * (1 - eps) + 0.5 * eps
        per = F.binary_cross_entropy_with_logits(logits.squeeze(1), t, reduction="none")
        if weights is None:
            return per.mean()
        w = weights[y]
        return (per * w).sum() / w.sum()
    if loss == "cross_entropy":
        return F.cross_entropy(logits, y, weight=weights, label_smoothing=eps)
    # focal
    logp = torch.log_softmax(logits, 1)
    nll = -logp.gather(1, y.unsqueeze(1)).squeeze(1)
    if eps > 0:
        nll = (1 - eps) * nll - eps / k * logp.sum(1)
    pt = logp.gather(1, y.unsqueeze(1)).squeeze(1).exp()
    per = torch.pow(1 - pt, spec.get("focal_gamma", 2.0)) * nll
    if weights is None:
        return per.mean()
    w = weights[y]
    return (per * w).sum() / w.sum()


def case(name, spec, n, dim, k, seed, standardize=False):
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    x = torch.randn(n, dim, generator=g) * 1.5 + 0.7
    if standardize:  # columns on very different scales, as raw embeddings can be
        x = x * torch.linspace(0.2, 40.0, dim) + torch.linspace(-5.0, 5.0, dim)
    y = torch.randint(0, k, (n,), generator=g)
    y[:k] = torch.arange(k)  # every class present
    outputs = 1 if spec.get("loss") == "bce_with_logits" else k
    hidden = spec["hidden"]
    net = Head(dim, hidden, outputs, spec.get("norm") == "layer_norm")
    params0 = [p.detach().clone() for _, p in net.named_parameters()]
    names = [n_ for n_, _ in net.named_parameters()]
    weights = torch.tensor(spec["class_weights"], dtype=torch.float32) if spec.get("class_weights") else None
    p = spec.get("dropout", 0.0)
    lr = spec.get("lr", 1e-3)
    opt_name = spec.get("optimizer", "adamw")
    wd = spec.get("weight_decay", 1e-4)
    if opt_name == "adam":
        opt = torch.optim.Adam(net.parameters(), lr=lr, weight_decay=wd)
    elif opt_name == "adamw":
        opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=wd)
    else:
        opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=spec.get("momentum", 0.9), weight_decay=wd)
    xin = x
    if standardize:
        mean = x.double().mean(0)
        sd = x.double().std(0, unbiased=False)
        xin = ((x.double() - mean) / sd).float()
    act = ACTIVATIONS[spec.get("activation", "relu")]
    steps, masks_all = [], []
    for step in range(3):
        masks = None
        if p > 0:
            masks = [(torch.rand(n, w, generator=g) >= p).float() for w in hidden]
            masks_all.append([m.flatten().int().tolist() for m in masks])
        opt.zero_grad()
        loss = loss_of(spec, net(xin, act, masks, p), y, weights, k)
        loss.backward()
        grads = [q.grad.detach().flatten().tolist() for q in net.parameters()]
        opt.step()
        steps.append({
            "loss": loss.item(),
            "grads": grads,
            "params_after": [q.detach().flatten().tolist() for q in net.parameters()],
        })
    return {
        "name": name,
        "spec": spec,
        "input_dim": dim,
        "num_classes": k,
        "standardize": standardize,
        "x": x.flatten().tolist(),
        "labels": y.tolist(),
        "names": names,
        "params": [q.flatten().tolist() for q in params0],
        "masks": masks_all,
        "steps": steps,
    }


def main():
    out = sys.argv[1]
    cases = [
        case("relu_ce_dropout_adamw", {"hidden": [16], "activation": "relu", "dropout": 0.3, "loss": "cross_entropy",
                                       "optimizer": "adamw", "lr": 0.01, "weight_decay": 0.01}, 24, 7, 3, 1),
        case("gelu_layernorm_weighted_smoothed_adam", {"hidden": [12, 9], "activation": "gelu", "dropout": 0.2,
                                                       "norm": "layer_norm", "loss": "cross_entropy",
                                                       "class_weights": [0.5, 2.0, 1.3], "label_smoothing": 0.1,
                                                       "optimizer": "adam", "lr": 0.005, "weight_decay": 0.001},
             20, 6, 3, 2),
        case("tanh_bce_weighted_smoothed_sgd", {"hidden": [10], "activation": "tanh", "dropout": 0.0,
                                                "loss": "bce_with_logits", "class_weights": [1.0, 3.0],
                                                "label_smoothing": 0.05, "optimizer": "sgd", "lr": 0.1,
                                                "momentum": 0.9, "weight_decay": 0.01}, 18, 5, 2, 3),
        case("silu_focal_layernorm_weighted_smoothed_adamw", {"hidden": [8, 8], "activation": "silu", "dropout": 0.25,
                                                              "norm": "layer_norm", "loss": "focal", "focal_gamma": 2.0,
                                                              "class_weights": [1.0, 0.7, 2.5, 1.1],
                                                              "label_smoothing": 0.1, "optimizer": "adamw", "lr": 0.01,
                                                              "weight_decay": 0.05}, 22, 6, 4, 4),
        case("leaky_focal_half_gamma_sgd_no_momentum", {"hidden": [11], "activation": "leaky_relu", "dropout": 0.1,
                                                        "loss": "focal", "focal_gamma": 0.5, "optimizer": "sgd",
                                                        "lr": 0.05, "momentum": 0.0, "weight_decay": 0.0}, 16, 4, 3, 5),
        case("relu_ce_standardized_adamw", {"hidden": [9], "activation": "relu", "dropout": 0.0,
                                            "loss": "cross_entropy", "optimizer": "adamw", "lr": 0.01,
                                            "weight_decay": 0.01, "standardize": True}, 30, 8, 2, 6, standardize=True),
    ]
    with open(out + ".tmp", "w") as f:
        json.dump({"cases": cases}, f)
    import os
    os.replace(out + ".tmp", out)


if __name__ == "__main__":
    main()
