"""A grid deformed by a 2-D map, coloured by the Jacobian determinant: the local change of area."""
from dataclasses import dataclass
from typing import Callable

import numpy as np
from matplotlib.ticker import MaxNLocator

from ._display import LiveFigure, figure_widget
from .figures import BLACK, YELLOW


@dataclass(frozen=True)
class Map2D:
    expr: tuple          # sympy-readable (x(u, v), y(u, v)), so tests check `jacobian` with sympy
    label: str
    apply: Callable      # (u, v) -> (x, y), elementwise
    jacobian: Callable   # (u, v) -> ((x_u, x_v), (y_u, y_v))
    ulim: tuple
    vlim: tuple
    names: tuple = ("u", "v")
    # |det J| at a cell's centre times its area is the image's area exactly, at every size (det J is
    # constant, or, for polar, linear in r alone): the ratio is 1, not only in the limit.
    exact_at_every_size: bool = False


MAPS = {
    "polar": Map2D(
        ("u*cos(v)", "u*sin(v)"), r"(r, \theta) \mapsto (r\cos\theta,\ r\sin\theta)",
        lambda r, t: (r * np.cos(t), r * np.sin(t)),
        lambda r, t: ((np.cos(t), -r * np.sin(t)), (np.sin(t), r * np.cos(t))),
        (0.2, 2.0), (0.0, 2 * np.pi), ("r", "θ"), True),
    "shear": Map2D(
        ("u + 0.8*v", "v"), r"(u, v) \mapsto (u + 0.8v,\ v)",
        lambda u, v: (u + 0.8 * v, v + 0 * u),
        lambda u, v: ((1 + 0 * u, 0.8 + 0 * u), (0 * u, 1 + 0 * u)),
        (-1.0, 1.0), (-1.0, 1.0), exact_at_every_size=True),
    "stretch and turn": Map2D(
        ("1.5*u - 0.5*v", "0.5*u + v"), r"(u, v) \mapsto (1.5u - 0.5v,\ 0.5u + v)",
        lambda u, v: (1.5 * u - 0.5 * v, 0.5 * u + v),
        lambda u, v: ((1.5 + 0 * u, -0.5 + 0 * u), (0.5 + 0 * u, 1 + 0 * u)),
        (-1.0, 1.0), (-1.0, 1.0), exact_at_every_size=True),
    "squaring z = u + iv": Map2D(
        ("u**2 - v**2", "2*u*v"), r"(u, v) \mapsto (u^2 - v^2,\ 2uv)",
        lambda u, v: (u**2 - v**2, 2 * u * v),
        lambda u, v: ((2 * u, -2 * v), (2 * v, 2 * u)),
        (0.2, 1.4), (0.2, 1.4)),
    "ripple": Map2D(
        ("u + 0.3*sin(2*v)", "v + 0.3*sin(2*u)"), r"(u, v) \mapsto (u + 0.3\sin 2v,\ v + 0.3\sin 2u)",
        lambda u, v: (u + 0.3 * np.sin(2 * v), v + 0.3 * np.sin(2 * u)),
        lambda u, v: ((1 + 0 * u, 0.6 * np.cos(2 * v)), (0.6 * np.cos(2 * u), 1 + 0 * u)),
        (-1.5, 1.5), (-1.5, 1.5)),
}


def get_map(name):
    try:
        return MAPS[name]
    except KeyError:
        raise KeyError(f"unknown map {name!r}; choose one of {sorted(MAPS)}") from None


def jacobian_determinant(m, u, v):
    (xu, xv), (yu, yv) = m.jacobian(u, v)
    return xu * yv - xv * yu


