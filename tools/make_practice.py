"""Write source/conv-basics/practice.ipynb, the nbgrader source of the graded practice.

The notebook is generated so that it can be reviewed as text: prompts, solutions and tests are
below in reading order. Two things come from elsewhere, so they have one copy each:
the test helpers cell is src/convgrade/guards.py verbatim, and every hidden test's docstring is
the description of its check in src/convgrade/checks.py (the hidden test calls that check).

    .venv/bin/python tools/make_practice.py          # rewrite the source notebook
    nbgrader generate_assignment conv-basics --force # then regenerate the release in exercises/
"""
import pathlib
import textwrap

from convgrade.checks import BEHAVIOURS

ROOT = pathlib.Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "source" / "conv-basics" / "practice.ipynb"
GUARDS = ROOT / "src" / "convgrade" / "guards.py"


def text(source):
    return textwrap.dedent(source).strip("\n")


def cell(cell_type, grade_id, source, *, grade=False, solution=False, locked=False, points=None):
    """One notebook cell with nbgrader metadata (cell id = grade_id, so the JSON is stable)."""
    nbgrader = {"grade": grade, "grade_id": grade_id, "locked": locked,
                "schema_version": 3, "solution": solution, "task": False}
    if grade:
        nbgrader["points"] = points
    result = {"cell_type": cell_type, "id": grade_id.replace("_", "-"),
              "metadata": {"nbgrader": nbgrader}, "source": text(source)}
    if cell_type == "code":
        result.update(execution_count=None, outputs=[])
    return result


def prompt(grade_id, source):
    return cell("markdown", grade_id, source, locked=True)


def read_only(grade_id, source):
    return cell("code", grade_id, source, locked=True)


def answer(grade_id, source):
    return cell("code", grade_id, source, solution=True)


def visible_test(grade_id, points, source):
    docstring = f'"""{BEHAVIOURS[grade_id].description}"""\n'
    return cell("code", grade_id, docstring + text(source), grade=True, locked=True, points=points)


# What each hidden test runs before its hidden part: one call of the answer it checks, so that the
# test fails on the release's stub (nbgrader validate --invert) and a student sees at once whether
# the answer runs. The values are checked by the hidden part.
SMOKE = {
    "corr2d": "_ = run_own_code(corr2d, image, kernel)",
    "window_and_value": "_ = run_own_code(window_and_value, image, kernel, 0, 0)",
    "conv_output_size": "_ = run_own_code(conv_output_size, 6, 3, 1, 2)",
    "conv2d_shapes": "_ = run_own_code(conv2d_shapes, (2, 3, 32, 32), 8, 3, padding=1)",
    "to_nchw": "_ = run_limited(to_nchw, np.zeros((1, 2, 3, 4)))",
}


def hidden_test(grade_id, points, answer_name):
    """A test cell whose code (a call to the same check the grader re-runs) is removed on release."""
    smoke = SMOKE.get(answer_name, f"_ = {answer_name}")
    source = f'''
        """{BEHAVIOURS[grade_id].description}"""
        {smoke}  # the rest of this test runs when your notebook is graded
        ### BEGIN HIDDEN TESTS
        from convgrade.checks import run_in_kernel
        run_in_kernel("{grade_id}", globals())
        ### END HIDDEN TESTS
    '''
    return cell("code", grade_id, source, grade=True, locked=True, points=points)


