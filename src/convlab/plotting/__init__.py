"""Drawing functions for the course's figures (matplotlib only; no widgets).

Each `plot_*` function takes an `Axes` (or a `Figure`) plus data, draws, and returns its artists
wrapped in a small object whose `set_data` (or `set_positions`) updates them in place, so the
explorers can redraw without rebuilding a figure. `new_figure` makes a figure without pyplot.
"""
import io
import json

import numpy as np
from matplotlib.figure import Figure
from PIL import Image as PILImage  # Pillow is a dependency of matplotlib
from PIL.PngImagePlugin import PngInfo

from .canvas import CachedTextCanvas
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
from .checks import MIN_FONT_PT, figure_report
from .grids import Grid, Marks, Windows, plot_grid, plot_marks, plot_window, plot_windows
from .images import FeatureMap, add_colorbar, plot_feature_map, plot_image
from .mosaic import PanelRow, plot_panel_row
from .text import PathLabels, plot_title

__all__ = [
    "new_figure",
    "NotebookFigure",
    "figure_report",
    "MIN_FONT_PT",
    "add_colorbar",
    "plot_grid",
    "plot_window",
    "plot_windows",
    "plot_marks",
    "plot_image",
    "plot_feature_map",
    "plot_panel_row",
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
    "PanelRow",
    "LossCurve",
    "ReceptiveFieldMap",
    "Message",
    "PathLabels",
]

CSS_DPI = 96  # a CSS pixel is 1/96 inch: at this size a point in a figure is a point on the page
RETINA_DPI = 2 * CSS_DPI  # pixels per inch of the book's PNGs, for high-density screens
REPORT_KEY = "convlab-report"  # the PNG text chunk that holds the figure report


class NotebookFigure(Figure):
    """A `Figure` that shows itself as a sharp PNG when it ends a notebook cell.

    Made without pyplot, a plain Figure would display as text only ("<Figure size ...>"),
    because IPython's inline PNG printer is registered only once pyplot is imported.
    The PNG has twice the pixels of its display size (CSS pixels, 96 per inch, so that a
    point in the figure is a point on the page), for high-density screens, and carries
    `figure_report` in a text chunk named `convlab-report`, which the book's tests read.
    """

    def to_png(self, pixels_per_inch=RETINA_DPI):
        """PNG bytes rendered at `pixels_per_inch`, with the figure report embedded."""
        shown_dpi = self.dpi
        self.set_dpi(pixels_per_inch)
        try:
            self.canvas.draw()  # once: the report measures this drawing, the PNG holds its pixels
            report = figure_report(self, draw=False)
            pixels = PILImage.fromarray(np.asarray(self.canvas.buffer_rgba()))
        finally:
            self.set_dpi(shown_dpi)
        info = PngInfo()
        info.add_text(REPORT_KEY, json.dumps(report))
        buffer = io.BytesIO()
        pixels.save(buffer, format="png", pnginfo=info)
        return buffer.getvalue()

    def _repr_png_(self):
        size = {"width": round(self.get_figwidth() * CSS_DPI), "height": round(self.get_figheight() * CSS_DPI)}
        return self.to_png(), size


def new_figure(figsize=(7, 3), dpi=CSS_DPI, **kwargs):
    """A figure with an Agg canvas, made without pyplot (so notebooks never show a stray copy).

    `figure.canvas.draw()` renders it and `figure.canvas.buffer_rgba()` gives its pixels.
    Pass layout="constrained" for static figures: titles and labels then never leave the canvas.
    """
    figure = NotebookFigure(figsize=figsize, dpi=dpi, **kwargs)
    CachedTextCanvas(figure)  # an Agg canvas that lays each string out once (see .canvas)
    return figure
