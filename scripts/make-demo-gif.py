#!/usr/bin/env python3
"""Draw the s3wwwd demo animation and write it as an animated GIF.

Run: python3 scripts/make-demo-gif.py [OUTPUT]   (default: site/s3wwwd.gif)

The artwork is drawn here, pixel by pixel, and encoded by the small GIF89a
writer below (LZW included), using nothing but the Python standard library,
so that the picture in the repository can be rebuilt exactly from source.
The scene: web pages (HTML, CSS, JS) drop into an S3 bucket, which bobs as
each one lands; "s3wwwd" is written underneath.  The animation loops forever.
"""

import math
import struct
import sys
from pathlib import Path

W, H = 160, 150
FRAMES = 24
DELAY_CS = 7          # per frame, in hundredths of a second

# The palette.  GIF needs a power-of-two table; unused slots stay black.
PALETTE = [
    (0xff, 0xff, 0xff),   # 0 background
    (0x1f, 0x29, 0x37),   # 1 ink: text and outlines
    (0xc7, 0x2c, 0x48),   # 2 bucket body
    (0x9b, 0x1d, 0x36),   # 3 bucket shade and rim
    (0x5a, 0x12, 0x22),   # 4 inside of the bucket
    (0xe8, 0x5d, 0x75),   # 5 bucket highlight
    (0xf8, 0xfa, 0xfc),   # 6 paper
    (0xcb, 0xd5, 0xe1),   # 7 paper edge and text lines
    (0xe3, 0x4f, 0x26),   # 8 HTML orange
    (0x26, 0x4d, 0xe4),   # 9 CSS blue
    (0xf0, 0xc0, 0x1c),   # 10 JS yellow
    (0xe2, 0xe8, 0xf0),   # 11 shadow on the floor
    (0xff, 0xd8, 0x4d),   # 12 sparkle
    (0x94, 0xa3, 0xb8),   # 13 paper fold
    (0xff, 0xff, 0xff),   # 14 white label text
    (0x64, 0x74, 0x8b),   # 15 subtitle grey
]

# A 5x7 pixel font, only for the letters drawn here.
FONT = {
    "s": ["     ", "     ", " ####", "#    ", " ### ", "    #", "#### "],
    "3": [" ### ", "#   #", "    #", "  ## ", "    #", "#   #", " ### "],
    "w": ["     ", "     ", "#   #", "#   #", "# # #", "# # #", " # # "],
    "d": ["    #", "    #", " ####", "#   #", "#   #", "#   #", " ####"],
    "S": [" ####", "#    ", "#    ", " ### ", "    #", "    #", "#### "],
}


class Canvas:
    def __init__(self, w, h, bg=0):
        self.w, self.h = w, h
        self.px = bytearray([bg]) * (w * h)

    def set(self, x, y, c):
        if 0 <= x < self.w and 0 <= y < self.h:
            self.px[y * self.w + x] = c

    def rect(self, x0, y0, x1, y1, c):
        """Fill [x0, x1) x [y0, y1)."""
        for y in range(max(0, y0), min(self.h, y1)):
            for x in range(max(0, x0), min(self.w, x1)):
                self.px[y * self.w + x] = c

    def ellipse(self, cx, cy, rx, ry, c, half=None):
        """Fill an ellipse; half="top" or "bottom" fills only that half."""
        for y in range(int(cy - ry) - 1, int(cy + ry) + 2):
            if half == "top" and y > cy:
                continue
            if half == "bottom" and y < cy:
                continue
            for x in range(int(cx - rx) - 1, int(cx + rx) + 2):
                dx, dy = (x + 0.5 - cx) / rx, (y + 0.5 - cy) / ry
                if dx * dx + dy * dy <= 1.0:
                    self.set(x, y, c)

    def trapezoid(self, y0, y1, xl0, xr0, xl1, xr1, c, shade=None, light=None):
        """Rows y0..y1 between edges going from (xl0, xr0) to (xl1, xr1).

        With shade/light, the right fifth is shaded and a stripe near the
        left edge is lit, which is all the 3-D a flat bucket needs.
        """
        for y in range(y0, y1):
            t = (y - y0) / max(1, y1 - y0)
            xl = xl0 + (xl1 - xl0) * t
            xr = xr0 + (xr1 - xr0) * t
            for x in range(int(round(xl)), int(round(xr))):
                col = c
                u = (x - xl) / max(1.0, xr - xl)
                if shade is not None and u > 0.78:
                    col = shade
                elif light is not None and 0.10 < u < 0.18:
                    col = light
                self.set(x, y, col)

    def text(self, s, x, y, c, scale=1):
        for ch in s:
            glyph = FONT[ch]
            for gy, row in enumerate(glyph):
                for gx, bit in enumerate(row):
                    if bit == "#":
                        self.rect(x + gx * scale, y + gy * scale,
                                  x + (gx + 1) * scale, y + (gy + 1) * scale, c)
            x += 6 * scale