INTRO = """
    # Practice: convolution basics (graded)

    Five problems from the chapters: compute a cross-correlation, read one output value by hand,
    predict output sizes, count the shapes of a `Conv2d`, and reorder image axes for PyTorch.

    **How to work.** Run the cells from the top. Write your code where it says `# YOUR CODE HERE`
    and delete the `raise NotImplementedError()` line. Each problem has one test you can run now;
    when the notebook is graded, hidden tests check the same functions on fresh random inputs, so a
    function that only handles the visible example earns little. Before you submit, choose
    *Kernel → Restart Kernel and Run All Cells* and check that everything runs.

    **Your own code.** `corr2d`, `window_and_value`, `conv_output_size` and `conv2d_shapes` must be
    your own: if they call `convlab`, PyTorch's convolutions (`torch.nn.functional.conv2d`,
    `nn.Conv2d`) or `scipy`, their tests fail. Loops and numpy arithmetic are fine.

    **Test cells are read-only.** The grader restores them anyway and re-runs your answers in a
    separate Python process, so changing the tests, numpy or the notebook's machinery earns nothing.

    ---

    # 练习:卷积基础(自动评分)

    五道题都来自前面的章节:自己实现互相关、手算一个输出值、推算输出尺寸、
    说出 `Conv2d` 各个张量的形状,以及为 PyTorch 调整图像的维度顺序。

    **怎么做。** 从上往下运行各个单元格。在 `# YOUR CODE HERE` 处写代码,并删掉
    `raise NotImplementedError()` 这一行。每道题都有一个现在就能运行的测试;评分时,
    隐藏测试会用新的随机输入检查同样的函数,所以只对示例有效的写法拿不到多少分。
    提交前请选择 *Kernel → Restart Kernel and Run All Cells*,确认所有单元格都能运行。

    **自己写代码。** `corr2d`、`window_and_value`、`conv_output_size` 和 `conv2d_shapes`
    必须是你自己的实现:如果调用了 `convlab`、PyTorch 的卷积(`torch.nn.functional.conv2d`、
    `nn.Conv2d`)或 `scipy`,对应的测试不得分。循环和 numpy 运算都可以用。

    **测试单元格是只读的。** 评分程序无论如何都会恢复它们,并在另一个 Python 进程里重新运行你的答案,
    所以改动测试、numpy 或笔记本的运行机制都不会得分。
"""

LAB_DATA = """
    # The manual lab of the chapters: a 4x4 image and a 2x2 kernel.
    import numpy as np

    image = np.array([[1, 2, 0, 0],
                      [5, 3, 0, 4],
                      [2, 1, 3, 1],
                      [0, 2, 1, 2]], dtype=float)
    kernel = np.array([[1, 0],
                       [0, -1]], dtype=float)
"""

PROBLEM_1 = """
    ## Problem 1: change the kernel

    **(a)** Write `corr2d(X, K)`: the 2-D cross-correlation of an image `X` of shape `(H, W)` with a
    kernel `K` of shape `(kh, kw)`, without padding and with stride 1. Entry `[i, j]` of the result is
    the sum of `X[i:i + kh, j:j + kw] * K`; the result has shape `(H - kh + 1, W - kw + 1)`.
    Images and kernels need not be square.

    **(b)** The array `target` below came out of `image` and some 2x2 kernel. Find that kernel and
    store it in `found_kernel`. (Each value of `target` is a sum of four products, so each one is an
    equation in the kernel's four entries; or look at which pixels each value compares.)

    **(c)** Predict the output of `image` with `blur_kernel` (every entry 0.25) and store it in
    `predicted_output`, a 3x3 array. Then check (b) and (c) with your `corr2d`.

    ## 第 1 题:换一个卷积核

    **(a)** 写出 `corr2d(X, K)`:形状为 `(H, W)` 的图像 `X` 与形状为 `(kh, kw)` 的卷积核 `K`
    的二维互相关,不填充,步幅为 1。结果中 `[i, j]` 处的值是 `X[i:i + kh, j:j + kw] * K` 的总和,
    结果的形状是 `(H - kh + 1, W - kw + 1)`。图像和卷积核都不一定是正方形。

    **(b)** 下面的 `target` 是由 `image` 和某个 2x2 卷积核算出来的。找出这个卷积核,存进
    `found_kernel`。(`target` 的每个值都是四个乘积之和,也就是关于卷积核四个元素的一个方程;
    也可以观察每个值在比较哪些像素。)

    **(c)** 预测 `image` 与 `blur_kernel`(每个元素都是 0.25)的输出,存进 3x3 数组
    `predicted_output`。然后用你的 `corr2d` 验证 (b) 和 (c)。
"""

PROBLEM_1_DATA = """
    target = np.array([[-1, -5, 4],
                       [-3, -1, 2],
                       [1, 1, -1]], dtype=float)
    blur_kernel = np.full((2, 2), 0.25)
"""

CORR2D = '''
    def corr2d(X, K):
        """2-D cross-correlation of X (H, W) with K (kh, kw): no padding, stride 1.

        Returns a float array of shape (H - kh + 1, W - kw + 1) whose [i, j] entry is
        the sum of X[i:i + kh, j:j + kw] * K.
        """
        ### BEGIN SOLUTION
        X = np.asarray(X, dtype=float)
        K = np.asarray(K, dtype=float)
        kh, kw = K.shape
        out = np.zeros((X.shape[0] - kh + 1, X.shape[1] - kw + 1))
        for i in range(out.shape[0]):
            for j in range(out.shape[1]):
                out[i, j] = np.sum(X[i:i + kh, j:j + kw] * K)
        return out
        ### END SOLUTION
'''

