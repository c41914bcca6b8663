"""Figures, maps and reports drawn from results tables; they never import the model.

`run_files` and `comparison_files` give the files of a results folder besides its tables and
manifest, each as a function writing that file at a given path: every figure in `fmt` (PNG at
print resolution, or SVG or PDF), `report.md` linking to them, and `report.html`, one
self-contained page with the figures embedded.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from simulation.results import Differences, LongTable

Writer = Callable[[Path], None]
FORMATS = ("png", "svg", "pdf")


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise ValueError(f"unknown figure format {fmt!r}: one of {FORMATS}")


def _text(render: Callable[[], str]) -> Writer:
    def write(path: Path) -> None:
        path.write_text(render(), encoding="utf-8")

    return write


def _figure(gallery: Any, name: str, fmt: str) -> Writer:
    def write(path: Path) -> None:
        path.write_bytes(gallery.render(name, fmt))

    return write


def _files(doc: Any, gallery: Any, fmt: str) -> dict[str, Writer]:
    from simulation.views.document import to_html, to_markdown

    embedded = "svg" if fmt == "svg" else "png"  # a page cannot show a PDF as an image
    gallery.render_all([fmt, embedded])
    writers: dict[str, Writer] = {
        f"{name}.{fmt}": _figure(gallery, name, fmt) for name in gallery.names
    }
    writers["report.md"] = _text(lambda: to_markdown(doc, lambda name: f"{name}.{fmt}"))
    writers["report.html"] = _text(
        lambda: to_html(doc, lambda name: (embedded, gallery.render(name, embedded)))
    )
    return writers


def run_files(table: LongTable, manifest: dict[str, Any], fmt: str = "png") -> dict[str, Writer]:
    """Figures, maps and the report of a run (one scenario, one or many replicates)."""
    from simulation.views import figures, report
    from simulation.views.series import described

    _check_format(fmt)
    specs = figures.run_figures(
        table,
        band=described(manifest["scenario"], "land.planning_band_m2"),
        shapes=figures.shapes_of(manifest),
    )
    gallery = figures.Gallery(specs, figures.run_caption(table, manifest))
    doc = report.document(table, manifest, {s.name: s.caption for s in specs})
    return _files(doc, gallery, fmt)


def comparison_files(
    table: LongTable, differences: Differences, manifest: dict[str, Any], fmt: str = "png"
) -> dict[str, Writer]:
    """Figures, difference maps and the report of a comparison of scenarios."""
    from simulation.views import comparison, figures

    _check_format(fmt)
    reference = manifest["runs"][0]
    specs = figures.comparison_figures(table, differences, shapes=figures.shapes_of(reference))
    caption = figures.caption_line(
        manifest["scenarios"], manifest["seed"], len(manifest["replicates"])
    )
    gallery = figures.Gallery(specs, caption)
    doc = comparison.document(table, differences, manifest, {s.name: s.caption for s in specs})
    return _files(doc, gallery, fmt)


__all__ = ["FORMATS", "comparison_files", "run_files"]
