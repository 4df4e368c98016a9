"""The city's period report: moved to ``runtime.city_report`` so the web node's city view
(``web.city``) can use it too (nodes never import each other); these names stay for callers."""

from __future__ import annotations

from runtime.city_report import FIGURES, PERIODS, CityReportError, Period, city_report

__all__ = ["FIGURES", "PERIODS", "CityReportError", "Period", "city_report"]
