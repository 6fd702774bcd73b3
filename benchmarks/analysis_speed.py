"""Analysis speed and memory: × real time on one core over 3–10 minute tracks, and an 8-hour file.

Run:  .venv/bin/python benchmarks/analysis_speed.py [--tracks N] [--no-long-file]

The library is built in a temp dir from the development corpus's 3–10 minute Wesnoth tracks (real
music; see ../shared/corpus) transcoded to ogg, mp3 and flac, or from synthesized music when the
corpus is absent. Figures printed:
- soundfile alone: time to decode every file in full, as × real time;
- analysis (vocal model included, one process, one thread): × real time over the same files;
- peak resident memory of a worker process that analysed the library, and the 8-hour file;
- the 8-hour file (FLAC, 44.1 kHz stereo, generated with ffmpeg): wall time to analyse it.
"""

from __future__ import annotations

import os

# One core means one thread everywhere: set before numpy/scipy/onnxruntime load their thread pools.
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_name] = "1"

import argparse  # noqa: E402
import multiprocessing  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402

from playlist_builder.audio.decode import ffmpeg_binary  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / ".corpus"
MIN_TRACK_S, MAX_TRACK_S = 180.0, 600.0
FORMATS = {"ogg": ["-c:a", "libvorbis", "-q:a", "5"], "mp3": ["-c:a", "libmp3lame", "-b:a", "192k"],
           "flac": ["-c:a", "flac"]}  # fmt: skip
LONG_FILE_S = 8 * 3600
TARGET_SPEED = 200.0
TARGET_LONG_FILE_S = 15.0
TARGET_MEMORY_MB = 300.0


def _ffmpeg(*args: str) -> None:
    binary = ffmpeg_binary()
    if binary is None:
        sys.exit("no ffmpeg binary (install imageio-ffmpeg)")
    subprocess.run([binary, "-v", "error", "-y", "-nostdin", *args], check=True)


def corpus_sources(count: int) -> list[Path]:
    """Corpus tracks 3–10 minutes long, longest first."""
    if not CORPUS.is_dir():
        return []
    found = []
    for path in sorted(CORPUS.glob("wesnoth/*.ogg")):
        duration = sf.info(str(path)).duration
        if MIN_TRACK_S <= duration <= MAX_TRACK_S:
            found.append((duration, path))
    return [path for _, path in sorted(found, reverse=True)[:count]]


