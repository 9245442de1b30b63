"""``scnc info``: a human-readable summary of a checkpoint."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._common import Out


def register(sub) -> None:
    p = sub.add_parser("info", help="summarise a checkpoint", description="Print what a checkpoint holds: "
                       "layers, sizes, neuron parameters, frozen layers, classes, provenance and hash.")
    p.add_argument("checkpoint", type=Path, help="checkpoint (.npz with its .json sidecar)")
    p.add_argument("--json", action="store_true", help="print one machine-readable JSON line on stdout")
    p.set_defaults(func=run)


def describe(ckpt) -> list[str]:
    net = ckpt.to_network()
    lines = [f"checkpoint  {ckpt.content_hash[:16]}  ({ckpt.n_params:,} parameters, neuron {ckpt.neuron_type})",
             f"time steps  {net.timesteps}, encoder {net.encoder.kind} (seed {net.encoder.seed})",
             f"classes     {list(ckpt.class_labels) if ckpt.class_labels else 'unnamed'}",
             "", f"  {'layer':<12}{'shape':>12}  {'beta':>15}  {'threshold':>15}  {'bias':>6}  reset     frozen"]
    frozen = list(ckpt.frozen or [False] * len(net.layers))
    for layer, fz in zip(net.layers, frozen):
        b, th = layer.beta, layer.threshold
        beta = f"{b[0]:.4f}" if b.size == 1 else f"{b.min():.3f}..{b.max():.3f}"
        thr = f"{th[0]:.4f}" if th.size == 1 else f"{th.min():.3f}..{th.max():.3f}"
        lines.append(f"  {layer.name:<12}{f'{layer.n_in}x{layer.n_out}':>12}  {beta:>15}  {thr:>15}  "
                     f"{'yes' if layer.bias is not None else 'no':>6}  {layer.reset:<9} {'yes' if fz else 'no'}")
    meta = ckpt.metadata or {}
    if meta:
        lines += ["", "metadata    " + ", ".join(f"{k}={v}" for k, v in sorted(meta.items()))]
    prov = ckpt.provenance or {}
    if prov.get("scnc_version"):
        lines.append(f"written by  scnc {prov['scnc_version']}")
    if prov.get("dataset"):
        d = prov["dataset"]
        lines.append(f"trained on  {d.get('name')}/{d.get('split')} ({d.get('n')} samples, classes {d.get('classes')})")
    for step in prov.get("transfer", []):
        lines.append(f"transfer    {step}")
    return lines


def run(args: argparse.Namespace, out: Out) -> int:
    from ..transfer import load_checkpoint

    ckpt = load_checkpoint(args.checkpoint)
    for line in describe(ckpt):
        out.say(line)
    out.result({"command": "info", "checkpoint": str(args.checkpoint), "content_hash": ckpt.content_hash,
                "layer_names": list(ckpt.layer_names), "layer_sizes": [list(s) for s in ckpt.layer_sizes],
                "n_params": ckpt.n_params, "frozen": list(ckpt.frozen or []),
                "class_labels": list(ckpt.class_labels or []), "metadata": ckpt.metadata})
    return 0
