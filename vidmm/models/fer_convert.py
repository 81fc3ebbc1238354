"""Rebuild the mini-Xception FER files from the upstream Keras hdf5 (used by ``vidmm models pull``).

The upstream checkpoint (oarriaga/face_classification) is a Keras 2 hdf5. vidmm runs it from a
framework-neutral export: ``.safetensors`` (float32 weights in PyTorch/ONNX layout) plus a ``.json``
layer graph. This module writes byte-identical copies of the files described in
../shared/models/README.md, so the registry can check them by sha256. It needs ``h5py`` (optional).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from vidmm.models.mini_xception import LABELS, load_torch_model

# Layer options that matter for inference; everything else in the Keras config is dropped.
_KEEP = ("filters", "kernel_size", "strides", "padding", "use_bias", "activation",
         "pool_size", "epsilon", "depth_multiplier", "batch_input_shape")


def _layer_weights(group, layer: str) -> dict[str, np.ndarray]:
    g = group[layer]
    names = [n.decode() if isinstance(n, bytes) else n for n in g.attrs["weight_names"]]
    return {n.split("/")[-1].split(":")[0]: np.asarray(g[n], dtype=np.float32) for n in names}


def export(hdf5: str | Path, out_prefix: str | Path) -> tuple[Path, Path]:
    """Write OUT.safetensors and OUT.json from the Keras hdf5; returns both paths."""
    import h5py

    hdf5, out = Path(hdf5), Path(out_prefix)
    with h5py.File(hdf5, "r") as f:
        cfg = json.loads(f.attrs["model_config"])
        keras_version = str(f.attrs["keras_version"])
        mw = f["model_weights"]
        tensors, layers = {}, []
        for layer in cfg["config"]["layers"]:
            kind, c = layer["class_name"], layer["config"]
            name = c["name"]
            inputs = [n[0] for node in layer.get("inbound_nodes", []) for n in node]
            options = {k: c[k] for k in _KEEP if k in c}
            layers.append({"name": name, "type": kind, "inputs": inputs, **options})
            w = _layer_weights(mw, name) if name in mw else {}
            if kind == "Conv2D":  # Keras (kh, kw, in, out) -> (out, in, kh, kw)
                tensors[f"{name}.weight"] = w["kernel"].transpose(3, 2, 0, 1)
                if "bias" in w:
                    tensors[f"{name}.bias"] = w["bias"]
            elif kind == "SeparableConv2D":
                tensors[f"{name}.depthwise.weight"] = w["depthwise_kernel"].transpose(2, 3, 0, 1)
                tensors[f"{name}.pointwise.weight"] = w["pointwise_kernel"].transpose(3, 2, 0, 1)
            elif kind == "BatchNormalization":
                tensors[f"{name}.weight"] = w["gamma"]
                tensors[f"{name}.bias"] = w["beta"]
                tensors[f"{name}.running_mean"] = w["moving_mean"]
                tensors[f"{name}.running_var"] = w["moving_variance"]
    graph = {
        "name": "mini_XCEPTION (oarriaga/face_classification)",
        "source_file": hdf5.name,
        "keras_version": keras_version,
        "input": {"shape_nhwc": [None, 64, 64, 1], "dtype": "float32",
                  "preprocess": "grayscale face crop resized to 64x64, x/255*2-1 (range [-1, 1])"},
        "output": {"shape": [None, 7], "activation": "softmax", "labels": LABELS},
        "weight_layout": "PyTorch/ONNX: conv (out,in,kh,kw); depthwise (in,1,kh,kw); NCHW activations",
        "padding_semantics": "TensorFlow 'same' (extra pad on bottom/right when odd)",
        "layers": layers,
    }
    st, js = out.with_suffix(".safetensors"), out.with_suffix(".json")
    st.write_bytes(_stable_safetensors({k: np.ascontiguousarray(v) for k, v in tensors.items()},
                                       {"source": hdf5.name, "format": "pytorch-layout"}))
    js.write_text(json.dumps(graph, indent=1) + "\n")
    return st, js


def _stable_safetensors(tensors: dict[str, np.ndarray], metadata: dict[str, str]) -> bytes:
    """safetensors bytes with the metadata keys in the given order.

    The library keeps metadata in a hash map, so its key order (and the file's sha256) changes from run
    to run; the registry checks the file by hash, so the order is fixed here. Same keys, same length:
    only the metadata object inside the header is rewritten.
    """
    from safetensors.numpy import save

    data = save(tensors, metadata=metadata)
    n = int.from_bytes(data[:8], "little")
    header = data[8:8 + n].decode("utf-8")
    start = header.index('"__metadata__":') + len('"__metadata__":')
    end = header.index("}", start) + 1
    wanted = json.dumps(metadata, separators=(",", ":"))
    if len(wanted) != end - start:  # unexpected serialisation: keep the library's bytes
        return data
    return data[:8] + (header[:start] + wanted + header[end:]).encode("utf-8") + data[8 + n:]


def export_onnx(model_dir: str | Path, out: str | Path, atol: float = 1e-4) -> Path:
    """Export the torch model to ONNX (opset 17) and check it against torch with onnxruntime.

    The bytes depend on the torch version, so the registry accepts a rebuilt file by this numerical check.
    """
    import importlib.util

    import onnxruntime as ort
    import torch

    if importlib.util.find_spec("onnx") is None:  # torch's exporter needs it; the file is optional
        raise ImportError("torch.onnx.export needs the onnx package", name="onnx")

    model = load_torch_model(Path(model_dir))
    x = torch.from_numpy(np.random.default_rng(0).uniform(-1, 1, (4, 1, 64, 64)).astype(np.float32))
    torch.onnx.export(model, x[:1], str(out), input_names=["input"], output_names=["probs"],
                      dynamic_axes={"input": {0: "n"}, "probs": {0: "n"}}, opset_version=17, dynamo=False)
    with torch.no_grad():
        ref = model(x).numpy()
    sess = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    got = sess.run(None, {"input": x.numpy()})[0]
    if not np.allclose(got, ref, atol=atol):
        Path(out).unlink(missing_ok=True)
        raise RuntimeError(f"exported ONNX disagrees with torch (max |dp| {np.abs(got - ref).max():.2e})")
    return Path(out)
