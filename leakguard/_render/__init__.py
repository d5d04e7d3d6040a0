"""Reports as text, self-contained HTML and SVG charts.

May import ``_model`` only.
"""
