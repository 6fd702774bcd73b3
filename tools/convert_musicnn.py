"""Convert the musicnn MagnaTagATune model (TF1 checkpoint in the musicnn 0.1.0 wheel) to ONNX; check it.

Run it in a throwaway venv, never in the project's (see tools/README.md):

    python3.11 -m venv /tmp/musicnn-venv
    /tmp/musicnn-venv/bin/pip install tensorflow-cpu==2.15.1 numpy==1.26.4 tf2onnx==1.17.0 \
        librosa soundfile scipy onnxruntime
    /tmp/musicnn-venv/bin/pip install --no-deps musicnn==0.1.0
    /tmp/musicnn-venv/bin/python tools/convert_musicnn.py [--audio FILE ...]

Steps: rebuild the MTT_musicnn graph in inference mode (batch norm on its moving statistics, no dropout),
restore the shipped checkpoint, freeze it, convert it with tf2onnx, then check that
1. the ONNX model agrees with TensorFlow within TOLERANCE on random and on real log-mel patches;
2. musicnn's own pipeline (librosa + TF, `musicnn.extractor.extractor`) and ours
   (playlist_builder.audio.vocal: numpy/scipy + onnxruntime) agree on each --audio file: the log-mel
   spectrogram of identical 16 kHz samples, and the tags end to end.
It exits non-zero if a check fails.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = REPO_ROOT / "playlist_builder" / "audio" / "models" / "musicnn_mtt.onnx"
MODEL_NAME = "MTT_musicnn"
PATCH_FRAMES = 187  # 3 s at 16 kHz / hop 256: the length the model was trained on
N_MELS = 96
N_TAGS = 50
OPSET = 13  # old enough for any onnxruntime >= 1.17, new enough for every op in the graph
TOLERANCE = 0.01  # largest tag-probability difference accepted between TensorFlow and ONNX
# End to end the resamplers differ (librosa's soxr vs our polyphase FIR), which moves a tag by up to ~0.01.
END_TO_END_TOLERANCE = 0.02
MEL_TOLERANCE = 1e-3  # log10 units; float16 rounding of the mel power alone moves values by about 2e-4
INPUT_NAME = "log_mel"
OUTPUT_NAME = "tags"

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def build_frozen_graph():  # -> tf.compat.v1.GraphDef
    """Rebuild MTT_musicnn for inference, restore the wheel's checkpoint and freeze the variables."""
    import musicnn
    import tensorflow as tf
    from musicnn import models

    tf.compat.v1.disable_eager_execution()
    tf.compat.v1.reset_default_graph()
    # Same name scope as musicnn.extractor so the variable names match the checkpoint; `False` (a
    # Python bool, not a placeholder) makes batch norm use its moving statistics and removes dropout.
    with tf.name_scope("model"):
        log_mel = tf.compat.v1.placeholder(tf.float32, [None, PATCH_FRAMES, N_MELS], name=INPUT_NAME)
        logits = models.define_model(log_mel, False, MODEL_NAME, N_TAGS)[0]
        tf.nn.sigmoid(logits, name=OUTPUT_NAME)
    session = tf.compat.v1.Session()
    checkpoint = os.path.join(os.path.dirname(musicnn.__file__), MODEL_NAME) + "/"
    tf.compat.v1.train.Saver().restore(session, checkpoint)
    frozen = tf.compat.v1.graph_util.convert_variables_to_constants(
        session, session.graph.as_graph_def(), [f"model/{OUTPUT_NAME}"]
    )
    return frozen, session


def convert(frozen_graph, output: Path) -> None:
    """Write the frozen graph as an ONNX model with a dynamic batch axis."""
    import tf2onnx

    model_proto, _ = tf2onnx.convert.from_graph_def(
        frozen_graph,
        input_names=[f"model/{INPUT_NAME}:0"],
        output_names=[f"model/{OUTPUT_NAME}:0"],
        opset=OPSET,
    )
    # Plain names for the runtime side; tf2onnx keeps the TF tensor names otherwise.
    _rename_io(model_proto, f"model/{INPUT_NAME}:0", INPUT_NAME)
    _rename_io(model_proto, f"model/{OUTPUT_NAME}:0", OUTPUT_NAME)
    for value in [*model_proto.graph.input, *model_proto.graph.output]:
        value.type.tensor_type.shape.dim[0].dim_param = "patches"  # tf2onnx calls the batch axis "unk__NNN"
    model_proto.producer_name = "playlist_builder tools/convert_musicnn.py (tf2onnx)"
    model_proto.doc_string = "musicnn MTT_musicnn 0.1.0 (ISC, Jordi Pons / MTG-UPF): 50 MagnaTagATune tags"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(model_proto.SerializeToString())


def _rename_io(model_proto, old: str, new: str) -> None:
    """Rename one graph input or output everywhere it is referenced."""
    graph = model_proto.graph
    for value in [*graph.input, *graph.output]:
        if value.name == old:
            value.name = new
    for node in graph.node:
        node.input[:] = [new if name == old else name for name in node.input]
        node.output[:] = [new if name == old else name for name in node.output]


