"""The errors a user can meet; the CLI turns each into one line and an exit code."""

from __future__ import annotations


class PlaylistBuilderError(Exception):
    """Base of every expected failure. `exit_code` 1 = run-time failure, 2 = bad usage or input."""

    exit_code = 1


class InputError(PlaylistBuilderError):
    """The user gave something unusable: a wrong path, an impossible length, a bad argument."""

    exit_code = 2


class ConfigError(InputError):
    """A settings value or rules/arcs/libraries file is malformed (names file, key and line)."""


class DatabaseError(PlaylistBuilderError):
    """The database could not be opened, migrated or written."""


class DatabaseUnusableError(DatabaseError):
    """The database named is not one this version can use: no such folder, not ours, or newer."""

    exit_code = 2


class NotFoundError(InputError):
    """A track, session or other record the user named does not exist."""


class AudioError(PlaylistBuilderError):
    """An audio file could not be decoded or analysed."""


class LookupServiceError(PlaylistBuilderError):
    """An online metadata service (LRCLIB, MusicBrainz) failed or could not be reached."""


class InfeasibleSessionError(InputError):
    """The library cannot fill the requested session; the message says what is short."""


class ExportError(PlaylistBuilderError):
    """A playlist, device copy or mix could not be written."""


class SpotifyError(PlaylistBuilderError):
    """Spotify refused, failed or could not be reached; the message says what to do."""


class SpotifyAuthError(SpotifyError):
    """Not signed in, or the sign-in has expired."""