def draw_page(cv, x, y, accent):
    """A 20x26 sheet with a folded corner, a coloured header and text lines."""
    w, h, fold = 20, 26, 6
    for py in range(h):
        for px in range(w):
            j = px - (w - fold)
            if j >= 0 and py < fold:
                if j > py:
                    continue            # cut away: what is behind shows
                col = 7 if j == py else 13
            elif px in (0, w - 1) or py in (0, h - 1):
                col = 7
            else:
                col = 6
            cv.set(x + px, y + py, col)
    cv.rect(x + 3, y + 4, x + 12, y + 8, accent)   # header bar
    for ly, lw in ((11, 14), (15, 11), (19, 13)):
        cv.rect(x + 3, y + ly, x + 3 + lw, y + ly + 2, 7)


# Where the bucket stands; its rim is an ellipse centred on (BX, RIM_Y).
BX, RIM_Y, RIM_RX, RIM_RY = 80, 70, 40, 9
BOTTOM_Y, BOTTOM_RX = 118, 30

# Each page falls from above for FALL frames and then is inside the bucket.
FALL = 11
PAGES = [(0, 8, -10), (8, 9, 6), (16, 10, -2)]   # (first frame, colour, x offset)


def page_y(t):
    """Top of a page t frames after it started falling (accelerating)."""
    return -16 + (RIM_Y + 2 + 16) * (t / FALL) ** 2


def bob(f):
    """How far the bucket is pushed down in frame f: a small damped bounce
    right after each page lands."""
    d = 0
    for start, _, _ in PAGES:
        t = (f - start - FALL) % FRAMES
        if t < 4:
            d = max(d, [3, 2, 1, 0][t])
    return d


