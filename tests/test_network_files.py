""".dcnet files: safetensors (format 2), version 1 still readable, crafted files refused before building."""

import json
import subprocess
import sys
import textwrap

import pytest
import sympy
import torch
from safetensors import safe_open
from safetensors.torch import save_file

import deepcheap
from deepcheap.compiler.io import rebuild_cost
from deepcheap.errors import NetworkFileError, ResourceLimitError


def _header(path):
    with safe_open(str(path), framework="pt") as handle:
        return handle.metadata(), {k: handle.get_tensor(k) for k in handle.keys()}  # noqa: SIM118


def test_a_saved_network_is_a_plain_safetensors_file(tmp_path):
    net = deepcheap.compile("x**2*y - 3*z", eps=1e-6)
    deepcheap.save(net, tmp_path / "h.dcnet")
    meta, tensors = _header(tmp_path / "h.dcnet")
    assert meta["format"] == "deepcheap.network" and meta["version"] == "2"
    assert json.loads(meta["variables"]) == ["x", "y", "z"]
    assert json.loads(meta["construction"])["strategy"] == "deep"
    assert json.loads(meta["sizes"])["tensor_elements"] == sum(t.numel() for t in tensors.values())
    for name, tensor in net.module.state_dict().items():
        assert torch.equal(tensors[name], tensor)


def test_edited_weights_survive_a_round_trip(tmp_path):
    net = deepcheap.compile("x*y + z", eps=1e-6)
    with torch.no_grad():
        net.module.banks[0].readout.mul_(1.5)
    deepcheap.save(net, tmp_path / "edited.dcnet")
    loaded = deepcheap.load(tmp_path / "edited.dcnet")
    x = net.measure_inputs(100, seed=0)
    assert torch.equal(loaded(x), net(x))


def _save_version_1(net, path):
    """What deepcheap wrote before format 2 (torch.save of plain containers)."""
    metadata = {"deepcheap": "0.1.0", "kind": "boolean" if net.binary else "polynomial",
                "variables": list(net.variables),
                "terms": [[[list(f) for f in m], c] for m, c in sorted(net.polynomial.terms.items())],
                "strategy": net.strategy, "activation": net.activation, "order": net.order, "eps": net.eps,
                "domain": list(net.domain), "dtype": "float64"}
    tensors = {k: v.detach().cpu() for k, v in net.module.state_dict().items()}
    torch.save({"format": "deepcheap.network", "version": 1, "metadata": json.dumps(metadata), "tensors": tensors},
               path)


def test_version_1_files_still_load(tmp_path):
    for net in (deepcheap.compile("x**2*y - 3*z", eps=1e-6), deepcheap.compile_boolean([0, 1, 1, 0])):
        _save_version_1(net, tmp_path / "old.dcnet")
        loaded = deepcheap.load(tmp_path / "old.dcnet")
        x = net.measure_inputs(50, seed=0)
        assert torch.equal(loaded(x), net(x))


def test_an_unknown_version_is_named(tmp_path):
    net = deepcheap.compile("x*y")
    deepcheap.save(net, tmp_path / "a.dcnet")
    meta, tensors = _header(tmp_path / "a.dcnet")
    save_file(tensors, str(tmp_path / "future.dcnet"), metadata={**meta, "version": "7"})
    with pytest.raises(NetworkFileError, match="format version 7"):
        deepcheap.load(tmp_path / "future.dcnet")
    torch.save({"format": "deepcheap.network", "version": 0, "metadata": "{}", "tensors": {}}, tmp_path / "v0.dcnet")
    with pytest.raises(NetworkFileError, match="format version 0"):
        deepcheap.load(tmp_path / "v0.dcnet")


def test_a_foreign_safetensors_file_is_refused(tmp_path):
    save_file({"w": torch.zeros(3)}, str(tmp_path / "model.safetensors"))
    with pytest.raises(NetworkFileError, match="not a deepcheap network"):
        deepcheap.load(tmp_path / "model.safetensors")


def _crafted(tmp_path, name, **changes):
    """A real small network's file with its metadata replaced (sizes kept consistent unless overridden)."""
    deepcheap.save(deepcheap.compile("x*y"), tmp_path / "base.dcnet")
    meta, tensors = _header(tmp_path / "base.dcnet")
    sizes = json.loads(meta["sizes"])
    for key in ("variables", "terms"):
        if key in changes:
            meta[key] = json.dumps(changes[key])
            sizes[key] = len(changes[key])
    if "variables" in changes:  # an input layer that fits, so only the size estimate can stop it
        tensors["linear"] = torch.zeros(len(changes["variables"]), dtype=torch.float64)
        sizes["tensor_elements"] = sum(t.numel() for t in tensors.values())
    if "construction" in changes:
        meta["construction"] = json.dumps({**json.loads(meta["construction"]), **changes["construction"]})
    meta.update({k: v for k, v in changes.items() if k == "kind"})
    sizes.update(changes.get("sizes", {}))
    meta["sizes"] = json.dumps(sizes)
    save_file(tensors, str(tmp_path / name), metadata=meta)
    return tmp_path / name


