"""The capstone's digit CNN: what its prose and tables say, checked against a training of our own.

Chapter 10 trains a LeNet-like CNN and a fully connected network of about the same size on
scikit-learn's 8 x 8 digits, and its prose quotes the results through `{eval}` values recorded
at build time (`_build/jupyter_execute/book/10_capstone.eval.json`). Here the networks are
written out again and trained again with the same seeds, the parameter counts and multiply-adds
are derived by hand, digits are moved with plain numpy, and the chapter's kernel statistic is
recomputed from the kernels trained here. The comparisons the prose makes ("about equally good",
"keeps clearly more of its accuracy") are also checked for two other seeds: the chapter's words
must not rest on the luck of one seed.

Also here: the fc output shapes of the LeNet table (review item M7) and the build-log cells
(tools/book_extension.py), which keep the training time out of the page.
"""
import html
import importlib.util
import json
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from torch import nn

from built_site import ROOT, require_site

pytestmark = pytest.mark.book  # reads the built book (conftest.py's marker; make test-fast skips it)

EPOCHS, BATCH, LR = 20, 64, 0.005  # the chapter's training, as its code cell says
# by hand: conv (C_out * C_in * 3 * 3 + C_out), fc (in * out + out)
CNN_PARAMS = (6 * 1 * 9 + 6) + (16 * 6 * 9 + 16) + (64 * 32 + 32) + (32 * 10 + 10)
# the fully connected network's width: the closest to the CNN's count for (64 + 1) * h + (h + 1) * 10
HIDDEN = min(range(1, 200), key=lambda h: abs(65 * h + (h + 1) * 10 - CNN_PARAMS))


@pytest.fixture(scope="module")
def shown():
    path = require_site().parent / "jupyter_execute" / "book" / "10_capstone.eval.json"
    assert path.is_file(), f"{path} missing: build the book first"
    values = json.loads(path.read_text())
    assert all(reply["status"] == "ok" for reply in values.values()), path
    return {name: reply["data"]["text/plain"].strip("'\"") for name, reply in values.items()}


@pytest.fixture(scope="module")
def digits():
    """The chapter's split (scikit-learn's stratified splitter, seed 0), with the sizes and the
    share of each digit that a held-out quarter must have."""
    from sklearn.model_selection import train_test_split

    data = load_digits()
    x = (data.images / 16).astype(np.float32)
    train_x, test_x, train_y, test_y = train_test_split(x, data.target, test_size=0.25,
                                                        stratify=data.target, random_state=0)
    # a quarter of 1,797 rounded up is held out, each digit in its share (stratified)
    assert len(data.images) == 1797 and len(test_x) == 450 and len(train_x) == 1347
    assert np.abs(np.bincount(test_y) / 450 - np.bincount(data.target) / 1797).max() < 0.01
    return (torch.from_numpy(train_x)[:, None], torch.from_numpy(train_y),
            torch.from_numpy(test_x)[:, None], torch.from_numpy(test_y))