def frame(f):
    cv = Canvas(W, H)
    dy = bob(f)
    # floor shadow, narrower when the bucket is pressed down
    cv.ellipse(BX, BOTTOM_Y + 6, BOTTOM_RX + 10 - dy, 4, 11)
    # back of the rim, then the dark inside
    cv.ellipse(BX, RIM_Y + dy, RIM_RX, RIM_RY, 3)
    cv.ellipse(BX, RIM_Y + dy, RIM_RX - 3, RIM_RY - 2, 4)
    # the pages: visible above the rim line, hidden by the body below it
    for start, accent, xoff in PAGES:
        t = (f - start) % FRAMES
        if t <= FALL:
            y = int(page_y(t))
            draw_page(cv, BX - 10 + xoff, y, accent)
        if t == FALL or t == FALL + 1:
            # a sparkle where it went in
            sx, sy = BX + xoff + 14, RIM_Y - 8 + dy
            for k in range(-3, 4):
                cv.set(sx + k, sy, 12)
                cv.set(sx, sy + k, 12)
            cv.set(sx - 2, sy - 2, 12)
            cv.set(sx + 2, sy + 2, 12)
            cv.set(sx - 2, sy + 2, 12)
            cv.set(sx + 2, sy - 2, 12)
    # body, bottom and the front half of the rim
    cv.trapezoid(RIM_Y + dy, BOTTOM_Y, BX - RIM_RX, BX + RIM_RX,
                 BX - BOTTOM_RX, BX + BOTTOM_RX, 2, shade=3, light=5)
    cv.ellipse(BX, BOTTOM_Y, BOTTOM_RX, 5, 2, half="bottom")
    cv.ellipse(BX, RIM_Y + dy, RIM_RX, RIM_RY, 3, half="bottom")
    cv.ellipse(BX, RIM_Y + dy, RIM_RX - 3, RIM_RY - 2, 2, half="bottom")
    cv.rect(BX - RIM_RX + 3, RIM_Y + dy, BX + RIM_RX - 3, RIM_Y + dy + 1, 4)
    # the label
    cv.text("S3", BX - 11, RIM_Y + 20 + dy // 2, 14, scale=2)
    # the name
    cv.text("s3wwwd", BX - 35, 130, 1, scale=2)
    return cv


# ---------------------------------------------------------------------------
# GIF89a writer

def lzw_encode(pixels, min_size):
    """GIF's variable-width LZW, codes packed LSB first."""
    clear, eoi = 1 << min_size, (1 << min_size) + 1
    out = bytearray()
    acc = nbits = 0

    def emit(code, size):
        nonlocal acc, nbits
        acc |= code << nbits
        nbits += size
        while nbits >= 8:
            out.append(acc & 0xff)
            acc >>= 8
            nbits -= 8

    def reset():
        return {(-1, i): i for i in range(clear)}, min_size + 1, eoi + 1

    table, size, nxt = reset()
    emit(clear, size)
    w = pixels[0]
    for k in pixels[1:]:
        if (w, k) in table:
            w = table[(w, k)]
            continue
        emit(w, size)
        table[(w, k)] = nxt
        nxt += 1
        if nxt == 4096:
            # Full: start over, as decoders expect a clear code here.
            emit(clear, size)
            table, size, nxt = reset()
        elif nxt - 1 == 1 << size:
            # The decoder, one entry behind, widens on reading this code.
            size += 1
        w = k
    emit(w, size)
    if nxt == 1 << size and size < 12:
        size += 1
    emit(eoi, size)
    if nbits:
        out.append(acc & 0xff)
    return bytes(out)


def sub_blocks(data):
    out = bytearray()
    for i in range(0, len(data), 255):
        chunk = data[i:i + 255]
        out.append(len(chunk))
        out += chunk
    out.append(0)
    return bytes(out)


def changed_box(prev, cur):
    """Smallest rectangle holding every pixel that differs, or None."""
    xs, ys = [], []
    for y in range(H):
        row = y * W
        if prev[row:row + W] == cur[row:row + W]:
            continue
        ys.append(y)
        for x in range(W):
            if prev[row + x] != cur[row + x]:
                xs.append(x)
                break
        for x in range(W - 1, -1, -1):
            if prev[row + x] != cur[row + x]:
                xs.append(x)
                break
    if not ys:
        return None
    return min(xs), min(ys), max(xs) + 1, max(ys) + 1


def write_gif(path, frames):
    bits = max(2, math.ceil(math.log2(len(PALETTE))))
    pal = PALETTE + [(0, 0, 0)] * ((1 << bits) - len(PALETTE))
    out = bytearray(b"GIF89a")
    out += struct.pack("<HHBBB", W, H, 0x80 | 0x70 | (bits - 1), 0, 0)
    for r, g, b in pal:
        out += bytes((r, g, b))
    # NETSCAPE2.0 application extension: loop count 0, i.e. forever.
    out += b"\x21\xff\x0bNETSCAPE2.0\x03\x01" + struct.pack("<H", 0) + b"\x00"
    prev = None
    for cv in frames:
        if prev is None:
            box = (0, 0, W, H)
        else:
            # Only the changed rectangle is stored; the rest stays from the
            # frame before (disposal 1, "leave in place").
            box = changed_box(prev, cv.px) or (0, 0, 1, 1)
        x0, y0, x1, y1 = box
        pixels = bytearray()
        for y in range(y0, y1):
            pixels += cv.px[y * W + x0:y * W + x1]
        out += b"\x21\xf9\x04" + struct.pack("<BHBB", 1 << 2, DELAY_CS, 0, 0)
        out += b"\x2c" + struct.pack("<HHHHB", x0, y0, x1 - x0, y1 - y0, 0)
        out.append(bits)
        out += sub_blocks(lzw_encode(pixels, bits))
        prev = cv.px
    out += b"\x3b"
    Path(path).write_bytes(bytes(out))
    return len(out)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "site" / "s3wwwd.gif"
    n = write_gif(out, [frame(f) for f in range(FRAMES)])
    print("%s: %dx%d, %d frames, %d bytes" % (out, W, H, FRAMES, n))


if __name__ == "__main__":
    main()
