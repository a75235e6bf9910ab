"""Colour contrast as WCAG 2 defines it, read from a page's computed styles.

``colours_behind(page, selector_or_handle)`` gives the backgrounds under an
element, nearest first, and ``flatten`` composites them (and a translucent
foreground) into the opaque colour the eye sees; ``ratio`` is the contrast
ratio of two opaque colours (1 to 21).
"""
from __future__ import annotations

import re

Colour = tuple[float, float, float, float]  # r, g, b in 0-255, alpha in 0-1
_RGB = re.compile(r"rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)(?:\s*[,/]\s*([\d.]+%?))?\s*\)")

# The backgrounds of an element and its ancestors, nearest first, up to the first opaque one.
_BACKGROUNDS_JS = """el => {
  const layers = [];
  for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
    const bg = getComputedStyle(node).backgroundColor;
    layers.push(bg);
    if (/^rgb\\(/.test(bg)) break;
  }
  return layers;
}"""


def parse(css: str) -> Colour:
    """'rgb(1, 2, 3)' / 'rgba(1, 2, 3, 0.5)' as computed by the browser."""
    match = _RGB.fullmatch(css.strip())
    if not match:
        raise ValueError(f"not an sRGB colour: {css!r}")
    r, g, b, a = match.groups()
    alpha = 1.0 if a is None else (float(a[:-1]) / 100 if a.endswith("%") else float(a))
    return float(r), float(g), float(b), alpha


def over(top: Colour, below: Colour) -> Colour:
    """``top`` painted over an opaque ``below``."""
    a = top[3]
    return tuple(top[i] * a + below[i] * (1 - a) for i in range(3)) + (1.0,)


def flatten(layers: list[str], base: Colour = (255, 255, 255, 1.0)) -> Colour:
    """Composite CSS colours, nearest (topmost) first, over ``base`` (the canvas)."""
    colour = base
    for css in reversed(layers):
        colour = over(parse(css), colour)
    return colour


def colours_behind(handle) -> list[str]:
    """The computed background colours under an element handle, nearest first."""
    return handle.evaluate(_BACKGROUNDS_JS)


def _luminance(colour: Colour) -> float:
    def channel(value: float) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in colour[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def ratio(one: Colour, other: Colour) -> float:
    light, dark = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)
