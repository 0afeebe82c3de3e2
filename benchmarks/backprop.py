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


if __name__ == "__main__":
    main()
