"""Small bar charts as inline SVG, drawn on the server for QWeb reports: no JavaScript, so that wkhtmltopdf prints
them as it prints the text around them."""

from markupsafe import Markup, escape

WIDTH = 330
HEIGHT = 150
TOP = 18  # room for the value above the highest bar
BOTTOM = 20  # room for the month below the bars
BAR_COLOR = "#4c72b0"
LAST_COLOR = "#1f3d73"
MUTED = "#6c757d"


def bar_chart(points, missing="—"):
    """An SVG bar chart of ``points``: [(label, value or None, value as text)], oldest first, the last one dark.

    Values are scaled from zero to the highest absolute value; a value that could not be measured (None) has no bar
    and shows ``missing``. Labels and texts are escaped: they may come from translations or user data.
    """
    count = len(points)
    if not count:
        return Markup("")
    values = [abs(value) for _label, value, _text in points if value is not None]
    scale = max(values) if values and max(values) > 0 else 1.0
    slot = WIDTH / count
    bar = slot * 0.6
    area = HEIGHT - TOP - BOTTOM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="10">',
        f'<line x1="0" y1="{TOP + area}" x2="{WIDTH}" y2="{TOP + area}" stroke="{MUTED}" stroke-width="0.5"/>',
    ]
    for index, (label, value, text) in enumerate(points):
        center = slot * index + slot / 2
        if value is None:
            parts.append(
                f'<text x="{center:.1f}" y="{TOP + area - 4}" text-anchor="middle" fill="{MUTED}">'
                f"{escape(missing)}</text>"
            )
        else:
            height = area * abs(value) / scale
            color = LAST_COLOR if index == count - 1 else BAR_COLOR
            parts.append(
                f'<rect x="{center - bar / 2:.1f}" y="{TOP + area - height:.1f}" width="{bar:.1f}" '
                f'height="{height:.1f}" fill="{color}"/>'
            )
            parts.append(
                f'<text x="{center:.1f}" y="{TOP + area - height - 4:.1f}" text-anchor="middle">{escape(text)}</text>'
            )
        parts.append(
            f'<text x="{center:.1f}" y="{HEIGHT - 6}" text-anchor="middle" fill="{MUTED}">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
