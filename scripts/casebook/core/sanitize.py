"""Case page HTML -> safe HTML: an explicit allowlist applied by nh3 (the Ammonia binding).

What Markdown and the enabled extensions (mkdocs.yml: admonition, attr_list, def_list, md_in_html,
tables, toc, pymdownx emoji/superfences/snippets) produce is allowed; everything else is removed:
unknown tags (with the content of script-like ones), event handlers, `style`, every attribute
that can fetch (`srcset`, `poster`, `background`, `ping` ...), every URL scheme but http(s),
mailto and tel, any image source that is not a path inside the site. The validator reads the
same tables (CONTRIBUTOR_TAGS, attribute_allowed ...), so it reports at its line what would go.

Pure: strings in, strings out.
"""

from __future__ import annotations

import html
import re
from collections import Counter

import nh3

from . import scan
from .rules import LINK_SCHEMES, SCRIPT_SCHEMES, off_site, plain_url
from .schema import BIDI_RANGES, RESERVED_NAME_PREFIXES

# What Markdown and the extensions produce, plus a few harmless inline tags contributors use.
CONTRIBUTOR_TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "details", "div",
    "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
    "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "small", "span", "strong", "sub",
    "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
})
# Icons from `:material-...:` shortcodes are inline SVG (svg + path, nothing else): the page may
# hold them, a contributor does not write them by hand.
TAGS = CONTRIBUTOR_TAGS | {"svg", "path"}
# Removed together with their content (the text of a script is not prose).
DROP_WITH_CONTENT = frozenset({
    "script", "style", "template", "noscript", "iframe", "object", "embed", "frame", "frameset",
    "noembed", "noframes", "xmp", "textarea", "select", "title", "math",
})
# Elements that act on the page, in a body (E401) or an SVG file (E412): run script, show or fetch
# another document, change where the page's links go, or send what a reader types elsewhere.
ACTIVE_ELEMENTS = frozenset({
    "script", "iframe", "frame", "frameset", "embed", "object", "applet", "portal", "meta", "link", "base", "form",
})

