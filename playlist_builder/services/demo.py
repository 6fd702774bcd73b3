"""The demo use-case: the whole job end to end on generated music, in a database of its own."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from playlist_builder.config import Settings, sqlite_url
from playlist_builder.db.library import Library
from playlist_builder.model import SessionPlan
from playlist_builder.services.analyze import AnalyzeReport, analyze_library
from playlist_builder.services.classify import ClassifyReport, classify_library
from playlist_builder.services.export_m3u import PlaylistExport, export_m3u
from playlist_builder.services.export_sheet import write_arc_plot, write_session_sheet
from playlist_builder.services.progress import ProgressCallback, ProgressEvent, report
from playlist_builder.services.scan import ScanReport, scan_paths
from playlist_builder.services.session import build_session
from playlist_builder.services.views import HeldBack, held_back
from playlist_builder.sources.generated import generate_demo_library

DEMO_ARC = "iv-infusion"
DEMO_MINUTES = 50.0
DEMO_SEED = 20261123  # fixed: the demo shows the same session on every machine
DEMO_SESSION_NAME = "Demo session (iv-infusion, 50 min)"


@dataclass
class DemoReport:
    """Where everything went and what happened on the way."""

    demo_dir: Path
    music_dir: Path
    database: str
    scan: ScanReport
    analysis: AnalyzeReport
    classification: ClassifyReport
    session: SessionPlan
    session_reused: bool
    playlist: PlaylistExport
    sheet: Path
    plot: Path
    held_back: list[HeldBack] = field(default_factory=list)
    titles: dict[int, str] = field(default_factory=dict)  # track id -> title, for printing the plan
    elapsed_s: float = 0.0


def demo_settings(settings: Settings, demo_dir: Path) -> Settings:
    """The demo's own settings: SQLite in the demo folder, offline (a clinic's library is untouched)."""
    return settings.with_overrides(
        data_dir=demo_dir, db_url=sqlite_url(demo_dir / "demo.sqlite3"), offline=True
    )


def run_demo(
    settings: Settings,
    *,
    demo_dir: Path | None = None,
    jobs: int | None = None,
    progress: ProgressCallback | None = None,
) -> DemoReport:
    """Generate the demo library, scan, analyse, classify, build a 50-minute session and export it."""
    started = time.perf_counter()
    demo_dir = (demo_dir or settings.data_dir / "demo").absolute()
    music_dir = demo_dir / "music"
    output_dir = demo_dir / "output"
    output_dir.mkdir(parents=True, exist_ok=True)
    own = demo_settings(settings, demo_dir)

    def step(message: str) -> None:
        report(progress, ProgressEvent(message=message))

    step(f"generating demo music in {music_dir}")
    generate_demo_library(
        music_dir, progress=lambda done, total, name: report(progress, ProgressEvent(done, total, name))
    )
    library = Library.open(own.db_url)
    try:
        step("scanning")
        scanned = scan_paths(library, [str(music_dir)], progress=progress)
        step("analysing the audio")
        workers = jobs or max(1, min(os.cpu_count() or 1, 4))
        analysed = analyze_library(library, own, jobs=workers, progress=progress)
        step("classifying")
        classified = classify_library(library, own, offline=True, progress=progress)
        plan, reused = _demo_session(library, own, changed=bool(analysed.analysed or classified.classified))
        assert plan.id is not None
        step("writing the playlist, session sheet and arc plot")
        playlist = export_m3u(library, own, plan.id, output_dir / "demo-session.m3u8")
        sheet = write_session_sheet(library, own, plan.id, output_dir / "demo-session.html")
        plot = write_arc_plot(library, own, plan.id, output_dir / "demo-session-arc.png")
        held = held_back(library)
        titles = {t.id: t.title for t in library.list_tracks(ids=[i.track_id for i in plan.items]) if t.id}
    finally:
        library.close()
    return DemoReport(
        demo_dir=demo_dir,
        music_dir=music_dir,
        database=own.db_url,
        scan=scanned,
        analysis=analysed,
        classification=classified,
        session=plan,
        session_reused=reused,
        playlist=playlist,
        sheet=sheet,
        plot=plot,
        held_back=held,
        titles=titles,
        elapsed_s=time.perf_counter() - started,
    )


def _demo_session(library: Library, settings: Settings, *, changed: bool) -> tuple[SessionPlan, bool]:
    """Reuse the demo session from an earlier run when nothing changed; otherwise build it afresh."""
    if not changed:
        for plan in library.list_sessions():
            if plan.name == DEMO_SESSION_NAME:
                return plan, True
    plan = build_session(
        library, settings, arc_name=DEMO_ARC, minutes=DEMO_MINUTES, seed=DEMO_SEED, name=DEMO_SESSION_NAME
    )
    return plan, False
