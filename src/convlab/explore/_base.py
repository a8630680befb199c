"""The explorer protocol: controls -> state (convlab compute) -> figure (convlab.plotting).

Each change of a control's `.value` recomputes `state` and updates the figure's artists at once,
in the same call, so everything can be tested without a browser. In JupyterLab the figure is
shown as a PNG in an `ipywidgets.Image` (no ipympl needed): the Agg canvas is drawn and encoded
on every change (`._png` encodes it with one fixed filter, faster than Pillow's adaptive one).

The figure is laid out by matplotlib's constrained layout, so that titles, colour
bars and labels stay on the canvas. A layout costs about as much as a draw, so it runs again only
when what it depends on changed (`layout_key`: the figure size, which axes are shown, the shapes
of the titles), and a layout seen before is restored from a cache.
"""
import contextlib
import functools

import ipywidgets as widgets
import numpy as np

from ..plotting import new_figure, plot_message
from ..plotting.text import LabelCollection
from ._png import encode_png


@functools.cache
def _threadpools():
    from threadpoolctl import ThreadpoolController  # the BLAS libraries this process has loaded
    return ThreadpoolController()


def single_threaded_blas():
    """A block in which numpy's BLAS runs on the calling thread only.

    An explorer's matrix products are small: the channel explorer's largest, 64 output channels
    of a 3 x 64 x 64 image with 7 x 7 kernels, is some 40 million multiply-adds, a few
    milliseconds on one thread. On several, OpenBLAS's workers spin-wait for the next product
    and each product waits at a barrier for all of them, so on a machine with other work a change
    pays for a descheduled thread, and the spinning burns a core through the drawing that follows.
    Measured on the course machine (2 cores, loaded): that explorer's compute took 14 to 40 ms of
    CPU (20 to 150 ms wall) on two threads, 3 to 10 ms on one.
    """
    return _threadpools().limit(limits=1, user_api="blas")

__all__ = ["Explorer", "int_slider", "float_slider", "choice"]


def _check_range(name, value, lo, hi):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not lo <= value <= hi:
        raise ValueError(f"{name} must be a number between {lo} and {hi}, got {value!r}")


def int_slider(name, value, lo, hi, description=None):
    """An IntSlider for control `name`, refusing an initial value outside [lo, hi] (ipywidgets would clamp it)."""
    _check_range(name, value, lo, hi)
    if int(value) != value:
        raise ValueError(f"{name} must be an int, got {value!r}")
    return widgets.IntSlider(value=int(value), min=lo, max=hi, description=description or name,
                             style={"description_width": "initial"}, continuous_update=True)


def float_slider(name, value, lo, hi, step, description=None, readout_format=".3f"):
    """A FloatSlider for control `name`, refusing an initial value outside [lo, hi]."""
    _check_range(name, value, lo, hi)
    return widgets.FloatSlider(value=float(value), min=lo, max=hi, step=step, description=description or name,
                               readout_format=readout_format, style={"description_width": "initial"})


def choice(name, value, options, description=None, buttons=False):
    """A Dropdown (or ToggleButtons) for control `name`; options: list of values or (label, value) pairs."""
    values = [o[1] if isinstance(o, tuple) else o for o in options]
    if value not in values:
        raise ValueError(f"{name} must be one of {values}, got {value!r}")
    kind = widgets.ToggleButtons if buttons else widgets.Dropdown
    extra = {"style": {"button_width": "60px"}} if buttons else {"style": {"description_width": "initial"}}
    return kind(options=options, value=value, description=description or name, **extra)


def _shape(text):
    """What of a title's text the layout depends on: its lines and (roughly, for long ones) its width."""
    longest = max(map(len, text.split("\n")))
    return text.count("\n"), longest if longest <= 12 else 12 + longest // 8


def _measured(artist):
    """The strings a layout measures for a LabelCollection: its own, or the stand-ins it names."""
    stand_in = artist.layout_stand_in
    return [stand_in(s) for s in artist.strings] if stand_in else list(artist.strings)


