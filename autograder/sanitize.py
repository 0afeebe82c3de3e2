"""Student content made safe to show: what a student writes is hostile HTML.

A feedback page (or Formgrader's view of an autograded notebook) is opened on Jupyter's origin,
where a script could start a kernel as the instructor. Everything a student controls reaches it:
Markdown cells (raw HTML, links, TeX), outputs their code produced (text/html, JavaScript, SVG,
widget views, output metadata), cell metadata (nbgrader's `comment`, `score`, `points`) and
attachments. This module is the one place that decides what of it survives:

* `kernel_outputs`: outputs from the student's kernel keep only inert data: text, streams,
  errors, and PNG/JPEG images whose base64 is checked (a quote in it would end the `src`
  attribute). Active types are dropped with a note, output metadata always.
* `clean_markdown_html`: rendered Markdown through an allow-list sanitiser (nh3, Ammonia):
  ordinary HTML and the MathML our TeX becomes, no script, no style, no event attributes,
  links only to http(s), mailto and the page itself, images only as data.
* `clean_output_html`: HTML outputs (only the grader's verdict survives to the page) through a
  stricter allow-list.
* `student_cell_metadata`: nothing of the student's metadata; grades and comments come only
  from the gradebook.
* `with_csp`: every page we write says, first thing, that it runs no script and loads nothing.
"""
import base64
import binascii
import re

import nh3
from nbformat.v4 import new_output
from pygments.token import STANDARD_TYPES

# The page loads nothing and runs nothing: inline styles (nbgrader's template) and data images only.
CSP = ("default-src 'none'; script-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
       "base-uri 'none'; form-action 'none'")
CSP_META = f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'

DROPPED = "[output not shown here:"
# Ids in a student's Markdown (its headings' anchors) are prefixed, so that none is taken for one of
# the page's own: nbgrader's cells carry their grade_id as id, and Formgrader finds a cell's score
# box by it.
STUDENT_ID_PREFIX = "md-"
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_BASE64 = re.compile(r"[A-Za-z0-9+/=\s]*")

_HTML_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "details", "div", "dl", "dt",
    "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p",
    "pre", "q", "s", "samp", "small", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td",
    "tfoot", "th", "thead", "tr", "u", "ul", "var",
}
# What latex2mathml writes (autograder.offline_html); no href, style, class or colour.
_MATHML_TAGS = {
    "math", "menclose", "merror", "mfrac", "mi", "mmultiscripts", "mn", "mo", "mover", "mpadded",
    "mphantom", "mprescripts", "mroot", "mrow", "ms", "mspace", "msqrt", "mstyle", "msub", "msubsup",
    "msup", "mtable", "mtd", "mtext", "mtr", "munder", "munderover", "none", "semantics",
}
_MATHML_ATTRIBUTES = {
    "accent", "accentunder", "columnalign", "columnlines", "columnspacing", "depth", "display",
    "displaystyle", "fence", "form", "frame", "height", "largeop", "linethickness", "lspace",
    "mathsize", "mathvariant", "maxsize", "minsize", "movablelimits", "notation", "rowalign",
    "rowlines", "rowspacing", "rspace", "scriptlevel", "separator", "stretchy", "symmetric", "width",
}
_MARKDOWN_ATTRIBUTES = {
    "a": {"href", "title", "class"}, "img": {"src", "alt", "title", "width", "height"},
    "td": {"align", "colspan", "rowspan"}, "th": {"align", "colspan", "rowspan"},
    "ol": {"start"}, "details": {"open"},
    # Pygments' highlighting of code blocks: class names, styled by the page
    **{tag: {"class"} for tag in ("code", "div", "pre", "span")},
    # nbconvert's heading anchors: <h2 id=...><a class="anchor-link" href="#...">
    **{h: {"id"} for h in ("h1", "h2", "h3", "h4", "h5", "h6")},
    **{tag: _MATHML_ATTRIBUTES for tag in _MATHML_TAGS},
}
_OUTPUT_TAGS = {"b", "br", "code", "div", "em", "i", "li", "ol", "p", "pre", "span", "strong", "table",
                "tbody", "td", "th", "thead", "tr", "ul"}
