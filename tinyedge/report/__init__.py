"""``tinyedge report``: one self-contained HTML page (plus ``summary.json`` and CSV
tables) comparing float, host int8 and device runs of every trained width.

Modules: :mod:`.collect` finds and loads the records, :mod:`.tables` and :mod:`.widths`
compute the rows and cross-width analyses, :mod:`.plots` draws the figures,
:mod:`.html` and :mod:`.sections` render the page, :mod:`.build` ties them together.
"""

from tinyedge.report.build import ReportResult, build_report

__all__ = ["ReportResult", "build_report"]
