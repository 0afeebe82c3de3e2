"""Time each widget's update function and its frame render, headless.

    .venv/bin/python benchmarks/widgets.py

A widget should answer a slider move in well under 100 ms (DESIGN.md).
"""
import statistics
import time

import calckit


def timed(call, repeats=30):
    call()  # the first call draws the static background and warms caches
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), max(samples)


def main():
    secant = calckit.SecantExplorer("sin(x)")
    steps = calckit.StepSizeExplorer("sin(x)")
    cases = {
        "SecantExplorer.update (move h)": lambda: secant.update(h=0.05, x0=1.0),
        "SecantExplorer.update + PNG frame": lambda: (secant.update(h=0.05, x0=1.0), secant.live.png()),
        "StepSizeExplorer.update (move x0)": lambda: steps.update(x0=0.7),
        "StepSizeExplorer.update + PNG frame": lambda: (steps.update(x0=0.7), steps.live.png()),
    }
    for example in calckit.EXAMPLES:
        cases[f"StepSizeExplorer.update + PNG, {example}"] = \
            lambda e=example: (steps.update(example=e, x0=0.9), steps.live.png())
    # Changing function in the secant widget rescales the y axis: a full redraw.
    switch = iter(list(calckit.EXAMPLES) * 100)
    cases["SecantExplorer switch function (full redraw)"] = \
        lambda: (secant.update(h=0.05, x0=1.0, example=next(switch)), secant.live.png())
    print(f"{'case':48s} {'median ms':>10s} {'max ms':>8s}")
    for name, call in cases.items():
        median, worst = timed(call)
        print(f"{name:48s} {median:10.2f} {worst:8.2f}")


if __name__ == "__main__":
    main()