# The verdict's classes (autograder.job.verdict_html); the page's CSS gives them colour.
VERDICT_CLASSES = {"autograder-verdict", "case-passed", "case-failed"}
# A size in TeX's units, as latex2mathml writes spaces and rules: never an overlay's worth, never
# negative (which would pull text over other text).
_LENGTH = re.compile(r"(?P<number>\d{0,2}(\.\d+)?)(?P<unit>em|ex|pt|mu|%)?")
_LENGTH_LIMIT = {"em": 10, "ex": 20, "pt": 100, "mu": 180, "%": 300, None: 10}
# Class names a page may keep: Pygments' token classes (highlighted code) and the few our pages
# and nbconvert's renderer write. Not Bootstrap's, whose modal-backdrop or navbar-fixed-top would
# let a student lay a fixed box with a fake score over the page.
_PAGE_CLASSES = set(STANDARD_TYPES.values()) - {""} | {"highlight", "anchor-link", "tex"}
_HIGHLIGHT_LANGUAGE = re.compile(r"hl-[A-Za-z0-9_+-]{1,30}")
_IMAGE_DATA = re.compile(r"data:image/(png|jpeg|gif);base64,[A-Za-z0-9+/=\s]*")


def _markdown_attribute(tag, name, value):
    if name == "href":
        if value.startswith("#"):  # to a heading of the student's: its id carries the prefix
            return "#" + STUDENT_ID_PREFIX + value[1:]
        return value if value.startswith(("http://", "https://", "mailto:")) else None
    if name == "src":
        return value if _IMAGE_DATA.fullmatch(value) else None
    if tag in _MATHML_TAGS and name in ("width", "height", "depth", "lspace", "rspace", "mathsize",
                                        "minsize", "maxsize"):
        m = _LENGTH.fullmatch(value.strip())
        if not m or not m["number"] or float(m["number"]) > _LENGTH_LIMIT[m["unit"]]:
            return None
        return value.strip()
    if name in ("width", "height"):
        return value if value.isdigit() and int(value) <= 2000 else None
    if name == "class":
        kept = [w for w in value.split() if w in _PAGE_CLASSES or _HIGHLIGHT_LANGUAGE.fullmatch(w)]
        return " ".join(kept) or None
    if name == "id":  # headings' anchors, apart from the page's own ids (grade ids, Formgrader's)
        return STUDENT_ID_PREFIX + value[:300]
    return value


def clean_markdown_html(html):
    """Rendered Markdown (MathML included) as HTML that runs nothing and loads nothing."""
    return nh3.clean(html, tags=_HTML_TAGS | _MATHML_TAGS, attributes=_MARKDOWN_ATTRIBUTES,
                     attribute_filter=_markdown_attribute, url_schemes={"http", "https", "mailto", "data"},
                     link_rel="noopener noreferrer nofollow", strip_comments=True)


def clean_output_html(html):
    """An HTML output, reduced to text markup and the verdict's classes."""
    return nh3.clean(html, tags=_OUTPUT_TAGS, attributes={},
                     allowed_classes={"div": VERDICT_CLASSES, "td": VERDICT_CLASSES, "span": VERDICT_CLASSES},
                     strip_comments=True, url_schemes=set())


def _inert_image(value):
    text = "".join(value) if isinstance(value, list) else value
    if not isinstance(text, str) or not _BASE64.fullmatch(text):
        return None
    try:
        base64.b64decode(re.sub(r"\s", "", text), validate=True)
    except (binascii.Error, ValueError):
        return None
    return text


def _text(value):
    if isinstance(value, list):
        value = "".join(value)
    return value if isinstance(value, str) else None


def kernel_outputs(outputs):
    """Outputs a student's kernel produced, as inert data: streams and errors as text; of display
    data and results only text/plain and checked PNG/JPEG images; no output metadata. Active
    output (HTML, JavaScript, SVG, widgets, Markdown, LaTeX...) is left out, and a line says so."""
    return valid_text(_kernel_outputs(outputs))


def _kernel_outputs(outputs):
    kept = []
    for output in outputs:
        kind = output.get("output_type")
        if kind == "stream":
            text = _text(output.get("text"))
            if text is not None:
                kept.append(new_output("stream", name="stderr" if output.get("name") == "stderr" else "stdout",
                                       text=text))
        elif kind == "error":
            lines = output.get("traceback") or []
            kept.append(new_output("error", ename=str(output.get("ename", "")), evalue=str(output.get("evalue", "")),
                                   traceback=[line for line in lines if isinstance(line, str)]))
        elif kind in ("display_data", "execute_result"):
            data, dropped = {}, []
            for mime, value in (output.get("data") or {}).items():
                if mime == "text/plain" and _text(value) is not None:
                    data[mime] = _text(value)
                elif mime in ("image/png", "image/jpeg") and _inert_image(value) is not None:
                    data[mime] = _inert_image(value)
                else:
                    dropped.append(mime)
            if data:
                fields = {"execution_count": output.get("execution_count")} if kind == "execute_result" else {}
                if fields and not isinstance(fields["execution_count"], int):
                    fields["execution_count"] = None
                kept.append(new_output(kind, data=data, **fields))
            if dropped:
                kept.append(new_output("stream", name="stdout", text=f"{DROPPED} {', '.join(sorted(dropped))[:200]}]\n"))
    return kept


