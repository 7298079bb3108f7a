"""Optional extras are imported lazily, and their absence is named with the pip command."""

import subprocess
import sys

import pytest

import deepcheap
from deepcheap.errors import MissingExtraError


def test_importing_deepcheap_does_not_import_onnx():
    code = "import sys, deepcheap; deepcheap.compile('x*y'); print('onnx' in sys.modules, 'onnxruntime' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.split() == ["False", "False"]


def test_a_missing_extra_names_the_pip_command(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx now raises ImportError
    with pytest.raises(MissingExtraError, match=r'pip install "deepcheap\[onnx\]"'):
        deepcheap.export_onnx(deepcheap.compile("x*y"), tmp_path / "a.onnx")