CORR2D_TEST = """
    out = run_own_code(corr2d, image, kernel)
    assert np.shape(out) == (3, 3), f"corr2d(image, kernel) has shape {np.shape(out)}; expected (3, 3)"
    assert np.allclose(out, [[-2, 2, -4], [4, 0, -1], [0, 0, 1]]), f"corr2d(image, kernel) gave\\n{out}"
    print("corr2d reproduces the manual lab.")
"""

KERNEL_ANSWERS = """
    # Store your answers as numpy arrays.
    ### BEGIN SOLUTION
    # Each target value is (right column - left column) of its window, over both rows.
    found_kernel = np.array([[-1.0, 1.0],
                             [-1.0, 1.0]])
    # The blur kernel averages each 2x2 window.
    predicted_output = np.array([[2.75, 1.25, 1.0],
                                 [2.75, 1.75, 2.0],
                                 [1.25, 1.75, 1.75]])
    ### END SOLUTION
"""

PROBLEM_2 = """
    ## Problem 2: out[1, 0] by hand

    The manual lab computes `out = corr2d(image, kernel)`, a 3x3 array; its top-left value
    `out[0, 0] = 1*1 + 2*0 + 5*0 + 3*(-1) = -2` comes from the window `[[1, 2], [5, 3]]`.

    **(a)** By hand: which 2x2 window of `image` produces `out[1, 0]` (row 1 is the *second* row),
    and what is the value? Store them in `window_1_0` (a 2x2 array) and `value_1_0` (a number).

    **(b)** Write `window_and_value(X, K, i, j)`, which returns the pair `(window, value)` for any
    output position `(i, j)` of `corr2d(X, K)`. If `(i, j)` is not a position of the output
    (negative numbers included), raise a `ValueError`.

    ## 第 2 题:手算 out[1, 0]

    手动实验计算 `out = corr2d(image, kernel)`,得到 3x3 数组;左上角的值
    `out[0, 0] = 1*1 + 2*0 + 5*0 + 3*(-1) = -2` 来自窗口 `[[1, 2], [5, 3]]`。

    **(a)** 手算:`out[1, 0]` 来自 `image` 的哪个 2x2 窗口(第 1 行是*第二*行)?它的值是多少?
    分别存进 `window_1_0`(2x2 数组)和 `value_1_0`(一个数)。

    **(b)** 写出 `window_and_value(X, K, i, j)`,对 `corr2d(X, K)` 的任意输出位置 `(i, j)`
    返回 `(window, value)`。如果 `(i, j)` 不是输出中的位置(包括负数),抛出 `ValueError`。
"""

HAND_ANSWERS = """
    ### BEGIN SOLUTION
    window_1_0 = np.array([[5, 3],
                           [2, 1]])  # rows 1-2, columns 0-1 of image
    value_1_0 = 5 * 1 + 3 * 0 + 2 * 0 + 1 * (-1)  # = 4
    ### END SOLUTION
"""

WINDOW_AND_VALUE = '''
    def window_and_value(X, K, i, j):
        """The window of X under K at output position (i, j) of corr2d(X, K), and the value there.

        Returns (window, value): window = X[i:i + kh, j:j + kw] and value = sum(window * K).
        Raises ValueError if (i, j) is not a position of the output (negative ones included).
        """
        ### BEGIN SOLUTION
        X = np.asarray(X, dtype=float)
        K = np.asarray(K, dtype=float)
        kh, kw = K.shape
        out_h, out_w = X.shape[0] - kh + 1, X.shape[1] - kw + 1
        if not (0 <= i < out_h and 0 <= j < out_w):
            raise ValueError(f"position ({i}, {j}) is outside the output of shape ({out_h}, {out_w})")
        window = X[i:i + kh, j:j + kw]
        return window, float(np.sum(window * K))
        ### END SOLUTION
'''

WINDOW_TEST = """
    result = run_own_code(window_and_value, image, kernel, 0, 0)
    assert isinstance(result, (tuple, list)) and len(result) == 2, f"expected a pair (window, value); got {result!r}"
    window, value = result
    assert np.shape(window) == (2, 2) and np.allclose(window, [[1, 2], [5, 3]]), f"the window at (0, 0) is\\n{window}"
    assert np.shape(value) == () and np.isclose(value, -2), f"the value at (0, 0) is {value!r}; expected -2"
    print("window_and_value finds the top-left window and value.")
"""