ATTRIBUTES: dict[str, set[str]] = {
    "*": {"id", "class", "title"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height", "loading", "align"},
    "td": {"align", "colspan", "rowspan"},
    "th": {"align", "colspan", "rowspan", "scope"},
    "ol": {"start"},
    "details": {"open"},
    "div": {"data-search-exclude"},  # keeps the related-cases block out of search
    "svg": {"xmlns", "viewBox"},
    "path": {"d"},
}
# md_in_html's `markdown` switch is consumed before the page is made: fine in a body's raw HTML.
CONTRIBUTOR_EXTRA = frozenset({"markdown"})
URL_SCHEMES = frozenset(LINK_SCHEMES)
URL_ATTRIBUTES = frozenset({"href", "src"})
LINK_REL = "noopener noreferrer"

# Names the site itself uses: Material reads its configuration from #__config and mounts its
# widgets by md-* classes, so a body must not be able to pose as them.
_RESERVED_NAME = re.compile("^(?:" + "|".join(map(re.escape, RESERVED_NAME_PREFIXES)) + ")", re.I)
_CLASS = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
# The classes Word and WPS paste (MsoNormal, MsoTableGrid ...): no meaning on the site.
_WORD_CLASS = re.compile(r"^mso", re.I)
# A twemoji shortcode (`:smile:`) becomes <img class="twemoji" src="https://cdn..."> : a request to
# a CDN. Its source is dropped; the image is replaced by its alt text, the emoji itself.
_SRCLESS_EMOJI = re.compile(r'<img alt="([^"<>]*)" class="twemoji"(?: title="[^"]*")?>')
# nh3's output quotes every attribute value with " (a " inside is &quot;): a start tag is exact.
_A_TAG = re.compile(r'<a((?: [^\s"=>]+(?:="[^"]*")?)*)>')
_HREF = re.compile(r' href="([^"]*)"')


def attribute_allowed(tag: str | None, attr: str) -> bool:
    """Whether a body may give `attr` to `tag` (None: an attr_list, whose element is not known)."""
    attr = attr.lower()
    if attr in CONTRIBUTOR_EXTRA or attr in ATTRIBUTES["*"]:
        return True
    if tag is None:
        return any(attr in ATTRIBUTES.get(t, ()) for t in CONTRIBUTOR_TAGS)
    return attr in ATTRIBUTES.get(tag.lower(), ())


def allowed_attributes(tag: str) -> list[str]:
    return sorted(ATTRIBUTES["*"] | ATTRIBUTES.get(tag, set()))


def reserved_name(value: str) -> bool:
    """An id or class the site's own markup and scripts use (`__config`, `md-header` ...)."""
    return bool(_RESERVED_NAME.match(value.strip()))


def _filter(tag: str, attr: str, value: str) -> str | None:
    if attr == "class":
        kept = [c for c in value.split() if _CLASS.match(c) and not reserved_name(c) and not _WORD_CLASS.match(c)]
        return " ".join(kept) or None
    if attr == "id":
        return None if reserved_name(value) else value
    if attr == "src" and off_site(value):
        return None
    return value


def clean_tag(name: str, attrs: list[tuple[str, str | None]]) -> list[tuple[str, str]] | None:
    """The sanitiser's verdict on one start tag, wherever it stands: None when `clean` removes the
    tag, else the attributes it keeps, in order, with the values it gives them. The same tables and
    filter as `clean`; whether a URL survives is asked of nh3 itself."""
    name = name.lower()
    if name not in TAGS:
        return None
    kept = []
    for attr, value in attrs:
        attr = attr.lower()
        if attr not in ATTRIBUTES["*"] and attr not in ATTRIBUTES.get(name, ()):
            continue
        value = _filter(name, attr, value or "")
        if value is None or (attr in URL_ATTRIBUTES and not _url_kept(name, attr, value)):
            continue
        kept.append((attr, value))
    return kept


def _url_kept(tag: str, attr: str, url: str) -> bool:
    probe = nh3.clean(f'<{tag} {attr}="{html.escape(url)}">', tags={tag}, attributes={tag: {attr}},
                      url_schemes=set(URL_SCHEMES), link_rel=None)
    return f' {attr}="' in probe


def start_tag(name: str, attrs: list[tuple[str, str]], self_closing: bool = False) -> str:
    """A start tag as text (what `validate --fix` writes in place of a contributor's tag)."""
    shown = "".join(f' {a}="{html.escape(v)}"' for a, v in attrs)
    return f"<{name}{shown}{' /' if self_closing else ''}>"


def clean(fragment: str) -> str:
    """Sanitise the HTML of a case page's content (what MkDocs puts inside the article)."""
    out = nh3.clean(
        fragment,
        tags=set(TAGS),
        clean_content_tags=set(DROP_WITH_CONTENT),
        attributes={k: set(v) for k, v in ATTRIBUTES.items()},
        attribute_filter=_filter,
        url_schemes=set(URL_SCHEMES),
        link_rel=None,
        strip_comments=True,
    )
    out = _SRCLESS_EMOJI.sub(lambda m: m.group(1), out)
    return _A_TAG.sub(_outbound_rel, out) if "<a " in out else out


def _outbound_rel(m: re.Match) -> str:
    """Links that leave the site get rel="noopener noreferrer" (rel itself is not allowed in)."""
    href = _HREF.search(m.group(1))
    if href and off_site(href.group(1)):
        return f'<a{m.group(1)} rel="{LINK_REL}">'
    return m.group(0)


def clean_text(fragment: str) -> str:
    """HTML text with no tags at all (a TOC entry): entities stay escaped."""
    return nh3.clean(fragment, tags=set(), clean_content_tags=set(DROP_WITH_CONTENT))


def start_tags(fragment: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    """Every start tag of an HTML fragment with its attributes (values decoded), in order, as a
    browser reads them (scan.html_tags)."""
    return [(name, attrs) for kind, name, attrs in scan.html_tags(fragment) if kind != "/"]


def tag_removals(name: str, attrs: list[tuple[str, str | None]]) -> list[tuple[str, str]]:
    """What `clean` takes from one start tag, in `removals`' terms: [("font", "")] for a tag
    it removes (its attributes go with it), [("p[style]", value)] for each attribute it removes or
    changes."""
    kept = clean_tag(name, attrs)
    if kept is None:
        return [(name, "")] + [(_attr_key(name, a), v or "") for a, v in attrs if a != "rel"]
    keep = set(kept)
    return [(_attr_key(name, a), v or "") for a, v in attrs if a != "rel" and (a, v or "") not in keep]


def _census(fragment: str) -> dict[tuple[str, str], int]:
    """Start tags and their attributes with values, counted: what a sanitiser can take away or
    change (an attribute whose value changed counts as removed)."""
    seen: dict[tuple[str, str], int] = {}
    for tag, attrs in start_tags(fragment):
        if tag == "img" and ("class", "twemoji") in attrs:
            continue  # replaced by its emoji on purpose
        for key in [(tag, "")] + [(_attr_key(tag, name), value or "") for name, value in attrs if name != "rel"]:
            seen[key] = seen.get(key, 0) + 1
    return seen


# Start tags with their attributes, valueless ones included (`<span markdown>`): C-speed regexes
# over the markup Python-Markdown and nh3 write, for the fast path of `removed`.
_START_TAG = re.compile(r"<([a-zA-Z][^\s/>]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>")
_ATTR = scan.ATTRIBUTE


def _signature(fragment: str) -> list[tuple[str, str]]:
    out = []
    for m in _START_TAG.finditer(fragment):
        tag = m.group(1).lower()
        if tag == "img" and 'class="twemoji"' in m.group(2):
            continue
        out.append((tag, ""))
        out += [(_attr_key(tag, a.lower()), v.strip("\"'")) for a, v in _ATTR.findall(m.group(2)) if a.lower() != "rel"]
    return sorted(out)


def _attr_key(element: str, attr: str) -> str:
    """The name `removals` gives an attribute: element and attribute joined by NUL, which no name
    holds as HTML reads it (`<y[>` is a tag y[, `a[b]=1` an attribute a[b]: brackets cannot join)."""
    return f"{element}\x00{attr}"


def removed_what(name: str) -> tuple[str, str]:
    """(element, attribute) of a `removals` name: ("font", "") for a tag, ("img", "onerror") for
    the attribute."""
    element, _, attr = name.partition("\x00")
    return element, attr


def shown_removal(name: str) -> str:
    """A `removals` name as messages show it: `font`, `img[onerror]`."""
    element, attr = removed_what(name)
    return f"{element}[{attr}]" if attr else element


def removals(before: str, after: str) -> dict[tuple[str, str], int]:
    """How many of each tag and attribute sanitising took away, by (name, value): ("font", "") for
    a tag, ("img\x00onerror", "alert(1)") for an attribute (`removed_what` reads the name). An attribute whose value it changed (a
    class taken out of `class`) counts as taken away."""
    # The usual page: nothing changed, or only how it is written (the same tags and attributes).
    if before == after or _signature(before) == _signature(after):
        return {}
    a, b = _census(before), _census(after)
    return {key: n - b.get(key, 0) for key, n in a.items() if n > b.get(key, 0)}


# HTML's void elements: they have no end tag and hold nothing.
VOID_ELEMENTS = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
                           "source", "track", "wbr"})
