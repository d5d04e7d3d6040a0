"""Fit the drift test's critical values by simulation (leakguard._detect.shape).

Draws Gaussian random walks of each length, computes ``drift_z`` on each, and
prints the empirical (1 - alpha) quantile next to the fitted ``c(n) = c_inf +
slope / n`` that the detector uses, and the share of walks that the fitted
value lets through (the realised false-alarm rate of one window).

    python benchmarks/shape_critical.py [--walks 20000] [--alpha 0.001]
"""

from __future__ import annotations

import argparse
import random

from leakguard._detect.shape import df_critical, df_tau, drift_critical, drift_z

LENGTHS = (7, 10, 14, 20, 28, 30, 45, 60, 90, 120)


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def walk(r: random.Random, n: int) -> list[float]:
    x, out = 0.0, []
    for _ in range(n):
        x += r.gauss(0.0, 1.0)
        out.append(x)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--walks", type=int, default=20_000)
    ap.add_argument("--alpha", type=float, default=0.001)
    args = ap.parse_args()
    r = random.Random(7)
    print(f"{'n':>4} {'drift: empirical':>16} {'fitted':>7} {'passed':>7}", end="")
    print(f" {'DF: empirical':>14} {'fitted':>7} {'passed':>7}")
    for n in LENGTHS:
        walks = [walk(r, n) for _ in range(args.walks)]
        zs = [drift_z(w) for w in walks]
        emp, fit = quantile(zs, 1.0 - args.alpha), drift_critical(n)
        passed = sum(z >= fit for z in zs) / len(zs)
        print(f"{n:>4} {emp:16.2f} {fit:7.2f} {passed:7.3%}", end="")
        taus = [df_tau(w) for w in walks]
        emp, fit = quantile(taus, args.alpha), df_critical(n)
        passed = sum(t <= fit for t in taus) / len(taus)
        print(f" {emp:14.2f} {fit:7.2f} {passed:7.3%}")


if __name__ == "__main__":
    main()
