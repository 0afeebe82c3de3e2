"""Backpropagation against finite differences: time for one gradient of the quadratic cost.

    .venv/bin/python benchmarks/backprop.py

Finite differences need 2P cost evaluations for P parameters; backpropagation a forward and a
backward pass, whatever P is. The speed-up should grow roughly in proportion to P.
"""
import time

import numpy as np

from calckit.network import Network, finite_difference_gradient, flatten


def best(call, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    rng = np.random.default_rng(0)
    print(f"{'network':>16s} {'parameters':>10s} {'backprop µs':>12s} {'finite diff ms':>15s} {'speed-up':>9s} {'rel. error':>11s}")
    for sizes in ([2, 3, 1], [4, 8, 6, 2], [8, 16, 16, 4], [16, 32, 32, 8]):
        net = Network(sizes, seed=1)
        x, y = rng.normal(size=(sizes[0], 32)), rng.uniform(size=(sizes[-1], 32))
        t_bp = best(lambda: net.backpropagate(x, y), 50)
        t_fd = best(lambda: finite_difference_gradient(net, x, y), 3)
        g, fd = flatten(*net.backpropagate(x, y)), finite_difference_gradient(net, x, y)
        error = np.linalg.norm(g - fd) / (np.linalg.norm(g) + np.linalg.norm(fd))
        print(f"{'-'.join(map(str, sizes)):>16s} {net.parameters:10d} {t_bp * 1e6:12.1f} {t_fd * 1e3:15.2f} "
              f"{t_fd / t_bp:9.0f} {error:11.1e}")



def switched_off():
    """a3's Task 4 case: one hidden neuron switched off (z near -31). How far each numerical gradient's
    entries for that neuron are from backpropagation's, relative to their size, for every step h."""
    rng = np.random.default_rng(5)
    net = Network([3, 5, 2], seed=2)
    net.weights[0][1] *= 0.2
    net.biases[0][1] = -31.0
    x, y = rng.normal(size=(3, 20)), rng.uniform(size=(2, 20))
    exact = flatten(*net.backpropagate(x, y))
    tiny = np.zeros_like(exact, dtype=bool)
    tiny[3:6] = True                                  # W1 row 1
    tiny[15 + 1] = True                               # b1 entry 1
    tiny[20 + np.array([1, 6])] = True                # W2 column 1
    print(f"\nswitched-off neuron: entries {np.abs(exact[tiny]).min():.1g} to {np.abs(exact[tiny]).max():.1g}, "
          f"the others up to {np.abs(exact[~tiny]).max():.1g}")
    print(f"{'h':>8s} {'central: tiny':>14s} {'central: rest':>14s}")
    for h in (1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7):
        fd = finite_difference_gradient(net, x, y, h=h)
        error = np.abs(fd - exact) / np.abs(exact)
        print(f"{h:8.0e} {error[tiny].max():14.2g} {error[~tiny].max():14.2g}")


if __name__ == "__main__":
    main()
    switched_off()
