"""Matplotlib set-up shared by the sections: headless, one style, byte-identical PNGs.

Importing this module changes matplotlib for the whole process, on purpose: the Agg backend, and the rcParams
below (font sizes, grid, spines), which apply to every figure drawn afterwards. A drawing part gets the style
by importing `plt` from here.

Figures are drawn at the size they are printed (at most 6.9 in wide, the text width), so that every figure's
text has the same size on the page: 9 pt.
"""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import LogNorm  # noqa: E402,F401 - for the sections' colour scales
from matplotlib.ticker import MaxNLocator  # noqa: E402

plt.rcParams.update({
    "figure.dpi": 100, "savefig.dpi": 160, "font.size": 9, "axes.titlesize": 9, "axes.labelsize": 9,
    "xtick.labelsize": 8, "ytick.labelsize": 8, "legend.fontsize": 8, "axes.grid": True, "grid.alpha": 0.3,
    "axes.spines.top": False, "axes.spines.right": False, "legend.frameon": False,
})


def literal(text: str) -> str:
    """A name from the data (a class folder, a file) drawn as typed: matplotlib reads what stands between two
    `$` as math, and raises on TeX it does not know."""
    return text.replace("$", r"\$")


def epoch_axis(ax) -> None:
    """Whole-number ticks on an axis of epochs (never 2.5 or 7.5)."""
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def save(fig, path) -> str:
    """Write a PNG without timestamps or version strings (so reruns give the same bytes); returns its name."""
    fig.savefig(path, metadata={"Software": None}, bbox_inches="tight")
    plt.close(fig)
    return path.name
