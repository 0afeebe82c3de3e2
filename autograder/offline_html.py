"""HTML pages whose formulas render without a network connection.

nbconvert's HTML leaves TeX between `$...$` in the page and loads MathJax from a CDN to
typeset it; a student reading feedback offline sees the raw TeX. OfflineHTMLExporter
converts the TeX to MathML while rendering (browsers display MathML natively) and drops
the MathJax loader. A drop-in for HTMLExporter: it reads the same `HTMLExporter` config,
so nbgrader's `feedback` template and GenerateFeedback's settings apply unchanged.
"""
import html
import logging
import re
from xml.etree.ElementTree import tostring

from jinja2 import DictLoader, pass_context
import nbformat
from latex2mathml.converter import convert_to_element
from nbconvert.exporters import HTMLExporter
from nbconvert.filters.markdown_mistune import InvalidNotebook, IPythonRenderer, MarkdownWithMath

from .sanitize import clean_markdown_html, page_notebook, valid_text, with_csp

log = logging.getLogger(__name__)

# A run of primes, with the superscript that may follow it (f''^2); \text{...} is left alone.
_PRIMES = re.compile(r"(\\text\{[^{}]*\})|(?<!\\)('+)(?:\^(\{[^{}]*\}|\\[A-Za-z]+|[^\s{}\\]))?")
# latex2mathml lays out only the starred align as a table; the others show a literal `&`.
_ALIGN = re.compile(r"\\(begin|end)\{align(?:ed)?\}")
# latex2mathml writes symbols as `&#x2032;` text, which serialising escapes to `&amp;#x2032;`.
_ENTITY = re.compile(r"&amp;(#x[0-9A-Fa-f]+;)")
# nbconvert's `mathjax()` macro (base/mathjax.html.j2), emptied: templates still import it.
_NO_MATHJAX = DictLoader({"mathjax.html.j2": "{%- macro mathjax(url=None) -%}{%- endmacro %}"})
# nbgrader's feedback template announces the macro in a comment: leave no trace of MathJax.
_MATHJAX_COMMENT = re.compile(r"[ \t]*<!-- Loading mathjax macro -->\n?")
# Bootstrap's icon font, which the page never uses: its url()s would be the page's only requests.
_FONT_FACE = re.compile(r"@font-face\s*\{[^}]*\}")


def normalize_primes(tex):
    """`f'''` as `f^{\\prime\\prime\\prime}`: latex2mathml 3.78.1 reads each prime as a
    superscript and fails on two in a row (DoubleSuperscriptsError)."""

    def replace(m):
        if m.group(1):
            return m.group(1)
        exponent = (m.group(3) or "").removeprefix("{").removesuffix("}")
        return "^{" + r"\prime" * len(m.group(2)) + (" " + exponent if exponent else "") + "}"

    return _PRIMES.sub(replace, tex)


def tex_to_html(tex, display="inline"):
    """MathML for a formula; if latex2mathml cannot parse it, the TeX as code (never `$`)."""
    try:
        prepared = _ALIGN.sub(r"\\\1{align*}", normalize_primes(tex.strip()))
        math = convert_to_element(prepared, display=display)
    except Exception as error:  # latex2mathml raises many exception types, not one base
        log.warning("cannot convert TeX to MathML (%s: %s): %r", type(error).__name__, error, tex)
        return f'<code class="tex">{html.escape(tex.strip(), quote=False)}</code>'
    # HTML needs no namespace on <math>; and with one, nbconvert's heading anchors (ElementTree)
    # would write an `ns0:` prefix that browsers do not take for MathML.
    del math.attrib["xmlns"]
    # Not latex2mathml's convert(): it unescapes the whole page, so `\text{a<b}` would be markup.
    return _ENTITY.sub(r"&\1", tostring(math, encoding="unicode"))


