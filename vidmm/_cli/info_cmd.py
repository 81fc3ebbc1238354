"""`vidmm info FILE...`: people's view of what each file holds (the task: vidmm.tasks.plugins.info)."""

from __future__ import annotations

from . import common


def render_table(result) -> None:
    from rich.table import Table

    info = result.info
    t = Table(title=info.file, show_header=False, title_justify="left")
    t.add_column("field", style="bold")
    t.add_column("value")
    t.add_row("container", info.container)
    t.add_row("duration", f"{info.duration:.3f} s" if info.duration is not None else "unknown")
    t.add_row("size", f"{info.size_bytes:,} bytes")
    v = info.video
    if v is not None:
        fps = f"{v.fps:.3f}" if v.fps else "unknown"
        t.add_row("video", f"{v.codec}, {v.width}x{v.height}, {fps} fps{' (variable)' if v.variable_fps else ''}")
        frames = "unknown" if v.frame_count is None else f"{v.frame_count} ({'exact' if v.frame_count_exact else 'estimated'})"
        t.add_row("frames", frames)
        t.add_row("rotation", f"{v.rotation}°" + (f" (coded {v.coded_width}x{v.coded_height})" if v.rotation else ""))
        t.add_row("pixels", f"{v.pix_fmt}, {v.bit_depth}-bit" + (", interlaced" if v.interlaced else ""))
    else:
        t.add_row("video", "none")
    a = info.audio
    if a is not None:
        t.add_row("audio", f"{a.codec}, {a.sample_rate} Hz, {a.channels} ch ({a.layout})")
    else:
        t.add_row("audio", "none")
    common.stdout_console().print(t)