# Elements whose end tag HTML may leave out (the parser closes them where the next one starts) and
# elements that have none: neither can be left open.
_NOT_LEFT_OPEN = frozenset({"li", "dt", "dd", "p", "rt", "rp", "optgroup", "option", "colgroup", "caption",
                            "thead", "tbody", "tfoot", "tr", "td", "th", "html", "head", "body"}) | VOID_ELEMENTS


def _events(fragment: str, drop_stray: bool = False) -> list[tuple[str, str]]:
    """The opening and closing of elements that can be left open, in order: ("<", "b"), ("/", "b").
    `<x …/>` opens and closes; `drop_stray`: an end tag with no element of its name open is left
    out (the parser ignores it, and so does the page). Tags as a browser reads them (scan.html_tags:
    a tag in a comment is none, `<div title=it's>` one tag)."""
    out, depth = [], {}
    for kind, name, _ in scan.html_tags(fragment):
        if name not in TAGS or name in _NOT_LEFT_OPEN:
            continue
        if kind == "/":
            if drop_stray and not depth.get(name):
                continue
            depth[name] = depth.get(name, 0) - 1
            out.append(("/", name))
        elif kind == "</":
            out += [("<", name), ("/", name)]
        else:
            depth[name] = depth.get(name, 0) + 1
            out.append(("<", name))
    return out