def test_the_rebuild_cost_is_estimated_from_counts():
    shallow = deepcheap.compile("x**3*y**2 + z", strategy="shallow")
    cost = rebuild_cost(shallow.polynomial, {"strategy": "shallow"})
    assert cost.units == 4 * 3 + 2  # prod(r_i + 1) per monomial; the actual network folds one unit away
    assert cost.units >= shallow.neurons
    deep = deepcheap.compile(deepcheap.library.ising_2d(8))
    assert rebuild_cost(deep.polynomial, {"strategy": "deep"}).units == deep.neurons


def test_crafted_files_are_refused_with_their_size(tmp_path):
    huge_powers = _crafted(tmp_path, "powers.dcnet", terms=[[[[0, 10**4], [1, 10**4]], 1.0]],
                           construction={"strategy": "shallow"})
    with pytest.raises(ResourceLimitError, match=r"MiB .*100,020,001 units"):
        deepcheap.load(huge_powers)
    lying = _crafted(tmp_path, "lying.dcnet", sizes={"terms": 10**7, "variables": 5000 * 5000})
    with pytest.raises(NetworkFileError, match="declared 10000000"):
        deepcheap.load(lying)
    for path in (huge_powers, lying):
        assert path.stat().st_size < 2048


def test_a_boolean_network_of_many_bits_is_rebuilt_without_a_truth_table(tmp_path):
    """Boolean networks rebuild through compile(strategy="bits"): one unit per monomial, never 2^n rows."""
    names = " ".join(f"b{i:02d}" for i in range(40))
    bits = sympy.symbols(names)
    net = deepcheap.compile(bits[0] * bits[1] * bits[39] - 2 * bits[5] + 1, strategy="bits", eps=1e-9)
    cost = rebuild_cost(net.polynomial, {"kind": "boolean"})
    assert cost.units == net.neurons == 2 and cost.bytes < 2**20
    deepcheap.save(net, tmp_path / "bits.dcnet")
    loaded = deepcheap.load(tmp_path / "bits.dcnet")
    assert (loaded.strategy, loaded.binary, loaded.domain, loaded.eps) == ("bits", True, (0.0, 1.0), 1e-9)
    x = net.measure_inputs(64, seed=1)
    assert torch.equal(loaded(x), net(x))


def test_a_grouped_network_keeps_its_groups(tmp_path):
    net = deepcheap.compile(deepcheap.library.product(6), strategy="grouped", groups=(3, 2), eps=1e-6)
    deepcheap.save(net, tmp_path / "grouped.dcnet")
    loaded = deepcheap.load(tmp_path / "grouped.dcnet")
    assert loaded.strategy == "grouped" and loaded.neurons == net.neurons
    x = net.measure_inputs(64, seed=1)
    assert torch.equal(loaded(x), net(x))


def test_loading_a_crafted_file_is_refused_in_little_memory(tmp_path):
    """The refusal happens before anything is built: < 100 MB above the interpreter's baseline."""
    _crafted(tmp_path, "powers.dcnet", terms=[[[[0, 10**6], [1, 10**6]], 1.0]], construction={"strategy": "shallow"})
    script = textwrap.dedent(f"""
        import resource, tracemalloc, deepcheap
        from deepcheap.errors import ResourceLimitError
        deepcheap.load({str(tmp_path / "base.dcnet")!r})      # warm up: every import done
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        tracemalloc.start()
        try:
            deepcheap.load({str(tmp_path / "powers.dcnet")!r})
        except ResourceLimitError as err:
            message = str(err)
        peak = tracemalloc.get_traced_memory()[1]
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print((after - before) * 1024, peak, message)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    rss, peak, message = out.stdout.split(" ", 2)
    assert "MiB" in message
    assert int(rss) < 100 * 2**20 and int(peak) < 100 * 2**20


def test_version_1_files_get_the_same_checks(tmp_path):
    net = deepcheap.compile("x*y")
    _save_version_1(net, tmp_path / "old.dcnet")
    payload = torch.load(tmp_path / "old.dcnet", weights_only=True)
    meta = json.loads(payload["metadata"])
    meta.update(strategy="shallow", terms=[[[[0, 10**5], [1, 10**5]], 1.0]])
    payload["metadata"] = json.dumps(meta)
    torch.save(payload, tmp_path / "crafted_v1.dcnet")
    with pytest.raises(ResourceLimitError, match="MiB"):
        deepcheap.load(tmp_path / "crafted_v1.dcnet")