def synthesized_sources(folder: Path, count: int) -> list[Path]:
    """Music-like WAVs: chords with harmonics, a kick-and-hat beat, light noise; 3 to 10 minutes."""
    rate = 44_100
    rng = np.random.default_rng(0)
    sources = []
    for index in range(count):
        duration = MIN_TRACK_S + (MAX_TRACK_S - MIN_TRACK_S) * index / max(1, count - 1)
        frames = int(duration * rate)
        t = np.arange(frames) / rate
        left = np.zeros(frames, dtype=np.float32)
        right = np.zeros(frames, dtype=np.float32)
        step = 2 * rate
        for start in range(0, frames, step):
            stop = min(frames, start + step)
            for root in rng.choice([110.0, 130.8, 146.8, 164.8, 196.0, 220.0], size=3):
                pan = rng.uniform(0.2, 0.8)
                for harmonic in (1, 2, 3, 4):
                    partial = (np.sin(2 * np.pi * root * harmonic * t[start:stop]) / harmonic).astype(
                        np.float32
                    )
                    left[start:stop] += 0.05 * (1 - pan) * partial
                    right[start:stop] += 0.05 * pan * partial
        beat = np.zeros(frames, dtype=np.float32)
        beat[:: rate // 2] = 1.0
        kick = np.exp(-np.arange(4000) / 600) * np.sin(2 * np.pi * 60 * np.arange(4000) / rate)
        beat = np.convolve(beat, kick.astype(np.float32))[:frames] * 0.3
        noise = rng.standard_normal((frames, 2)).astype(np.float32) * 0.01
        path = folder / f"synth-{index}.wav"
        sf.write(str(path), np.stack([left + beat, right + beat], axis=1) + noise, rate, subtype="PCM_16")
        sources.append(path)
    return sources


def build_library(folder: Path, count: int) -> list[Path]:
    """Each source transcoded to ogg, mp3 and flac."""
    sources = corpus_sources(count) or synthesized_sources(folder, count)
    files = []
    for source in sources:
        for suffix, codec in FORMATS.items():
            target = folder / f"{source.stem}.{suffix}"
            _ffmpeg("-i", str(source), *codec, str(target))
            files.append(target)
    return files


def decode_only(files: list[Path]) -> float:
    """Seconds soundfile takes to decode every file in full."""
    started = time.perf_counter()
    for path in files:
        with sf.SoundFile(str(path)) as handle:
            while handle.read(65_536, dtype="float32").shape[0]:
                pass
    return time.perf_counter() - started


def worker(paths: list[str], queue: multiprocessing.Queue) -> None:
    """Child process: analyse files one by one; report per-file times and this process's peak memory."""
    from playlist_builder.audio.analyzer import analyze_file
    from playlist_builder.audio.vocal import load_vocal_model

    started = time.perf_counter()
    model = load_vocal_model()
    load_s = time.perf_counter() - started
    baseline_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    times = []
    for path in paths:
        started = time.perf_counter()
        features = analyze_file(path, model)
        times.append((path, time.perf_counter() - started, features.duration_s, features.decoder))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put({"load_s": load_s, "baseline_mb": baseline_mb, "peak_mb": peak_mb, "times": times})


def run_worker(paths: list[Path]) -> dict:
    """Analyse `paths` in a fresh process (so its peak memory is its own)."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=worker, args=([str(p) for p in paths], queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def make_long_file(folder: Path) -> Path:
    """An 8-hour 44.1 kHz stereo FLAC of quiet pink noise with a slow swell (rain-like), via ffmpeg."""
    path = folder / "eight-hours.flac"
    source = f"anoisesrc=c=pink:r=44100:a=0.02:d={LONG_FILE_S}"
    _ffmpeg("-f", "lavfi", "-i", source, "-af", "volume='1+0.5*sin(2*PI*t/20)':eval=frame", "-ac", "2",
            "-sample_fmt", "s16", "-compression_level", "0", str(path))  # fmt: skip
    return path


def main() -> None:
    """Build the files, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=6, help="source tracks (each in 3 formats)")
    parser.add_argument("--no-long-file", action="store_true", help="skip the 8-hour file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pb-bench-") as tmp:
        folder = Path(tmp)
        print("building the library ...", flush=True)
        files = build_library(folder, args.tracks)
        audio_s = sum(sf.info(str(path)).duration for path in files)
        print(
            f"library: {len(files)} files ({len(files) // 3} tracks × ogg/mp3/flac), {audio_s / 60:.1f} min"
        )

        decode_s = decode_only(files)
        result = run_worker(files)
        analyse_s = sum(seconds for _, seconds, _, _ in result["times"])
        print(f"soundfile decode alone : {decode_s:7.2f} s  = {audio_s / decode_s:6.0f}x real time")
        print(f"analysis incl. vocal   : {analyse_s:7.2f} s  = {audio_s / analyse_s:6.0f}x real time "
              f"(target ≥ {TARGET_SPEED:.0f}x; model load {result['load_s']:.2f} s not counted)")  # fmt: skip
        for suffix in FORMATS:
            chosen = [(s, d) for p, s, d, _ in result["times"] if p.endswith(suffix)]
            speed = sum(d for _, d in chosen) / sum(s for s, _ in chosen)
            print(f"  {suffix:5s}: {speed:6.0f}x real time over {len(chosen)} files")
        baseline = result["baseline_mb"]
        print(f"worker memory          : peak {result['peak_mb']:.0f} MB "
              f"(after imports and model {baseline:.0f} MB; target < {TARGET_MEMORY_MB:.0f} MB)")  # fmt: skip

        if not args.no_long_file:
            print("generating the 8-hour FLAC ...", flush=True)
            started = time.perf_counter()
            long_file = make_long_file(folder)
            made_s = time.perf_counter() - started
            size_mb = long_file.stat().st_size / 1e6
            long_result = run_worker([long_file])
            _, seconds, duration, decoder = long_result["times"][0]
            print(f"8-hour file            : {seconds:5.2f} s to analyse {duration / 3600:.1f} h ({decoder}; "
                  f"target < {TARGET_LONG_FILE_S:.0f} s), peak memory {long_result['peak_mb']:.0f} MB "
                  f"[{size_mb:.0f} MB FLAC generated in {made_s:.0f} s]")  # fmt: skip


if __name__ == "__main__":
    main()