def closed(before: str, after: str) -> list[str]:
    """The elements, by name (sorted), that sanitising closed elsewhere than the fragment did: left
    open, or crossed (`<b><i>x</b></i>`); the parser closes them where it can. An inline one left
    open takes in all that follows (the rest of the page in bold), opened again in each later
    paragraph (thousands of them made Material's search take minutes on one page). Named: every
    element closed more often than before, and the one where the two first differ."""
    if before == after:
        return []
    had, has = _events(before, drop_stray=True), _events(after)
    if had == has:
        return []
    closings = Counter(name for kind, name in had if kind == "/")
    names = {name for name, n in Counter(name for kind, name in has if kind == "/").items() if n > closings[name]}
    first = next((i for i, (x, y) in enumerate(zip(had, has)) if x != y), min(len(had), len(has)))
    names.add((has[first] if first < len(has) else had[first])[1])
    return sorted(names)


def removed(before: str, after: str) -> list[str]:
    """The names of what sanitising took away, sorted (see `removals`)."""
    return sorted({shown_removal(name) for name, _ in removals(before, after)})


# -- plain text (front-matter strings, vocabulary values) ---------------------------------------

_TEXT_TAG = re.compile(r"<[A-Za-z/!?]")  # what a browser's HTML parser reads as markup
_SCRIPT_URL = re.compile("|".join(re.escape(s) for s in SCRIPT_SCHEMES if s != "data:") + r"|data:(?:[a-z]+/[a-z0-9.+-]+)?[;,]")
# C0 controls but tab and newline, DEL and the C1 controls (U+0085 included); and U+FFFE, U+FFFF,
# no characters at all, which XML (the Word 案例汇编) cannot hold either.
_CONTROL_CHARS = r"\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff"
_CONTROL = re.compile(f"[{_CONTROL_CHARS}]")
# Bidirectional embeddings, overrides and isolates: text that displays differently from what it is.
_BIDI_CHARS = "".join(f"\\u{a:04x}-\\u{b:04x}" for a, b in BIDI_RANGES)
_BIDI = re.compile(f"[{_BIDI_CHARS}]")
# Any character that can start one of the problems below (a script URL needs a `:`, written or
# as an entity `&colon;`; `plain_url` decodes entities).
_SUSPECT = re.compile(f"[{_CONTROL_CHARS}{_BIDI_CHARS}<:&]")


def control_characters(value: str) -> list[str]:
    """The control characters in a text (the ones `text_problem` refuses in a field; not tab and
    newline), each once, in order, as U+XXXX: for text that is no field (a case body, E420)."""
    return list(dict.fromkeys(f"U+{ord(c):04X}" for c in _CONTROL.findall(value)))


def text_problem(value: str) -> tuple[str, str] | None:
    """What makes a plain-text value unsafe to show: (kind, the offending part) or None.

    kind: tag | url | control | bidi. The text is escaped everywhere anyway; these are refused
    so that what a contributor wrote is what every output shows.
    """
    if not _SUSPECT.search(value):  # nearly every value: one search instead of four
        return None
    if m := _CONTROL.search(value):
        return "control", f"U+{ord(m.group(0)):04X}"
    if m := _BIDI.search(value):
        return "bidi", f"U+{ord(m.group(0)):04X}"
    if m := _TEXT_TAG.search(value):
        return "tag", value[m.start():m.start() + 20]
    if "script" in value.lower() or ":" in value or "&" in value:
        plain = plain_url(value)
        if m := _SCRIPT_URL.search(plain):
            return "url", m.group(0)
    return None


