"""Figures a reader can read: nothing outside the canvas or on top of another text, no label under
8 points, sharp PNGs.

The check (`convlab.plotting.figure_report`) is tested first on figures whose faults are known by
construction; then every explorer is swept through its controls, since a title that grows with a
slider is exactly what used to be cut off. The book's own figures are checked where they are
published: test_book_build.py reads the report embedded in every PNG of the built site.
"""
import io
import os

os.environ.setdefault("MPLBACKEND", "Agg")

import ipywidgets as widgets
import numpy as np
import pytest
from PIL import Image

from convlab import explore
from convlab.plotting import MIN_FONT_PT, figure_report, new_figure, plot_grid, plot_title

BUILDERS = explore.EXPLORERS


# --- the check itself, on figures whose faults are known ---------------------------------------


def test_a_text_beyond_the_top_is_reported_and_a_text_inside_is_not():
    figure = new_figure(figsize=(4, 2))
    ax = figure.subplots()
    ax.text(0.5, 0.5, "inside", transform=ax.transAxes)
    ax.text(0.5, 1.4, "above the canvas", transform=ax.transAxes)
    report = figure_report(figure)
    assert len(report["outside"]) == 1 and "above the canvas" in report["outside"][0]
    assert report["width_in"] == 4 and report["height_in"] == 2


def test_a_fast_title_on_a_full_height_axes_is_reported_until_constrained_layout_makes_room():
    for layout, expected in [(None, 1), ("constrained", 0)]:
        figure = new_figure(figsize=(4, 2.5), layout=layout)
        ax = figure.subplots()
        if layout is None:
            ax.set_position([0.1, 0.1, 0.8, 0.88])  # the title has 2% of the height for two lines
        plot_grid(ax, np.arange(6.0).reshape(2, 3))
        plot_title(ax, "two lines\nof title", fast=True)
        assert len(figure_report(figure)["outside"]) == expected, layout


def test_a_line_sticking_out_at_the_right_is_reported_unless_clipped_by_its_axes():
    figure = new_figure(figsize=(4, 2))
    ax = figure.add_axes([0.1, 0.1, 0.8, 0.8])
    ax.set_xlim(0, 1)
    ax.plot([0, 2], [0, 0], clip_on=True)  # drawn only up to the axes' edge
    assert figure_report(figure)["outside"] == []
    ax.plot([0, 2], [0.5, 0.5], clip_on=False)
    assert len(figure_report(figure)["outside"]) == 1


def test_two_titles_on_top_of_each_other_are_reported():
    figure = new_figure(figsize=(4, 2), layout="constrained")
    left, right = figure.subplots(1, 2)
    left.set_title("a title far too long for its narrow axes")
    right.set_title("another one")
    assert len(figure_report(figure)["overlapping"]) == 1
    left.set_title("short")
    assert figure_report(figure)["overlapping"] == []


def test_the_smallest_text_is_found_hidden_text_does_not_count():
    figure = new_figure(figsize=(4, 2))
    ax = figure.subplots()
    ax.set_xlabel("x", fontsize=12)
    ax.tick_params(labelsize=7)
    ax.text(0.2, 0.5, "tiny but hidden", fontsize=3, visible=False)
    assert figure_report(figure)["min_font_pt"] == 7


def test_numbers_that_cannot_fit_their_cells_at_8_points_are_left_out():
    figure = new_figure(figsize=(2, 2), layout="constrained")
    grid = plot_grid(figure.subplots(), np.arange(400.0).reshape(20, 20))  # cells of about 5 points
    report = figure_report(figure)
    assert grid.labels.collection.too_small and report["min_font_pt"] is None


def test_notebook_figures_are_twice_as_sharp_as_their_display_size_and_carry_their_report():
    figure = new_figure(figsize=(5, 2.5), layout="constrained")
    figure.subplots().set_title("a title")
    png, size = figure._repr_png_()
    assert size == {"width": 480, "height": 240}  # 96 CSS pixels per inch
    image = Image.open(io.BytesIO(png))
    assert image.size == (960, 480)
    assert '"outside": []' in image.text["convlab-report"]


# --- every explorer, through its controls ------------------------------------------------------