PROBLEM_3 = """
    ## Problem 3: stride 1 in the size lab

    In the size lab, `nn.Conv2d(1, 2, kernel_size=3, stride=2, padding=1)` turns `x` of shape
    `(1, 1, 6, 6)` into an output of shape `(1, 2, 3, 3)`, because along each axis
    `floor((6 + 2*1 - 3) / 2) + 1 = 3`.

    **(a)** With `stride=1` instead, what is the output shape? Store it as a tuple in
    `size_lab_stride1_shape`.

    **(b)** Write `conv_output_size(n, k, p=0, s=1)`: the output length along one axis for input
    length `n`, kernel size `k`, padding `p` on each side and stride `s`, as an `int`. Raise a
    `ValueError` if `s` is less than 1 or the kernel is longer than the padded input.

    ## 第 3 题:把尺寸实验的步幅改成 1

    在尺寸实验中,`nn.Conv2d(1, 2, kernel_size=3, stride=2, padding=1)` 把形状为
    `(1, 1, 6, 6)` 的 `x` 变成形状为 `(1, 2, 3, 3)` 的输出,因为每个方向上
    `floor((6 + 2*1 - 3) / 2) + 1 = 3`。

    **(a)** 把 `stride` 改成 1,输出形状是什么?以元组形式存进 `size_lab_stride1_shape`。

    **(b)** 写出 `conv_output_size(n, k, p=0, s=1)`:输入长度为 `n`、卷积核大小为 `k`、
    每侧填充 `p`、步幅为 `s` 时,一个方向上的输出长度(`int`)。如果 `s` 小于 1,
    或者卷积核比填充后的输入还长,抛出 `ValueError`。
"""

SIZE_ANSWER = """
    ### BEGIN SOLUTION
    size_lab_stride1_shape = (1, 2, 6, 6)  # floor((6 + 2*1 - 3) / 1) + 1 = 6
    ### END SOLUTION
"""

CONV_OUTPUT_SIZE = '''
    def conv_output_size(n, k, p=0, s=1):
        """Output length along one axis: input length n, kernel size k, padding p per side, stride s.

        Returns floor((n + 2p - k) / s) + 1 as an int. Raises ValueError if s < 1 or k > n + 2p.
        """
        ### BEGIN SOLUTION
        if s < 1:
            raise ValueError(f"the stride s={s} must be at least 1")
        if k > n + 2 * p:
            raise ValueError(f"a kernel of k={k} does not fit in n + 2p = {n + 2 * p}")
        return (n + 2 * p - k) // s + 1
        ### END SOLUTION
'''

OUTPUT_SIZE_TEST = """
    assert run_own_code(conv_output_size, 6, 3, 1, 2) == 3, "conv_output_size(6, 3, 1, 2) should be 3"
    assert run_own_code(conv_output_size, 32, 3, 1, 1) == 32, "conv_output_size(32, 3, 1, 1) should be 32"
    print("conv_output_size gives the documents' examples.")
"""

PROBLEM_4 = """
    ## Problem 4: out_channels=16 in the channel lab

    In the channel lab, `nn.Conv2d(3, 8, 3, padding=1)` on `x` of shape `(2, 3, 32, 32)` gives an
    output of shape `(2, 8, 32, 32)`, a weight of shape `(8, 3, 3, 3)` and a bias of shape `(8,)`.

    **(a)** With `out_channels=16`, fill `channel_lab_16` with the four shapes (`"input"`,
    `"output"`, `"weight"`, `"bias"`) as tuples. Which of them changed, and why?

    **(b)** Write `conv2d_shapes(input_shape, out_channels, kernel_size, stride=1, padding=0, bias=True)`
    for any `nn.Conv2d` applied to an input of shape `(N, C_in, H, W)`: it returns a dict with the
    shapes `"output"`, `"weight"` and `"bias"` (`None` when `bias=False`). As in `nn.Conv2d`,
    `kernel_size`, `stride` and `padding` are ints or `(height, width)` pairs.
    You may use your `conv_output_size`.

    ## 第 4 题:把通道实验的 out_channels 改成 16

    在通道实验中,`nn.Conv2d(3, 8, 3, padding=1)` 作用在形状为 `(2, 3, 32, 32)` 的 `x` 上,
    输出形状为 `(2, 8, 32, 32)`,权重形状为 `(8, 3, 3, 3)`,偏置形状为 `(8,)`。

    **(a)** 当 `out_channels=16` 时,把四个形状(`"input"`、`"output"`、`"weight"`、`"bias"`)
    以元组形式填进 `channel_lab_16`。哪些形状变了?为什么?

    **(b)** 写出 `conv2d_shapes(input_shape, out_channels, kernel_size, stride=1, padding=0, bias=True)`:
    对作用在形状为 `(N, C_in, H, W)` 的输入上的任意 `nn.Conv2d`,返回包含 `"output"`、`"weight"`
    和 `"bias"` 三个形状的字典(`bias=False` 时偏置为 `None`)。与 `nn.Conv2d` 一样,
    `kernel_size`、`stride` 和 `padding` 可以是整数,也可以是 `(高, 宽)` 二元组。
    可以调用你写的 `conv_output_size`。
"""

