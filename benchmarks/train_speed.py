"""Training-speed benchmark, workload W-mnist (see DESIGN.md).

784 -> 256 -> 10 dense LIF (beta 0.9, threshold 1, subtract reset), T = 25, batch 128,
rate-coded random input at 20 % density, Adam, cross-entropy on output spike counts,
fast-sigmoid surrogate.

Reported:

* seconds per training step: forward + BPTT + Adam on one already-encoded batch (encoding is
  timed separately), median over ``--steps`` steps after warm-up (Numba compile excluded);
* inference samples/s: output spike counts only, median over ``--steps`` batches of
  ``--infer-batch`` samples;
* with ``--compare-torch``, the same step written in plain PyTorch (snnTorch-style LIF loop over
  time, autograd BPTT with a custom surrogate, detached reset), on CPU with its default threads.

Prints a table and, last, one JSON line.

    python benchmarks/train_speed.py [--steps 20] [--compare-torch]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time

import numba
import numpy as np

from scnc.snn import Adam, EncoderConfig, Network, encode, output_counts, value_and_grad
from scnc.snn.bptt import _GradBuffers

SIZES = [784, 256, 10]
T = 25
BATCH = 128
DENSITY = 0.2
SLOPE = 25.0


def _median_time(fn, steps: int) -> float:
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def bench_scnc(steps: int, infer_batch: int) -> dict[str, float]:
    net = Network.dense(SIZES, seed=0, timesteps=T, encoder=EncoderConfig("rate", seed=1))
    x = np.full((BATCH, SIZES[0]), DENSITY, np.float32)
    y = np.random.default_rng(0).integers(0, SIZES[-1], BATCH)
    inputs = encode(x, net.encoder, T, seed=2)
    opt = Adam(net, [1e-3] * len(net.layers))
    scratch = _GradBuffers()

    def step() -> None:
        res = value_and_grad(net, inputs, y, loss="ce_count", slope=SLOPE, binary=True, _scratch=scratch)
        opt.step(res.grads)

    t0 = time.perf_counter()
    step()
    compile_s = time.perf_counter() - t0
    for _ in range(2):
        step()
    step_s = _median_time(step, steps)
    enc_s = _median_time(lambda: encode(x, net.encoder, T, seed=3), steps)

    xi = np.full((infer_batch, SIZES[0]), DENSITY, np.float32)
    inf_in = encode(xi, net.encoder, T, seed=4)
    output_counts(net, inf_in, binary=True)
    inf_s = _median_time(lambda: output_counts(net, inf_in, binary=True), steps)
    return {
        "step_s": step_s,
        "encode_s": enc_s,
        "compile_s": compile_s,
        "infer_samples_per_s": infer_batch / inf_s,
        "threads": numba.get_num_threads(),
    }


def bench_torch(steps: int, infer_batch: int) -> dict[str, float] | None:
    try:
        import torch
    except ImportError:
        print("torch is not installed: skipping --compare-torch (pip install torch to compare)")
        return None

    class FastSigmoidSpike(torch.autograd.Function):
        @staticmethod
        def forward(ctx, u):  # type: ignore[override]
            ctx.save_for_backward(u)
            return (u >= 0).to(u.dtype)

        @staticmethod
        def backward(ctx, g):  # type: ignore[override]
            (u,) = ctx.saved_tensors
            return g / (1.0 + SLOPE * u.abs()) ** 2

    spike = FastSigmoidSpike.apply
    gen = torch.Generator().manual_seed(0)
    ws = [
        torch.nn.Parameter(torch.randn(a, b, generator=gen) * (0.5 / a**0.5)) for a, b in zip(SIZES[:-1], SIZES[1:])
    ]
    betas = [torch.nn.Parameter(torch.full((1,), 0.9)) for _ in ws]
    opt = torch.optim.Adam(ws + betas, lr=1e-3)
    inputs = (torch.rand(T, BATCH, SIZES[0], generator=gen) < DENSITY).float()
    y = torch.randint(0, SIZES[-1], (BATCH,), generator=gen)

    def run(inp: torch.Tensor) -> torch.Tensor:
        B = inp.shape[1]
        v = [torch.zeros(B, w.shape[1]) for w in ws]
        count = torch.zeros(B, SIZES[-1])
        for t in range(inp.shape[0]):
            s = inp[t]
            for i, (w, beta) in enumerate(zip(ws, betas)):
                v_pre = beta * v[i] + s @ w
                s = spike(v_pre - 1.0)
                v[i] = v_pre - s.detach() * 1.0
            count = count + s
        return count

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(run(inputs), y)
        loss.backward()
        opt.step()
        with torch.no_grad():
            for b in betas:
                b.clamp_(0.0, 1.0)

    for _ in range(3):
        step()
    step_s = _median_time(step, steps)
    inf_in = (torch.rand(T, infer_batch, SIZES[0], generator=gen) < DENSITY).float()
    with torch.no_grad():
        run(inf_in)
        inf_s = _median_time(lambda: run(inf_in), steps)
    return {
        "step_s": step_s,
        "infer_samples_per_s": infer_batch / inf_s,
        "threads": torch.get_num_threads(),
        "version": torch.__version__,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=20, help="timed steps (median reported)")
    ap.add_argument("--infer-batch", type=int, default=512, help="samples per inference batch")
    ap.add_argument("--compare-torch", action="store_true", help="also time a plain-PyTorch LIF BPTT step")
    args = ap.parse_args(argv)

    res: dict[str, object] = {
        "workload": "W-mnist",
        "sizes": SIZES,
        "timesteps": T,
        "batch": BATCH,
        "density": DENSITY,
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "scnc": bench_scnc(args.steps, args.infer_batch),
    }
    if args.compare_torch:
        res["torch"] = bench_torch(args.steps, args.infer_batch)

    s = res["scnc"]
    print(f"W-mnist {SIZES} T={T} batch={BATCH} density={DENSITY}  ({res['cores']} cores)")
    print(f"{'engine':<16}{'s/step':>10}{'infer samples/s':>18}{'threads':>9}")
    print(f"{'scnc (numba)':<16}{s['step_s']:>10.4f}{s['infer_samples_per_s']:>18.0f}{s['threads']:>9}")
    tr = res.get("torch")
    if tr:
        print(f"{'torch ' + tr['version']:<16}{tr['step_s']:>10.4f}{tr['infer_samples_per_s']:>18.0f}{tr['threads']:>9}")
        print(f"speed-up per step: {tr['step_s'] / s['step_s']:.2f}x, inference: "
              f"{s['infer_samples_per_s'] / tr['infer_samples_per_s']:.2f}x")
    print(f"(scnc rate encoding of one batch: {s['encode_s']:.4f} s, first-call compile {s['compile_s']:.1f} s)")
    print(json.dumps(res, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
