"""Learning the edge kernel [1, -1] from one image and its edge map, by gradient descent."""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .. import corr2d, kernel, learn_kernel, stripes_image
from ..plotting import plot_grid, plot_loss_curve, plot_title
from ._base import Explorer, float_slider, int_slider

__all__ = ["learn_kernel_explorer"]

# the controls' ranges, shared with the website's live explorer (explore/live.py)
LEARN_LR_RANGE = (0.001, 0.06, 0.001)  # min, max, step
LEARN_RANGES = {"epochs": (0, 60), "seed": (0, 9)}


def stable_lr_limit(X, kernel_shape):
    """The largest step size for which gradient descent on sum((X ⋆ K - Y)**2) converges: 2 / λ_max.

    The loss is quadratic in K with Hessian H = 2 AᵀA (rows of A: the windows of X), so
    plain gradient descent is stable exactly when lr < 2 / λ_max(H).
    """
    windows = sliding_window_view(X, kernel_shape).reshape(-1, int(np.prod(kernel_shape)))
    hessian = 2 * windows.T @ windows
    return 2 / np.linalg.eigvalsh(hessian).max()


def _short(value, decimals=2):
    """Fixed decimals for the values a reader expects (near 1, -1, 0); powers of ten once training diverges."""
    return f"{value:.{decimals}f}" if abs(value) < 100 else f"{value:.0e}"


class LearnKernelExplorer(Explorer):
    figsize = (7.0, 2.8)
    # the loss title's other shapes (a second line once training diverges; "last -" without epochs),
    # laid out when the explorer is made rather than on a learner's first visit (30 ms each)
    warm_states = ({"lr": 0.06}, {"epochs": 0})

    def __init__(self, controls):
        self.X = stripes_image()
        self.target_kernel = kernel("edge")
        self.Y = corr2d(self.X, self.target_kernel)
        self.lr_limit = stable_lr_limit(self.X, self.target_kernel.shape)
        super().__init__(controls)

    def build(self, figure):
        axes = figure.subplots(1, 3, gridspec_kw={"width_ratios": [1.25, 0.75, 2.0]})
        self.ax_loss, self.ax_kernel, self.ax_output = axes
        self.loss_curve = plot_loss_curve(self.ax_loss, [])
        self.kernel_grid = plot_grid(self.ax_kernel, self.target_kernel, cmap="RdBu_r",
                                     fmt=lambda v: _short(v, 3), fontsize=10)
        self.output_grid = plot_grid(self.ax_output, self.Y, cmap="RdBu_r", fmt=_short, fontsize=8)

    def compute(self, lr, epochs, seed):
        with np.errstate(over="ignore", invalid="ignore"):  # a step size too large may overflow: shown, not raised
            K, losses = learn_kernel(self.X, self.Y, self.target_kernel.shape, lr=lr, epochs=epochs, seed=seed)
            output = corr2d(self.X, K)
        diverging = bool(len(losses) > 1 and not losses[-1] < losses[0]) or not np.all(np.isfinite(K))
        return {"kernel": K, "losses": losses, "output": output, "target_kernel": self.target_kernel,
                "target": self.Y, "diverging": diverging, "lr_limit": self.lr_limit}

    def draw(self, state):
        K, losses, v = state["kernel"], state["losses"], self.values()
        self.loss_curve.set_data(losses)
        last = f"{losses[-1]:.3g}" if len(losses) else "-"
        warning = f"\nlr > {self.lr_limit:.4f}: the loss grows" if state["diverging"] else ""
        plot_title(self.ax_loss, f"loss per epoch (last {last}){warning}",
                   color="darkred" if state["diverging"] else "black", fast=True)
        finite = np.isfinite(K).all()
        bound = np.abs(K).max() if finite and np.abs(K).max() > 0 else 1.0
        self.kernel_grid.set_data(K, vmin=-bound, vmax=bound)
        plot_title(self.ax_kernel, f"learned K after\n{v['epochs']} epochs\n(target [1, −1])", fast=True)
        out = state["output"]
        bound = np.abs(out[np.isfinite(out)]).max() if np.isfinite(out).any() else 1.0
        # rounded before display, so that -0.001 reads 0.00 rather than -0.00
        self.output_grid.set_data(np.round(out, 2) + 0.0, vmin=-bound or -1, vmax=bound or 1)
        plot_title(self.ax_output, "X ⋆ K on the 6×8 stripes\n(target: 1 and −1\nat the two edges)",
                   fast=True)


def learn_kernel_explorer(*, lr=0.03, epochs=10, seed=0):
    """Gradient descent learning a 1x2 kernel that turns the stripes image into its edge map.

    Controls: `lr` (0.001-0.06; plain gradient descent diverges above 2/λ_max ≈ 0.033 here),
    `epochs` (0-60), `seed` (0-9, the random starting kernel).
    State: `kernel`, `losses` (from convlab.learn_kernel), `output`, `diverging`, `lr_limit`.
    """
    lo, hi, step = LEARN_LR_RANGE
    controls = {
        "lr": float_slider("lr", lr, lo, hi, step, readout_format=".3f"),
        **{name: int_slider(name, value, *LEARN_RANGES[name]) for name, value in (("epochs", epochs), ("seed", seed))},
    }
    return LearnKernelExplorer(controls)
