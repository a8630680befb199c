// The page's download buttons (sphinx-book-theme: .ipynb and the MyST source) open in a new tab,
// where a browser shows a notebook as raw JSON. With a `download` attribute, a page served over
// HTTP(S) saves the file instead. Browsers ignore `download` on file:// pages, so a site opened
// from disk tells its reader how to get the notebook.
document.addEventListener("DOMContentLoaded", () => {
  const buttons = document.querySelectorAll(
    "a.btn-download-notebook-button, a.btn-download-source-button");
  for (const link of buttons) {
    link.setAttribute("download", decodeURIComponent(link.pathname.split("/").pop()));
    link.removeAttribute("target");
  }
  const notebook = document.querySelector("a.btn-download-notebook-button");
  if (window.location.protocol !== "file:" || !notebook) return;
  const note = document.createElement("li");
  note.className = "download-file-note";
  const path = decodeURIComponent(new URL(notebook.href).pathname);
  note.textContent = "This site is open from a file, so the browser shows the notebook instead " +
    "of saving it: save that page with Ctrl+S (Cmd+S on a Mac), or copy the file " +
    path.slice(path.lastIndexOf("/_sources/") + 1) + " from the site's folder. " +
    "The student kit, linked on the start page, holds every chapter as a notebook.";
  notebook.closest("ul").append(note);
});
