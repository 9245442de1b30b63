"""The CLI's memory estimates (scnc.cli._limits) are upper bounds of what the library really allocates:
measured with tracemalloc (NumPy reports its arrays to it) after a warm-up run, so Numba's one-time
compilation is not counted. If a library change allocates more, these tests say which estimate to update."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from scnc.cli._limits import float_inference_bytes, hardware_inference_bytes, training_bytes

CASES = [([64, 200, 10], 40, 600), ([256, 16, 4], 20, 2000)]


def _peak(fn) -> int:
    fn()  # warm-up: JIT compilation and plan caches are not what the estimates bound
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _data(sizes, n):
    rng = np.random.default_rng(0)
    return rng.random((n, sizes[0])).astype(np.float32), rng.integers(0, sizes[-1], n)


@pytest.mark.parametrize("sizes, timesteps, n", CASES)
def test_training_estimate_bounds_the_peak(sizes, timesteps, n):
    from scnc.snn import Network, TrainConfig, accuracy, train

    x, y = _data(sizes, n)

    def run():
        net = Network.dense(sizes, seed=0, timesteps=timesteps)
        train(net, x, y, TrainConfig(epochs=1, batch_size=128))
        accuracy(net, x, y)

    peak = _peak(run)
    est = training_bytes(sizes, timesteps, 128)
    assert peak <= est, (peak, est)
    assert est <= 4 * peak, (peak, est)  # an estimate, not a blanket refusal


@pytest.mark.parametrize("sizes, timesteps, n", CASES)
@pytest.mark.parametrize("sng, length, parallel", [("vdc", 64, 8), ("lfsr", 16, 64)])
def test_inference_estimates_bound_the_peak(sizes, timesteps, n, sng, length, parallel):
    from scnc import ir, ref
    from scnc.snn import Network, accuracy
    from scnc.transfer import SNNCheckpoint

    x, y = _data(sizes, n)
    net = Network.dense(sizes, seed=0, timesteps=timesteps)
    peak = _peak(lambda: accuracy(net, x, y))
    assert peak <= float_inference_bytes(sizes, timesteps, n), peak
    ckpt = SNNCheckpoint.from_network(net, class_labels=list(range(sizes[-1])))
    opts = ir.QuantOptions(stream_length=length, sng=sng, parallel_inputs=parallel)

    def hardware():  # what scnc evaluate --hw runs
        graph = ir.quantize(ir.from_checkpoint(ckpt), opts)
        ref.run(graph, x, trace=False)
        ref.activity(graph, x)

    peak = _peak(hardware)
    est = hardware_inference_bytes(sizes, timesteps, n, stream_length=length, parallel_inputs=parallel)
    assert peak <= est, (peak, est)
