"""Matplotlib set-up shared by the sections: headless, one style, byte-identical PNGs."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

plt.rcParams.update({
    "figure.dpi": 100, "savefig.dpi": 160, "font.size": 9, "axes.grid": True, "grid.alpha": 0.3,
    "axes.spines.top": False, "axes.spines.right": False, "legend.frameon": False,
})


def save(fig, path) -> str:
    """Write a PNG without timestamps or version strings (so reruns give the same bytes); returns its name."""
    fig.savefig(path, metadata={"Software": None}, bbox_inches="tight")
    plt.close(fig)
    return path.name