def _values(control):
    """A few values of a control: both ends and the middle of a slider, every option of a menu."""
    if isinstance(control, (widgets.Dropdown, widgets.ToggleButtons)):
        return [o[1] if isinstance(o, tuple) else o for o in control.options]
    if isinstance(control, widgets.FloatText):
        return [control.value * 10 - 3.25, control.value]
    middle = control.min + (control.max - control.min) // 2 if isinstance(control.min, int) else \
        (control.min + control.max) / 2
    return [control.min, control.max, middle, control.value]


def _problems(explorer, label):
    # measured as the book renders it, at twice the screen resolution (a pixel of overflow at 96 dpi
    # is two at 192)
    figure, shown = explorer.figure, explorer.figure.dpi
    figure.set_dpi(2 * 96)
    try:
        report = figure_report(figure)
    finally:
        figure.set_dpi(shown)
    problems = [f"{label}: {what}" for what in report["outside"] + report["overlapping"]]
    if report["min_font_pt"] is not None and report["min_font_pt"] < MIN_FONT_PT:
        problems.append(f"{label}: a label of {report['min_font_pt']:.1f} pt")
    return problems


@pytest.mark.parametrize("build", BUILDERS, ids=lambda b: b.__name__)
def test_every_state_of_every_explorer_fits_its_canvas_with_readable_labels(build):
    explorer = build()
    problems = _problems(explorer, "default")
    for name, control in explorer.controls.items():
        if getattr(control, "disabled", False):
            continue
        start = control.value
        for value in _values(control):
            control.value = value
            problems += _problems(explorer, f"{name}={value!r}")
        control.value = start
    # all sliders at their maximum together (the largest grids, the longest titles)
    with explorer.hold():
        for control in explorer.controls.values():
            if isinstance(control, (widgets.IntSlider, widgets.FloatSlider)) and not control.disabled:
                control.value = control.max
    problems += _problems(explorer, "every slider at its maximum")
    assert not problems, "\n".join(problems)


def test_explorer_figures_fit_the_books_column():
    """The site shows figures at most 7 inches wide at 8 pt: a wider figure would shrink its labels."""
    wide = {build.__name__: build().figure.get_figwidth() for build in BUILDERS}
    assert all(width <= 7.0 for width in wide.values()), wide


# --- drawn ticks: matplotlib's ticks and labels, drawn as a few artists ------------------------


def _matplotlib_ticks(ylim, xlim):
    """The labels matplotlib's own log axis shows for these limits (the look DrawnAxis keeps)."""
    figure = new_figure(figsize=(3, 2.5), layout="constrained")
    ax = figure.subplots()
    ax.set_yscale("log")
    ax.tick_params(labelsize=8)
    ax.set_ylim(*ylim)
    ax.set_xlim(*xlim)
    figure.canvas.draw()

    def shown(axis, minor):  # the labels of the ticks inside the view (an axis keeps spare ones)
        lo, hi = sorted(axis.get_view_interval())
        ticks = axis.get_minor_ticks() if minor else axis.get_major_ticks()
        return [t.label1.get_text() for t in ticks if lo <= t.get_loc() <= hi and t.label1.get_text()]

    return sorted(shown(ax.xaxis, False)), sorted(shown(ax.yaxis, False) + shown(ax.yaxis, True))


@pytest.mark.parametrize("ylim", [(1e-3, 1.0), (0.05, 20.0), (4.0, 18.0), (1e-12, 1e21)])
def test_a_loss_curves_ticks_are_matplotlibs_and_follow_its_limits(ylim):
    from convlab.plotting import LossCurve

    figure = new_figure(figsize=(3, 2.5), layout="constrained")
    ax = figure.subplots()
    curve = LossCurve(ax).set_data(np.geomspace(ylim[1] / 2, ylim[0] * 2, 12))
    ax.set_ylim(*ylim)  # changed after set_data: the next draw follows it
    figure.canvas.draw()
    x_ticks, y_ticks = curve.ticks
    drawn_x = sorted(x_ticks.labels["major"].strings)
    drawn_y = sorted(y_ticks.labels["major"].strings + y_ticks.labels["minor"].strings)
    assert (drawn_x, drawn_y) == _matplotlib_ticks(ylim, ax.get_xlim())
    assert not ax.yaxis.get_ticklabels(), "matplotlib's own ticks are not drawn as well"
    report = figure_report(figure)
    assert not report["outside"] and not report["overlapping"], report


