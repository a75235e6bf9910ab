"""Photo preparation before OCR: find the document, flatten it, even its light, size its text.

A phone photo shows a page or a card at an angle on a desk, with a shadow
across it, and often small: Tesseract reads the desk's texture as specks,
loses the shadowed half to its global threshold and drops text whose
x-height is a few pixels. Each step here is measured on the image, never
keyed to a layout:

1. outline: the largest convex four-sided contour of the edge map (or of the
   bright region, when the paper lies on something darker) covering a fair
   share of the photo; its perspective is corrected (``cv2.warpPerspective``);
2. light: the paper's brightness is estimated by a morphological close on a
   reduced image (which removes the strokes) and divided out, so a shadow
   becomes white paper again;
3. size: the median height of letter-like connected components is the text
   size; below ``MIN_TEXT_PX`` the image is enlarged to reach it (bounded by
   ``MAX_SIDE``).

``document_view`` applies the same crop to the colour photo, so evidence
boxes (fractions of the prepared image) line up with the review preview.
"""
from __future__ import annotations

import numpy as np
from PIL import Image

from .ocr import components, opencv

cv2 = opencv()   # (on one thread)

ANALYSIS_SIDE = 900       # outline search runs on an image reduced to this side
MIN_OUTLINE_SHARE = 0.12  # a document smaller than this share of the photo is not trusted
MAX_OUTLINE_SHARE = 0.97  # an outline this close to the frame is the frame: nothing to crop
MIN_TEXT_PX = 22          # median letter height Tesseract reads well (LSTM works best near 20-35 px)
MAX_ENLARGE = 3.0
MAX_SIDE = 4200
LIGHT_KERNEL_SHARE = 8    # the close's window is this fraction of the document's short side
LIGHT_REDUCE = 4          # the paper's brightness is smooth: estimated at a quarter of the size


def _order(quad: np.ndarray) -> np.ndarray:
    """Corners as top-left, top-right, bottom-right, bottom-left."""
    pts = quad.reshape(4, 2).astype(np.float32)
    s, d = pts.sum(axis=1), np.diff(pts, axis=1).ravel()
    return np.array([pts[np.argmin(s)], pts[np.argmin(d)], pts[np.argmax(s)], pts[np.argmax(d)]], dtype=np.float32)


def _quad_of(mask: np.ndarray, area: float) -> np.ndarray | None:
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    for contour in sorted(contours, key=cv2.contourArea, reverse=True)[:5]:
        hull = cv2.convexHull(contour)
        share = cv2.contourArea(hull) / area
        if share < MIN_OUTLINE_SHARE:
            break
        approx = cv2.approxPolyDP(hull, 0.02 * cv2.arcLength(hull, True), True)
        if len(approx) != 4:
            # rounded card corners or a torn edge: the tightest rotated rectangle
            approx = cv2.boxPoints(cv2.minAreaRect(hull)).reshape(4, 1, 2)
            if cv2.contourArea(hull) / max(1.0, cv2.contourArea(approx.astype(np.float32))) < 0.9:
                continue
        if share <= MAX_OUTLINE_SHARE:
            return approx.astype(np.float32)
    return None


def find_outline(gray: np.ndarray) -> np.ndarray | None:
    """Four corners of the document in ``gray`` (full-resolution pixels), or None."""
    scale = ANALYSIS_SIDE / max(gray.shape)
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else gray
    scale = min(scale, 1.0)
    blur = cv2.GaussianBlur(small, (5, 5), 0)
    area = float(small.shape[0] * small.shape[1])
    # The edge map finds paper on a light desk; the bright region finds it on textured wood or fabric.
    edges = cv2.dilate(cv2.Canny(blur, 40, 120), np.ones((3, 3), np.uint8), iterations=2)
    _, bright = cv2.threshold(blur, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    bright = cv2.morphologyEx(bright, cv2.MORPH_OPEN, np.ones((7, 7), np.uint8))
    for mask in (edges, bright):
        quad = _quad_of(mask, area)
        if quad is not None:
            return _order(quad / scale)
    return None


def flatten(gray: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """The document inside ``corners`` seen from straight above."""
    tl, tr, br, bl = corners
    width = int(round(max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl))))
    height = int(round(max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr))))
    target = np.array([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(corners, target)
    return cv2.warpPerspective(gray, matrix, (width, height), flags=cv2.INTER_CUBIC,
                               borderMode=cv2.BORDER_REPLICATE)


def even_light(gray: np.ndarray) -> np.ndarray:
    """``gray`` divided by its paper brightness: shadows and vignetting removed."""
    small = cv2.resize(gray, None, fx=1 / LIGHT_REDUCE, fy=1 / LIGHT_REDUCE, interpolation=cv2.INTER_AREA)
    # Wider than a letter and than a dark banner's height: the close must
    # leave only paper, or white text on a banner divides to white on white.
    k = max(7, (min(small.shape) // LIGHT_KERNEL_SHARE) | 1)
    paper = cv2.morphologyEx(small, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    paper = cv2.GaussianBlur(paper, (k, k), 0)
    paper = cv2.resize(paper, (gray.shape[1], gray.shape[0]), interpolation=cv2.INTER_LINEAR)
    return cv2.divide(gray, np.maximum(paper, 1), scale=255)


def text_height(gray: np.ndarray) -> float | None:
    """Median height in pixels of letter-like dark components, or None when there are too few."""
    ink = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 31, 15)
    n, _, stats, _ = components(ink)
    h, w = stats[1:, cv2.CC_STAT_HEIGHT], stats[1:, cv2.CC_STAT_WIDTH]
    letters = h[(h >= 4) & (h <= gray.shape[0] / 15) & (w <= 3 * h) & (w >= h / 8)]
    return float(np.median(letters)) if len(letters) >= 20 else None


def enlarge_for_text(gray: np.ndarray) -> np.ndarray:
    height = text_height(gray)
    if height is None or height >= MIN_TEXT_PX:
        return gray
    factor = min(MAX_ENLARGE, MIN_TEXT_PX / height, MAX_SIDE / max(gray.shape))
    if factor <= 1.05:
        return gray
    return cv2.resize(gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)


def document_view(image: Image.Image) -> Image.Image:
    """The colour photo cropped and flattened exactly as ``prepare_photo`` does (for previews)."""
    corners = find_outline(np.asarray(image.convert("L")))
    if corners is None:
        return image
    return Image.fromarray(flatten(np.asarray(image.convert("RGB")), corners))


def prepare_photo(image: Image.Image) -> Image.Image:
    """A greyscale photo of a document made ready for OCR (see the module docstring)."""
    gray = np.asarray(image.convert("L"))
    corners = find_outline(gray)
    if corners is not None:
        gray = flatten(gray, corners)
    gray = even_light(gray)
    gray = enlarge_for_text(gray)
    return Image.fromarray(gray)


__all__ = ["prepare_photo", "document_view", "find_outline", "flatten", "even_light", "text_height"]