def image_of_cell(m, u0, v0, du, dv, points=400):
    """The image of the rectangle [u0, u0+du] x [v0, v0+dv], traced along its four sides. With 400
    points a side the polygon's area is within 2e-6 (relative) of the curved image's for every map
    and cell the widget offers (tests/test_calckit_week2.py), below the readout's 5 decimals."""
    s = np.linspace(0.0, 1.0, points, endpoint=False)
    us = np.concatenate([u0 + du * s, np.full(points, u0 + du), u0 + du * (1 - s), np.full(points, u0)])
    vs = np.concatenate([np.full(points, v0), v0 + dv * s, np.full(points, v0 + dv), v0 + dv * (1 - s)])
    return m.apply(us, vs)


def polygon_area(x, y):
    """Shoelace formula: the area enclosed by a closed polygon (either orientation)."""
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


class DeformationExplorer:
    """Left: a grid of small cells in the (u, v) plane. Right: its image under the map, each
    cell coloured by det J. One cell of side `size` at (u0, v0) is highlighted on both sides;
    its image's measured area is compared with |det J| times its own area."""

    def __init__(self, mapping="polar", cells=16):
        self.cells = cells
        self.live = LiveFigure(9.5, 4.4)
        self.fig = self.live.fig
        self.fig.subplots_adjust(left=0.07, right=0.9, bottom=0.12, top=0.86, wspace=0.25)
        self.ax_in, self.ax_out = self.fig.subplots(1, 2)
        self.cax = self.fig.add_axes([0.915, 0.12, 0.015, 0.74])
        for ax in (self.ax_in, self.ax_out):  # fewer tick labels: text is most of a full redraw
            ax.xaxis.set_major_locator(MaxNLocator(5))
            ax.yaxis.set_major_locator(MaxNLocator(5))
        # Yellow with a black edge: over any colour of the viridis scale one of the two stands out.
        self.cell_in, = self.ax_in.fill([], [], facecolor=YELLOW, edgecolor=BLACK, lw=1.5)
        self.cell_out, = self.ax_out.fill([], [], facecolor=YELLOW, edgecolor=BLACK, lw=1.5)
        self.title = self.fig.text(0.5, 0.95, "", ha="center", fontsize=11)
        self.live.animate(self.cell_in, self.cell_out, self.title)
        self.map_name = None
        self.colorbar = None
        self._static = []
        self._set_map(mapping)

    def _set_map(self, name):
        if name == self.map_name:
            return
        m = get_map(name)
        self.map_name = name
        for artist in self._static:
            artist.remove()
        us = np.linspace(*m.ulim, self.cells + 1)
        vs = np.linspace(*m.vlim, self.cells + 1)
        U, V = np.meshgrid(us, vs)
        X, Y = m.apply(U, V)
        centres = jacobian_determinant(m, (U[:-1, :-1] + U[1:, 1:]) / 2, (V[:-1, :-1] + V[1:, 1:]) / 2)
        mesh_in = self.ax_in.pcolormesh(U, V, np.zeros_like(centres), cmap="Greys", vmin=0, vmax=1,
                                        edgecolors="0.5", linewidth=0.4)
        # The scale starts at 0 (or below, for a map that flips orientation somewhere), so the
        # colours show how much each cell grows or shrinks.
        mesh_out = self.ax_out.pcolormesh(X, Y, centres, cmap="viridis", edgecolors="0.3", linewidth=0.4,
                                          vmin=min(0.0, float(centres.min())), vmax=float(centres.max()))
        if self.colorbar is None:
            self.colorbar = self.fig.colorbar(mesh_out, cax=self.cax, label="det $J$")
        else:  # reuse the colorbar: building a new one costs a third of a frame
            self.colorbar.update_normal(mesh_out)
        self._static = [mesh_in, mesh_out]
        self.ax_in.set(xlim=m.ulim, ylim=m.vlim, xlabel=f"${m.names[0]}$", ylabel=f"${m.names[1]}$")
        self.ax_in.set_title("before: the $(%s, %s)$ plane" % m.names, fontsize=10)
        self.ax_out.set(xlabel="$x$", ylabel="$y$", aspect="equal")
        self.ax_out.set_title(f"after: ${m.label}$", fontsize=10)
        self.ax_out.autoscale_view()
        self.live.invalidate()

    def update(self, u0=1.0, v0=0.8, size=0.1, mapping=None):
        """Move or resize the highlighted cell; return the areas compared."""
        if mapping is not None:
            self._set_map(mapping)
        m = get_map(self.map_name)
        du = size * (m.ulim[1] - m.ulim[0])
        dv = size * (m.vlim[1] - m.vlim[0])
        # the cell's centre is (u0, v0): the point where det J is evaluated
        u_lo, v_lo = u0 - du / 2, v0 - dv / 2
        self.cell_in.set_xy([(u_lo, v_lo), (u_lo + du, v_lo), (u_lo + du, v_lo + dv), (u_lo, v_lo + dv)])
        x, y = image_of_cell(m, u_lo, v_lo, du, dv)
        self.cell_out.set_xy(np.column_stack([x, y]))
        det = float(jacobian_determinant(m, u0, v0))
        measured = polygon_area(x, y)
        predicted = abs(det) * du * dv
        self.title.set_text(f"at ({m.names[0]}, {m.names[1]}) = ({u0:.2f}, {v0:.2f}):  det J = {det:.4f};  "
                            f"cell area {du * dv:.4g} → {measured:.4g}")
        return {"det": det, "area_before": du * dv, "area_after": measured, "point": (u0, v0),
                "names": m.names, "map": self.map_name,
                "predicted": predicted, "ratio": measured / predicted if predicted else np.nan}