def test_new_limits_redraw_the_ticks():
    from convlab.plotting import LossCurve

    figure = new_figure(figsize=(3, 2.5), layout="constrained")
    curve = LossCurve(figure.subplots()).set_data([10.0, 1.0, 0.1])
    figure.canvas.draw()
    before = np.asarray(figure.canvas.buffer_rgba())[:, :60].copy()  # the y tick labels' side
    curve.set_data([1e5, 1e3, 10.0])
    figure.canvas.draw()
    assert not np.array_equal(before, np.asarray(figure.canvas.buffer_rgba())[:, :60])


@pytest.mark.parametrize("label", ["10^{-2}", "10^{5}", "10^{17}", "10^{-20}", "10^{143}", "3\\times10^{-1}"])
def test_a_math_label_outline_is_the_one_mathtext_makes(label):
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextPath

    from convlab.plotting.glyphs import math_outline

    text = r"$\mathdefault{%s}$" % label
    path, _ = math_outline(text, FontProperties(size=10))
    reference = TextPath((0, 0), text, size=10, prop=FontProperties(size=10))
    assert np.array_equal(path.codes, reference.codes)
    assert np.allclose(path.vertices, reference.vertices, atol=0.02)  # points


# --- panel rows: maps that share a colour scale, drawn as one image ------------------------------


def _pixel(figure, ax, x, y):
    """The RGB of the canvas where the data point (x, y) of `ax` is drawn (after a draw)."""
    px, py = ax.transData.transform((x, y))
    pixels = np.asarray(figure.canvas.buffer_rgba())
    return tuple(int(v) for v in pixels[int(pixels.shape[0] - py), int(px), :3])


def _panel_colours(row, figure, index, shape):
    """The colour drawn at the centre of every map pixel of panel `index` (an array of RGB)."""
    h, w = shape
    left = row.panel_span(index)[0]
    return np.array([[_pixel(figure, row.ax, left + (c + 0.5) / w, (r + 0.5) / h * row.height) for c in range(w)]
                     for r in range(h)])


def test_a_panel_row_draws_every_map_in_its_colours_under_the_rows_scale():
    from matplotlib import colormaps
    from matplotlib.colors import Normalize

    from convlab.plotting import plot_panel_row

    figure = new_figure(figsize=(6, 1.6))
    ax = figure.add_axes([0.02, 0.05, 0.85, 0.75])
    maps = [np.random.default_rng(seed).uniform(-1.5, 1.5, (6, 6)) for seed in range(3)]  # some beyond the scale
    row = plot_panel_row(ax, [0, 1.2, 2.4], maps, titles=["a", "b", "c"], cmap="RdBu_r", vmin=-1, vmax=1,
                         colorbar_at=3.5)
    figure.canvas.draw()
    expected = colormaps["RdBu_r"](Normalize(-1, 1)(np.array(maps)), bytes=True)[..., :3]  # clipped at both ends
    for index in range(3):
        np.testing.assert_array_equal(_panel_colours(row, figure, index, (6, 6)), expected[index])
    assert _pixel(figure, ax, 1.1, 0.5) == (255, 255, 255)  # the gap between two panels is the figure's white
    # the colour bar: the scale's colours from the top (vmax) down, a pixel's row of it apart, and three ticks
    for y in (0.01, 0.3, 0.5, 0.99):
        near = colormaps["RdBu_r"](np.linspace(1 - y - 0.02, 1 - y + 0.02, 9), bytes=True)[:, :3].astype(int)
        assert np.abs(near - _pixel(figure, ax, 3.527, y)).max(axis=1).min() <= 2, y
    assert row.ticks.strings == ["−1", "0", "1"]

    # one changed value changes its pixel only, in its panel; new limits recolour every panel
    before = np.asarray(figure.canvas.buffer_rgba()).copy()
    maps[1][2, 3] = -maps[1][2, 3] if abs(maps[1][2, 3]) > 0.2 else 0.9
    row.set_data(maps, -1, 1)
    figure.canvas.draw()
    changed = np.argwhere((np.asarray(figure.canvas.buffer_rgba()) != before).any(axis=-1))
    left = row.panel_span(1)[0]
    assert abs(left - 1.2) <= 0.5 / 6  # within half a map pixel of where it was asked for
    cell = _pixel(figure, ax, left + 3.5 / 6, 2.5 / 6)
    assert cell == tuple(colormaps["RdBu_r"](Normalize(-1, 1)(maps[1][2, 3]), bytes=True)[:3])
    (x0, y0), (x1, y1) = ax.transData.transform([(left + 3 / 6, 2 / 6), (left + 4 / 6, 3 / 6)])
    height = before.shape[0]
    assert len(changed) and (changed[:, 1] >= int(x0) - 1).all() and (changed[:, 1] <= int(x1) + 1).all()
    assert (changed[:, 0] >= int(height - y0) - 1).all() and (changed[:, 0] <= int(height - y1) + 1).all()
    row.set_data(maps, -2, 2)
    figure.canvas.draw()
    expected = colormaps["RdBu_r"](Normalize(-2, 2)(np.array(maps)), bytes=True)[..., :3]
    np.testing.assert_array_equal(_panel_colours(row, figure, 2, (6, 6)), expected[2])
    assert row.ticks.strings == ["−2", "0", "2"]


