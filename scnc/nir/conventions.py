"""How a continuous-time NIR neuron becomes scnc's discrete-time LIF: discretisations and producer presets.

NIR's LIF is continuous (``docs/nir.md``)::

    tau * dv/dt = (v_leak - v) + r * I          spike when v > v_threshold, then v = v_reset

scnc's layer is discrete (:mod:`scnc.snn.network`): ``v_pre = beta * v + I @ W + b``, fire when
``v_pre >= threshold``, then subtract the threshold or reset to zero. One time step of length
``dt`` of the NIR equation, with the input held over the step, is

===============  =========================  ============================  =====================
discretisation   beta                       input gain g                  constant current
===============  =========================  ============================  =====================
``euler``        ``1 - dt / tau``           ``r * dt / tau``              ``(1 - beta) * v_leak``
``exact``        ``exp(-dt / tau)``         ``r * (1 - beta)``            ``(1 - beta) * v_leak``
===============  =========================  ============================  =====================

and the layer's weights and bias are the synapse's multiplied by ``g`` (the threshold is kept).
``IF`` (``dv/dt = r * I``) has ``beta = 1`` and ``g = r * dt`` in both.

NIR stores neither ``dt``, nor the discretisation, nor whether a reset subtracts the threshold,
nor ``>`` against ``>=``: each framework has its own answer (``docs/nir.md`` lists them with the
lines of their exporters). A :class:`Preset` is one framework's answer; :data:`PRESETS` holds them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import kinds
from ..kinds import ResetMode

__all__ = [
    "Producer",
    "Discretization",
    "Preset",
    "PRESETS",
    "SNNTORCH_DT",
    "NORSE_DT",
    "discretize",
    "snntorch_gain_is_one",
    "rockpool_dt",
    "rockpool_gain_is_one",
    "unit_gain",
]


# The vocabularies live in scnc.kinds (a leaf the CLI imports while building its parser).
Producer = kinds.Producer
Discretization = kinds.Discretization


#: Norse's default ``dt`` (its cells' and ``norse.torch.utils.export_nir.to_nir``'s), seconds. Its
#: exporter writes ``tau = dt / tau_mem_inv`` and its cells step ``v += dt * tau_mem_inv * (...)``,
#: so the file's ``tau`` must be stepped with ``dt**2`` (docs/nir.md; norse issue #411).
NORSE_DT = 1e-3

#: The ``dt`` snnTorch's exporter hard-codes (``snntorch/export_nir.py``): ``tau = dt / (1 - beta)``,
#: ``r = tau / dt``.
SNNTORCH_DT = 1e-4


@dataclass(frozen=True)
class Preset:
    """One producer's conventions: what its exporter means by the numbers it writes.

    Parameters
    ----------
    producer:
        The producer.
    dt:
        Its time step in the file's time unit, or ``None`` when it must be given (``--dt``).
    discretization:
        How its simulator steps the equation.
    reset:
        What its neurons do after a spike (its default), or ``None`` for NIR's own rule (reset to
        ``v_reset``, which must be 0: scnc's ``zero``).
    reset_from_file:
        Whether the file says which reset was used. When not, importing warns.
    gain_one:
        The exporter writes ``r`` so that the per-step input gain is exactly 1 (snnTorch's
        ``r = tau / dt``); the importer then uses 1 rather than the rounded ``r * dt / tau``.
    compare:
        The producer's firing comparison (``">"`` or ``">="``); scnc fires on ``>=``.
    note:
        What the preset assumes, in one sentence, for the import report.
    dt_from_r:
        When no ``dt`` is given, recover it from each neuron's ``tau`` and ``r`` (Rockpool writes
        ``r = tau exp(-dt/tau) / dt``, :func:`rockpool_dt`).
    syn_input_decays:
        A CubaLIF's synaptic current adds the input and decays *before* the membrane reads it
        (Rockpool's ``LIFTorch``: ``I = a (I + x)``, ``v = b v + I``), so the synapse's per-step gain
        is ``w_in * exp(-dt/tau_syn)``, not NIR's ``w_in * (1 - exp(-dt/tau_syn))``.
    reset_fixed:
        The framework has no other reset than :attr:`reset`: nothing to warn about.
    caveats:
        Warnings every import with this preset gives: behaviour the file cannot show.
    if_dt:
        The step an ``IF`` node integrates over (gain ``r * if_dt``) when it differs from
        :attr:`dt`: Norse's ``IAFCell`` adds its input unscaled whatever ``dt``.
    starts_at_v_leak:
        The framework starts each neuron at ``v = v_leak`` (Norse), scnc at 0: a layer with
        ``v_leak != 0`` then differs in its first steps, and the import warns.
    """

    producer: Producer
    dt: float | None
    discretization: Discretization
    reset: ResetMode | None
    reset_from_file: bool
    gain_one: bool
    compare: str
    note: str
    dt_from_r: bool = False
    syn_input_decays: bool = False
    reset_fixed: bool = False
    caveats: tuple[str, ...] = ()
    if_dt: float | None = None
    starts_at_v_leak: bool = False


PRESETS: dict[Producer, Preset] = {
    Producer.SNNTORCH: Preset(
        Producer.SNNTORCH, SNNTORCH_DT, Discretization.EULER, ResetMode.SUBTRACT_DELAYED, False, True, ">",
        "snnTorch export: dt = 1e-4, beta = 1 - dt/tau, r = tau/dt (input gain 1); v_reset is always "
        "written as 0, whatever the module's reset_mechanism (default 'subtract' with reset_delay=True: "
        "scnc's subtract_delayed)",
    ),
    Producer.SINABS: Preset(
        Producer.SINABS, 1.0, Discretization.EXACT, ResetMode.SUBTRACT, False, False, ">=",
        "Sinabs export: tau in time steps (dt = 1), alpha = exp(-1/tau), r = 1 (gain 1 - alpha, "
        "norm_input), reset by subtraction (MembraneSubtract), fires at v >= threshold",
        caveats=("Sinabs layers emit trunc(v / threshold) events in one step with their default spike_fn=MultiSpike "
                 "and subtract that many thresholds; scnc emits at most one spike per step: equal only for networks "
                 "built with spike_fn=SingleSpike or whose membranes stay below twice the threshold",
                 "Sinabs's export does not record norm_input (default True: a LIF's input is scaled by 1 - alpha, "
                 "assumed here) nor min_v_mem (default None: no lower bound, assumed here)"),
    ),
    Producer.NORSE: Preset(
        Producer.NORSE, NORSE_DT**2, Discretization.EULER, None, True, False, ">",
        "Norse export: tau = dt/tau_mem_inv with to_nir's dt = 1e-3 (Norse's time constant times dt, not "
        "1/tau_mem_inv), r = 1; Norse steps v += dt*tau_mem_inv*(v_leak - v + I) with dt = 1e-3, so beta = "
        "1 - dt^2/tau and gain dt^2/tau: forward Euler with dt = 1e-6; IAFCell adds its input unscaled (IF gain r); "
        "reset to v_reset, fires at v > threshold",
        if_dt=1.0, starts_at_v_leak=True,
    ),
    Producer.ROCKPOOL: Preset(
        Producer.ROCKPOOL, None, Discretization.EXACT, ResetMode.SUBTRACT, False, True, ">=",
        "Rockpool export: exact decay beta = exp(-dt/tau), dt folded into r = tau*exp(-dt/tau)/dt (input gain 1, "
        "dt recovered from r), reset by subtracting the threshold, fires at v >= threshold; a CubaLIF "
        "(LIFTorch) synapse passes exp(-dt/tau_syn) of its input in the step it arrives",
        dt_from_r=True, syn_input_decays=True, reset_fixed=True,
        caveats=("Rockpool neurons emit floor(v / threshold) events in one step (up to max_spikes_per_dt, default "
                 "2**16, which the file does not record) and subtract that many thresholds; scnc emits at most one "
                 "spike per step: equal only for networks built with max_spikes_per_dt=1 or whose membranes stay "
                 "below twice the threshold",),
    ),
    Producer.SCNC: Preset(
        Producer.SCNC, SNNTORCH_DT, Discretization.EULER, None, True, True, ">=",
        "scnc export: snnTorch's conventions (dt = 1e-4, r = tau/dt); the reset mode of each layer "
        "is in the node's metadata",
    ),
    Producer.NIR: Preset(
        Producer.NIR, None, Discretization.EXACT, None, True, False, ">",
        "NIR's own semantics: the continuous equation stepped exactly with the given dt, reset to v_reset",
    ),
}


def discretize(
    tau: np.ndarray, r: np.ndarray, dt: float, how: Discretization
) -> tuple[np.ndarray, np.ndarray]:
    """``(beta, gain)`` per neuron, float64, for ``tau * dv/dt = -v + r * I`` stepped by ``dt``.

    ``tau`` must be finite and > 0 (the caller checks and names the node); ``beta`` may come out
    negative (Euler with ``dt > tau``), which the caller refuses.
    """
    tau = np.asarray(tau, np.float64)
    r = np.asarray(r, np.float64)
    if Discretization(how) is Discretization.EULER:
        beta = 1.0 - dt / tau
        gain = r * dt / tau
    else:
        beta = np.exp(-dt / tau)
        gain = r * (1.0 - beta)
    return beta, gain


def snntorch_gain_is_one(tau: np.ndarray, r: np.ndarray, dt: float = SNNTORCH_DT, rtol: float = 1e-5) -> bool:
    """Whether ``r == tau / dt`` (snnTorch's convention) for every neuron, to ``rtol``.

    ``tau = r = inf`` (snnTorch's export of ``beta = 1``) counts as following the convention.
    """
    tau = np.asarray(tau, np.float64)
    r = np.asarray(r, np.float64)
    inf = np.isinf(tau) & np.isinf(r) & (tau > 0) & (r > 0)
    fin = np.isfinite(tau) & np.isfinite(r) & (tau > 0)
    if not np.all(inf | fin):
        return False
    ratio = r[fin] * dt / tau[fin]
    return bool(np.all(np.abs(ratio - 1.0) <= rtol))



def rockpool_dt(tau: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Per-neuron ``dt`` such that ``r = tau * exp(-dt/tau) / dt`` (Rockpool's export), float64.

    With ``x = dt / tau`` this is ``x * exp(x) = 1 / r``, whose root ``x = W(1/r)`` (Lambert W,
    principal branch) exists and is unique for every ``r > 0``. Newton's method on
    ``log(x) + x = -log(r)`` (monotone and concave in ``x``) converges from ``x = 1`` in a few steps.
    Neurons with ``tau`` or ``r`` not finite and > 0 give NaN.
    """
    tau = np.asarray(tau, np.float64)
    r = np.asarray(r, np.float64)
    ok = np.isfinite(tau) & np.isfinite(r) & (tau > 0) & (r > 0)
    target = -np.log(np.where(ok, r, 1.0))
    x = np.where(target > 1.0, target, np.exp(np.minimum(target, 1.0)) / np.e)  # x ~ t for large t, e^(t-1) for small
    for _ in range(60):
        step = (np.log(x) + x - target) / (1.0 / x + 1.0)
        x = np.maximum(x - step, x * 1e-3)  # stay > 0
        if np.all(np.abs(step) <= 1e-15 * x):
            break
    return np.where(ok, x * tau, np.nan)


def rockpool_gain_is_one(tau: np.ndarray, r: np.ndarray, dt: float, rtol: float = 1e-5) -> bool:
    """Whether ``r == tau * exp(-dt/tau) / dt`` (Rockpool's export, input gain 1) for every neuron, to ``rtol``."""
    tau = np.asarray(tau, np.float64)
    r = np.asarray(r, np.float64)
    if not (np.all(np.isfinite(tau)) and np.all(np.isfinite(r)) and np.all(tau > 0)):
        return False
    expected = tau * np.exp(-dt / tau) / dt
    return bool(np.all(np.abs(r / expected - 1.0) <= rtol))


def unit_gain(producer: Producer, tau: np.ndarray, r: np.ndarray, dt: float, rtol: float = 1e-5) -> bool:
    """Whether ``r`` is what ``producer``'s exporter writes for a per-step input gain of exactly 1.

    snnTorch (and scnc) write ``r = tau / dt``, Rockpool ``r = tau exp(-dt/tau) / dt``; the other
    producers have no such convention (``False``).
    """
    if producer in (Producer.SNNTORCH, Producer.SCNC):
        return snntorch_gain_is_one(tau, r, dt, rtol=rtol)
    if producer is Producer.ROCKPOOL:
        return rockpool_gain_is_one(tau, r, dt, rtol=rtol)
    return False