def onnx_session(path: Path):  # -> onnxruntime.InferenceSession
    """An onnxruntime session on the converted file."""
    import onnxruntime

    return onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def check_against_tensorflow(tf_session, onnx_model, patches: np.ndarray, label: str) -> float:
    """Largest absolute tag difference between TensorFlow and ONNX on `patches`; prints it."""
    graph = tf_session.graph
    tf_tags = tf_session.run(
        graph.get_tensor_by_name(f"model/{OUTPUT_NAME}:0"),
        {graph.get_tensor_by_name(f"model/{INPUT_NAME}:0"): patches},
    )
    onnx_tags = onnx_model.run([OUTPUT_NAME], {INPUT_NAME: patches.astype(np.float32)})[0]
    difference = float(np.max(np.abs(tf_tags - onnx_tags)))
    print(f"TF vs ONNX  {label:<40} {len(patches):4d} patches  max |diff| = {difference:.2e}")
    return difference


def random_patches(count: int, seed: int = 0) -> np.ndarray:
    """Log-mel-like random patches (values in the 0..4 range real music gives)."""
    rng = np.random.default_rng(seed)
    smooth = rng.gamma(2.0, 0.6, size=(count, PATCH_FRAMES, N_MELS))
    return np.clip(smooth, 0.0, 4.5).astype(np.float32)


def check_audio_file(path: Path, tf_session, onnx_model, onnx_path: Path) -> dict[str, float]:
    """Compare musicnn's own pipeline with ours on one file; returns the largest differences."""
    import librosa
    from musicnn import configuration as musicnn_config
    from musicnn.extractor import batch_data, extractor

    sys.path.insert(0, str(REPO_ROOT))
    from playlist_builder.audio import vocal

    # 1. Preprocessing on identical 16 kHz samples (librosa's resampler is theirs, so feed both the same).
    audio, _ = librosa.load(str(path), sr=musicnn_config.SR)
    reference = librosa.feature.melspectrogram(
        y=audio,
        sr=musicnn_config.SR,
        hop_length=musicnn_config.FFT_HOP,
        n_fft=musicnn_config.FFT_SIZE,
        n_mels=musicnn_config.N_MELS,
    ).T.astype(np.float16)
    reference = np.log10(10000 * reference.astype(np.float32) + 1)
    ours = vocal.log_mel_spectrogram(audio)
    mel_difference = float(np.max(np.abs(reference - ours)))
    print(f"log-mel     {path.name:<40} {ours.shape} max |diff| = {mel_difference:.2e}")

    # 2. The converted model on musicnn's own patches of the file.
    batch, _ = batch_data(str(path), PATCH_FRAMES, PATCH_FRAMES)
    model_difference = check_against_tensorflow(tf_session, onnx_model, batch, path.name)

    # 3. End to end: musicnn.extractor (librosa load + TF graph with the is_training placeholder)
    #    against VocalModel.analyse on the file decoded with soundfile at its own rate.
    import soundfile

    taggram, _labels = extractor(str(path), model=MODEL_NAME, extract_features=False)
    samples, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    # Same patches as musicnn (it drops a short tail, we may add one); resamplers differ (soxr vs polyphase).
    ours_tags = vocal.VocalModel(onnx_path).taggram(samples, rate)[: len(taggram)].mean(axis=0)
    end_to_end = float(np.max(np.abs(taggram.mean(axis=0) - ours_tags)))
    print(f"end to end  {path.name:<40} {len(taggram):4d} patches  max |mean tag diff| = {end_to_end:.2e}")
    return {"mel": mel_difference, "model": model_difference, "end_to_end": end_to_end}


def main(argv: list[str] | None = None) -> int:
    """Convert, then check; returns the process exit code."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="where to write the .onnx file")
    parser.add_argument("--audio", type=Path, nargs="*", default=[], help="audio files for the checks")
    args = parser.parse_args(argv)

    frozen, tf_session = build_frozen_graph()
    with tempfile.TemporaryDirectory() as scratch:
        candidate = Path(scratch) / "musicnn_mtt.onnx"
        convert(frozen, candidate)
        onnx_model = onnx_session(candidate)
        worst = check_against_tensorflow(tf_session, onnx_model, random_patches(16), "random patches")
        failures = [] if worst <= TOLERANCE else [f"random patches (> {TOLERANCE})"]
        for path in args.audio:
            differences = check_audio_file(path, tf_session, onnx_model, candidate)
            if differences["model"] > TOLERANCE:
                failures.append(f"{path.name} (model > {TOLERANCE})")
            if differences["mel"] > MEL_TOLERANCE:
                failures.append(f"{path.name} (log-mel > {MEL_TOLERANCE})")
            if differences["end_to_end"] > END_TO_END_TOLERANCE:
                failures.append(f"{path.name} (end to end > {END_TO_END_TOLERANCE})")
        if failures:
            print(f"FAILED: {', '.join(failures)}; {args.output} left unchanged")
            return 1
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_bytes(candidate.read_bytes())
    print(f"wrote {args.output} ({args.output.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