def with_csp(page):
    """The page with our Content-Security-Policy as the first thing in its head (a policy in a
    meta element covers only what follows it)."""
    head = re.search(r"<head[^>]*>", page, re.IGNORECASE)
    if head is None:
        return CSP_META + page
    return page[:head.end()] + "\n" + CSP_META + page[head.end():]


def page_outputs(outputs):
    """Outputs as a page shows them: inert data as `kernel_outputs` keeps it, and HTML (by then
    only the grader's verdict: the job keeps no student HTML) through `clean_output_html`."""
    kept = []
    for output in outputs:
        html = (output.get("data") or {}).get("text/html") if output.get("output_type") in (
            "display_data", "execute_result") else None
        if _text(html) is None:
            kept += kernel_outputs([output])
            continue
        plain = dict(output, data={k: v for k, v in output["data"].items() if k != "text/html"})
        inert = [o for o in kernel_outputs([plain]) if o["output_type"] != "stream"] or [
            new_output(output["output_type"], data={},
                       **({"execution_count": None} if output["output_type"] == "execute_result" else {}))]
        inert[0]["data"]["text/html"] = clean_output_html(_text(html))
        kept += inert
    return kept


_GRADE_KEYS = ("grade", "grade_id", "locked", "schema_version", "solution", "task", "cell_type")


def page_notebook(nb):
    """A copy of the notebook fit to render for anyone: outputs through `page_outputs`; Markdown
    attachments only as checked PNG/JPEG/GIF; of the cell metadata only nbgrader's own keys, and
    never a score or a comment (GetGrades or FillGrades set those from the gradebook); no widget
    state (it would load a widget manager from a CDN)."""
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader")
        cell["metadata"] = {}
        if isinstance(meta, dict):
            cell["metadata"]["nbgrader"] = {k: meta[k] for k in _GRADE_KEYS if k in meta}
        if cell.get("cell_type") == "code":
            cell["outputs"] = page_outputs(cell.get("outputs", []))
        if "attachments" in cell:
            bundles = {
                name: {mime: _inert_image(value) for mime, value in bundle.items()
                       if mime in ("image/png", "image/jpeg", "image/gif") and _inert_image(value)}
                for name, bundle in (cell["attachments"] or {}).items() if isinstance(bundle, dict)}
            cell["attachments"] = {name: bundle for name, bundle in bundles.items() if bundle}
        if cell.get("cell_type") == "raw":  # shown as the text it is (raw HTML would go out as it is)
            cell["cell_type"], text = "markdown", cell.get("source", "")
            fence = "`" * max(3, 1 + max((len(m) for m in re.findall("`+", text)), default=0))
            cell["source"] = f"{fence}\n{text}\n{fence}"
            cell.pop("attachments", None)
    return nb


def strip_submitted_metadata(nb, known_grade_ids):
    """A submitted notebook as nbgrader may read it: of each cell's metadata only nbgrader's own
    keys, and only on cells whose grade_id the source has (nbgrader then overwrites those from
    the source); no score or comment of the student's. Unknown keys would make nbgrader's
    checks fail for that student; a made-up grade cell would show as the instructor's."""
    for cell in well_formed_metadata(nb).cells:
        meta = cell.get("metadata", {}).get("nbgrader")
        cell["metadata"] = {}
        if isinstance(meta, dict) and meta.get("grade_id") in known_grade_ids:
            cell["metadata"]["nbgrader"] = {k: meta[k] for k in (*_GRADE_KEYS, "points", "checksum") if k in meta}
    return nb


def valid_text(value):
    """`value` (text, or lists and dicts of it) with every lone UTF-16 surrogate made U+FFFD. JSON
    may carry "\\ud800", which Python decodes but cannot write as UTF-8: one such character in a
    student's notebook or output stopped the whole run when its page was written."""
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value) if _LONE_SURROGATE.search(value) else value
    if isinstance(value, list):
        return [valid_text(v) for v in value]
    if isinstance(value, dict):
        return type(value)((valid_text(k), valid_text(v)) for k, v in value.items())
    return value


def well_formed_metadata(nb):
    """The student's notebook with metadata of the shapes nbgrader's code expects: a dict per cell,
    nbgrader's a dict, its grade_id text. A list, or a grade_id that is a list, made nbgrader's own
    commands (and the grader's lookups) fail with a TypeError."""
    for cell in nb.get("cells", []):
        meta = cell.get("metadata")
        if not isinstance(meta, dict):
            cell["metadata"] = meta = {}
        grading = meta.get("nbgrader")
        if "nbgrader" in meta and not (isinstance(grading, dict) and isinstance(grading.get("grade_id", ""), str)):
            meta.pop("nbgrader")
    return nb