def make_cnn():
    return nn.Sequential(nn.Conv2d(1, 6, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(6, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))


def make_mlp(hidden):
    return nn.Sequential(nn.Flatten(), nn.Linear(64, hidden), nn.ReLU(), nn.Linear(hidden, 10))


def trained(net, data, seed):
    train_x, train_y = data[0], data[1]
    torch.manual_seed(seed)
    shuffle = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(net.parameters(), lr=LR)
    for _ in range(EPOCHS):
        for batch in torch.randperm(len(train_x), generator=shuffle).split(BATCH):
            loss = F.cross_entropy(net(train_x[batch]), train_y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return net


def right(net, x, y):
    with torch.no_grad():
        return int((net(x).argmax(1) == y).sum())


def moved_by_numpy(x, rows, cols):
    """Every image moved by one pixel (rows, cols in -1, 0, 1), zeros coming in: plain slicing."""
    x = x.numpy()
    out = np.zeros_like(x)
    h, w = x.shape[-2:]
    src_r, dst_r = (slice(0, h - 1), slice(1, h)) if rows == 1 else (slice(1, h), slice(0, h - 1)) if rows == -1 \
        else (slice(0, h), slice(0, h))
    src_c, dst_c = (slice(0, w - 1), slice(1, w)) if cols == 1 else (slice(1, w), slice(0, w - 1)) if cols == -1 \
        else (slice(0, w), slice(0, w))
    out[..., dst_r, dst_c] = x[..., src_r, src_c]
    return torch.from_numpy(out)


@pytest.fixture(scope="module")
def runs(digits):
    """Both networks trained for seeds 0 (the chapter's) to 2, on one thread, deterministically."""
    threads, deterministic = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    try:
        results = {}
        for seed in range(3):
            torch.manual_seed(seed)
            cnn = make_cnn()
            torch.manual_seed(seed)
            mlp = make_mlp(HIDDEN)
            results[seed] = (trained(cnn, digits, seed), trained(mlp, digits, seed))
        return results
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic)


def test_parameter_counts_and_work_against_hand_counts_and_torch(shown):
    cnn_params, hidden = CNN_PARAMS, HIDDEN
    assert cnn_params == sum(p.numel() for p in make_cnn().parameters()) == 3350
    mlp_params = 65 * hidden + (hidden + 1) * 10
    assert mlp_params == sum(p.numel() for p in make_mlp(hidden).parameters())
    assert (shown["cnn_params_text"], shown["mlp_params_text"]) == (f"{cnn_params:,}", f"{mlp_params:,}")
    # multiply-adds per image: every output position of a convolution, once per fc weight
    cnn_macs = 6 * 9 * 8 * 8 + 16 * 6 * 9 * 4 * 4 + 64 * 32 + 32 * 10
    mlp_macs = 64 * hidden + hidden * 10
    assert int(shown["work_ratio"]) == round(cnn_macs / mlp_macs)


def test_data_set_sizes_as_printed(shown, digits):
    assert (shown["digits_total"], shown["digits_train"], shown["digits_test"]) == ("1,797", "1,347", "450")
    assert int(shown["digit_epochs"]) == EPOCHS


def test_held_out_accuracy_is_what_the_chapter_prints(shown, digits, runs):
    cnn, mlp = runs[0]
    test_x, test_y = digits[2], digits[3]
    cnn_right, mlp_right = right(cnn, test_x, test_y), right(mlp, test_x, test_y)
    assert (int(shown["cnn_right"]), int(shown["mlp_right"])) == (cnn_right, mlp_right)
    assert shown["cnn_accuracy"] == f"{cnn_right / 450:.1%}" and shown["mlp_accuracy"] == f"{mlp_right / 450:.1%}"


def _moved_right(net, digits):
    test_x, test_y = digits[2], digits[3]
    return sum(right(net, moved_by_numpy(test_x, r, c), test_y) for r, c in [(-1, 0), (1, 0), (0, -1), (0, 1)])


def test_moved_digits_accuracy_is_what_the_chapter_prints(shown, digits, runs):
    cnn, mlp = runs[0]
    assert shown["cnn_moved"] == f"{_moved_right(cnn, digits) / 1800:.0%}"
    assert shown["mlp_moved"] == f"{_moved_right(mlp, digits) / 1800:.0%}"


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_prose_comparisons_hold_for_other_seeds_too(digits, runs, seed):
    cnn, mlp = runs[seed]
    test_x, test_y = digits[2], digits[3]
    cnn_right, mlp_right = right(cnn, test_x, test_y), right(mlp, test_x, test_y)
    # "about equally good" on the test digits: within 2 % of them, both above 90 %
    assert abs(cnn_right - mlp_right) <= 9 and min(cnn_right, mlp_right) > 405, (cnn_right, mlp_right)
    # moved by one pixel: the CNN keeps clearly more (5 points), yet loses much (not invariant)
    cnn_moved, mlp_moved = _moved_right(cnn, digits), _moved_right(mlp, digits)
    assert cnn_moved > mlp_moved + 90 and cnn_moved < 0.9 * 4 * cnn_right, (cnn_moved, mlp_moved, cnn_right)


def test_kernels_with_both_signs_counted_from_our_own_kernels(shown, runs):
    kernels = runs[0][0][0].weight.detach()[:, 0].numpy()
    strong = np.abs(kernels).max() / 2
    count = sum(1 for k in kernels if k.max() >= strong and k.min() <= -strong)
    assert int(shown["both_signs"]) == count and 2 <= count < 6  # the prose: "some" of the 6


def _page_text():
    page = require_site() / "book" / "10_capstone.html"
    return html.unescape(re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8")))


def test_lenet_table_shows_linear_outputs_as_pytorch_returns_them():
    """Review item M7: nn.Linear returns (N, out_features); the table shows one image: (out,)."""
    text = _page_text()
    for fc in (nn.Linear(400, 120), nn.Linear(120, 84), nn.Linear(84, 10)):
        shape = tuple(fc(torch.zeros(1, fc.in_features)).shape[1:])
        assert str(shape) in text, shape
    assert "(120, 1, 1)" not in text and "(84, 1, 1)" not in text


def _book_extension():
    import sys

    sys.path.insert(0, str(ROOT / "tools"))  # its sibling modules, as local_extensions does
    try:
        spec = importlib.util.spec_from_file_location("book_extension", ROOT / "tools" / "book_extension.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(ROOT / "tools"))
    return module


def test_build_log_cells_are_read_and_other_outputs_are_not():
    extension = _book_extension()
    notebook = {"cells": [
        {"cell_type": "code", "metadata": {"tags": ["remove-cell", "build-log"]},
         "outputs": [{"output_type": "stream", "name": "stdout", "text": ["trained in 2.0 s\n", "second line\n"]},
                     {"output_type": "display_data", "data": {"text/plain": "not a log line"}}]},
        {"cell_type": "code", "metadata": {"tags": ["remove-cell"]},
         "outputs": [{"output_type": "stream", "name": "stdout", "text": "a page output\n"}]},
        {"cell_type": "markdown", "metadata": {}, "source": "prose"},
    ]}
    assert extension.build_log_lines(notebook) == ["trained in 2.0 s", "second line"]


def test_training_time_is_in_the_cached_run_but_not_on_the_page():
    from jupyter_cache import get_cache

    require_site()
    cache = get_cache(str(ROOT / "_build" / ".jupyter_cache"))  # tools/build_book.py's cache
    records = [r for r in cache.list_cache_records() if r.uri.endswith("book/10_capstone.md")]
    assert records, "the capstone is not in the execution cache: build the book first"
    newest = max(records, key=lambda r: r.created)
    lines = _book_extension().build_log_lines(cache.get_cache_bundle(newest.pk).nb)
    assert len(lines) == 1 and re.search(r"trained in \d+\.\d s", lines[0]), lines
    assert "trained in" not in _page_text()


def test_digits_sit_near_the_middle_as_the_prose_says(shown):
    from scipy import ndimage

    images = load_digits().images
    offsets = [np.hypot(*(np.array(ndimage.center_of_mass(image)) - 3.5)) for image in images]
    assert shown["ink_offset"] == f"{np.mean(offsets):.1f}" and np.mean(offsets) < 1