def test_a_panel_row_leaves_a_panel_without_a_map_blank_and_its_title_out():
    from convlab.plotting import plot_panel_row

    figure = new_figure(figsize=(6, 1.6))
    ax = figure.add_axes([0.02, 0.05, 0.85, 0.75])
    row = plot_panel_row(ax, [0, 1.2, 2.4], [np.ones((5, 5)), None, np.zeros((5, 5))], titles=["a", "b", "c"],
                         cmap="gray", vmin=0, vmax=1)
    figure.canvas.draw()
    assert _pixel(figure, ax, 1.7, 0.5) == (255, 255, 255)
    assert _pixel(figure, ax, 0.5, 0.5) == (255, 255, 255) and _pixel(figure, ax, 2.9, 0.5) == (0, 0, 0)
    alphas = row.titles.collection.get_facecolors()[:, 3]
    assert list(alphas) == [1, 0, 1] and row.shown == [True, False, True]
    with pytest.raises(ValueError, match="of one shape"):
        row.set_data([np.ones((5, 5)), np.ones((4, 4)), None], 0, 1)


@pytest.mark.parametrize("dpi, origin, extent", [(96, "upper", None), (192, "upper", (0, 3.3, 1, 0)),
                                                 (72, "lower", None), (100, "lower", (0, 1.7, 0, 1))])
def test_an_image_sampled_in_numpy_has_the_pixels_matplotlibs_nearest_resampling_gives(dpi, origin, extent):
    from matplotlib.image import AxesImage

    from convlab.plotting.nearest import draw_nearest

    rng = np.random.default_rng(dpi)
    for h, w in [(62, 62), (7, 40), (70, 3)]:
        figure = new_figure(figsize=(5.3, 2.1), dpi=dpi)
        ax = figure.add_axes([0.07, 0.11, 0.83, 0.71])
        data = rng.normal(size=(h, w))
        data[rng.random((h, w)) < 0.1] = np.nan  # drawn in the colour map's "bad" colour
        image = ax.imshow(data, cmap="RdBu_r", vmin=-1, vmax=1, interpolation="nearest", origin=origin, extent=extent)
        ax.set_xlim(-0.3 * w if extent is None else -0.4, ax.get_xlim()[1])  # part of the axes left blank
        figure.canvas.draw()
        renderer = figure.canvas.get_renderer()
        expected, x, y, _ = AxesImage.make_image(image, renderer, 1.0)
        draw_nearest(image)
        sampled, x_, y_, _ = image.make_image(renderer, 1.0)
        assert (x_, y_) == (x, y)
        np.testing.assert_array_equal(sampled, expected, err_msg=f"{h}x{w}")
