"""Execution time of every notebook in a fresh kernel (course, source and release).

    .venv/bin/python benchmarks/notebooks.py
"""
import time
from pathlib import Path

import nbclient
import nbformat

REPO = Path(__file__).resolve().parent.parent


def main():
    paths = sorted(REPO.glob("course/week*/*.ipynb")) + sorted(REPO.glob("source/*/*.ipynb")) \
        + sorted(REPO.glob("release/*/*.ipynb"))
    total = 0.0
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        start = time.perf_counter()
        # Release notebooks fail their tests by design (NotImplementedError).
        # run in the notebook's own folder, as Jupyter and nbval do (lectures read data beside them)
        nbclient.NotebookClient(nb, kernel_name="python3", allow_errors="release" in path.parts,
                                resources={"metadata": {"path": str(path.parent)}}).execute()
        elapsed = time.perf_counter() - start
        total += elapsed
        print(f"{elapsed:7.2f} s  {path.relative_to(REPO)}")
    print(f"{total:7.2f} s  total (kernel start included in each)")


if __name__ == "__main__":
    main()