CHANNEL_ANSWER = """
    ### BEGIN SOLUTION
    channel_lab_16 = {
        "input": (2, 3, 32, 32),    # unchanged: the data is the same
        "output": (2, 16, 32, 32),  # one feature map per output channel
        "weight": (16, 3, 3, 3),    # 16 kernels, each spanning the 3 input channels
        "bias": (16,),              # one bias per output channel
    }
    ### END SOLUTION
"""

CONV2D_SHAPES = '''
    def conv2d_shapes(input_shape, out_channels, kernel_size, stride=1, padding=0, bias=True):
        """Shapes around nn.Conv2d(C_in, out_channels, kernel_size, stride, padding, bias=bias).

        input_shape is (N, C_in, H, W); kernel_size, stride and padding are ints or (height, width).
        Returns {"output": (N, out_channels, H_out, W_out), "weight": (out_channels, C_in, kh, kw),
                 "bias": (out_channels,), or None when bias=False}.
        """
        ### BEGIN SOLUTION
        def pair(value):
            return (value, value) if isinstance(value, int) else tuple(value)

        n, c_in, h, w = input_shape
        (kh, kw), (sh, sw), (ph, pw) = pair(kernel_size), pair(stride), pair(padding)
        output = (n, out_channels, conv_output_size(h, kh, ph, sh), conv_output_size(w, kw, pw, sw))
        return {"output": output, "weight": (out_channels, c_in, kh, kw),
                "bias": (out_channels,) if bias else None}
        ### END SOLUTION
'''

CONV2D_SHAPES_TEST = """
    shapes = run_own_code(conv2d_shapes, (2, 3, 32, 32), 8, 3, stride=1, padding=1, bias=True)
    assert isinstance(shapes, dict), f"conv2d_shapes should return a dict; got {shapes!r}"
    for key, want in {"output": (2, 8, 32, 32), "weight": (8, 3, 3, 3), "bias": (8,)}.items():
        assert key in shapes, f"conv2d_shapes(...) has no {key!r} entry"
        assert same_shape(shapes[key], want), f"conv2d_shapes(...)[{key!r}] is {shapes[key]!r}; expected {want}"
    print("conv2d_shapes gives the channel lab's shapes.")
"""

PROBLEM_5 = """
    ## Problem 5: channels last to channels first

    Image libraries store a batch of images as `(N, H, W, C)` (channels last); PyTorch's
    convolutions expect `(N, C, H, W)` (channels first).

    Write `to_nchw(x)`: for a numpy array, return a numpy array (`x.transpose(0, 3, 1, 2)`); for a
    torch tensor, a torch tensor (`x.permute(0, 3, 1, 2)`). Keep the dtype. If `x` is not 4-D, raise a
    `ValueError` whose message names the shape you got. (This is the only problem that imports torch.)

    ## 第 5 题:从通道在后到通道在前

    图像库通常把一批图像存成 `(N, H, W, C)`(通道在后);PyTorch 的卷积需要 `(N, C, H, W)`(通道在前)。

    写出 `to_nchw(x)`:输入是 numpy 数组时返回 numpy 数组(`x.transpose(0, 3, 1, 2)`);输入是
    torch 张量时返回 torch 张量(`x.permute(0, 3, 1, 2)`)。保持 dtype 不变。如果 `x` 不是四维的,
    抛出 `ValueError`,错误信息里写出实际的形状。(只有这道题需要导入 torch。)
"""

TO_NCHW = '''
    def to_nchw(x):
        """Channels-last (N, H, W, C) to channels-first (N, C, H, W).

        A numpy array gives a numpy array (x.transpose), a torch tensor a torch tensor (x.permute),
        with the same dtype. Raises ValueError, naming the shape, if x is not 4-D.
        """
        ### BEGIN SOLUTION
        if x.ndim != 4:
            raise ValueError(f"to_nchw expects a 4-D (N, H, W, C) input; got shape {tuple(x.shape)}")
        if isinstance(x, np.ndarray):
            return x.transpose(0, 3, 1, 2)
        return x.permute(0, 3, 1, 2)
        ### END SOLUTION
'''

