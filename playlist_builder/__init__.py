"""Session Playlist Builder: lyric-free, arc-shaped music sessions for ketamine-assisted therapy."""

__version__ = "0.1.0"
HOMEPAGE = "https://github.com/clinic-tools/playlist-builder"