class StudentMarkdownRenderer(IPythonRenderer):
    """nbconvert's Markdown renderer, for a student's Markdown: an image naming an attachment the
    cell does not have (or whose data the sanitiser dropped) is left without its source, where
    nbconvert raised and the whole page was lost."""

    def _embed_image_or_attachment(self, src):
        try:
            return super()._embed_image_or_attachment(src)
        except InvalidNotebook:
            return ""


def formgrader_markdown2html(source):
    """The Markdown filter of Formgrader's own pages (set in nbgrader_config.py), sanitised: its
    manual-grading view renders each student's Markdown with nbgrader's formgrade template, which
    applies no sanitiser to Markdown (a <script> there ran code as the instructor). Math stays
    TeX, for that page's MathJax."""
    renderer = StudentMarkdownRenderer(escape=False)
    return clean_markdown_html(MarkdownWithMath(renderer=renderer).render(valid_text(source)))


class MathMLRenderer(StudentMarkdownRenderer):
    """nbconvert's Markdown renderer, with math as MathML instead of TeX for MathJax."""

    def inline_math(self, body):
        return tex_to_html(body, "inline")

    def block_math(self, body):
        return tex_to_html(body, "block")

    def latex_environment(self, name, body):
        return tex_to_html(f"\\begin{{{name}}}{body}\\end{{{name}}}", "block")


# The verdict's colours (autograder.job.verdict_html writes classes: student HTML has no style).
_VERDICT_CSS = ("<style>.autograder-verdict td.case-passed{color:#1a7f37}"
                ".autograder-verdict td.case-failed{color:#cf222e}</style>")


class OfflineHTMLExporter(HTMLExporter):
    """HTMLExporter whose pages need no network for math (MathML, no MathJax) and are safe to
    open anywhere: the student's content sanitised (autograder.sanitize) and a
    Content-Security-Policy that allows no script and no request."""

    def __init__(self, config=None, **kw):
        super().__init__(config=config, **kw)
        # Tried before the template directories, so it survives whatever extra_template_paths
        # GenerateFeedback sets; loaders passed in keep their precedence.
        self.extra_loaders = [*self.extra_loaders, _NO_MATHJAX]
        # nbconvert's own sanitiser (bleach, set for Formgrader's views in nbgrader_config.py)
        # would strip the MathML; this exporter sanitises with its own allow-list instead.
        self.sanitize_html = False
        # nbgrader_config.py gives Formgrader's HTMLExporter a sanitised Markdown filter (MathJax
        # TeX); this exporter's own, with MathML, is the one it must keep.
        self.filters = {name: f for name, f in self.filters.items() if name != "markdown2html"}

    @pass_context
    def markdown2html(self, context, source):
        """HTMLExporter.markdown2html with MathMLRenderer in place of IPythonRenderer."""
        cell = context.get("cell", {})
        renderer = MathMLRenderer(
            escape=False,
            attachments=cell.get("attachments", {}),
            embed_images=self.embed_images,
            path=context.get("resources", {}).get("metadata", {}).get("path", ""),
            anchor_link_text=self.anchor_link_text,
            exclude_anchor_links=self.exclude_anchor_links,
            **self.lexer_options,
        )
        return clean_markdown_html(MarkdownWithMath(renderer=renderer).render(source))

    def from_notebook_node(self, nb, resources=None, **kw):
        """The page of a sanitised copy of `nb` (before any preprocessor, so grades and comments
        are only what GetGrades or FillGrades set from the gradebook), cut to the feedback's size
        budget (autograder.feedback.within_budget), with the policy first in
        its head and without the comment nbgrader's template leaves where MathJax was."""
        from .feedback import within_budget
        safe = within_budget(page_notebook(nbformat.from_dict(nb)))
        output, resources = super().from_notebook_node(safe, resources, **kw)
        page = with_csp(_FONT_FACE.sub("", _MATHJAX_COMMENT.sub("", output)))
        return page.replace("</head>", _VERDICT_CSS + "\n</head>", 1), resources
