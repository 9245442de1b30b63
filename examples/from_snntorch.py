"""From snnTorch to verified hardware through NIR (issue 10's headline workflow).

1. Train an snnTorch 64-32-10 ``Leaky`` network (learned per-neuron beta, T = 16, direct input:
   the pixel intensity is the input current at every step, reset to zero) on optdigits.tra, measure
   its accuracy on optdigits.tes in snnTorch, and export it with ``snntorch.export_to_nir``.
   Needs ``torch`` and ``snntorch``; without them this step is skipped (say so) and the committed
   ``tests/fixtures/nir/optdigits_snntorch.nir`` is used, with the snnTorch accuracy recorded beside
   it in ``optdigits_snntorch.json`` when it was made.
2. ``scnc.nir.read_nir`` -> scnc's float network: its accuracy on optdigits.tes, next to snnTorch's.
3. Quantize (stream length L <= 32) and run ``scnc.ref`` (the hardware's bit-exact model) on the
   whole test set: the hardware accuracy.
4. Compile to Verilog and ``scnc verify`` it bit for bit in Verilator on ``--verify-samples`` samples.

Run from the repository root::

    python examples/from_snntorch.py --data-dir ../shared/data/optdigits
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests" / "fixtures" / "nir" / "optdigits_snntorch.nir"
TIMESTEPS = 16
SIZES = (64, 32, 10)


def have_snntorch() -> bool:
    try:
        import snntorch  # noqa: F401
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def train_snntorch(x_tr, y_tr, x_te, y_te, *, epochs: int, seed: int, nir_path: Path) -> dict:
    """Train in snnTorch, export to NIR at ``nir_path``; returns snnTorch's own test accuracy."""
    import snntorch as snn
    import torch
    from snntorch.export_nir import export_to_nir

    import nir

    torch.manual_seed(seed)
    torch.set_num_threads(1)
    fc1, fc2 = torch.nn.Linear(SIZES[0], SIZES[1]), torch.nn.Linear(SIZES[1], SIZES[2])
    # Per-neuron beta, learned. Beta and threshold are vectors: snnTorch 1.0.0 exports a scalar as a
    # 0-d LIF array, which nir 1.0.8 refuses (a scalar beta fails its type check, a scalar threshold
    # beside a vector beta its "same shape" assertion). Reset to zero: exactly scnc's "zero".
    def leaky(n: int, **kw):
        return snn.Leaky(beta=torch.full((n,), 0.9), threshold=torch.ones(n), learn_beta=True,
                         reset_mechanism="zero", init_hidden=True, **kw)

    lif1, lif2 = leaky(SIZES[1]), leaky(SIZES[2], output=True)
    net = torch.nn.Sequential(fc1, lif1, fc2, lif2)

    def run(xb: torch.Tensor) -> torch.Tensor:
        lif1.reset_hidden()
        lif2.reset_hidden()
        counts = 0
        for _ in range(TIMESTEPS):
            spk, _mem = net(xb)  # direct input: the same currents every step
            counts = counts + spk
        return counts

    opt = torch.optim.Adam(net.parameters(), lr=5e-3)
    xt, yt = torch.from_numpy(x_tr.copy()), torch.from_numpy(y_tr.copy())
    g = torch.Generator().manual_seed(seed)
    for epoch in range(epochs):
        perm = torch.randperm(len(xt), generator=g)
        for i in range(0, len(xt), 64):
            idx = perm[i:i + 64]
            loss = torch.nn.functional.cross_entropy(run(xt[idx]), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            with torch.no_grad():  # snnTorch clamps beta in its forward pass but exports the raw value
                lif1.beta.clamp_(0.0, 1.0)
                lif2.beta.clamp_(0.0, 1.0)
        with torch.no_grad():
            acc = float((run(torch.from_numpy(x_te.copy())).argmax(1).numpy() == y_te).mean())
        print(f"  snnTorch epoch {epoch + 1}/{epochs}: test accuracy {acc:.4f}", flush=True)
    with torch.no_grad():
        counts = run(torch.from_numpy(x_te.copy())).numpy()
    # argmax ties go to the lowest index in both torch and numpy.
    acc = float((counts.argmax(1) == y_te).mean())
    graph = export_to_nir(net, torch.zeros(SIZES[0]))
    nir_path.parent.mkdir(parents=True, exist_ok=True)
    nir.write(nir_path, graph)
    return {"snntorch_accuracy": acc, "snntorch_version": snn.__version__, "torch_version": torch.__version__,
            "epochs": epochs, "seed": seed, "timesteps": TIMESTEPS, "test_samples": int(len(y_te)),
            "reset": "zero", "input": "direct (intensity / 16 as current every step)"}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, default=REPO.parent / "shared" / "data" / "optdigits",
                    help="folder with optdigits.tra and optdigits.tes")
    ap.add_argument("--out", type=Path, default=Path("from-snntorch"), help="output folder (build, checkpoint)")
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--stream-length", type=int, default=32)
    ap.add_argument("--verify-samples", type=int, default=50, help="0 skips the Verilator run")
    ap.add_argument("--retrain", action="store_true",
                    help="train in snnTorch even though the committed NIR file exists (needs snntorch)")
    ap.add_argument("--update-fixture", action="store_true",
                    help="with --retrain: write the new NIR file and accuracy into tests/fixtures/nir/")
    args = ap.parse_args(argv)

    from scnc import ref
    from scnc.data import load_dataset
    from scnc.ir import QuantOptions, from_checkpoint, quantize
    from scnc.nir import read_nir
    from scnc.snn import EncoderConfig, accuracy
    from scnc.transfer import save_checkpoint

    train = load_dataset("optdigits", split="train", data_dir=args.data_dir)
    test = load_dataset("optdigits", split="test", data_dir=args.data_dir)
    args.out.mkdir(parents=True, exist_ok=True)
    nir_path = FIXTURE
    info_path = FIXTURE.with_suffix(".json")
    if args.retrain:
        if not have_snntorch():
            raise SystemExit("--retrain needs torch and snntorch (pip install torch snntorch)")
        nir_path = FIXTURE if args.update_fixture else args.out / "optdigits_snntorch.nir"
        info_path = nir_path.with_suffix(".json")
        print(f"1. training in snnTorch ({args.epochs} epochs) ...", flush=True)
        info = train_snntorch(np.asarray(train.x), np.asarray(train.y), np.asarray(test.x), np.asarray(test.y),
                              epochs=args.epochs, seed=args.seed, nir_path=nir_path)
        info_path.write_text(json.dumps(info, indent=2, sort_keys=True) + "\n")
    else:
        why = "snnTorch is not installed" if not have_snntorch() else "--retrain not given"
        print(f"1. skipping snnTorch training ({why}): using the committed {nir_path.relative_to(REPO)}")
        info = json.loads(info_path.read_text())
    print(f"   snnTorch's own accuracy on optdigits.tes: {info['snntorch_accuracy']:.4f}")

    res = read_nir(nir_path, reset="zero", timesteps=TIMESTEPS, encoder=EncoderConfig(kind="direct"))
    for r in res.layers:
        print(f"   layer {r.name}: {r.n_in}x{r.n_out}, beta {r.beta.min():.3f}..{r.beta.max():.3f}, gain "
              f"{r.gain.min():g}, threshold {r.threshold.min():g}, reset {r.reset}")
    ckpt = res.checkpoint
    save_checkpoint(ckpt, args.out / "imported.npz")
    float_acc = accuracy(ckpt.to_network(), test.x, test.y)
    print(f"2. scnc float model (imported): {float_acc:.4f}  (snnTorch: {info['snntorch_accuracy']:.4f})")

    opts = QuantOptions(stream_length=args.stream_length)
    graph = quantize(from_checkpoint(ckpt), opts)
    t0 = time.perf_counter()
    hw = ref.run(graph, test.x, trace=False)
    hw_acc = float((np.asarray(hw.winners) == test.y).mean())
    print(f"3. hardware (scnc.ref, L = {args.stream_length}, {graph.layers[0].synapse.quant.weight_bits}-bit weights, "
          f"rate-coded 8-bit inputs): {hw_acc:.4f}  ({time.perf_counter() - t0:.1f} s)")
    result = {"snntorch_accuracy": info["snntorch_accuracy"], "float_accuracy": float_acc,
              "hardware_accuracy": hw_acc, "stream_length": args.stream_length, "nir": str(nir_path)}
    if args.verify_samples > 0:
        from scnc.rtl import compile_graph
        from scnc.verify import verify_build

        build = args.out / "build"
        compile_graph(graph, build)
        rep = verify_build(build, sim="verilator", samples=args.verify_samples, dataset="optdigits",
                           data_dir=args.data_dir)
        print(f"4. verify in {rep.simulator}: {rep.samples} samples, {rep.values_compared:,} values compared, "
              f"{rep.mismatches} mismatches -> {'bit-exact' if rep.ok else 'MISMATCH'}")
        result.update({"verify_ok": bool(rep.ok), "verify_samples": int(rep.samples),
                       "values_compared": int(rep.values_compared), "mismatches": int(rep.mismatches)})
    return result


if __name__ == "__main__":
    out = main()
    sys.exit(0 if out.get("verify_ok", True) else 1)