# -- SVG files in the library ---------------------------------------------------------------------

# Read by an XML parser, as the browser reads the file: a namespace prefix (`<s:script>`), a
# character reference or a default attribute from a DTD cannot hide what an element or attribute
# is. Elements that run script, show or fetch other documents, whatever their namespace; and any
# element of HTML or MathML, which a browser renders inside an SVG file too (`<h:img src>`).
_SVG_ACTIVE = {name: f"<{name}>" for name in ACTIVE_ELEMENTS} | {
    "foreignobject": "<foreignObject>", "handler": "<handler>", "listener": "<listener>"}  # SVG's own
_FOREIGN_NAMESPACES = {"http://www.w3.org/1999/xhtml": "HTML", "http://www.w3.org/1998/Math/MathML": "MathML"}
# CSS (in <style>, `style` and every other attribute: fill="url(…)", animation values) that fetches:
# read after its comments are taken out and its escapes decoded (`\75 rl(` is `url(`).
_CSS_EXTERNAL = ((re.compile(r"url\s*\(\s*(?![\"']?\s*#)", re.I), "指向外部的 url(...)"),
                 (re.compile(r"image-set\s*\(", re.I), "image-set(...)"),
                 (re.compile(r"@import\b", re.I), "@import"))
_CSS_COMMENT = re.compile(r"/\*.*?(?:\*/|\Z)", re.S)
_CSS_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{1,6})[ \t\n\r\f]?|(.))", re.S)
_SCRIPT_IN_VALUE = re.compile(r"(?:java|vb)script:", re.I)
_ANIMATED_NAME = re.compile(r"^\s*(?:[\w.-]+:)?(?:on|(?:href|src)\s*$)", re.I)
_NAMED_ENTITY = re.compile(r"&([A-Za-z][A-Za-z0-9._:-]*);?")
_XML_ENTITIES = {"lt", "gt", "amp", "quot", "apos"}
_SVG_PUBLIC_ID = "-//W3C//DTD SVG "  # SVG 1.0, 1.1, 1.1 Basic and Tiny
_DECLARED_ENCODING = re.compile(r"""^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([^"']*)""")


def _css_readings(text: str) -> list[str]:
    """CSS as the browser may read it: escapes decoded, with its comments taken out and as it is
    (`/*` inside a string is no comment: taken out, it would hide what follows; left, a comment
    could part `u/**/rl(`, which is no `url(`). Checked both ways, so neither hides a fetch."""
    if "/*" not in text and "\\" not in text:
        return [text]

    def decoded(m: re.Match) -> str:
        if m.group(1) is None:
            return m.group(2)
        code = int(m.group(1), 16)
        return chr(code) if 0 < code < 0x110000 and not 0xD800 <= code < 0xE000 else "\ufffd"
    return [_CSS_ESCAPE.sub(decoded, _CSS_COMMENT.sub(" ", text)), _CSS_ESCAPE.sub(decoded, text)]


class _Stop(Exception):
    pass