def deformation_alt(r):
    """The plot's text alternative, for what `update` returned: the highlighted cell, before and after."""
    (u, v), (nu, nv) = r["point"], r["names"]
    return (f"Left: a grid of cells in the ({nu}, {nv}) plane before the map “{r['map']}”, with one small cell "
            f"highlighted (yellow, black edge) around ({nu}, {nv}) = ({u:.2f}, {v:.2f}). Right: the grid and that "
            f"cell after the map, each cell coloured by det J (see the colour bar). The highlighted cell's area, "
            f"{r['area_before']:.4g} before, is {r['area_after']:.4g} after, and det J = {r['det']:.4g} at its "
            "centre; the text below compares the area after with |det J| times the area before.")


def deformation_explorer(mapping="polar"):
    """Shrink the highlighted cell and watch area after / area before approach |det J|."""
    import ipywidgets as widgets

    explorer = DeformationExplorer(mapping)
    controls = {
        "u0": widgets.FloatSlider(value=0.5, min=0.1, max=0.9, step=0.02, description="where, u"),
        "v0": widgets.FloatSlider(value=0.3, min=0.1, max=0.9, step=0.02, description="where, v"),
        "size": widgets.FloatLogSlider(value=0.1, base=10, min=-3, max=-0.7, step=0.05, description="cell size"),
        "mapping": widgets.Dropdown(options=list(MAPS), value=mapping, description="map"),
    }
    return figure_widget(_Fractions(explorer), controls, _readout, alt=deformation_alt)


class _Fractions:
    """The sliders say where across the domain (0 to 1); the explorer works in (u, v)."""

    def __init__(self, explorer):
        self.explorer = explorer
        self.live = explorer.live

    def update(self, u0, v0, size, mapping):
        self.explorer._set_map(mapping)
        m = get_map(mapping)
        return {**self.explorer.update(m.ulim[0] + u0 * (m.ulim[1] - m.ulim[0]),
                                       m.vlim[0] + v0 * (m.vlim[1] - m.vlim[0]), size),
                "exact_at_every_size": m.exact_at_every_size}


def _readout(r):
    why = ("exactly 1 at every size for this map: |det J| at the centre is the cell's average"
           if r.get("exact_at_every_size") else "→ 1 as the cell shrinks")
    return (f"|det J| × area before = {r['predicted']:.5g};  measured area after = {r['area_after']:.5g};  "
            f"ratio <b>{r['ratio']:.5f}</b> ({why})")