class Explorer:
    """Controls beside one figure. Subclasses define `compute(**values) -> dict` and `draw(state)`.

    - `controls`: dict name -> ipywidgets value widget; `set(name=value, ...)` changes several at once.
    - `state`: the results of the last change; `state["error"]` is None or the reason the current
      combination is invalid (then the figure shows that reason, and the other keys are absent).
    - `figure`: one Figure, updated in place; `show_static()` redraws and returns it.
    """

    figsize = (7, 3)
    dpi = 96  # CSS pixels per inch: in JupyterLab a point in the figure is a point on the screen
    layout = "constrained"  # or "compressed", which also closes the gaps equal-aspect grids leave
    # control values visited once when the explorer is made (untimed), so that the layouts a learner's
    # first moves need are already in the cache: e.g. {"out_channels": 1}; the first values return after
    warm_states = ()

    def __init__(self, controls):
        self.controls = dict(controls)
        self.figure = new_figure(figsize=self.figsize, dpi=self.dpi, layout=self.layout)
        self.state = {}
        self._held = 0
        self._pending = False
        self._image = None
        self._view = None
        self._note = widgets.HTML(layout=widgets.Layout(max_width="320px"))
        self.build(self.figure)
        # run the constrained layout by hand, only when needed (see the module docstring)
        self._layout_engine = self.figure.get_layout_engine()
        self.figure.set_layout_engine("none")
        self._layout_key = None
        self._layouts = {}  # layout key -> the axes' positions it gave
        self.message = plot_message(self.figure)
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.update()
        if self.warm_states:
            first = self.values()
            for values in self.warm_states:
                self.set(**values)
            self.set(**first)

    # --- what a subclass provides ---------------------------------------------------------

    def build(self, figure):
        """Create the axes and artists once."""
        raise NotImplementedError

    def compute(self, **values):
        """Return the state for these control values; raise ValueError with a reason if invalid."""
        raise NotImplementedError

    def draw(self, state):
        """Update the artists made by `build` from a valid state."""
        raise NotImplementedError

    def react(self, name):
        """Hook run when control `name` changed, before the recompute (e.g. to sync other controls)."""

    def control_widgets(self):
        """The widgets shown beside the figure, in order (default: every control)."""
        return list(self.controls.values())

    def layout_context(self):
        """A context in which the layout engine runs (default: the figure as it is); see ChannelExplorer."""
        return contextlib.nullcontext()

    def layout_key(self):
        """What the layout depends on: the figure's size, the axes shown and the shape of their labels.

        A title's shape is its number of lines and its longest line in steps of eight characters,
        so the layout follows a title that grows without re-running for every new number in it.
        Labels that change with every value but should not move the axes (a colour bar's ticks, a
        title chosen from a menu) name a stand-in (`LabelCollection.layout_stand_in`): the layout
        is made for, and keyed on, the stand-ins.
        """
        key = [tuple(np.round(self.figure.get_size_inches(), 3))]
        for ax in self.figure.axes:
            key.append(ax.get_visible())
            if not ax.get_visible():
                continue
            for artist in ax.get_children():
                if isinstance(artist, LabelCollection) and artist.get_in_layout():
                    key.append(tuple(_shape(s) for s in _measured(artist)))
        return tuple(key)

    def _relayout(self):
        """Lay the figure out again if its layout key changed; a layout seen before is restored from a cache."""
        key = self.layout_key()
        if key == self._layout_key:
            return
        self._layout_key = key
        if key not in self._layouts:
            # labels measured as their stand-ins (see layout_key), then restored
            labels = [artist for ax in self.figure.axes if ax.get_visible() for artist in ax.get_children()
                      if isinstance(artist, LabelCollection) and artist.get_in_layout() and artist.layout_stand_in]
            shown = [artist.get_paths() for artist in labels]
            try:
                for artist in labels:
                    artist.set_paths([artist.outline(s) for s in _measured(artist)])
                # twice: a layout measures the titles where the last one put them (equal-aspect axes
                # shrink and move inside their cells), so a second pass settles what the first moved
                with self.layout_context():
                    self._layout_engine.execute(self.figure)
                    self._layout_engine.execute(self.figure)
            finally:
                for artist, paths in zip(labels, shown):
                    artist.set_paths(paths)
            self._layouts[key] = [(ax, ax.get_position(original=True).frozen(), ax.get_position().frozen())
                                  for ax in self.figure.axes]
            return
        for ax, original, active in self._layouts[key]:
            in_layout = ax.get_in_layout()
            ax.set_position(original, which="original")  # set_position takes the axes out of layout...
            ax.set_position(active, which="active")
            ax.set_in_layout(in_layout)  # ...which the next constrained layout must not inherit

    # --- the update cycle -------------------------------------------------------------------

    def values(self):
        return {name: control.value for name, control in self.controls.items()}

    @contextlib.contextmanager
    def hold(self):
        """Change several controls with a single recompute at the end."""
        self._held += 1
        try:
            yield self
        finally:
            self._held -= 1
            if not self._held and self._pending:
                self._pending = False
                self.update()

    def set(self, **values):
        """Set several controls at once (one recompute); names must be keys of `controls`."""
        unknown = sorted(set(values) - set(self.controls))
        if unknown:
            raise ValueError(f"unknown control(s) {unknown}; this explorer has {sorted(self.controls)}")
        with self.hold():
            for name, value in values.items():
                self.controls[name].value = value

    def _on_change(self, change):
        name = next((n for n, c in self.controls.items() if c is change["owner"]), None)
        with self.hold():
            self._pending = True
            try:
                self.react(name)
            except Exception as exc:  # a callback must never raise into the widget machinery
                self._fail(f"unexpected error in the explorer ({type(exc).__name__}: {exc})")

    def update(self):
        """Recompute the state from the controls and redraw; never raises."""
        try:
            state = self.compute(**self.values())
            state["error"] = None
            self.draw(state)
        except (ValueError, TypeError) as exc:
            self._fail(str(exc))
        except Exception as exc:  # a bug, but the reader's notebook must keep working
            self._fail(f"unexpected error in the explorer ({type(exc).__name__}: {exc})")
        else:
            self.state = state
            self.message.hide()
            self._note.value = ""
            self._relayout()
            self._refresh_view()

    def _fail(self, reason):
        self.state = {"error": reason}
        self.message.show(reason)
        self._note.value = f"<div style='color:#8b0000'><b>Not valid:</b> {reason}</div>"
        self._relayout()
        self._refresh_view()

    # --- display ----------------------------------------------------------------------------

    def render_png(self):
        """Draw the figure on its Agg canvas and return it as PNG bytes (fast, lightly compressed)."""
        self.figure.canvas.draw()
        return encode_png(np.asarray(self.figure.canvas.buffer_rgba()))

    def _refresh_view(self):
        if self._image is not None:
            self._image.value = self.render_png()

    @property
    def widget(self):
        """The controls beside the figure, as one ipywidgets box (built on first use)."""
        if self._view is None:
            width = int(round(self.figure.get_figwidth() * self.figure.dpi))
            # beside the controls, the figure may shrink to 420 px (keeping its aspect) before it
            # wraps below them; it never grows past its natural size (a blurry upscale).
            # min_width 0: an img's automatic minimum is its natural width, which would force the wrap
            self._image = widgets.Image(value=self.render_png(), format="png",
                                        layout=widgets.Layout(flex="1 1 420px", min_width="0", max_width=f"{width}px",
                                                              height="auto", object_fit="contain"))
            panel = widgets.VBox([*self.control_widgets(), self._note],
                                 layout=widgets.Layout(flex="0 0 auto", margin="0 12px 0 0"))
            self._view = widgets.HBox([panel, self._image],
                                      layout=widgets.Layout(flex_flow="row wrap", align_items="flex-start"))
        return self._view

    def show_static(self):
        """Recompute, draw and return the figure: a cell ending in this call shows it once, as a PNG."""
        self.update()
        self.figure.canvas.draw()
        return self.figure

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)

    def close(self):
        """Close the widgets (controls and view) in the notebook."""
        for control in self.controls.values():
            control.close()
        if self._view is not None:
            self._view.close()
            self._image.close()

    def __repr__(self):
        values = ", ".join(f"{name}={value!r}" for name, value in self.values().items())
        return f"<{type(self).__name__} {values}>"
