"""axe-core in the browser tests: every page state a browser test visits is checked against the
WCAG 2.x A/AA rules and best practices, and must have no violation at all.

axe-core is vendored under ``tests/web/vendor/`` (version and checksum in
``src/minsheng/web/static/PROVENANCE.md``); it is never served by the app. It is evaluated in the
page through the DevTools protocol, which the page's content security policy does not govern, so
the app's CSP stays as strict as in production.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from playwright.sync_api import Page

AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1.min.js"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"

RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ")),
    count: v.nodes.length,
  }));
}"""


@cache
def source() -> str:
    data = AXE.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    assert digest == AXE_SHA256, f"{AXE.name} is not the vendored axe-core ({digest})"
    return data.decode("utf-8")


def check(page: Page, state: str) -> None:
    """Run axe-core on the page as it is now; fail listing every violation."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(source())
    violations = page.evaluate(RUN)
    assert violations == [], f"axe on {state} ({page.url}):\n" + json.dumps(
        violations, ensure_ascii=False, indent=1
    )
