"""Debian packages the development set draws from: fetch (apt-get download), extract, record versions.

The packages are never installed: each .deb is downloaded into a cache folder and unpacked there with
dpkg-deb, so building the set changes nothing on the machine except the apt package lists. Only
`fluidsynth` and `espeak-ng` (programs the build runs) are installed, by build.sh.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Package:
    """A Debian package, why the set uses it, and the licence of the files taken from it."""

    name: str
    use: str
    licence: str


# Licences were read from each package's debian/copyright (the stanza that covers the files used).
PACKAGES: tuple[Package, ...] = (
    Package(
        "hedgewars-data",
        "real recorded voices: the 'Singer' voice pack (sung phrases, many under 1 s), spoken "
        "voice packs in several accents and languages, a chant; calm and busy game music",
        "Data/Sounds/*: GFDL-1.3 (Andrey Korotaev); Data/Music (Files: *): GPL-2",
    ),
    Package(
        "sonic-pi-samples",
        "a real choir sample, drones, glass hums, vinyl hiss, a crow, drum loops, guitar",
        "each sample CC0 (freesound authors listed in debian/copyright); package MIT",
    ),
    Package(
        "asterisk-core-sounds-fr-wav",
        "real read speech, Canadian French (June Wallack)",
        "CC-BY-SA-3.0",
    ),
    Package(
        "asterisk-core-sounds-es-wav",
        "real read speech, Mexican Spanish (Allison Smith)",
        "CC-BY-SA-3.0",
    ),
    Package(
        "asterisk-core-sounds-it-wav",
        "real read speech, Italian, male (Carlo Flora)",
        "CC-BY-3.0",
    ),
    Package(
        "asterisk-core-sounds-ru-wav",
        "real read speech, Russian",
        "CC-BY-3.0",
    ),
    Package(
        "asterisk-moh-opsound-wav",
        "music-on-hold instrumentals (calm and busy), 8 kHz",
        "CC-BY-SA-3.0 (Macroform, Manolo Camp, Reno Project, by explicit permission)",
    ),
    Package(
        "klettres-data",
        "real spoken letters and syllables in many languages (short phrases under 1 s)",
        "GPL-2+ (Files: *, Anne-Marie Mahfouf)",
    ),
    Package(
        "ktuberling-data",
        "real spoken words in many languages (children's game)",
        "GPL-2+ (Files: *, Albert Astals Cid)",
    ),
    Package(
        "fluid-soundfont-gm",
        "General MIDI instruments rendered with fluidsynth: choir aahs / voice oohs (sampled real "
        "voices, wordless), flute, strings, sax, pads, piano, synth leads, drums",
        "MIT (Frank Wen; debian/copyright)",
    ),
    Package(
        "tuxpaint-stamps-default",
        "real animal recordings (whale, orca, dolphin, birds, insects) and short spoken descriptions "
        "recorded in many languages",
        "GPL-2 (Files: *, Bill Kendrick)",
    ),
    Package(
        "wesnoth-1.16-music",
        "elf-land.ogg: an orchestral score with a choir (a voice inside produced music)",
        "GPL-2+ (debian/copyright)",
    ),
    Package(
        "scorched3d-data",
        "field recordings: birdsong, ocean waves, insects, rain",
        "GPL-2+ (Files: *; origin of the recordings not stated)",
    ),
    Package(
        "plee-the-bear-data",
        "rain, forest and water ambiences",
        "CC-BY-SA-3.0 for most media files (debian/copyright), rest GPL-2+",
    ),
)

PACKAGE_BY_NAME = {p.name: p for p in PACKAGES}


def _apt_download(names: list[str], folder: Path) -> None:
    """apt-get download NAMES into folder; refresh the package lists once if that fails."""
    cmd = ["apt-get", "download", "-q", *names]
    done = subprocess.run(cmd, cwd=folder, capture_output=True, text=True)
    if done.returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(cmd, cwd=folder, check=True, capture_output=True, text=True)


def fetch(cache: Path, names: list[str] | None = None) -> dict[str, str]:
    """Download and unpack the packages into cache/root; return {package: version}.

    A package already unpacked (its marker file exists) is not downloaded again.
    """
    names = names or [p.name for p in PACKAGES]
    debs = cache / "debs"
    root = cache / "root"
    debs.mkdir(parents=True, exist_ok=True)
    root.mkdir(parents=True, exist_ok=True)
    os.chmod(debs, 0o755)  # lets apt's _apt user write there
    missing = [n for n in names if not (cache / f"{n}.version").exists()]
    if missing:
        _apt_download(missing, debs)
    for name in missing:
        deb = sorted(debs.glob(f"{name}_*.deb"))[-1]
        subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
        version = subprocess.run(
            ["dpkg-deb", "-f", str(deb), "Version"], check=True, capture_output=True, text=True
        ).stdout.strip()
        (cache / f"{name}.version").write_text(version + "\n")
        deb.unlink()  # the unpacked tree is what we keep
    return {n: (cache / f"{n}.version").read_text().strip() for n in names}