def svg_problems(data: bytes | str) -> list[tuple[int, str]]:
    """(line, what) for everything that makes an SVG file run script or fetch from elsewhere when a
    reader opens it directly: scripts, event handlers, <foreignObject>, external references; and
    what keeps this check from reading it as the browser does (not UTF-8, not well-formed XML, a
    DTD of its own: a browser shows what comes before an XML error, and a DTD can add attributes)."""
    from xml.parsers import expat

    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    data = data.removeprefix(b"\xef\xbb\xbf")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in data[:4]:
        return [(1, "非 UTF-8 的编码（UTF-16 等）：校验读不到其中的内容")]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return [(data.count(b"\n", 0, exc.start) + 1, "非 UTF-8 的字节：校验读不到其中的内容")]
    if (m := _DECLARED_ENCODING.match(text)) and m.group(1).strip().lower() not in ("utf-8", "utf8", "us-ascii", "ascii"):
        return [(1, f"声明为 {m.group(1)[:20]} 编码（浏览器按它读，校验按 UTF-8 读）")]
    found: list[tuple[int, str]] = []
    if "&" in text:  # a named entity but XML's five: this parser drops it, a browser may not
        line_of = scan.line_index(text)
        found += [(line_of(m.start()) + 1, f"校验读不到的实体 &{m.group(1)};（请写成字符本身或 &#数字;）")
                  for m in _NAMED_ENTITY.finditer(text) if m.group(1) not in _XML_ENTITIES]
    parser = expat.ParserCreate(encoding="utf-8", namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    open_elements: list[tuple[str, list[str], int]] = []  # (local name, its text pieces, its line)

    def here(what: str, line: int | None = None) -> None:
        found.append((line or parser.CurrentLineNumber, what))

    def css(text: str, line: int | None = None) -> None:
        for plain in _css_readings(text):
            for pattern, what in _CSS_EXTERNAL:
                if pattern.search(plain):
                    here(what, line)

    def start(name: str, attrs: dict[str, str]) -> None:
        namespace, _, local = name.rpartition(" ")
        local = local.lower()
        open_elements.append((local, [], parser.CurrentLineNumber))
        if local in _SVG_ACTIVE:
            here(_SVG_ACTIVE[local])
        elif namespace in _FOREIGN_NAMESPACES:
            here(f"{_FOREIGN_NAMESPACES[namespace]} 元素 <{local}>")
        for attr, value in attrs.items():
            attr = attr.rpartition(" ")[2].lower()
            if attr.startswith("on"):
                here("事件属性 on...=")
            elif attr in ("href", "src") and value.strip() and not value.strip().startswith("#"):
                here(f"指向外部的 {attr}")
            elif attr == "attributename" and _ANIMATED_NAME.match(value):
                here("用动画改写事件或链接属性")
            css(value)  # style="…", fill="url(…)", an animation's to="url(…)"
            if _SCRIPT_IN_VALUE.search(re.sub(r"[\s\x00-\x1f]", "", value)):
                here("javascript: 地址")

    def end(name: str) -> None:
        local, pieces, line = open_elements.pop()
        if local == "style":  # the whole text: expat hands it over in pieces (at entities, CDATA)
            css("".join(pieces), line)

    def characters(data: str) -> None:
        if open_elements and open_elements[-1][0] == "style":
            open_elements[-1][1].append(data)

    def doctype(name: str, system: str | None, public: str | None, internal_subset: bool) -> None:
        if internal_subset:  # refused: not read on (its entities could make a small file huge)
            here("自带的 DTD（<!ENTITY>、<!ATTLIST> 等）")
            raise _Stop
        if system and not public:
            here("外部实体（SYSTEM）")
        elif public is not None and not public.startswith(_SVG_PUBLIC_ID):
            # XHTML's public ids make a browser read all of HTML's named entities (`&colon;`)
            here(f"不是 SVG 的 DOCTYPE（{public[:40]}）")

    def instruction(target: str, _data: str) -> None:
        if target.lower() == "xml-stylesheet":
            here("外部样式表 <?xml-stylesheet?>")

    def skipped(name: str, is_parameter_entity: bool) -> None:
        # An entity this parser does not know (after a DOCTYPE it drops them silently): a browser
        # may (for XHTML's public ids, all of HTML's: `&colon;`, `&lpar;`), and what it hides is unread.
        here(f"校验读不到的实体 &{name};（请写成字符本身或 &#数字;）")

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = characters
    parser.StartDoctypeDeclHandler = doctype
    parser.ProcessingInstructionHandler = instruction
    parser.SkippedEntityHandler = skipped
    try:
        parser.Parse(data, True)
    except _Stop:
        pass
    except expat.ExpatError as exc:
        found.append((exc.lineno, f"校验读不懂的内容（不是格式正确的 XML：{expat.ErrorString(exc.code)}）"))
    return sorted(set(found))