TO_NCHW_TEST = """
    import torch

    x = np.arange(2 * 4 * 5 * 3, dtype=np.float32).reshape(2, 4, 5, 3)
    for given in (x, torch.from_numpy(x)):
        y = run_limited(to_nchw, given)
        kind = type(given)
        assert isinstance(y, kind), f"to_nchw of a {kind.__name__} gave a {type(y).__name__}"
        assert tuple(y.shape) == (2, 3, 4, 5), f"to_nchw gave shape {tuple(y.shape)}; expected (2, 3, 4, 5)"
        assert y.dtype == given.dtype, f"to_nchw changed the dtype from {given.dtype} to {y.dtype}"
        assert np.array_equal(np.asarray(y), x.transpose(0, 3, 1, 2)), "values moved to the wrong places"
    print("to_nchw reorders numpy arrays and torch tensors.")
"""


def cells():
    return [
        prompt("intro", INTRO),
        read_only("test_helpers", GUARDS.read_text()),
        read_only("lab_data", LAB_DATA),
        prompt("problem_1", PROBLEM_1),
        read_only("problem_1_data", PROBLEM_1_DATA),
        answer("corr2d_answer", CORR2D),
        visible_test("corr2d_manual_lab", 1, CORR2D_TEST),
        hidden_test("corr2d_square_random", 1, "corr2d"),
        hidden_test("corr2d_rectangular_random", 1, "corr2d"),
        hidden_test("corr2d_edge_sizes", 1, "corr2d"),
        answer("kernel_answers", KERNEL_ANSWERS),
        hidden_test("found_kernel_reproduces_target", 1, "found_kernel"),
        hidden_test("predicted_blur_output", 1, "predicted_output"),
        prompt("problem_2", PROBLEM_2),
        answer("hand_answers", HAND_ANSWERS),
        answer("window_and_value_answer", WINDOW_AND_VALUE),
        visible_test("window_and_value_top_left", 1, WINDOW_TEST),
        hidden_test("out_1_0_window", 1, "window_1_0"),
        hidden_test("out_1_0_value", 1, "value_1_0"),
        hidden_test("window_and_value_random", 2, "window_and_value"),
        hidden_test("window_and_value_rejects_outside", 1, "window_and_value"),
        prompt("problem_3", PROBLEM_3),
        answer("size_answer", SIZE_ANSWER),
        answer("conv_output_size_answer", CONV_OUTPUT_SIZE),
        visible_test("conv_output_size_size_lab", 1, OUTPUT_SIZE_TEST),
        hidden_test("size_lab_stride1_shape", 1, "size_lab_stride1_shape"),
        hidden_test("conv_output_size_random", 2, "conv_output_size"),
        hidden_test("conv_output_size_rejects_impossible", 1, "conv_output_size"),
        prompt("problem_4", PROBLEM_4),
        answer("channel_answer", CHANNEL_ANSWER),
        answer("conv2d_shapes_answer", CONV2D_SHAPES),
        visible_test("conv2d_shapes_channel_lab", 1, CONV2D_SHAPES_TEST),
        hidden_test("channel_lab_16_shapes", 1, "channel_lab_16"),
        hidden_test("conv2d_shapes_random", 2, "conv2d_shapes"),
        hidden_test("conv2d_shapes_pairs_and_no_bias", 1, "conv2d_shapes"),
        prompt("problem_5", PROBLEM_5),
        answer("to_nchw_answer", TO_NCHW),
        visible_test("to_nchw_small", 1, TO_NCHW_TEST),
        hidden_test("to_nchw_numpy_random", 1, "to_nchw"),
        hidden_test("to_nchw_torch_random", 1, "to_nchw"),
        hidden_test("to_nchw_rejects_non_4d", 1, "to_nchw"),
    ]


def notebook():
    metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    return {"cells": cells(), "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}


def render():
    """The source notebook as nbformat writes it (sources as lists of lines, one-space indent)."""
    import nbformat
    return nbformat.writes(nbformat.from_dict(notebook())) + "\n"


def main():
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)} ({len(cells())} cells, "
          f"{sum(c['metadata']['nbgrader'].get('points') or 0 for c in cells())} points)")


if __name__ == "__main__":
    main()
