"""The top menu is readable and shows where the keyboard is (WCAG 1.4.3, 2.4.7, 1.4.11).

Colours are read from Chromium's computed styles, not from the CSS source, so
whatever Bootstrap variable or rule wins is what is measured: every menu link
has text contrast of at least 4.5:1 against the bar, active or not, at rest
and focused; reached with Tab, each shows a solid ring of 2px or more with
3:1 against the bar around it. On a phone the same holds once the menu is
opened.
"""
from __future__ import annotations

import pytest

from tests.support.contrast import colours_behind, flatten, over, parse, ratio

MENU_LINKS = "nav[aria-label=Main] .nav-link"
# What focus looks like on the element that has it (read while it has it).
FOCUS_STYLE_JS = """(el, menuLinks) => {
  const s = getComputedStyle(el);
  return {inMenu: el.matches(menuLinks), label: el.textContent.trim(), color: s.color,
          outlineStyle: s.outlineStyle, outlineWidth: parseFloat(s.outlineWidth), outlineColor: s.outlineColor};
}"""


def _text_contrast(link) -> float:
    behind = flatten(colours_behind(link))
    return ratio(over(parse(link.evaluate("el => getComputedStyle(el).color")), behind), behind)


def _open_menu_if_collapsed(page) -> None:
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible():
        toggler.click()
        page.locator("#main-nav.show").wait_for()
        page.mouse.move(5, page.viewport_size["height"] - 5)  # no hover colour on a link


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, {"width": 390, "height": 844}],
                         ids=["desktop", "phone"])
def test_menu_links_are_readable_and_show_keyboard_focus(browser, live_server, sign_in, org, shot, viewport):
    context = browser.new_context(base_url=live_server.base_url, viewport=viewport)
    page = context.new_page()
    sign_in(page, org.admin_user)  # the admin's menu has the most links
    page.goto(live_server.url("/admin"))
    _open_menu_if_collapsed(page)

    links = page.locator(MENU_LINKS)
    labels = links.all_inner_texts()
    assert len(labels) >= 5, labels
    assert page.locator(f"{MENU_LINKS}.active").count() == 1  # both kinds are measured
    for link in links.element_handles():
        assert _text_contrast(link) >= 4.5, (link.inner_text(), _text_contrast(link))

    # Tab from the top of the page (its skip link) through the menu, as a keyboard user does.
    page.locator(".skip-link").focus()
    focused_links = []
    for _ in range(len(labels) + 6):
        page.keyboard.press("Tab")
        focused = page.evaluate_handle("() => document.activeElement")
        style = focused.evaluate(FOCUS_STYLE_JS, MENU_LINKS)
        if not style["inMenu"]:
            continue
        if not focused_links:
            shot(page, "first-menu-link-focused", full_page=False)
        focused_links.append(style["label"])
        bar = flatten(colours_behind(focused.evaluate_handle("el => el.parentElement")))
        assert style["outlineStyle"] == "solid" and style["outlineWidth"] >= 2, style
        ring = over(parse(style["outlineColor"]), bar)
        assert ratio(ring, bar) >= 3, (style, ratio(ring, bar))
        assert _text_contrast(focused.as_element()) >= 4.5, style
    assert focused_links == labels
    context.close()


def test_keyboard_focus_shows_on_light_pages(browser, live_server, sign_in, org):
    """Below the menu the page is light: the ring of each control Tab reaches
    (links, buttons, fields) is solid, 2px or more, and 3:1 against what is
    around it (the menu's amber ring is 1.9:1 on white)."""
    context = browser.new_context(base_url=live_server.base_url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, org.admin_user)
    page.goto(live_server.url("/admin/users"))
    page.locator("main").first.evaluate("el => { el.tabIndex = -1; el.focus(); }")
    measured = []
    for _ in range(12):
        page.keyboard.press("Tab")
        focused = page.evaluate_handle("() => document.activeElement")
        style = focused.evaluate(FOCUS_STYLE_JS, MENU_LINKS)
        if style["inMenu"] or not focused.evaluate("el => !!el.closest('main')"):
            continue
        around = flatten(colours_behind(focused.evaluate_handle("el => el.parentElement")))
        assert style["outlineStyle"] == "solid" and style["outlineWidth"] >= 2, style
        ring = over(parse(style["outlineColor"]), around)
        assert ratio(ring, around) >= 3, (style, ratio(ring, around))
        measured.append(style["label"] or focused.evaluate("el => el.name || el.tagName"))
    assert len(measured) >= 3, measured  # fields, buttons and links were reached
    context.close()
