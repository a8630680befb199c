"""Drawing functions for the course's figures (matplotlib only; no widgets).

Each `plot_*` function takes an `Axes` (or a `Figure`) plus data, draws, and returns its artists
wrapped in a small object whose `set_data` (or `set_positions`) updates them in place, so the
explorers can redraw without rebuilding a figure. `new_figure` makes a figure without pyplot.
"""
import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .charts import (
    LayerSizes,
    LossCurve,
    Message,
    ReceptiveFieldMap,
    plot_layer_sizes,
    plot_loss_curve,
    plot_message,
    plot_receptive_field,
    plot_text_panel,
)
from .grids import Grid, Marks, Windows, plot_grid, plot_marks, plot_window, plot_windows
from .images import FeatureMap, plot_feature_map, plot_image
from .text import PathLabels, plot_title

__all__ = [
    "new_figure",
    "NotebookFigure",
    "plot_grid",
    "plot_window",
    "plot_windows",
    "plot_marks",
    "plot_image",
    "plot_feature_map",
    "plot_loss_curve",
    "plot_layer_sizes",
    "plot_receptive_field",
    "plot_message",
    "plot_title",
    "plot_text_panel",
    "Grid",
    "Windows",
    "Marks",
    "LayerSizes",
    "FeatureMap",
    "LossCurve",
    "ReceptiveFieldMap",
    "Message",
    "PathLabels",
]


class NotebookFigure(Figure):
    """A `Figure` that shows itself as a PNG when it ends a notebook cell.

    Made without pyplot, a plain Figure would display as text only ("<Figure size ...>"),
    because IPython's inline PNG printer is registered only once pyplot is imported.
    """

    def _repr_png_(self):
        buffer = io.BytesIO()
        self.canvas.print_png(buffer)
        return buffer.getvalue()


def new_figure(figsize=(8, 3), dpi=80, **kwargs):
    """A figure with an Agg canvas, made without pyplot (so notebooks never show a stray copy).

    `figure.canvas.draw()` renders it and `figure.canvas.buffer_rgba()` gives its pixels.
    """
    figure = NotebookFigure(figsize=figsize, dpi=dpi, **kwargs)
    FigureCanvasAgg(figure)
    return figure
