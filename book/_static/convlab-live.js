// The book's explorers, live in the page: no server, no kernel, no request to another host.
//
// A chapter's cell emits a hidden <div class="convlab-live" data-kind="..."> holding its data as
// JSON, made by convlab at build time (src/convlab/explore/live.py). This script, which
// tools/book_extension.py adds only to pages holding such a container, builds the controls and
// recomputes in the page. JavaScript numbers are float64 and the formulas are convlab's: corr2d,
// output_size, max_pool2d/avg_pool2d (PyTorch's semantics), receptive_field; the browser tests
// (tests/test_live_explorers.py) compare what the page shows with convlab over many settings.
//
// Every control is a native <input type=range>, <input type=number>, <select> or <button>, so the
// keyboard moves everything; every number shown is text (tables and a polite live region).
// Strings are in both languages below; the page's <html lang> chooses. No eval, no innerHTML.
(() => {
  "use strict";
  const containers = document.querySelectorAll("div.convlab-live[data-kind]");
  if (!containers.length) return;

  const LANG = (document.documentElement.lang || "en").toLowerCase().startsWith("zh") ? "zh" : "en";
  const STRINGS = {
    en: {
      live: "Live explorer: it runs in this page",
      input: "input X", kernel: "kernel K", products: "window × K", output: "output Y = X ⋆ K",
      row: "window row", col: "window column", back: "◀ Step back", forward: "Step forward ▶",
      play: "Play", pause: "Pause", entry: (i, j) => `K[${i}, ${j}]`,
      corrHelp: "Step the window, or point at (or Tab to) an output cell to see its window.",
      notYet: "not computed yet",
      input_size: "input size n", kernel_size: "kernel size k", padding: "padding p", stride: "stride s",
      dilation: "dilation d", layers: "layers",
      paddedInput: (n, p) => `input ${n}×${n}, padded by ${p}; number: windows reading the cell`,
      outputGrid: (o) => `output ${o}×${o}; number: input pixels read (not padding)`,
      outShape: (n, o) => `input (1, 1, ${n}, ${n}) → output (1, 1, ${o}, ${o})`,
      span: (d, k, span) => `dilated kernel spans d·(k − 1) + 1 = ${d}·(${k} − 1) + 1 = ${span}`,
      unread: (u) => `${u} input column${u > 1 ? "s" : ""} (and as many rows) never read: the stride steps over ${u > 1 ? "them" : "it"}`,
      tooLarge: (span, n, p) => `Not valid: the kernel spans ${span} pixels, more than the padded input, n + 2p = ${n} + ${2 * p} = ${n + 2 * p}.`,
      windowOf: (i, j, taps) => `output [${i}, ${j}] reads input rows and columns ${taps}`,
      mode: "pooling", max: "max", avg: "average",
      poolInput: (p, pad) => `input padded by ${p} (${pad} in the padding)`,
      poolOutput: (m, h, w) => `${m} pool output ${h}×${w}`,
      poolTooMuch: (p, k) => `Not valid: padding ${p} is more than half the kernel size ${k}; PyTorch allows at most kernel_size // 2 = ${Math.floor(k / 2)}.`,
      winner: "circled: the input each max returns",
      preset: "network", custom: "custom: a uniform stack",
      rfTitle: (L, r) => `an output pixel of layer ${L} sees ${r}×${r} input pixels`,
      rfHead: ["layer", "kernel", "stride", "padding", "dilation", "receptive field", "outputs apart (jump)", "input pixels read"],
      rfPicture: "Input pixels (per axis) that one unit of each layer reads, first layer at the top",
      presets: {},
      kernelChoice: "kernel", customKernel: "custom 3×3 (edit a number to use it)",
      kernelNames: { identity: "identity", box_blur: "box blur", gaussian: "Gaussian blur", sharpen: "sharpen",
        sobel_x: "Sobel x (vertical edges)", sobel_y: "Sobel y (horizontal edges)", laplacian: "Laplacian",
        edge: "[1, −1] edge", custom: "custom 3×3" },
      photo: (h, w) => `input image (${h}×${w})`,
      fmap: (h, w) => `feature map X ⋆ K (${h}×${w})`,
      stats: (h, w, lo, hi, mean) => `feature map ${h}×${w}: min ${lo}, max ${hi}, mean ${mean}`,
      probeRow: "probe row", probeCol: "probe column",
      probeHelp: "The probe (the small square on both pictures) picks one output pixel: its window and sum below.",
      window: "window of X at the probe",
      loading: "Loading the photograph…",
      lr: "learning rate", epochs: "epochs", seed: "random start (seed)",
      lossTitle: (n, last) => `loss per epoch (last ${last})`,
      lossAxis: "loss (log scale) against epoch",
      diverging: (limit) => `lr > ${limit}: the loss grows`,
      learned: (n) => `learned K after ${n} epochs (target [1, −1])`,
      learnedOut: "X ⋆ K on the 6×8 stripes (target: 1 and −1 at the two edges)",
      losses: "Loss per epoch",
      epoch: "epoch", loss: "loss",
    },
    zh: {
      live: "在线探索器：在本页中直接运行",
      input: "输入 X", kernel: "卷积核 K", products: "窗口 × K", output: "输出 Y = X ⋆ K",
      row: "窗口所在行", col: "窗口所在列", back: "◀ 后退一步", forward: "前进一步 ▶",
      play: "播放", pause: "暂停", entry: (i, j) => `K[${i}, ${j}]`,
      corrHelp: "逐步移动窗口，或指向（或用 Tab 键移到）某个输出单元格，查看它的窗口。",
      notYet: "尚未计算",
      input_size: "输入大小 n", kernel_size: "卷积核大小 k", padding: "填充 p", stride: "步幅 s",
      dilation: "膨胀 d", layers: "层数",
      paddedInput: (n, p) => `输入 ${n}×${n}，填充 ${p}；数字：读取该格的窗口数`,
      outputGrid: (o) => `输出 ${o}×${o}；数字：读取的输入像素数（不含填充）`,
      outShape: (n, o) => `输入 (1, 1, ${n}, ${n}) → 输出 (1, 1, ${o}, ${o})`,
      span: (d, k, span) => `膨胀后的卷积核跨度 d·(k − 1) + 1 = ${d}·(${k} − 1) + 1 = ${span}`,
      unread: (u) => `有 ${u} 列输入（以及同样多的行）从未被读取：步幅跳过了它们`,
      tooLarge: (span, n, p) => `无效：卷积核跨度 ${span} 个像素，大于填充后的输入 n + 2p = ${n} + ${2 * p} = ${n + 2 * p}。`,
      windowOf: (i, j, taps) => `输出 [${i}, ${j}] 读取输入的第 ${taps} 行和列`,
      mode: "汇聚方式", max: "最大", avg: "平均",
      poolInput: (p, pad) => `输入填充 ${p}（填充处为 ${pad}）`,
      poolOutput: (m, h, w) => `${m}汇聚输出 ${h}×${w}`,
      poolTooMuch: (p, k) => `无效：填充 ${p} 超过卷积核大小 ${k} 的一半；PyTorch 最多允许 kernel_size // 2 = ${Math.floor(k / 2)}。`,
      winner: "圆圈：每个最大值取自的输入",
      preset: "网络", custom: "自定义：相同的层堆叠",
      rfTitle: (L, r) => `第 ${L} 层的一个输出像素看到 ${r}×${r} 个输入像素`,
      rfHead: ["层", "卷积核", "步幅", "填充", "膨胀", "感受野", "相邻输出间距", "读取的输入像素"],
      rfPicture: "每层一个单元读取的输入像素（每个轴），第一层在最上方",
      presets: {
        "two 3×3 convs": "两个 3×3 卷积",
        "three 3×3 convs": "三个 3×3 卷积",
        "VGG-16 blocks 1-2": "VGG-16 第 1-2 块",
        "AlexNet conv1-pool2": "AlexNet conv1-pool2",
        "ResNet stem + 2 convs": "ResNet 主干 + 2 个卷积",
        "dilated 3×3, d = 1, 2, 4": "膨胀 3×3，d = 1, 2, 4",
      },
      kernelChoice: "卷积核", customKernel: "自定义 3×3（修改任一数字即使用它）",
      kernelNames: { identity: "恒等", box_blur: "均值模糊", gaussian: "高斯模糊", sharpen: "锐化",
        sobel_x: "Sobel x（竖直边缘）", sobel_y: "Sobel y（水平边缘）", laplacian: "拉普拉斯",
        edge: "[1, −1] 边缘", custom: "自定义 3×3" },
      photo: (h, w) => `输入图像（${h}×${w}）`,
      fmap: (h, w) => `特征图 X ⋆ K（${h}×${w}）`,
      stats: (h, w, lo, hi, mean) => `特征图 ${h}×${w}：最小值 ${lo}，最大值 ${hi}，平均值 ${mean}`,
      probeRow: "探针所在行", probeCol: "探针所在列",
      probeHelp: "探针（两幅图上的小方框）选中一个输出像素：下方是它的窗口和求和。",
      window: "探针处 X 的窗口",
      loading: "正在加载照片……",
      lr: "学习率", epochs: "训练轮数", seed: "随机起点（种子）",
      lossTitle: (n, last) => `每轮的损失（最后 ${last}）`,
      lossAxis: "损失（对数刻度）随训练轮数的变化",
      diverging: (limit) => `lr > ${limit}：损失不断增大`,
      learned: (n) => `训练 ${n} 轮后学到的 K（目标 [1, −1]）`,
      learnedOut: "X ⋆ K 作用于 6×8 条纹图（目标：两条边缘处为 1 和 −1）",
      losses: "每轮的损失",
      epoch: "轮", loss: "损失",
    },
  };
  const S = STRINGS[LANG];
  const MINUS = "−";

  // --- compute: convlab's formulas, float64 ------------------------------------------------

  // valid cross-correlation (convlab.corr2d)
  function corr2d(X, K) {
    const kh = K.length, kw = K[0].length, oh = X.length - kh + 1, ow = X[0].length - kw + 1;
    const out = [];
    for (let i = 0; i < oh; i++) {
      const row = new Array(ow);
      for (let j = 0; j < ow; j++) {
        let sum = 0;
        for (let a = 0; a < kh; a++) for (let b = 0; b < kw; b++) sum += X[i + a][j + b] * K[a][b];
        row[j] = sum;
      }
      out.push(row);
    }
    return out;
  }

  // convlab.output_size: floor((n + 2p - d(k-1) - 1) / s) + 1; 0 or less means invalid
  const outputSize = (n, k, s, p, d) => Math.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1;

  // max_pool2d / avg_pool2d of one channel, PyTorch's defaults (ceil_mode False,
  // count_include_pad True; padding is -inf for max, 0 for avg; ties go to the first in reading order)
  function pool2d(X, mode, k, s, p) {
    const h = X.length, w = X[0].length, oh = outputSize(h, k, s, p, 1), ow = outputSize(w, k, s, p, 1);
    const out = [], winners = [];
    for (let i = 0; i < oh; i++) {
      const row = [], wrow = [];
      for (let j = 0; j < ow; j++) {
        let best = -Infinity, at = null, sum = 0;
        for (let a = 0; a < k; a++) {
          for (let b = 0; b < k; b++) {
            const r = i * s - p + a, c = j * s - p + b;
            const inside = r >= 0 && r < h && c >= 0 && c < w;
            const v = inside ? X[r][c] : (mode === "max" ? -Infinity : 0);
            sum += inside ? v : 0;
            if (inside && v > best) { best = v; at = [r, c]; }
          }
        }
        row.push(mode === "max" ? best : sum / (k * k));
        wrow.push(at);
      }
      out.push(row);
      winners.push(wrow);
    }
    return { out, winners };
  }

  // convlab.receptive_field: r += d(k-1)·j, P += p·j, j *= s, per layer
  function receptiveField(layers) {
    let size = 1, jump = 1, pad = 0;
    return layers.map(([k, s, p, d]) => {
      size += d * (k - 1) * jump;
      pad += p * jump;
      jump *= s;
      return { size, jump, pad };
    });
  }

  // convlab.explore.geometry.nested_taps, as bitmaps: per layer, the input offsets (per axis) one
  // unit of that layer reads, the units nested (each lower unit is the centre tap of the one above).
  // A unit's field is its layer's field of unit 0 moved by unit·jump, and the field of unit 0 is
  // the k copies of the layer below's, d·jump apart: one pass over the layers, not one per layer.
  // Returns per layer {count, first, last, offset, bitmap}: offsets read are offset + i, bitmap[i] = 1.
  function nestedTaps(layers, width) {
    const n = layers.length, centre = new Array(n);
    let unit = 0;
    for (let i = n - 1; i >= 0; i--) {
      centre[i] = unit;
      const [k, s, , d] = layers[i];
      unit = unit * s + d * Math.floor(k / 2);
    }
    const taps = [];
    let field = new Uint8Array(width), span = 1, jump = 1;
    field[0] = 1;
    for (let i = 0; i < n; i++) {
      const [k, s, , d] = layers[i];
      const next = new Uint8Array(width);
      for (let t = 0; t < k; t++) {
        const shift = d * t * jump;
        for (let x = 0; x < span; x++) if (field[x]) next[x + shift] = 1;
      }
      span += d * (k - 1) * jump;
      jump *= s;
      field = next;
      let count = 0;
      for (let x = 0; x < span; x++) count += field[x];
      const offset = centre[i] * jump;
      taps.push({ count, first: offset, last: offset + span - 1, offset, bitmap: field });
    }
    return taps;
  }

  // --- small DOM helpers ---------------------------------------------------------------------

  let uid = 0;
  const nextId = (stem) => `convlab-live-${stem}-${++uid}`;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (name === "class") node.className = value;
      else if (name === "text") node.textContent = value;
      else node.setAttribute(name, value);
    }
    for (const child of children) node.append(child);
    return node;
  }

  // a number as a reader writes it: integers plain, others to 4 significant digits, a real minus sign
  function fmt(v) {
    if (v === -Infinity) return `${MINUS}∞`;
    if (v === Infinity) return "∞";
    const text = Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
    return text.replace("-", MINUS);
  }
  // fixed decimals for the values a reader expects near 1, −1, 0 ("−0.00" reads 0.00); fmt beyond 100
  function fmtFixed(v, digits) {
    if (!(Math.abs(v) < 100)) return fmt(v);
    const text = v.toFixed(digits);
    return (/^-0\.0*$/.test(text) ? text.slice(1) : text).replace("-", MINUS);
  }
  const paren = (v) => (v < 0 ? `(${fmt(v)})` : fmt(v));

  // a labelled range input with its value shown beside it
  function slider(name, label, lo, hi, value, onChange) {
    const id = nextId(name);
    const input = el("input", { type: "range", id, min: lo, max: hi, step: 1, value, "data-control": name });
    const shown = el("output", { for: id, text: String(value) });
    input.addEventListener("input", () => { shown.textContent = input.value; onChange(); });
    const wrap = el("div", { class: "cl-control" }, el("label", { for: id, text: label }), input, shown);
    return { wrap, input, value: () => Number(input.value), set: (v) => { input.value = v; shown.textContent = String(v); } };
  }

  function select(name, label, options, value, onChange) {
    const id = nextId(name);
    const input = el("select", { id, "data-control": name });
    for (const [optionValue, text] of options) input.append(el("option", { value: optionValue, text }));
    input.value = value;
    input.addEventListener("change", onChange);
    const wrap = el("div", { class: "cl-control" }, el("label", { for: id, text: label }), input);
    return { wrap, input };
  }

  // A grid of numbers as a table, rebuilt only when its shape changes (so focus survives updates).
  class Grid {
    constructor(caption, { buttons = false, onPick = null } = {}) {
      this.table = el("table", { class: "cl-grid" });
      this.caption = el("caption", { text: caption });
      this.table.append(this.caption);
      this.buttons = buttons;
      this.onPick = onPick;
      this.shape = "";
      this.cells = [];
    }
    ensure(rows, cols, origin = 0) {
      const shape = `${rows}x${cols}@${origin}`;
      if (shape === this.shape) return;
      this.shape = shape;
      for (const body of this.table.querySelectorAll("tbody")) body.remove();
      const body = el("tbody");
      this.cells = [];
      for (let i = 0; i < rows; i++) {
        const tr = el("tr");
        const row = [];
        for (let j = 0; j < cols; j++) {
          const td = el("td");
          if (this.buttons) {
            const button = el("button", { type: "button", class: "cl-cell", "data-row": i, "data-col": j });
            const pick = () => this.onPick(i, j);
            button.addEventListener("focus", pick);
            button.addEventListener("mouseenter", pick);
            button.addEventListener("click", pick);
            td.append(button);
            row.push(button);
          } else {
            row.push(td);
          }
          tr.append(td);
        }
        body.append(tr);
        this.cells.push(row);
      }
      this.table.append(body);
    }
    set(i, j, text, value, classes) {
      const cell = this.cells[i][j];
      if (cell.textContent !== text) cell.textContent = text;
      if (value === null) cell.removeAttribute("data-value");
      else cell.setAttribute("data-value", String(value));
      const name = this.buttons ? `cl-cell ${classes}` : classes;
      if (cell.className !== name.trim()) cell.className = name.trim();
    }
  }

  function frame(container, title) {
    container.hidden = false;
    container.classList.add("cl-explorer");
    const live = el("p", { class: "cl-readout", "aria-live": "polite" });
    const controls = el("div", { class: "cl-controls" });
    const views = el("div", { class: "cl-views" });
    const notes = el("div", { class: "cl-notes" });
    const heading = el("p", { class: "cl-title", text: title });
    container.append(heading, controls, views, notes, live);
    return { controls, views, notes, live };
  }

  // Each explorer's update, timed: container.dataset.updateMs is the last update's duration (read
  // by the benchmark, benchmarks/bench_live.py).
  function timed(container, update) {
    return () => {
      const start = performance.now();
      update();
      container.dataset.updateMs = (performance.now() - start).toFixed(3);
      container.dataset.updates = String(Number(container.dataset.updates || 0) + 1);
    };
  }

  // --- 1. the cross-correlation window ----------------------------------------------------------

  function crossCorrelation(container, data) {
    const X = data.image, kh = data.kernel.length, kw = data.kernel[0].length;
    const oh = X.length - kh + 1, ow = X[0].length - kw + 1;
    const K = data.kernel.map((row) => row.slice());
    const parts = frame(container, S.live);
    let row = data.row, col = data.col, timer = null;

    const rowSlider = slider("row", S.row, 0, oh - 1, row, () => { row = rowSlider.value(); update(); });
    const colSlider = slider("col", S.col, 0, ow - 1, col, () => { col = colSlider.value(); update(); });
    const step = (by) => {
      const index = (row * ow + col + by + oh * ow) % (oh * ow);
      row = Math.floor(index / ow);
      col = index % ow;
      update();
    };
    const back = el("button", { type: "button", "data-control": "back", text: S.back });
    const forward = el("button", { type: "button", "data-control": "forward", text: S.forward });
    const play = el("button", { type: "button", "data-control": "play", "aria-pressed": "false", text: S.play });
    back.addEventListener("click", () => step(-1));
    forward.addEventListener("click", () => step(1));
    // an animation only when asked for, and stoppable at once (WCAG 2.2.2)
    const stop = () => { clearInterval(timer); timer = null; play.textContent = S.play; play.setAttribute("aria-pressed", "false"); };
    play.addEventListener("click", () => {
      if (timer) { stop(); return; }
      timer = setInterval(() => step(1), 900);
      play.textContent = S.pause;
      play.setAttribute("aria-pressed", "true");
    });
    const entries = el("div", { class: "cl-entries", style: `grid-template-columns: repeat(${kw}, auto)` });
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const id = nextId(`k${i}${j}`);
        const input = el("input", { type: "number", id, step: 1, value: K[i][j], "data-control": `k${i}${j}` });
        input.addEventListener("input", () => {
          const v = Number(input.value);
          if (input.value !== "" && Number.isFinite(v)) { K[i][j] = v; update(); }
        });
        entries.append(el("div", { class: "cl-control" }, el("label", { for: id, text: S.entry(i, j) }), input));
      }
    }
    parts.controls.append(
      el("div", { class: "cl-buttons" }, back, forward, play), rowSlider.wrap, colSlider.wrap, entries);

    const inputGrid = new Grid(S.input), kernelGrid = new Grid(S.kernel), productGrid = new Grid(S.products);
    const outputGrid = new Grid(S.output, { buttons: true, onPick: (i, j) => { if (i !== row || j !== col) { row = i; col = j; update(); } } });
    inputGrid.ensure(X.length, X[0].length);
    kernelGrid.ensure(kh, kw);
    productGrid.ensure(kh, kw);
    outputGrid.ensure(oh, ow);
    parts.views.append(inputGrid.table, kernelGrid.table, productGrid.table, outputGrid.table);
    parts.notes.append(el("p", { text: S.corrHelp }));

    const update = timed(container, () => {
      rowSlider.set(row);
      colSlider.set(col);
      const out = corr2d(X, K);
      for (let i = 0; i < X.length; i++) {
        for (let j = 0; j < X[0].length; j++) {
          const inside = i >= row && i < row + kh && j >= col && j < col + kw;
          inputGrid.set(i, j, fmt(X[i][j]), X[i][j], inside ? "cl-window" : "");
        }
      }
      const terms = [];
      for (let a = 0; a < kh; a++) {
        for (let b = 0; b < kw; b++) {
          const x = X[row + a][col + b], product = x * K[a][b];
          kernelGrid.set(a, b, fmt(K[a][b]), K[a][b], "");
          productGrid.set(a, b, fmt(product), product, "");
          terms.push(`${paren(x)}·${paren(K[a][b])}`);
        }
      }
      // the output fills in reading order as the window slides: later cells are still empty
      const current = row * ow + col;
      for (let i = 0; i < oh; i++) {
        for (let j = 0; j < ow; j++) {
          const done = i * ow + j <= current;
          outputGrid.set(i, j, done ? fmt(out[i][j]) : "", done ? out[i][j] : null,
                         i === row && j === col ? "cl-window" : "");
          outputGrid.cells[i][j].setAttribute("aria-label", `Y[${i}, ${j}] ${done ? fmt(out[i][j]) : S.notYet}`);
        }
      }
      const value = out[row][col];
      parts.live.textContent = `Y[${row}, ${col}] = ${terms.join(" + ")} = ${fmt(value)}`;
      parts.live.dataset.value = String(value);
      container.dataset.state = JSON.stringify({ row, col, kernel: K, value });
    });
    update();
  }

  // --- 2. padding, stride and dilation ----------------------------------------------------------

  function paddingStride(container, data) {
    const parts = frame(container, S.live);
    const names = ["input_size", "kernel_size", "padding", "stride", "dilation"];
    const controls = {};
    for (const name of names) {
      const [lo, hi] = data.ranges[name];
      controls[name] = slider(name, S[name], lo, hi, data.values[name], () => update());
      parts.controls.append(controls[name].wrap);
    }
    let picked = [0, 0];
    const inputGrid = new Grid("");
    const outputGrid = new Grid("", { buttons: true, onPick: (i, j) => { picked = [i, j]; update(); } });
    parts.views.append(inputGrid.table, outputGrid.table);
    const shape = el("p", { class: "cl-shape" });
    const call = el("code", { class: "cl-call" });
    const formula = el("p", { class: "cl-formula" });
    const note = el("p", { class: "cl-note" });
    parts.notes.append(shape, el("p", {}, call), formula, note);

    const update = timed(container, () => {
      const [n, k, p, s, d] = names.map((name) => controls[name].value());
      const span = d * (k - 1) + 1, out = outputSize(n, k, s, p, d);
      const args = [`kernel_size=${k}`];
      if (s !== 1) args.push(`stride=${s}`);
      if (p !== 0) args.push(`padding=${p}`);
      if (d !== 1) args.push(`dilation=${d}`);
      call.textContent = `nn.Conv2d(1, 1, ${args.join(", ")})`;
      const size = n + 2 * p;
      if (out < 1) {
        container.dataset.valid = "false";
        parts.views.hidden = true;
        shape.textContent = S.tooLarge(span, n, p);
        formula.textContent = "";
        note.textContent = "";
        parts.live.textContent = shape.textContent;
        container.dataset.state = JSON.stringify({ n, k, p, s, d, output_size: null });
        return;
      }
      container.dataset.valid = "true";
      parts.views.hidden = false;
      if (picked[0] >= out || picked[1] >= out) picked = [0, 0];
      // windows reading each padded cell, per axis; and the real pixels each window reads, per axis
      const perAxis = new Array(size).fill(0), realPerWindow = [];
      for (let o = 0; o < out; o++) {
        let real = 0;
        for (let t = 0; t < k; t++) {
          const x = o * s - p + d * t;
          perAxis[x + p] += 1;
          if (x >= 0 && x < n) real += 1;
        }
        realPerWindow.push(real);
      }
      const tapsOf = (o) => Array.from({ length: k }, (_, t) => o * s - p + d * t);
      const rows = new Set(tapsOf(picked[0])), cols = new Set(tapsOf(picked[1]));
      inputGrid.ensure(size, size, p);
      inputGrid.caption.textContent = S.paddedInput(n, p);
      for (let i = 0; i < size; i++) {
        for (let j = 0; j < size; j++) {
          const r = i - p, c = j - p, count = perAxis[i] * perAxis[j];
          const pad = r < 0 || r >= n || c < 0 || c >= n;
          const classes = [pad ? "cl-pad" : "", rows.has(r) && cols.has(c) ? "cl-window" : "",
                           count === 0 && !pad ? "cl-unread" : ""].join(" ");
          inputGrid.set(i, j, String(count), count, classes);
        }
      }
      outputGrid.ensure(out, out);
      outputGrid.caption.textContent = S.outputGrid(out);
      for (let i = 0; i < out; i++) {
        for (let j = 0; j < out; j++) {
          const read = realPerWindow[i] * realPerWindow[j];
          outputGrid.set(i, j, String(read), read, i === picked[0] && j === picked[1] ? "cl-window" : "");
        }
      }
      const unread = [];
      for (let c = 0; c < n; c++) if (perAxis[c + p] === 0) unread.push(c);
      shape.textContent = S.outShape(n, out);
      const kk = d > 1 ? "k′" : "k";
      formula.textContent = (d > 1 ? S.span(d, k, span) + "; " : "") +
        `out = ⌊(n + 2p ${MINUS} ${kk}) / s⌋ + 1 = ⌊(${n} + 2·${p} ${MINUS} ${span}) / ${s}⌋ + 1 = ${out}`;
      note.textContent = unread.length ? S.unread(unread.length) : "";
      parts.live.textContent = `${shape.textContent}. ${call.textContent}. ${S.windowOf(picked[0], picked[1], [...rows].map(fmt).join(", "))}`;
      container.dataset.state = JSON.stringify({ n, k, p, s, d, output_size: out, unread, picked, read: realPerWindow });
    });
    update();
  }

  // --- 3. pooling ------------------------------------------------------------------------------

  function pooling(container, data) {
    const X = data.image, h = X.length, w = X[0].length;
    const parts = frame(container, S.live);
    const mode = select("mode", S.mode, data.modes.map((m) => [m, S[m]]), data.mode, () => update());
    parts.controls.append(mode.wrap);
    const controls = {};
    for (const name of ["kernel_size", "stride", "padding"]) {
      const [lo, hi] = data.ranges[name];
      controls[name] = slider(name, S[name], lo, hi, data.values[name], () => update());
      parts.controls.append(controls[name].wrap);
    }
    let picked = [0, 0];
    const inputGrid = new Grid("");
    const outputGrid = new Grid("", { buttons: true, onPick: (i, j) => { picked = [i, j]; update(); } });
    parts.views.append(inputGrid.table, outputGrid.table);
    const note = el("p", { class: "cl-note" });
    parts.notes.append(note);

    const update = timed(container, () => {
      const m = mode.input.value, k = controls.kernel_size.value(), s = controls.stride.value(), p = controls.padding.value();
      if (p > Math.floor(k / 2)) {
        container.dataset.valid = "false";
        parts.views.hidden = true;
        note.textContent = S.poolTooMuch(p, k);
        parts.live.textContent = note.textContent;
        container.dataset.state = JSON.stringify({ mode: m, k, s, p, output: null });
        return;
      }
      container.dataset.valid = "true";
      parts.views.hidden = false;
      const { out, winners } = pool2d(X, m, k, s, p);
      const oh = out.length, ow = out[0].length;
      if (picked[0] >= oh || picked[1] >= ow) picked = [0, 0];
      const top = picked[0] * s - p, left = picked[1] * s - p;
      const winnersAt = new Set();
      if (m === "max") for (const wrow of winners) for (const at of wrow) winnersAt.add(`${at[0]},${at[1]}`);
      const padLabel = m === "max" ? `${MINUS}∞` : "0";
      inputGrid.ensure(h + 2 * p, w + 2 * p, p);
      inputGrid.caption.textContent = S.poolInput(p, padLabel) + (m === "max" ? `; ${S.winner}` : "");
      const terms = [];
      for (let i = 0; i < h + 2 * p; i++) {
        for (let j = 0; j < w + 2 * p; j++) {
          const r = i - p, c = j - p, pad = r < 0 || r >= h || c < 0 || c >= w;
          const inWindow = r >= top && r < top + k && c >= left && c < left + k;
          const v = pad ? (m === "max" ? -Infinity : 0) : X[r][c];
          if (inWindow) terms.push(fmt(v));
          const classes = [pad ? "cl-pad" : "", inWindow ? "cl-window" : "", winnersAt.has(`${r},${c}`) ? "cl-winner" : ""].join(" ");
          inputGrid.set(i, j, pad ? padLabel : fmt(v), pad ? null : v, classes);
        }
      }
      outputGrid.ensure(oh, ow);
      outputGrid.caption.textContent = S.poolOutput(S[m], oh, ow);
      for (let i = 0; i < oh; i++) {
        for (let j = 0; j < ow; j++) {
          outputGrid.set(i, j, fmt(out[i][j]), out[i][j], i === picked[0] && j === picked[1] ? "cl-window" : "");
        }
      }
      const value = out[picked[0]][picked[1]];
      const expression = m === "max" ? `max(${terms.join(", ")})` : `(${terms.join(" + ")}) / ${k * k}`;
      note.textContent = "";
      parts.live.textContent = `out[${picked[0]}, ${picked[1]}] = ${expression} = ${fmt(value)}`;
      container.dataset.state = JSON.stringify({ mode: m, k, s, p, output: out, picked, winners: m === "max" ? winners : null });
    });
    update();
  }

  // --- 4. receptive field ------------------------------------------------------------------------

  function receptiveFieldExplorer(container, data) {
    const parts = frame(container, S.live);
    const options = [["custom", S.custom], ...Object.keys(data.presets).map((name) => [name, S.presets[name] || name])];
    const preset = select("preset", S.preset, options, data.preset, () => update());
    parts.controls.append(preset.wrap);
    const controls = {};
    for (const name of ["layers", "kernel_size", "stride", "dilation"]) {
      const [lo, hi] = data.ranges[name];
      controls[name] = slider(name, S[name], lo, hi, data.values[name], () => update());
      parts.controls.append(controls[name].wrap);
    }
    const title = el("p", { class: "cl-shape" });
    const canvas = el("canvas", { class: "cl-field", role: "img", "aria-label": S.rfPicture });
    const table = el("table", { class: "cl-table" });
    const head = el("tr");
    for (const text of S.rfHead) head.append(el("th", { scope: "col", text }));
    const body = el("tbody");
    table.append(el("thead", {}, head), body);
    parts.views.append(el("div", { class: "cl-stack" }, title, canvas, table));

    const update = timed(container, () => {
      const custom = preset.input.value === "custom";
      for (const name of Object.keys(controls)) controls[name].input.disabled = !custom;
      let layers;
      if (custom) {
        const [L, k, s, d] = ["layers", "kernel_size", "stride", "dilation"].map((name) => controls[name].value());
        layers = Array.from({ length: L }, () => [k, s, Math.floor((d * (k - 1)) / 2), d]);
      } else {
        layers = data.presets[preset.input.value].layers;
      }
      const fields = receptiveField(layers);
      const last = fields[fields.length - 1];
      const taps = nestedTaps(layers, last.size + 1);
      title.textContent = S.rfTitle(layers.length, last.size);
      body.replaceChildren(...layers.map(([k, s, p, d], i) => el("tr", {},
        el("th", { scope: "row", text: String(i + 1) }), el("td", { text: String(k) }), el("td", { text: String(s) }),
        el("td", { text: String(p) }), el("td", { text: String(d) }),
        el("td", { text: String(fields[i].size), "data-value": String(fields[i].size) }),
        el("td", { text: String(fields[i].jump) }), el("td", { text: String(taps[i].count), "data-value": String(taps[i].count) }))));
      // the picture: one band per layer over the last layer's field, a mark per input pixel read
      const width = Math.min(640, Math.max(240, container.clientWidth - 8)), band = 16, gap = 4;
      const ratio = window.devicePixelRatio || 1;
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round((band + gap) * layers.length * ratio);
      canvas.style.width = `${width}px`;
      canvas.style.height = `${(band + gap) * layers.length}px`;
      const g = canvas.getContext("2d");
      g.setTransform(ratio, 0, 0, ratio, 0, 0);
      g.clearRect(0, 0, width, (band + gap) * layers.length);
      // each band marks the canvas columns holding at least one offset read (thousands of offsets
      // share a column in the largest stacks), drawn as runs
      const scale = width / last.size, cell = scale > 4 ? scale - 1 : Math.max(1, scale);
      taps.forEach(({ first, last: end, offset, bitmap }, i) => {
        const y = i * (band + gap);
        g.fillStyle = "#e8eef5";
        g.fillRect(0, y, width, band);
        g.fillStyle = `hsl(${210 - (150 * i) / Math.max(1, layers.length - 1)}, 70%, 38%)`;
        if (scale >= 1) {
          for (let x = first; x <= end; x++) if (bitmap[x - offset]) g.fillRect(x * scale, y, cell, band);
          return;
        }
        let runStart = -1;
        const columns = new Uint8Array(width + 1);
        for (let x = first; x <= end; x++) if (bitmap[x - offset]) columns[Math.floor(x * scale)] = 1;
        for (let c = 0; c <= width; c++) {
          if (columns[c] && runStart < 0) runStart = c;
          if (!columns[c] && runStart >= 0) { g.fillRect(runStart, y, c - runStart, band); runStart = -1; }
        }
      });
      parts.live.textContent = title.textContent;
      container.dataset.state = JSON.stringify({ layers, sizes: fields.map((f) => f.size), jumps: fields.map((f) => f.jump),
                                                 taps: taps.map((t) => t.count) });
    });
    update();
  }


  // --- 5. a kernel on the photograph ---------------------------------------------------------------

  // The photograph arrives as a lossless image (8-bit RGB, as convlab reads it); the page turns it
  // into grayscale with convlab.photograph's own weights, in float64.
  async function decodePhoto(data) {
    const bytes = Uint8Array.from(atob(data.photo.split(",", 2)[1]), (ch) => ch.charCodeAt(0));
    const bitmap = await createImageBitmap(new Blob([bytes], { type: data.photo.slice(5, data.photo.indexOf(";")) }),
                                           { colorSpaceConversion: "none", premultiplyAlpha: "none" });
    const h = bitmap.height, w = bitmap.width;
    const scratch = el("canvas", { width: w, height: h }).getContext("2d", { willReadFrequently: true });
    scratch.drawImage(bitmap, 0, 0);
    const rgba = scratch.getImageData(0, 0, w, h).data;
    const [wr, wg, wb] = data.luma;
    const gray = new Float64Array(h * w);
    for (let i = 0; i < h * w; i++) gray[i] = (rgba[4 * i] / 255) * wr + (rgba[4 * i + 1] / 255) * wg + (rgba[4 * i + 2] / 255) * wb;
    return { gray, h, w, rgba };
  }

  // corr2d on a flat image: out[i, j] = sum K[a, b] X[i + a, j + b]
  function corr2dFlat(X, h, w, K) {
    const kh = K.length, kw = K[0].length, oh = h - kh + 1, ow = w - kw + 1;
    const out = new Float64Array(oh * ow);
    for (let a = 0; a < kh; a++) {
      for (let b = 0; b < kw; b++) {
        const k = K[a][b];
        if (k === 0) continue;
        for (let i = 0; i < oh; i++) {
          const src = (i + a) * w + b, dst = i * ow;
          for (let j = 0; j < ow; j++) out[dst + j] += k * X[src + j];
        }
      }
    }
    return { out, oh, ow };
  }

  const lut = (hex) => Uint8Array.from(hex.match(/../g), (byte) => parseInt(byte, 16));

  function kernelOnPhoto(container, data) {
    const parts = frame(container, S.live);
    const loading = el("p", { text: S.loading });
    parts.views.append(loading);
    decodePhoto(data).then((photo) => { loading.remove(); kernelOnPhotoReady(container, data, parts, photo); });
  }

  function kernelOnPhotoReady(container, data, parts, photo) {
    const names = Object.keys(data.kernels);
    const choice = select("kernel", S.kernelChoice, [...names, "custom"].map((n) => [n, S.kernelNames[n] || n]),
                          data.kernel, () => { pickNamed(); update(); });
    const custom = data.custom.map((row) => row.slice());
    const entries = el("div", { class: "cl-entries", style: "grid-template-columns: repeat(3, auto)" });
    const inputs = [];
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        const id = nextId(`k${i}${j}`);
        const input = el("input", { type: "number", id, step: 1, value: custom[i][j], "data-control": `k${i}${j}` });
        input.addEventListener("input", () => {
          const v = Number(input.value);
          if (input.value === "" || !Number.isFinite(v)) return;
          custom[i][j] = v;
          choice.input.value = "custom";  // editing a number makes the kernel custom
          update();
        });
        inputs.push(input);
        entries.append(el("div", { class: "cl-control" }, el("label", { for: id, text: S.entry(i, j) }), input));
      }
    }
    // a named 3 x 3 kernel shows its numbers in the entries, ready to be edited
    const pickNamed = () => {
      const K = data.kernels[choice.input.value];
      if (!K || K.length !== 3 || K[0].length !== 3) return;
      for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) { custom[i][j] = K[i][j]; inputs[3 * i + j].value = K[i][j]; }
    };
    const { h, w } = photo;
    const probeRow = slider("probe_row", S.probeRow, 0, h - 1, data.row, () => update());
    const probeCol = slider("probe_col", S.probeCol, 0, w - 1, data.col, () => update());
    parts.controls.append(choice.wrap, el("p", { class: "cl-sub", text: S.customKernel }), entries, probeRow.wrap, probeCol.wrap);

    const size = Math.min(h, 300);
    // each picture: its canvas, and the probe's outline as an element over it (moving the probe
    // redraws no pixels)
    const picture = (caption) => {
      const canvas = el("canvas", { class: "cl-photo", role: "img", "aria-label": caption });
      canvas.style.width = `${size}px`;
      const probe = el("div", { class: "cl-probe", "aria-hidden": "true" });
      const figure = el("figure", { class: "cl-figure" }, el("div", { class: "cl-over" }, canvas, probe),
                        el("figcaption", { text: caption }));
      return { canvas, figure, probe, caption: figure.lastChild };
    };
    const input = picture(S.photo(h, w)), fmap = picture(S.fmap(h - 2, w - 2));
    input.canvas.width = w;
    input.canvas.height = h;
    input.canvas.style.height = `${(size * h) / w}px`;
    const kernelGrid = new Grid(S.kernel), windowGrid = new Grid(S.window);
    parts.views.append(input.figure, fmap.figure, kernelGrid.table, windowGrid.table);
    const stats = el("p", { class: "cl-stats" });
    parts.notes.append(el("p", { text: S.probeHelp }), stats);
    const photoPixels = new ImageData(w, h);
    for (let i = 0, px = photoPixels.data; i < h * w; i++) {
      const v = Math.round(photo.gray[i] * 255);
      px[4 * i] = px[4 * i + 1] = px[4 * i + 2] = v;
      px[4 * i + 3] = 255;
    }
    input.canvas.getContext("2d").putImageData(photoPixels, 0, 0);
    const words = (hex) => {
      const rgb = lut(hex), rgba = new Uint8Array(256 * 4);
      for (let t = 0; t < 256; t++) rgba.set([rgb[3 * t], rgb[3 * t + 1], rgb[3 * t + 2], 255], 4 * t);
      return new Uint32Array(rgba.buffer);
    };
    const signedLut = words(data.colormaps.signed), magnitudeLut = words(data.colormaps.magnitude);
    // the probe's outline, 3 CSS px around the cells it covers
    const place = (probe, r, c, kh, kw, rows, cols) => {
      const sx = size / cols, sy = (size * rows) / cols / rows;
      probe.style.left = `${c * sx - 3}px`;
      probe.style.top = `${r * sy - 3}px`;
      probe.style.width = `${kw * sx + 6}px`;
      probe.style.height = `${kh * sy + 6}px`;
    };
    let mapOf = null, map = null, pixels = null;  // the feature map of the kernel last drawn

    const update = timed(container, () => {
      const name = choice.input.value;
      const K = name === "custom" ? custom : data.kernels[name];
      const kh = K.length, kw = K[0].length;
      const key = JSON.stringify(K);
      if (key !== mapOf) {
        // a new kernel: the map, its statistics and its pixels (a probe move reuses them)
        mapOf = key;
        const { out, oh, ow } = corr2dFlat(photo.gray, h, w, K);
        let lo = Infinity, hi = -Infinity, sum = 0, kernelSum = 0;
        for (let i = 0; i < out.length; i++) { const v = out[i]; if (v < lo) lo = v; if (v > hi) hi = v; sum += v; }
        for (const row of K) for (const v of row) kernelSum += v;
        // colours as the book's figures: signed maps (kernels summing to 0) on a diverging scale
        // centred on 0, others from 0 up; the scale ends at about the 99.5th percentile of |values|
        const signed = Math.abs(kernelSum) < 1e-9;
        const step = Math.max(1, Math.floor(out.length / 4096)), sample = [];
        for (let i = 0; i < out.length; i += step) sample.push(Math.abs(out[i]));
        sample.sort((a, b) => a - b);
        const bound = sample[Math.floor(0.995 * (sample.length - 1))] || Math.max(Math.abs(lo), Math.abs(hi)) || 1;
        const low = signed ? -bound : Math.min(lo, 0), top = signed ? bound : (bound > low ? bound : low + 1);
        const colours = signed ? signedLut : magnitudeLut;
        if (!pixels || pixels.width !== ow || pixels.height !== oh) {
          pixels = new ImageData(ow, oh);
          fmap.canvas.width = ow;
          fmap.canvas.height = oh;
          fmap.canvas.style.height = `${(size * oh) / ow}px`;
        }
        // one 32-bit store per pixel: the colour map as RGBA words in the machine's byte order
        const px = new Uint32Array(pixels.data.buffer), scale = 256 / (top - low);
        for (let i = 0; i < out.length; i++) {
          const t = ((out[i] - low) * scale) | 0;
          px[i] = colours[t < 0 ? 0 : t > 255 ? 255 : t];
        }
        fmap.canvas.getContext("2d").putImageData(pixels, 0, 0);
        map = { out, oh, ow, lo, hi, mean: sum / out.length, signed };
      }
      const { out, oh, ow, lo, hi, mean, signed } = map;
      // the probe stays inside the feature map (a 1 x 2 kernel's map is wider than a 3 x 3's)
      probeRow.input.max = oh - 1;
      probeCol.input.max = ow - 1;
      const r = Math.min(probeRow.value(), oh - 1), c = Math.min(probeCol.value(), ow - 1);
      probeRow.set(r);
      probeCol.set(c);
      place(fmap.probe, r, c, 1, 1, oh, ow);
      place(input.probe, r, c, kh, kw, h, w);
      fmap.caption.textContent = S.fmap(oh, ow);
      kernelGrid.ensure(kh, kw);
      windowGrid.ensure(kh, kw);
      const terms = [];
      for (let a = 0; a < kh; a++) {
        for (let b = 0; b < kw; b++) {
          const x = photo.gray[(r + a) * w + c + b];
          kernelGrid.set(a, b, fmt(K[a][b]), K[a][b], "");
          windowGrid.set(a, b, x.toFixed(3), x, "");
          if (K[a][b] !== 0) terms.push(`${x.toFixed(3)}·${paren(K[a][b])}`);
        }
      }
      const value = out[r * ow + c];
      stats.textContent = S.stats(oh, ow, fmt(lo), fmt(hi), fmt(mean));
      parts.live.textContent = `Y[${r}, ${c}] = ${terms.join(" + ") || "0"} = ${fmt(value)}`;
      container.dataset.state = JSON.stringify({ kernel: name, K, row: r, col: c, value, min: lo, max: hi, mean,
                                                 shape: [oh, ow], signed });
    });
    // pointing at the feature map moves the probe there
    fmap.canvas.addEventListener("click", (event) => {
      const box = fmap.canvas.getBoundingClientRect();
      probeRow.set(Math.floor(((event.clientY - box.top) / box.height) * fmap.canvas.height));
      probeCol.set(Math.floor(((event.clientX - box.left) / box.width) * fmap.canvas.width));
      update();
    });
    update();
  }

  // --- 7. learning a kernel ----------------------------------------------------------------------

  // convlab.learn_kernel's loop: the loss before each update, then K -= lr · 2 · corr2d(X, residual)
  function learnKernel(X, Y, start, lr, epochs) {
    let K = start.map((row) => row.slice());
    const losses = [];
    for (let e = 0; e < epochs; e++) {
      const predicted = corr2d(X, K);
      const residual = predicted.map((row, i) => row.map((v, j) => v - Y[i][j]));
      let loss = 0;
      for (const row of residual) for (const v of row) loss += v * v;
      losses.push(loss);
      const gradient = corr2d(X, residual);
      K = K.map((row, a) => row.map((v, b) => v - lr * 2 * gradient[a][b]));
    }
    return { K, losses };
  }

  function learnKernelExplorer(container, data) {
    const parts = frame(container, S.live);
    const [lo, hi, step] = data.lr_range;
    const id = nextId("lr");
    const decimals = Math.max(0, -Math.floor(Math.log10(step)));
    const lrInput = el("input", { type: "range", id, min: lo, max: hi, step, value: data.values.lr, "data-control": "lr" });
    const lrShown = el("output", { for: id, text: Number(data.values.lr).toFixed(decimals) });
    lrInput.addEventListener("input", () => { lrShown.textContent = Number(lrInput.value).toFixed(decimals); update(); });
    parts.controls.append(el("div", { class: "cl-control" }, el("label", { for: id, text: S.lr }), lrInput, lrShown));
    const controls = {};
    for (const name of ["epochs", "seed"]) {
      const [a, b] = data.ranges[name];
      controls[name] = slider(name, S[name], a, b, data.values[name], () => update());
      parts.controls.append(controls[name].wrap);
    }
    const lossTitle = el("p", { class: "cl-shape" });
    const curve = el("canvas", { class: "cl-field", role: "img", "aria-label": S.lossAxis });
    const kernelGrid = new Grid(""), outputGrid = new Grid(S.learnedOut);
    const lossTable = el("table", { class: "cl-table" });
    const lossDetails = el("details", {}, el("summary", { text: S.losses }), lossTable);
    parts.views.append(el("div", { class: "cl-stack" }, lossTitle, curve, lossDetails), kernelGrid.table, outputGrid.table);
    const warning = el("p", { class: "cl-note" });
    parts.notes.append(warning);

    const update = timed(container, () => {
      const lr = Number(lrInput.value), epochs = controls.epochs.value(), seed = controls.seed.value();
      const { K, losses } = learnKernel(data.image, data.target, data.starts[seed - data.ranges.seed[0]], lr, epochs);
      const output = corr2d(data.image, K);
      const finite = K.every((row) => row.every(Number.isFinite));
      const diverging = (losses.length > 1 && !(losses[losses.length - 1] < losses[0])) || !finite;
      const last = losses.length ? fmt(losses[losses.length - 1]) : "-";
      lossTitle.textContent = S.lossTitle(epochs, last);
      warning.textContent = diverging ? S.diverging(data.lr_limit.toFixed(4)) : "";
      kernelGrid.ensure(K.length, K[0].length);
      kernelGrid.caption.textContent = S.learned(epochs);
      K.forEach((row, a) => row.forEach((v, b) => kernelGrid.set(a, b, Number.isFinite(v) ? fmtFixed(v, 3) : fmt(v), v, "")));
      outputGrid.ensure(output.length, output[0].length);
      output.forEach((row, i) => row.forEach((v, j) => outputGrid.set(i, j, Number.isFinite(v) ? fmtFixed(v, 2) : fmt(v), v, "")));
      lossTable.replaceChildren(el("tr", {}, el("th", { scope: "col", text: S.epoch }), el("th", { scope: "col", text: S.loss })),
        ...losses.map((v, e) => el("tr", {}, el("td", { text: String(e) }), el("td", { text: fmt(v), "data-value": String(v) }))));
      // the loss curve on a log scale (a step size too large overflows: drawn up to the last finite loss)
      const width = 320, height = 150, ratio = window.devicePixelRatio || 1;
      curve.width = width * ratio; curve.height = height * ratio;
      curve.style.width = `${width}px`; curve.style.height = `${height}px`;
      const g = curve.getContext("2d");
      g.setTransform(ratio, 0, 0, ratio, 0, 0);
      g.fillStyle = "#fff"; g.fillRect(0, 0, width, height);
      g.strokeStyle = "#56606b"; g.strokeRect(0.5, 0.5, width - 1, height - 1);
      const shown = losses.filter((v) => Number.isFinite(v) && v > 0).map(Math.log10);
      if (shown.length) {
        const top = Math.max(...shown), bottom = Math.min(...shown), spread = top - bottom || 1;
        g.strokeStyle = diverging ? "#8b0000" : "#1f5fa8"; g.lineWidth = 2;
        g.beginPath();
        shown.forEach((v, e) => {
          const x = 6 + ((width - 12) * e) / Math.max(1, data.ranges.epochs[1] - 1), y = 6 + (height - 12) * (1 - (v - bottom) / spread);
          if (e === 0) g.moveTo(x, y); else g.lineTo(x, y);
        });
        g.stroke();
        // the scale's ends, as text on the curve
        g.fillStyle = "#1a1a1a"; g.font = "12px sans-serif";
        g.fillText(fmt(10 ** top), 8, 16);
        g.fillText(fmt(10 ** bottom), 8, height - 8);
        g.textAlign = "right";
        g.fillText(`${S.epoch} ${data.ranges.epochs[1]}`, width - 8, height - 8);
      }
      parts.live.textContent = `${lossTitle.textContent}. K = [${K[0].map(fmt).join(", ")}]` + (diverging ? `. ${warning.textContent}` : "");
      container.dataset.state = JSON.stringify({ lr: lrInput.value, epochs, seed, K, losses, output, diverging });
    });
    update();
  }

  const BUILDERS = {
    cross_correlation: crossCorrelation,
    padding_stride: paddingStride,
    pooling,
    receptive_field: receptiveFieldExplorer,
    kernel_on_photo: kernelOnPhoto,
    learn_kernel: learnKernelExplorer,
  };

  function start() {
    for (const container of containers) {
      const build = BUILDERS[container.dataset.kind];
      const script = container.querySelector('script[type="application/json"]');
      if (!build || !script || container.dataset.started) continue;
      container.dataset.started = "true";
      build(container, JSON.parse(script.textContent));
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
