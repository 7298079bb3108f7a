"""The README's Python examples run as written (documentation that cannot drift)."""

import importlib.util
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_blocks_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples may write files (deepcheap.save)
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert blocks
    for block in blocks:
        if "onnxruntime" in block and importlib.util.find_spec("onnxruntime") is None:
            continue  # the ONNX example needs the [onnx] extra (CI installs it)
        exec(compile(block, str(README), "exec"), {})


def test_readme_opens_with_the_two_commands():
    lines = [line for line in README.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert lines[2] == "pip install torch==2.13.0 && pip install -e . && deepcheap reproduce --quick"
    assert lines[3] == 'pip install -e ".[test]" && python -m pytest'
